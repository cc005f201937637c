/**
 * The local backend's snapshot file (`.popdock/state.json`; the caller passes the path).
 *
 * - `load()` never creates anything: a missing file is a fresh, empty state in memory. A file
 *   that is not valid JSON, belongs to another tool or format, or fails the zod schema is
 *   refused with `StateInvalidError`; it is never silently replaced.
 * - `write()` is crash-safe: the new content goes to a temp file in the same directory (fsync),
 *   the current file is kept as `<path>.backup` (a hard link, so the backup is always a complete
 *   previous version), the temp file is renamed over the state, then the directory is fsynced.
 *   Writes on one store are queued, never interleaved. Cross-process exclusion is the job of
 *   `lock.ts`: hold the lock around load → write.
 * - A state never holds a token ID: `write()` refuses any object with a `token_id` key.
 */
import { randomBytes } from "node:crypto";
import { constants as fsConstants } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { StateFile } from "../../../schema/state.js";
import {
  assertNoTokenId,
  emptyState,
  listProblems,
  parseState,
  StateInvalidError,
  stringifyState,
} from "../state-codec.js";

export {
  assertNoTokenId,
  emptyState,
  parseState,
  StateInvalidError,
  StateSecretError,
  stringifyState,
} from "../state-codec.js";

/**
 * Local state backend for one state file. Create one per path and reuse it: `write()` calls on
 * the same store are serialized.
 */
export class StateStore {
  /** The state file's path, as given. */
  readonly path: string;
  /** Highest serial this store has read or written; `write()` always goes above it. */
  #serial = -1;
  /** Tail of the write queue. Never rejects (errors go to the individual `write()` callers). */
  #queue: Promise<unknown> = Promise.resolve();

  readonly #knownTypes: readonly string[] | undefined;

  /** `knownTypes`: the registered resource types; a state naming another is refused. */
  constructor(statePath: string, opts: { knownTypes?: readonly string[] } = {}) {
    this.path = statePath;
    this.#knownTypes = opts.knownTypes;
  }

