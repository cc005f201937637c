/**
 * The `local` backend: state in files beside the configuration.
 *
 *     .popdock/state.json              the default workspace's snapshot (or --state PATH)
 *     .popdock/state.json.journal      records appended since that snapshot, one JSON line each
 *     .popdock/state.json.backup       the previous snapshot (a hard link)
 *     .popdock/state.json.lock         the lock (O_EXCL; see ./lock.ts)
 *     .popdock/history/<serial>.json   the last snapshots (hard links), for `state history`
 *     .popdock/workspaces/<name>/…     the same for every other workspace
 *
 * A journal line is `{"serial":N,"lineage":L,"deltas":[…]}`: the serial the state has once the
 * record is applied. `load()` replays, on top of the snapshot, the records of its lineage whose
 * serial is above the snapshot's, in order; a torn last line (a kill -9 during its write) is
 * ignored, and cut off before the next record is appended. `write()` renames the new snapshot
 * into place first and empties the journal after: a kill between the two leaves records whose
 * serial the snapshot already has, which replay skips. So no instant of a crash loses a
 * completed record or applies one twice.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import type { StateFile } from "../../../schema/state.js";
import { UsageError } from "../../model/errors.js";
import { applyDeltas } from "../deltas.js";
import { assertNoTokenId, StateConflictError, StateInvalidError } from "../state-codec.js";
import type {
  BackendIdentity,
  HeldLock,
  LockRequest,
  StateBackend,
  StateDelta,
  WriteOptions,
} from "../types.js";
import { checkWorkspaceName, DEFAULT_WORKSPACE } from "../workspaces.js";
import { acquireLock, forceUnlock, readLock } from "./lock.js";
import { parseState, removeTempFiles, StateStore } from "./state-store.js";

export interface LocalBackendOptions {
  /** The default workspace's state file, absolute: `<config dir>/.popdock/state.json` or `--state`. */
  path: string;
  workspace?: string;
  /** Registered resource types: a state naming another is refused. */
  knownTypes?: readonly string[];
  /** For messages: paths below it are shown relative to it. */
  cwd?: string;
  /** Snapshots kept under `history/` (default 20; 0 keeps none). */
  historyLimit?: number;
}

interface JournalRecord {
  serial: number;
  lineage: string;
  deltas: StateDelta[];
}

/** The state file of `workspace`, given the default workspace's. */
export function workspaceStatePath(defaultPath: string, workspace: string): string {
  return workspace === DEFAULT_WORKSPACE
    ? defaultPath
    : path.join(path.dirname(defaultPath), "workspaces", workspace, "state.json");
}

