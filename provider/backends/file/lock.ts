/**
 * The state lock: one exclusive lock file, `<statePath>.lock`, held for the whole of a plan or
 * apply so that two runs never read-modify-write the same state.
 *
 * Taking it is one atomic `open(O_CREAT | O_EXCL)`; the file then gets a JSON record of who holds
 * it (id, pid, host, user, command, time). Taking the lock never creates or touches the state
 * file. A held lock fails fast with `StateLockedError` saying who holds it, or is polled for up to
 * `timeoutMs`. A lock is only ever removed by its holder (`release()`) or by `forceUnlock()` with
 * the exact id the error printed.
 *
 * A holder that is provably dead — same host, same boot (the kernel's boot id, not only the host
 * name) and its pid gone or reused by a process with another start time — cannot be waiting for
 * its lock: the lock is taken over at once and `onTakeover` says so. A holder on another host, or
 * from before a reboot, or a lock written without a boot id, is never taken over: that needs a
 * human and `force-unlock`.
 *
 * Unreadable lock files (a crash between creating the file and writing it, or garbage): the
 * error reports what is known and an id `unreadable-<12 hex>` derived from the file's device,
 * inode and mtime. `forceUnlock` accepts exactly that id, so it removes the broken file the user
 * saw and never a lock that someone took after it. There is no wildcard id on purpose.
 */
import { createHash, randomUUID } from "node:crypto";
import { readFileSync, type Stats, unlinkSync } from "node:fs";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { formatDuration } from "../../model/duration.js";
import { PopdockError } from "../../model/errors.js";

/** What a lock file records about its holder. */
export interface LockInfo {
  id: string;
  pid: number;
  host: string;
  user: string;
  /** The command holding the lock, e.g. `popdock apply`. */
  command: string;
  /** ISO 8601 time the lock was taken. */
  created_at: string;
  /** The kernel's boot id (Linux), so that "same host" also means "same boot". */
  boot_id?: string;
  /** The holder's start time in clock ticks since boot (Linux), so a reused pid is not mistaken for it. */
  pid_start?: string;
}

/** What could be read of a lock file that is currently present. */
export interface LockHolder {
  /** The lock's id: from the file, or `unreadable-…` derived from the file itself. */
  id: string;
  /** False when the file was empty, half-written or not a lock record. */
  readable: boolean;
  pid?: number;
  host?: string;
  user?: string;
  command?: string;
  /** From the file, or the file's mtime when unreadable. */
  created_at?: string;
  boot_id?: string;
  pid_start?: string;
  /** True when `host` is this machine and `pid` is not a running process (or another process now). */
  stale: boolean;
  /**
   * True when the holder is provably gone: stale, and the lock was written during this boot of
   * this machine (same boot id). Only such a lock is taken over automatically.
   */
  takeable: boolean;
}

/** A held lock. */
export interface Lock {
  readonly id: string;
  readonly info: LockInfo;
  /** The lock file's path. */
  readonly path: string;
  /**
   * Removes the lock file if it still holds this lock's id (a lock someone force-took and
   * re-took is left alone). Idempotent; never throws for an already-removed lock.
   */
  release(): Promise<void>;
}

export interface AcquireLockOptions {
  /** The state file's path; the lock is `<statePath>.lock`. */
  statePath: string;
  /** Recorded in the lock and shown to whoever waits, e.g. `popdock apply`. */
  command: string;
  /** How long to wait for a held lock; 0 (the default) fails at once. */
  timeoutMs?: number | undefined;
  /** Aborting stops the wait; the promise rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
  /** Clock for `created_at` and messages (tests). */
  now?: (() => Date) | undefined;
  /** Called once when a lock left by a provably dead holder is taken over (the CLI prints one line). */
  onTakeover?: ((holder: LockHolder) => void) | undefined;
  /** Called once when the lock is held and this call starts waiting for it (the CLI says so). */
  onWait?: ((message: string) => void) | undefined;
}

/** The state is locked by someone else. */
export class StateLockedError extends PopdockError {
  readonly code = "POPDOCK_STATE_LOCKED";
  readonly lockPath: string;
  readonly holder: LockHolder;