  /** How `parseState` is called for this file: its known types and where its backup is. */
  parseOptions(): { knownTypes?: readonly string[]; hint: string } {
    return {
      ...(this.#knownTypes === undefined ? {} : { knownTypes: this.#knownTypes }),
      hint:
        `restore the previous version from ${this.path}.backup (or fix the file by hand); ` +
        "popdock-iac never replaces a state file it cannot read",
    };
  }

  /** Whether the state file exists (a dangling symlink or unreadable parent counts as absent). */
  async exists(): Promise<boolean> {
    try {
      await fs.access(this.path, fsConstants.F_OK);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Reads and validates the state, after this store's queued writes have finished. A missing
   * file gives `emptyState()` (nothing is created).
   * Throws `StateInvalidError` for a corrupt, foreign or invalid file; other I/O errors
   * (permissions, ...) are rethrown as they are.
   */
  async load(): Promise<StateFile> {
    await this.#queue; // see this store's own queued writes
    let text: string;
    try {
      text = await fs.readFile(this.path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") {
        const fresh = emptyState();
        this.#serial = Math.max(this.#serial, fresh.serial);
        return fresh;
      }
      throw err;
    }
    const state = parseState(text, this.path, this.parseOptions());
    this.#serial = Math.max(this.#serial, state.serial);
    return state;
  }

  /**
   * Writes `state` with a bumped serial and returns that serial. The serial is one more than the
   * highest of `state.serial` and every serial this store has loaded or written, so queued
   * writes of the same snapshot still get distinct, increasing serials. `state` itself is not
   * modified.
   *
   * Atomic: readers see the old file or the new one, never a mix; `<path>.backup` always holds
   * the complete previous version. Throws `StateSecretError` (and writes nothing) if the state
   * holds a `token_id` key, and `StateInvalidError` if it does not match the schema.
   */
  write(state: StateFile): Promise<number> {
    const run = this.#queue.then(() => this.#write(state));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #write(state: StateFile): Promise<number> {
    const serial = Math.max(this.#serial, state.serial) + 1;
    await this.#writeAt(state, serial);
    return serial;
  }

  /**
   * Writes `state` with exactly this serial (the local backend decides serials itself, by
   * compare-and-swap), queued like `write()`, with the same guards.
   */
  writeSnapshot(state: StateFile, serial: number): Promise<void> {
    const run = this.#queue.then(() => this.#writeAt(state, serial));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #writeAt(state: StateFile, serial: number): Promise<void> {
    assertNoTokenId(state, this.path);
    const checked = StateFile.safeParse({ ...state, serial });
    if (!checked.success) {
      const problems = listProblems(checked.error.issues);
      throw new StateInvalidError(
        this.path,
        `refusing to write an invalid state to ${this.path}: ${problems.join("; ")}`,
        problems,
        { hint: "this is a bug in popdock-iac, please report it; nothing was written" },
      );
    }
    await writeFileAtomic(this.path, stringifyState(checked.data));
    this.#serial = Math.max(this.#serial, serial);
  }
}

/**
 * Removes the temp files an interrupted write of `filePath` left behind (`.<base>.<pid>.<hex>.tmp`
 * and the backup's twin). Call it only while holding the state lock: nobody else can be writing.
 * Returns how many were removed.
 */
export async function removeTempFiles(filePath: string): Promise<number> {
  const dir = path.dirname(filePath);
  const prefix = `.${path.basename(filePath)}.`;
  const names = await fs.readdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return [] as string[];
    throw e;
  });
  const stale = names.filter((n) => n.startsWith(prefix) && /\.\d+\.[0-9a-f]{12}\.tmp$/.test(n));
  await Promise.all(stale.map((n) => fs.rm(path.join(dir, n), { force: true })));
  return stale.length;
}

/**
 * Replaces `filePath` with `content` atomically (temp file + fsync + rename + directory fsync),
 * keeping the previous file as `<filePath>.backup`. Mode 0600; the directory is created with
 * mode 0700 when missing. Leaves no temp file behind when it throws.
 */
async function writeFileAtomic(filePath: string, content: string): Promise<void> {
  const dir = path.dirname(filePath);
  const base = path.basename(filePath);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const tag = `${process.pid}.${randomBytes(6).toString("hex")}`;
  const tmp = path.join(dir, `.${base}.${tag}.tmp`);
  const backup = `${filePath}.backup`;
  const backupTmp = path.join(dir, `.${base}.backup.${tag}.tmp`);
  try {
    const fh = await fs.open(tmp, "wx", 0o600);
    try {
      await fh.writeFile(content, "utf8");
      await fh.sync();
    } finally {
      await fh.close();
    }
    if (await keepBackup(filePath, backupTmp)) await fs.rename(backupTmp, backup);
    await fs.rename(tmp, filePath);
  } catch (err) {
    await Promise.all([fs.rm(tmp, { force: true }), fs.rm(backupTmp, { force: true })]);
    throw err;
  }
  await fsyncDir(dir);
}

/**
 * Puts a complete copy of the current `filePath` at `to`: a hard link (the old inode outlives
 * the rename, so that is exactly the previous version), or a synced copy where the filesystem
 * has no hard links. Returns false when there is no current file.
 */
async function keepBackup(filePath: string, to: string): Promise<boolean> {
  try {
    await fs.link(filePath, to);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return false;
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "EXDEV") throw err;
  }
  try {
    await fs.copyFile(filePath, to, fsConstants.COPYFILE_EXCL);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
  await fs.chmod(to, 0o600);
  const fh = await fs.open(to, "r+");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
  return true;
}

/** Makes the renames durable. Some platforms (Windows) cannot open or fsync a directory. */
async function fsyncDir(dir: string): Promise<void> {
  let fh: fs.FileHandle | undefined;
  try {
    fh = await fs.open(dir, "r");
    await fh.sync();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EISDIR" && code !== "EPERM" && code !== "EINVAL" && code !== "EBADF" && code !== "EACCES") {
      throw err;
    }
  } finally {
    await fh?.close();
  }
}
