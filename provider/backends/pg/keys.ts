/**
 * Advisory-lock keys. Every key is derived from the schema name, so that two projects on one
 * server never block each other (no global lock: hashicorp/terraform #33217, opentofu #2218).
 */
import { createHash } from "node:crypto";

/** A signed 64-bit key (as a decimal string, for `pg_try_advisory_lock($1::bigint)`) for `name`. */
export function advisoryKey(name: string): string {
  return createHash("sha256").update(`popdock-iac:${name}`).digest().readBigInt64BE(0).toString();
}

/** How `pg_locks` shows a bigint advisory key: classid is its high 32 bits, objid the low 32. */
export function lockParts(key: string): { classid: number; objid: number } {
  const u = BigInt.asUintN(64, BigInt(key));
  return { classid: Number(u >> 32n), objid: Number(u & 0xffffffffn) };
}

/** The lock of one workspace in one schema: `schema + "/" + workspace`. */
export function workspaceLockKey(schemaName: string, workspace: string): string {
  return advisoryKey(`${schemaName}/${workspace}`);
}