export class LocalBackend implements StateBackend {
  readonly kind = "local" as const;
  readonly workspace: string;
  /** This workspace's state file. */
  readonly path: string;
  readonly journalPath: string;
  readonly #opts: LocalBackendOptions;
  readonly #store: StateStore;
  /** Serial and lineage as last read or written by this object (undefined: not yet known). */
  #serial: number | undefined;
  #lineage: string | undefined;
  #journal: fs.FileHandle | undefined;
  /** Appends and writes run one at a time, in call order. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(opts: LocalBackendOptions) {
    this.#opts = opts;
    this.workspace = checkWorkspaceName(opts.workspace ?? DEFAULT_WORKSPACE, "workspace");
    this.path = workspaceStatePath(path.resolve(opts.path), this.workspace);
    this.journalPath = `${this.path}.journal`;
    this.#store = new StateStore(
      this.path,
      opts.knownTypes === undefined ? {} : { knownTypes: opts.knownTypes },
    );
  }

  describe(): string {
    const cwd = this.#opts.cwd;
    if (cwd === undefined) return this.path;
    const rel = path.relative(cwd, this.path);
    return rel === "" || rel.startsWith("..") || path.isAbsolute(rel) ? this.path : rel;
  }

  identity(): BackendIdentity {
    return { kind: "local", location: path.resolve(this.#opts.path), workspace: this.workspace };
  }

  async load(): Promise<StateFile | undefined> {
    await this.#queue.catch(() => undefined);
    const snapshot = await this.#readSnapshot();
    if (snapshot === undefined) {
      this.#serial = -1;
      this.#lineage = undefined;
      return undefined;
    }
    const records = await this.#readJournal();
    let serial = snapshot.serial;
    for (const r of records) {
      if (r.lineage !== snapshot.lineage || r.serial <= serial) continue; // older than the snapshot
      if (r.serial !== serial + 1) {
        throw new StateInvalidError(
          this.journalPath,
          `the journal ${this.journalPath} skips from serial ${serial} to ${r.serial}`,
          [`serial ${r.serial} after ${serial}`],
          {
            hint: `${this.path} without its journal is the last complete snapshot; move the journal aside to use it`,
          },
        );
      }
      applyDeltas(snapshot, r.deltas);
      serial = r.serial;
    }
    snapshot.serial = serial;
    if (records.length > 0) {
      // Records are checked for secrets when written; the result must still be a valid state.
      parseState(JSON.stringify(snapshot), `${this.path} (with its journal)`, this.#store.parseOptions());
    }
    this.#serial = serial;
    this.#lineage = snapshot.lineage;
    return snapshot;
  }

  write(state: StateFile, expectedSerial: number, opts: WriteOptions = {}): Promise<number> {
    return this.#enqueue(async () => {
      const found = await this.#storedSerial();
      if (found !== expectedSerial) throw new StateConflictError(this.describe(), expectedSerial, found);
      const serial = Math.max(expectedSerial + 1, state.serial);
      await this.#store.writeSnapshot(state, serial);
      // The snapshot is in place: every journal record is in it now (replay would skip them).
      await this.#truncateJournal();
      this.#serial = serial;
      this.#lineage = state.lineage;
      if (opts.checkpoint !== true) await this.#keepHistory(serial);
      return serial;
    });
  }

  append(deltas: readonly StateDelta[], expectedSerial: number): Promise<number> {
    return this.#enqueue(async () => {
      if (this.#serial === undefined) this.#serial = await this.#storedSerial();
      if (this.#serial !== expectedSerial || this.#lineage === undefined) {
        throw new StateConflictError(this.describe(), expectedSerial, this.#serial);
      }
      for (const d of deltas) assertNoTokenId(d, this.journalPath);
      const serial = expectedSerial + 1;
      const record: JournalRecord = { serial, lineage: this.#lineage, deltas: [...deltas] };
      const fh = await this.#openJournal();
      await fh.write(`${JSON.stringify(record)}\n`);
      await fh.datasync();
      this.#serial = serial;
      return serial;
    });
  }

  async lock(req: LockRequest): Promise<HeldLock> {
    const lock = await acquireLock({
      statePath: this.path,
      command: req.command,
      timeoutMs: req.timeoutMs,
      ...(req.signal === undefined ? {} : { signal: req.signal }),
      ...(req.onWait === undefined ? {} : { onWait: req.onWait }),
      onTakeover: (h) =>
        req.onTakeover?.(
          `Took over the state lock ${h.id} left by pid ${h.pid ?? "?"} (${h.command ?? "popdock"}, since ${h.created_at ?? "?"}), which is no longer running on this host.`,
        ),
    });
    try {
      await removeTempFiles(this.path);
    } catch (err) {
      await lock.release();
      throw err;
    }
    const { id, pid, host, user, command, created_at } = lock.info;
    return {
      id,
      info: { id, pid, host, user, command, created_at },
      release: async () => {
        await this.#closeJournal();
        await lock.release();
      },
    };
  }

  async forceUnlock(id: string): Promise<void> {
    await forceUnlock(this.path, id);
  }

  /** Who holds this workspace's lock, if anyone (for messages). */
  lockHolder(): ReturnType<typeof readLock> {
    return readLock(this.path);
  }