  constructor(lockPath: string, holder: LockHolder, waitedMs: number, now: Date) {
    const waited = waitedMs > 0 ? `, after waiting ${formatDuration(waitedMs)}` : "";
    super(`${describeHolder(holder, now)}${waited} (lock file ${lockPath})`, {
      hint: holder.stale
        ? `the holder is gone; if you are sure no popdock process uses this state, run \`popdock force-unlock ${holder.id}\``
        : "wait and retry, use --lock-timeout 30s to wait, or if that process is gone run " +
          `\`popdock force-unlock ${holder.id}\``,
    });
    this.lockPath = lockPath;
    this.holder = holder;
  }
}

/** `forceUnlock` was given an id that is not the current lock's. Nothing was removed. */
export class LockIdMismatchError extends PopdockError {
  readonly code = "POPDOCK_LOCK_ID_MISMATCH";
  readonly holder: LockHolder;

  constructor(lockPath: string, givenId: string, holder: LockHolder, now: Date) {
    super(
      `lock id ${givenId} does not match the current lock ${holder.id} (lock file ${lockPath}): ` +
        `${describeHolder(holder, now)}; nothing was removed`,
      { hint: `check that process is gone, then run \`popdock force-unlock ${holder.id}\`` },
    );
    this.holder = holder;
  }
}

/** `forceUnlock` found no lock. */
export class NotLockedError extends PopdockError {
  readonly code = "POPDOCK_NOT_LOCKED";

  constructor(lockPath: string) {
    super(`the state is not locked (no lock file at ${lockPath})`, { hint: "nothing to unlock" });
  }
}

/** The lock file for a state file. */
export function lockPathFor(statePath: string): string {
  return `${statePath}.lock`;
}

/**
 * Takes the lock for `statePath`, waiting up to `timeoutMs` (polling every 100–250 ms) if it is
 * held. Throws `StateLockedError` naming the holder when it stays held; a holder that is a dead
 * process on this host fails at once, since waiting cannot help. Creates the state's directory
 * (0700) if missing, never the state file. Not re-entrant: a second `acquireLock` in the same
 * process is refused like any other.
 */
export async function acquireLock(options: AcquireLockOptions): Promise<Lock> {
  const { statePath, command, timeoutMs = 0, signal } = options;
  const now = options.now ?? (() => new Date());
  const file = lockPathFor(statePath);
  if (!(timeoutMs >= 0)) throw new RangeError(`timeoutMs must be >= 0, got ${timeoutMs}`);
  signal?.throwIfAborted();
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });

  const started = performance.now();
  let told = false;
  for (;;) {
    const info: LockInfo = {
      id: randomUUID(),
      pid: process.pid,
      host: os.hostname(),
      user: currentUser(),
      command,
      created_at: now().toISOString(),
      ...processIdentity(),
    };
    if (await tryCreate(file, info)) return heldLock(file, info);

    const holder = await readHolder(file);
    if (holder === undefined) continue; // released between our attempt and the read: retry now
    if (holder.takeable) {
      if (await takeOver(file, holder)) options.onTakeover?.(holder);
      continue; // taken over (or someone else did it first): try to create it again
    }
    const waited = performance.now() - started;
    if (holder.stale || waited >= timeoutMs) {
      // Say how long we waited when we did wait (a dead holder fails before the timeout).
      const shown = timeoutMs > 0 ? Math.min(waited, timeoutMs) : 0;
      throw new StateLockedError(file, holder, shown >= Math.min(timeoutMs, 1000) ? shown : 0, now());
    }
    if (!told) {
      told = true;
      options.onWait?.(
        `waiting for the state lock held by ${describeHolder(holder, now()).replace(/^state is locked by /, "")} (up to ${formatDuration(timeoutMs)})…`,
      );
    }
    const pause = Math.min(100 + Math.random() * 150, Math.max(timeoutMs - waited, 1));
    await sleep(pause, undefined, signal === undefined ? {} : { signal }).catch((err: unknown) => {
      throw signal?.aborted ? signal.reason : err;
    });
  }
}

/**
 * Removes a lock whose holder is provably dead, under a short-lived `<lock>.takeover` guard so
 * that two runs taking over at once cannot remove a lock one of them has just taken. True when
 * this call removed it; false when another run got there first (the caller simply tries again).
 */
