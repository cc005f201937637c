/**
 * The local state backend: reads and writes `.popdock/state.json` (the caller passes the path).
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
import { randomBytes, randomUUID } from "node:crypto";
import { constants as fsConstants } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import {
  DeposedObject,
  PendingStep,
  STATE_FORMAT_VERSION,
  StateFile,
  StateOutput,
  StateResource,
} from "../../schema/state.js";
import { PopdockError } from "../model/errors.js";
import { isResourceType, resourceTypes } from "../resources/index.js";

const TOOL = "popdock-iac";
/** How many schema problems a `StateInvalidError` message lists. */
const MAX_LISTED_PROBLEMS = 5;

/** The state file could not be used: not JSON, not ours, a format we don't know, or invalid. */
export class StateInvalidError extends PopdockError {
  readonly code = "POPDOCK_STATE_INVALID";
  /** The state file's path. */
  readonly path: string;
  /** One line per problem found (zod issue path and message), at most a few. */
  readonly problems: readonly string[];

  constructor(
    filePath: string,
    message: string,
    problems: readonly string[],
    options?: { cause?: unknown; hint?: string },
  ) {
    super(message, {
      ...options,
      hint:
        options?.hint ??
        `restore the previous version from ${filePath}.backup (or fix the file by hand); ` +
          "popdock-iac never replaces a state file it cannot read",
    });
    this.path = filePath;
    this.problems = problems;
  }
}

/**
 * Internal error: something tried to write a token ID into the state. Never expected to reach a
 * user; it is a guard against a bug leaking a secret to disk. The message names the key's
 * location, never its value.
 */
export class StateSecretError extends PopdockError {
  readonly code = "POPDOCK_STATE_SECRET";
  /** JSON path of the offending key, e.g. `resources["popdock_api_token.ci"].attributes.token_id`. */
  readonly keyPath: string;

  constructor(filePath: string, keyPath: string) {
    super(`refusing to write ${filePath}: the state would contain a token ID at ${keyPath}`, {
      hint: "this is a bug in popdock-iac, please report it; nothing was written",
    });
    this.keyPath = keyPath;
  }
}

/** A fresh, empty state with a new lineage and serial 0. */
export function emptyState(endpoint?: string): StateFile {
  return {
    format_version: STATE_FORMAT_VERSION,
    tool: TOOL,
    lineage: randomUUID(),
    serial: 0,
    ...(endpoint === undefined ? {} : { endpoint }),
    resources: {},
    pending: [],
    deposed: [],
    outputs: {},
  };
}

/**
 * The state as deterministic, pretty JSON (2-space indent, trailing newline): fields in schema
 * order whatever the input's key order, resource and output addresses sorted, and the free-form
 * `attributes` / `request` records sorted deeply, so an unchanged state serializes byte-for-byte
 * the same and diffs of the file stay small.
 */
export function stringifyState(state: StateFile): string {
  const canonical = inShapeOrder(StateFile.shape, {
    ...state,
    resources: sortedRecord(state.resources, (r) =>
      inShapeOrder(StateResource.shape, { ...r, attributes: sortDeep(r.attributes) }),
    ),
    pending: state.pending.map((p) =>
      inShapeOrder(PendingStep.shape, p.request === undefined ? p : { ...p, request: sortDeep(p.request) }),
    ),
    deposed: state.deposed.map((d) => inShapeOrder(DeposedObject.shape, d)),
    outputs: sortedRecord(state.outputs, (o) =>
      inShapeOrder(StateOutput.shape, { ...o, parts: sortDeep(o.parts) }),
    ),
  });
  return `${JSON.stringify(canonical, null, 2)}\n`;
}

/** `value` with the keys of `shape` first, in schema order, then any others sorted. */
function inShapeOrder<T extends object>(shape: object, value: T): T {
  const v = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(shape)) if (key in v) out[key] = v[key];
  for (const key of Object.keys(v).sort()) if (!(key in out)) out[key] = v[key];
  return out as T;
}

function sortedRecord<T, U>(record: Record<string, T>, map: (value: T) => U): Record<string, U> {
  const out: Record<string, U> = {};
  for (const key of Object.keys(record).sort()) out[key] = map(record[key] as T);
  return out;
}

function sortDeep<T>(value: T): T {
  if (Array.isArray(value)) return value.map(sortDeep) as T;
  if (value !== null && typeof value === "object") {
    return sortedRecord(value as Record<string, unknown>, sortDeep) as T;
  }
  return value;
}

/**
 * Throws `StateSecretError` if a key that names a token ID (`token_id`, `tokenId`, `token-id`,
 * any case) appears anywhere in `value`.
 */