  async listWorkspaces(): Promise<string[]> {
    const dir = path.join(path.dirname(path.resolve(this.#opts.path)), "workspaces");
    const names = await fs.readdir(dir, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
      if (e.code === "ENOENT") return [];
      throw e;
    });
    const out = new Set([DEFAULT_WORKSPACE]);
    for (const e of names) {
      if (!e.isDirectory()) continue;
      const has = await fs.stat(path.join(dir, e.name, "state.json")).then(
        () => true,
        () => false,
      );
      if (has) out.add(e.name);
    }
    return [...out].sort((a, b) =>
      a === DEFAULT_WORKSPACE ? -1 : b === DEFAULT_WORKSPACE ? 1 : a < b ? -1 : 1,
    );
  }

  async deleteWorkspace(name: string, opts: { force: boolean }): Promise<void> {
    checkWorkspaceName(name, "workspace delete");
    if (name === DEFAULT_WORKSPACE) throw new UsageError("the default workspace cannot be deleted");
    const other = this.forWorkspace(name);
    const state = await other.load();
    if (state === undefined) throw new UsageError(`workspace ${JSON.stringify(name)} does not exist`);
    const n = Object.keys(state.resources).length + state.deposed.length + state.pending.length;
    if (n > 0 && !opts.force) {
      throw new UsageError(
        `workspace ${JSON.stringify(name)} is not empty: its state has ${n} object${n === 1 ? "" : "s"}; deleting it would orphan them in Popdock`,
        { hint: `destroy them first (popdock destroy --workspace ${name}), or pass --force to forget them` },
      );
    }
    await fs.rm(path.dirname(other.path), { recursive: true, force: true });
  }

  forWorkspace(name: string): LocalBackend {
    return new LocalBackend({ ...this.#opts, workspace: name });
  }

  async history(limit: number): Promise<{ serial: number; lineage: string; written_at: string }[]> {
    const dir = this.#historyDir();
    const serials = (await this.#historySerials()).slice(0, Math.max(0, limit));
    const out: { serial: number; lineage: string; written_at: string }[] = [];
    for (const serial of serials) {
      const file = path.join(dir, `${serial}.json`);
      const [text, st] = await Promise.all([fs.readFile(file, "utf8"), fs.stat(file)]).catch(() => [
        undefined,
        undefined,
      ]);
      if (text === undefined || st === undefined) continue;
      const lineage = /"lineage":\s*"([^"]+)"/.exec(text)?.[1] ?? "";
      out.push({ serial, lineage, written_at: st.mtime.toISOString() });
    }
    return out;
  }

  async loadSerial(serial: number): Promise<StateFile | undefined> {
    const file = path.join(this.#historyDir(), `${serial}.json`);
    const text = await fs.readFile(file, "utf8").catch((e: NodeJS.ErrnoException) => {
      if (e.code === "ENOENT") return undefined;
      throw e;
    });
    return text === undefined ? undefined : parseState(text, file, this.#store.parseOptions());
  }

  async close(): Promise<void> {
    await this.#queue.catch(() => undefined);
    await this.#closeJournal();
  }

  #enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #readSnapshot(): Promise<StateFile | undefined> {
    const text = await fs.readFile(this.path, "utf8").catch((e: NodeJS.ErrnoException) => {
      if (e.code === "ENOENT") return undefined;
      throw e;
    });
    return text === undefined ? undefined : parseState(text, this.path, this.#store.parseOptions());
  }

  /** The journal's complete records; a torn last line is left out. */
  async #readJournal(): Promise<JournalRecord[]> {
    const text = await fs.readFile(this.journalPath, "utf8").catch((e: NodeJS.ErrnoException) => {
      if (e.code === "ENOENT") return "";
      throw e;
    });
    const lines = text.split("\n");
    lines.pop(); // after the last "\n": empty, or a torn record
    return lines.map((line, i) => {
      try {
        const r = JSON.parse(line) as JournalRecord;
        if (typeof r.serial !== "number" || typeof r.lineage !== "string" || !Array.isArray(r.deltas))
          throw new Error("not a journal record");
        return r;
      } catch (err) {
        throw new StateInvalidError(
          this.journalPath,
          `the journal ${this.journalPath} has an unreadable record on line ${i + 1}`,
          [`line ${i + 1}: ${(err as Error).message}`],
          {
            hint: `${this.path} without its journal is the last complete snapshot; move the journal aside to use it`,
          },
        );
      }
    });
  }

  /**
   * The stored serial (-1: no state) without parsing the whole snapshot: its head carries
   * lineage and serial in canonical order; the journal is small (it is emptied by every write).
   */
  async #storedSerial(): Promise<number> {
    let head: string;
    try {
      const fh = await fs.open(this.path, "r");
      try {
        const buf = Buffer.alloc(1024);
        const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
        head = buf.subarray(0, bytesRead).toString("utf8");
      } finally {
        await fh.close();
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") {
        this.#lineage = undefined;
        return -1;
      }
      throw e;
    }
    const m = /"lineage":\s*"([^"]+)",\s*"serial":\s*(\d+)/.exec(head);
    let lineage: string;
    let serial: number;
    if (m) {
      lineage = m[1] as string;
      serial = Number(m[2]);
    } else {
      const full = await this.#readSnapshot(); // not in canonical form (edited by hand): read it all
      if (full === undefined) return -1;
      lineage = full.lineage;
      serial = full.serial;
    }
    for (const r of await this.#readJournal()) {
      if (r.lineage === lineage && r.serial === serial + 1) serial = r.serial;
    }
    this.#lineage = lineage;
    return serial;
  }

  async #openJournal(): Promise<fs.FileHandle> {
    if (this.#journal !== undefined) return this.#journal;
    const created = await fs.stat(this.journalPath).then(
      () => false,
      () => true,
    );
    const fh = await fs.open(this.journalPath, "a+", 0o600);
    try {
      // A record torn by a kill -9 would glue itself to the next one: cut it off first.
      const { size } = await fh.stat();
      if (size > 0) {
        const text = (await fh.readFile()).toString("utf8");
        const end = text.lastIndexOf("\n") + 1;
        if (end !== Buffer.byteLength(text)) {
          await fh.truncate(Buffer.byteLength(text.slice(0, end)));
          await fh.sync();
        }
      }
      if (created) await syncDir(path.dirname(this.journalPath));
    } catch (err) {
      await fh.close();
      throw err;
    }
    this.#journal = fh;
    return fh;
  }

  async #truncateJournal(): Promise<void> {
    if (this.#journal !== undefined) {
      await this.#journal.truncate(0);
      await this.#journal.sync();
      return;
    }
    try {
      const fh = await fs.open(this.journalPath, "r+");
      try {
        await fh.truncate(0);
        await fh.sync();
      } finally {
        await fh.close();
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
  }

  async #closeJournal(): Promise<void> {
    const fh = this.#journal;
    this.#journal = undefined;
    await fh?.close();
  }

  #historyDir(): string {
    return path.join(path.dirname(this.path), "history");
  }

  /** Serials kept under history/, newest first. */
  async #historySerials(): Promise<number[]> {
    const names = await fs.readdir(this.#historyDir()).catch(() => [] as string[]);
    return names
      .map((n) => /^(\d+)\.json$/.exec(n)?.[1])
      .filter((s): s is string => s !== undefined)
      .map(Number)
      .sort((a, b) => b - a);
  }

  /** Links the snapshot just written into history/ and drops the oldest beyond the limit. */
  async #keepHistory(serial: number): Promise<void> {
    const limit = this.#opts.historyLimit ?? 20;
    if (limit <= 0) return;
    const dir = this.#historyDir();
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, `${serial}.json`);
    await fs.rm(file, { force: true });
    await fs.link(this.path, file).catch(() => fs.copyFile(this.path, file));
    const old = (await this.#historySerials()).slice(limit);
    await Promise.all(old.map((s) => fs.rm(path.join(dir, `${s}.json`), { force: true })));
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await fs.open(dir, "r").catch(() => undefined);
  if (fh === undefined) return;
  try {
    await fh.sync().catch(() => undefined);
  } finally {
    await fh.close();
  }
}