async function takeOver(file: string, dead: LockHolder): Promise<boolean> {
  const guard = `${file}.takeover`;
  const mine: LockInfo = {
    id: randomUUID(),
    pid: process.pid,
    host: os.hostname(),
    user: currentUser(),
    command: "lock takeover",
    created_at: new Date().toISOString(),
    ...processIdentity(),
  };
  if (!(await tryCreate(guard, mine))) {
    const other = await readHolder(guard);
    // A takeover guard left by a run that itself died mid-takeover goes the same way.
    if (other !== undefined && (other.takeable || !other.readable)) await removeIfId(guard, other.id);
    else if (other !== undefined) await sleep(20);
    return false;
  }
  try {
    const still = await readHolder(file);
    if (still === undefined || still.id !== dead.id) return false;
    await fs.rm(file, { force: true });
    return true;
  } finally {
    await removeIfId(guard, mine.id);
  }
}

/** Creates the lock file exclusively and writes `info`; false if it already exists. */
async function tryCreate(file: string, info: LockInfo): Promise<boolean> {
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(file, "wx", 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
  try {
    await fh.writeFile(`${JSON.stringify(info, null, 2)}\n`, "utf8");
    await fh.sync();
    await fh.close();
  } catch (err) {
    // Don't leave a half-written lock behind that would block everyone.
    await fh.close().catch(() => undefined);
    await fs.rm(file, { force: true });
    throw err;
  }
  return true;
}

/** Locks this process holds, released synchronously if it exits without releasing them. */
const heldByProcess = new Map<string, string>();
let exitHookInstalled = false;

/**
 * A process that exits at once (a second Ctrl-C, `process.exit`) cannot await `release()`:
 * remove our lock files on the way out, when they still hold our id. kill -9 runs no code; its
 * lock stays, and the next run names the dead holder and the force-unlock id.
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const [file, id] of heldByProcess) {
      try {
        const parsed = JSON.parse(readFileSync(file, "utf8")) as { id?: unknown };
        if (parsed.id === id) unlinkSync(file);
      } catch {
        // gone or unreadable: nothing of ours to remove
      }
    }
  });
}

function heldLock(file: string, info: LockInfo): Lock {
  let releasing: Promise<void> | undefined;
  heldByProcess.set(file, info.id);
  installExitHook();
  return {
    id: info.id,
    info,
    path: file,
    release() {
      releasing ??= removeIfId(file, info.id).then(
        () => {
          if (heldByProcess.get(file) === info.id) heldByProcess.delete(file);
        },
        (err: unknown) => {
          releasing = undefined; // let the caller retry after e.g. a permissions fix
          throw err;
        },
      );
      return releasing;
    },
  };
}

/**
 * Removes the lock file if its id is `id`. Returns the holder found (undefined: no lock).
 * Read-compare-unlink is not one atomic step; the window is a lock being removed and re-taken
 * within it, which only a concurrent force-unlock could cause.
 */
async function removeIfId(file: string, id: string): Promise<LockHolder | undefined> {
  const holder = await readHolder(file);
  if (holder === undefined || holder.id !== id) return holder;
  await fs.rm(file, { force: true });
  return holder;
}

/**
 * Removes the lock on `statePath` if its id is `lockId` (the id shown by `StateLockedError`).
 * Throws `NotLockedError` when there is no lock and `LockIdMismatchError` (removing nothing)
 * when the id differs. Returns what was known of the removed lock's holder.
 */
export async function forceUnlock(
  statePath: string,
  lockId: string,
  options: { now?: () => Date } = {},
): Promise<LockHolder> {
  const file = lockPathFor(statePath);
  const holder = await removeIfId(file, lockId);
  if (holder === undefined) throw new NotLockedError(file);
  if (holder.id !== lockId) throw new LockIdMismatchError(file, lockId, holder, (options.now ?? nowDate)());
  return holder;
}

/** Who holds the lock on `statePath`, or undefined when it is free. */
export async function readLock(statePath: string): Promise<LockHolder | undefined> {
  return readHolder(lockPathFor(statePath));
}

async function readHolder(file: string): Promise<LockHolder | undefined> {
  let holder = await readHolderOnce(file);
  if (holder?.readable === false) {
    // Possibly a live holder between open(O_EXCL) and its write: look again before calling it broken.
    await sleep(50);
    holder = await readHolderOnce(file);
  }
  return holder;
}

async function readHolderOnce(file: string): Promise<LockHolder | undefined> {
  let text: string;
  let stat: Stats;
  try {
    const fh = await fs.open(file, "r");
    try {
      stat = await fh.stat();
      text = await fh.readFile("utf8");
    } finally {
      await fh.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    raw = undefined;
  }
  const r = raw !== null && typeof raw === "object" ? (raw as Record<string, unknown>) : {};
  const str = (k: string) => (typeof r[k] === "string" && r[k] !== "" ? (r[k] as string) : undefined);
  const pid = typeof r.pid === "number" && Number.isSafeInteger(r.pid) && r.pid > 0 ? r.pid : undefined;
  const id = str("id");
  const readable = id !== undefined;
  const holder: LockHolder = {
    id: id ?? unreadableId(stat),
    readable,
    stale: false,
    ...(pid === undefined ? {} : { pid }),
    ...optional("host", str("host")),
    ...optional("user", str("user")),
    ...optional("command", str("command")),
    created_at: str("created_at") ?? stat.mtime.toISOString(),
    ...optional("boot_id", str("boot_id")),
    ...optional("pid_start", str("pid_start")),
    takeable: false,
  };
  const here = holder.host === os.hostname() && pid !== undefined;
  const ours = processIdentity();
  const sameBoot = here && holder.boot_id !== undefined && holder.boot_id === ours.boot_id;
  const gone =
    pid !== undefined &&
    (!isAlive(pid) || (sameBoot && holder.pid_start !== undefined && startTimeOf(pid) !== holder.pid_start));
  holder.stale = here && gone;
  holder.takeable = holder.stale && sameBoot;
  return holder;
}

let identity: { boot_id?: string; pid_start?: string } | undefined;

/** This boot's id and this process's start time, where the platform tells them (Linux). */
function processIdentity(): { boot_id?: string; pid_start?: string } {
  if (identity === undefined) {
    const boot = readText("/proc/sys/kernel/random/boot_id");
    const start = startTimeOf(process.pid);
    identity = {
      ...(boot === undefined ? {} : { boot_id: boot }),
      ...(start === undefined ? {} : { pid_start: start }),
    };
  }
  return identity;
}

/** Field 22 of `/proc/<pid>/stat`: start time in clock ticks since boot; undefined where unknown. */
function startTimeOf(pid: number): string | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  // The command name (field 2) is in parentheses and may contain spaces: count from after it.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return fields[19];
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}

/** A stable id for a lock file whose content has no id: same file, same mtime → same id. */
function unreadableId(stat: Stats): string {
  const digest = createHash("sha256").update(`${stat.dev}:${stat.ino}:${stat.mtimeMs}`).digest("hex");
  return `unreadable-${digest.slice(0, 12)}`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

function currentUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    // No passwd entry (some containers).
    return process.env.USER ?? process.env.USERNAME ?? "unknown";
  }
}