export function assertNoTokenId(value: unknown, filePath: string): void {
  const visit = (v: unknown, at: string, seen: Set<object>): void => {
    if (v === null || typeof v !== "object" || seen.has(v)) return;
    seen.add(v);
    if (Array.isArray(v)) {
      v.forEach((item, i) => {
        visit(item, `${at}[${i}]`, seen);
      });
      return;
    }
    for (const [key, child] of Object.entries(v)) {
      const keyPath = at + formatKey(key);
      if (key.toLowerCase().replace(/[-_]/g, "") === "tokenid") throw new StateSecretError(filePath, keyPath);
      visit(child, keyPath, seen);
    }
  };
  visit(value, "", new Set());
}

function formatKey(key: PropertyKey): string {
  if (typeof key === "number") return `[${key}]`;
  const k = String(key);
  return /^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`;
}

function listProblems(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string[] {
  return issues.slice(0, MAX_LISTED_PROBLEMS).map((i) => `${formatIssuePath(i.path)}: ${i.message}`);
}

function formatIssuePath(issuePath: readonly PropertyKey[]): string {
  const p = issuePath.map(formatKey).join("");
  return p === "" ? "(top level)" : p.replace(/^\./, "");
}

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

  constructor(statePath: string) {
    this.path = statePath;
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
    const state = parseState(text, this.path);
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
    assertNoTokenId(state, this.path);
    const serial = Math.max(this.#serial, state.serial) + 1;
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
    this.#serial = serial;
    return serial;
  }
}

/** Parses and validates state file text; `filePath` is only used in messages. */
export function parseState(text: string, filePath: string): StateFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new StateInvalidError(filePath, `state file ${filePath} is not valid JSON (${detail})`, [detail], {
      cause: err,
    });
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new StateInvalidError(filePath, `state file ${filePath} is not a JSON object`, []);
  }
  const obj = raw as Record<string, unknown>;
  if (obj.tool !== TOOL) {
    const what =
      "terraform_version" in obj
        ? "it looks like a Terraform state"
        : `tool is ${obj.tool === undefined ? "missing" : JSON.stringify(obj.tool)}, expected "${TOOL}"`;
    throw new StateInvalidError(filePath, `${filePath} is not a popdock-iac state file (${what})`, [
      `tool: ${what}`,
    ]);
  }
  if (obj.format_version !== STATE_FORMAT_VERSION) {
    const v = obj.format_version;
    const newer = typeof v === "number" && Number.isInteger(v) && v > STATE_FORMAT_VERSION;
    throw new StateInvalidError(
      filePath,
      newer
        ? `state file ${filePath} has format_version ${v}, written by a newer popdock-iac (this one reads ${STATE_FORMAT_VERSION})`
        : `state file ${filePath} has an unknown format_version ${JSON.stringify(v) ?? "(missing)"} (this popdock-iac reads ${STATE_FORMAT_VERSION})`,
      [`format_version: ${JSON.stringify(v) ?? "missing"}`],
      newer ? { hint: "upgrade popdock-iac to read this state" } : undefined,
    );
  }
  const parsed = StateFile.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues;
    const problems = listProblems(issues);
    const more = issues.length > problems.length ? ` (and ${issues.length - problems.length} more)` : "";
    throw new StateInvalidError(
      filePath,
      `state file ${filePath} is invalid: ${problems.join("; ")}${more}`,
      problems,
      { cause: parsed.error },
    );
  }
  const unknown = unknownTypes(parsed.data);
  if (unknown.length > 0) {
    const known = resourceTypes().map((t) => t.type);
    throw new StateInvalidError(
      filePath,
      `state file ${filePath} has resources of a type this popdock-iac does not know: ${unknown.join("; ")} (it knows ${known.join(", ")})`,
      unknown,
      { hint: "a newer popdock-iac may have written it: upgrade popdock-iac to read this state" },
    );
  }
  return parsed.data;
}

/** `resources["x.y"].type: "popdock_widget"` for each entry, deposed object or pending step of an unregistered type. */
function unknownTypes(state: StateFile): string[] {
  const out: string[] = [];
  for (const [address, r] of Object.entries(state.resources)) {
    if (!isResourceType(r.type))
      out.push(`resources[${JSON.stringify(address)}].type: ${JSON.stringify(r.type)}`);
  }
  for (const [i, d] of state.deposed.entries()) {
    if (!isResourceType(d.type)) out.push(`deposed[${i}].type: ${JSON.stringify(d.type)}`);
  }
  for (const [i, p] of state.pending.entries()) {
    if (!isResourceType(p.type)) out.push(`pending[${i}].type: ${JSON.stringify(p.type)}`);
  }
  return out;
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
