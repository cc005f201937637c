/**
 * Failures of the PostgreSQL state backend. Every message is built from the connection's
 * non-secret identity (`user@host:port/db`) and metadata; the password never reaches a message,
 * a hint or a `cause` (the pg error is copied with the password redacted, see `conn.ts`).
 */
import { PopdockError } from "../../model/errors.js";
import type { LockInfo } from "../types.js";

/** The server cannot be reached: refused, unknown host, timed out, or the connection dropped. */
export class PgUnreachableError extends PopdockError {
  readonly code = "POPDOCK_PG_UNREACHABLE";
  /** `ECONNREFUSED`, `ENOTFOUND`, `ETIMEDOUT`, `CONNECTION_LOST`, ... */
  readonly reason: string;

  constructor(message: string, reason: string, options?: { cause?: unknown; hint?: string }) {
    super(message, options);
    this.reason = reason;
  }
}

/** The server answered with an error (authentication, permissions, a missing database, bad data). */
export class PgBackendError extends PopdockError {
  readonly code = "POPDOCK_PG_ERROR";
  /** The SQLSTATE (`28P01`, `3D000`, ...) when the server sent one. */
  readonly sqlState: string | undefined;

  constructor(message: string, sqlState: string | undefined, options?: { cause?: unknown; hint?: string }) {
    super(message, options);
    this.sqlState = sqlState;
  }
}

/** The workspace's lock is held by another session. */
export class PgStateLockedError extends PopdockError {
  readonly code = "POPDOCK_PG_STATE_LOCKED";
  /** What the holder recorded, or undefined when it has not written its lock-info row yet. */
  readonly holder: LockInfo | undefined;

  constructor(where: string, holder: LockInfo | undefined, holderPid: number | undefined, waitedMs: number) {
    const waited = waitedMs > 0 ? `, after waiting ${formatMs(waitedMs)}` : "";
    super(`${describeLockHolder(holder, holderPid)}${waited} (${where})`, {
      hint:
        holder === undefined
          ? "wait and retry, or use --lock-timeout 30s to wait"
          : `wait and retry, use --lock-timeout 30s to wait, or if that run is stuck run \`popdock force-unlock ${holder.id}\` ` +
            "(a holder that died releases the lock by itself when its connection closes)",
    });
    this.holder = holder;
  }
}

/** `forceUnlock` was given an id that is not the current lock's. Nothing was changed. */
export class PgLockIdMismatchError extends PopdockError {
  readonly code = "POPDOCK_PG_LOCK_ID_MISMATCH";
  constructor(where: string, givenId: string, holder: LockInfo) {
    super(
      `lock id ${givenId} does not match the current lock ${holder.id} (${where}): ` +
        `${describeLockHolder(holder, undefined)}; nothing was changed`,
      { hint: `check that run is stuck, then run \`popdock force-unlock ${holder.id}\`` },
    );
  }
}

/** `forceUnlock` found no lock held. */
export class PgNotLockedError extends PopdockError {
  readonly code = "POPDOCK_PG_NOT_LOCKED";
  constructor(where: string) {
    super(`the state is not locked (${where})`, { hint: "nothing to unlock" });
  }
}

/** `state is locked by pid 4121 on ci-runner-7 (popdock apply, user ci) since 12:03:55Z, lock id …` */
export function describeLockHolder(holder: LockInfo | undefined, pid: number | undefined): string {
  if (holder === undefined) {
    return `state is locked by another session${pid === undefined ? "" : ` (server backend pid ${pid})`}`;
  }
  return (
    `state is locked by pid ${holder.pid} on ${holder.host} (${holder.command}, user ${holder.user}) ` +
    `since ${holder.created_at}, lock id ${holder.id}`
  );
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${Math.round(ms / 100) / 10}s`;
}