function nowDate(): Date {
  return new Date();
}

/** "state is locked by pid 4121 on ci-runner-7 (popdock apply) since 12:03:55Z" and what else is known. */
function describeHolder(holder: LockHolder, now: Date): string {
  const since = holder.created_at === undefined ? "" : ` since ${formatSince(holder.created_at, now)}`;
  if (!holder.readable) {
    const who = holder.pid === undefined ? "an unknown process" : `pid ${holder.pid}`;
    return `state is locked by ${who}${since}; the lock file is unreadable or half-written (a crash while taking the lock?)`;
  }
  const who = holder.pid === undefined ? "an unknown process" : `pid ${holder.pid}`;
  const where = holder.host === undefined ? "" : ` on ${holder.host}`;
  const what = holder.command === undefined ? "" : ` (${holder.command})`;
  const gone =
    holder.stale && holder.pid !== undefined
      ? ` (process ${holder.pid} is no longer running on this host${holder.takeable ? "" : ", but the lock does not prove it was taken during this boot"})`
      : "";
  return `state is locked by ${who}${where}${what}${since}${gone}`;
}

/** `12:03:55Z` when `iso` is today (UTC), `2024-05-01 12:03:55Z` otherwise. */
function formatSince(iso: string, now: Date): string {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return iso;
  const full = t.toISOString(); // 2024-05-01T12:03:55.123Z
  const day = full.slice(0, 10);
  const time = `${full.slice(11, 19)}Z`;
  return day === now.toISOString().slice(0, 10) ? time : `${day} ${time}`;
}
