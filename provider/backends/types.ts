/**
 * Where state lives: one interface, several implementations (the local file, PostgreSQL). The
 * engine, the CLI commands, saved plans and recovery speak only this interface: no file path,
 * `.backup` hint or SQL outside a backend.
 *
 * State changes in two ways:
 * - `write(state, expectedSerial)`: a full snapshot, compare-and-swap on the serial (a lost race
 *   is `StateConflictError`, never a silent overwrite). It also compacts: the journal is empty
 *   after it.
 * - `append(deltas, expectedSerial)`: the journal. Small records, durable before the promise
 *   resolves (fsync / COMMIT), in O(size of the change), never O(size of the state). Each call is
 *   one record and bumps the serial by one, so a saved plan made before an interrupted apply is
 *   stale after it. An apply records each step's intent before its API call and its result after
 *   it this way, and compacts with `write` every N steps / T seconds and at the end. `load()`
 *   returns the snapshot with the journal replayed (`applyDeltas` in ./deltas.ts), its serial
 *   that of the last record, so a run killed at any instant loses no completed step and applies
 *   no record twice.
 *
 * Secrets: a backend refuses (and writes nothing of) a snapshot or delta holding a `token_id` key;
 * it scans exactly what it writes, once.
 */
import type {
  DeposedObject,
  PendingStep,
  StateFile,
  StateOutput,
  StateResource,
} from "../../schema/state.js";

export type BackendKind = "local" | "pg";

/** Who a backend is, without secrets: recorded in saved plans and shown in messages. */
export interface BackendIdentity {
  kind: BackendKind;
  /**
   * Stable, non-secret location: for `local` the state file's absolute path; for `pg`
   * `postgres://user@host:port/db?schema=<schema_name>` (never the password).
   */
  location: string;
  workspace: string;
}

/** One journal record: a change to the state, applied in order on top of the last snapshot. */
export type StateDelta =
  /** A step's intent, written before its API call (replaces an older record of the same step). */
  | { op: "pending"; step: PendingStep }
  /** The step's call has an outcome; its intent is done. */
  | { op: "clear_pending"; address: string; action: PendingStep["action"] }
  | { op: "put"; address: string; resource: StateResource }
  | { op: "remove"; address: string }
  | { op: "depose"; object: DeposedObject }
  | { op: "undepose"; id: string }
  | { op: "outputs"; outputs: Record<string, StateOutput> };

/** What a lock records about its holder (shown to whoever waits, and to `force-unlock`). */
export interface LockInfo {
  id: string;
  /** e.g. `popdock apply` */
  command: string;
  host: string;
  user: string;
  pid: number;
  /** ISO 8601 time the lock was taken. */
  created_at: string;
}

export interface LockRequest {
  command: string;
  /** How long to wait for a held lock; 0 fails at once with `StateLockedError`. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Called once when the lock is held by someone else and this call starts waiting. */
  onWait?: ((message: string) => void) | undefined;
  /** Called once when a lock left by a provably dead holder is taken over. */
  onTakeover?: ((message: string) => void) | undefined;
}

export interface HeldLock {
  readonly id: string;
  readonly info: LockInfo;
  /** Idempotent; never releases someone else's lock. */
  release(): Promise<void>;
}

export interface WriteOptions {
  /** An intermediate compaction within one run: not a separate entry of `history()`. */
  checkpoint?: boolean;
}

export interface StateBackend {
  readonly kind: BackendKind;
  readonly workspace: string;
  /** For messages: `.popdock/state.json`, `pg popdock_iac@db.example:5432/ops (workspace prod)`. */
  describe(): string;
  identity(): BackendIdentity;
  /** The state (snapshot + journal), or undefined when this workspace has none yet. Creates nothing. */
  load(): Promise<StateFile | undefined>;
  /**
   * Writes a full snapshot if the stored serial is still `expectedSerial` (-1: none stored), with
   * serial `max(expectedSerial + 1, state.serial)` (so a migrated or pushed state keeps its own
   * serial when it is ahead), and empties the journal. Returns the new serial. A `checkpoint` (an
   * apply's compaction part-way) is stored like any write but is not kept as an entry of
   * `history()`, which lists the states runs ended with.
   */
  write(state: StateFile, expectedSerial: number, opts?: WriteOptions): Promise<number>;
  /**
   * Appends one journal record durably, if the serial is still `expectedSerial` (else
   * `StateConflictError`, nothing written); returns the new serial, `expectedSerial + 1`. Requires
   * the lock and a stored snapshot (`write` first). Refuses a delta holding a `token_id` key.
   */
  append(deltas: readonly StateDelta[], expectedSerial: number): Promise<number>;
  lock(req: LockRequest): Promise<HeldLock>;
  /** Removes the lock with exactly this id (as printed by the locked error). */
  forceUnlock(id: string): Promise<void>;
  /** Workspaces that have state (always includes `default`). */
  listWorkspaces(): Promise<string[]>;
  /** Deletes a workspace's state; refuses `default` (always) and non-empty states unless `force`. */
  deleteWorkspace(name: string, opts: { force: boolean }): Promise<void>;
  /** The same backend for another workspace. */
  forWorkspace(name: string): StateBackend;
  /** Past snapshots, newest first (backends without history return []). */
  history(limit: number): Promise<{ serial: number; lineage: string; written_at: string }[]>;
  /** A past snapshot by serial, or undefined. */
  loadSerial(serial: number): Promise<StateFile | undefined>;
  /** Releases connections; idempotent. */
  close(): Promise<void>;
}
