/**
 * The PostgreSQL state backend: state shared by every runner that reaches one database.
 *
 * Storage (schema `schema_name`, default `popdock_iac`, created on first use; see
 * `migrations.ts`): one `states` row per workspace holding the snapshot as a JSONB document with
 * its lineage and serial; `state_history` keeps the last N snapshots (default 20) for
 * `state history` / `state pull --serial N`; `journal` holds one row per recorded step since the
 * last snapshot. `append()` is one INSERT (one COMMIT) whatever the state's size; `load()` reads
 * snapshot and journal in one statement (one MVCC snapshot) and replays; `write()` is a
 * compare-and-swap on the serial that also records history, prunes it and empties the journal,
 * in one transaction.
 *
 * Locking: a session-level advisory lock on a dedicated connection, keyed by a hash of
 * `schema_name + "/" + workspace` (never a global lock). It lives exactly as long as that
 * connection: a holder killed with -9 releases it when the server notices the closed socket. A
 * `locks` row says who holds it, for messages and `forceUnlock` (which terminates the holder's
 * session). While a lock is held, `append()` and `write()` go through its connection: a runner
 * whose session was terminated cannot write any more (fencing).
 *
 * The password of the connection string appears in no message, error, identity or description.
 */
import { randomUUID } from "node:crypto";
import { hostname, userInfo } from "node:os";
import pg from "pg";
import type { StateFile } from "../../../schema/state.js";
import { InternalError, UsageError } from "../../model/errors.js";
import { applyDeltas } from "../deltas.js";
import { assertNoTokenId, parseState, StateConflictError } from "../state-codec.js";
import type {
  BackendIdentity,
  HeldLock,
  LockInfo,
  LockRequest,
  StateBackend,
  StateDelta,
  WriteOptions,
} from "../types.js";
import { checkWorkspaceName, DEFAULT_WORKSPACE } from "../workspaces.js";
import { type PgConn, parseConnString, wrapPgError } from "./conn.js";
import { describeLockHolder, PgLockIdMismatchError, PgNotLockedError, PgStateLockedError } from "./errors.js";
import { lockParts, workspaceLockKey } from "./keys.js";
import { migrate } from "./migrations.js";

export const DEFAULT_SCHEMA_NAME = "popdock_iac";
export const DEFAULT_HISTORY_LIMIT = 20;
/** How often a waiting `lock()` asks again (one cheap query). */
const LOCK_POLL_MS = 200;

export interface PgBackendOptions {
  /** `postgres://user:password@host:port/db?sslmode=…` */
  connStr: string;
  schemaName?: string | undefined;
  workspace?: string | undefined;
  /** Snapshots kept per workspace (the newest included). */
  historyLimit?: number | undefined;
  /** Connections the backend may open besides a held lock's. */
  poolSize?: number | undefined;
  /** Registered resource types: a stored state naming another is refused. Unchecked when absent. */
  knownTypes?: readonly string[] | undefined;
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** The pool, the migration and the parsed connection, shared by one backend and its `forWorkspace` siblings. */
class Shared {
  readonly pool: pg.Pool;
  readonly quoted: string;
  #migrated: Promise<void> | undefined;
  #refs = 0;
  #closed: Promise<void> | undefined;

  constructor(
    readonly conn: PgConn,
    readonly schemaName: string,
    readonly historyLimit: number,
    poolSize: number,
    readonly knownTypes: readonly string[] | undefined,
  ) {
    this.quoted = pg.escapeIdentifier(schemaName);
    this.pool = new pg.Pool({
      connectionString: conn.connectionString,
      max: poolSize,
      idleTimeoutMillis: 10_000,
      connectionTimeoutMillis: 15_000,
      application_name: "popdock-iac",
    });
    // an idle pooled connection dropped by the server: the next query gets a new one
    this.pool.on("error", () => {});
  }

  ref(): void {
    this.#refs++;
  }

  /** Ends the pool when the last backend sharing it closes. */
  async unref(): Promise<void> {
    this.#refs--;
    if (this.#refs > 0) return;
    this.#closed ??= this.pool.end().catch(() => {});
    await this.#closed;
  }

  /** Creates / migrates the tables once per process (retried after a failure). */
  migrated(): Promise<void> {
    this.#migrated ??= (async () => {
      const client = await this.pool.connect();
      try {
        await migrate(client, this.schemaName, this.quoted);
      } finally {
        client.release();
      }
    })().catch((err: unknown) => {
      this.#migrated = undefined;
      throw wrapPgError(err, this.conn, `creating the state tables in schema ${this.schemaName}`);
    });
    return this.#migrated;
  }

  /** Whether the tables exist (then migrated to the latest version); creates nothing when they don't. */
  async tablesExist(): Promise<boolean> {
    const { rows } = await this.pool.query<{ t: string | null }>("SELECT to_regclass($1) AS t", [
      `${this.quoted}.schema_migrations`,
    ]);
    if (rows[0]?.t == null) return false;
    await this.migrated();
    return true;
  }
}

interface LockState {
  readonly client: pg.Client;
  readonly info: LockInfo;
  /** Set when the connection failed: the lock is gone. */
  lost: Error | undefined;
  released: boolean;
}

class PgBackend implements StateBackend {
  readonly kind = "pg" as const;
  #lock: LockState | undefined;
  #closed = false;

  constructor(
    readonly shared: Shared,
    readonly workspace: string,
  ) {
    shared.ref();
  }

  get #s(): string {
    return this.shared.quoted;
  }

  get #conn(): PgConn {
    return this.shared.conn;
  }

  describe(): string {
    const c = this.#conn;
    return `pg ${this.shared.schemaName}@${c.where.slice(c.user.length + 1)} (workspace ${this.workspace})`;
  }

  identity(): BackendIdentity {
    const c = this.#conn;
    const host = c.host.includes(":") ? `[${c.host}]` : c.host;
    return {
      kind: "pg",
      location:
        `postgres://${encodeURIComponent(c.user)}@${host}:${c.port}/${encodeURIComponent(c.database)}` +
        `?schema=${encodeURIComponent(this.shared.schemaName)}`,
      workspace: this.workspace,
    };
  }

  /** Runs `fn` with a wrapped error; `doing` says what for the message. */
  async #run<T>(doing: string, fn: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new InternalError(`the pg backend (${this.describe()}) was used after close()`);
    try {
      return await fn();
    } catch (err) {
      throw wrapPgError(err, this.#conn, doing);
    }
  }

  /** The held lock's connection (fencing), else the pool. */
  #db(): pg.Pool | pg.Client {
    const held = this.#lock;
    if (held === undefined || held.released) return this.shared.pool;
    if (held.lost) {
      throw wrapPgError(held.lost, this.#conn, `holding the state lock of workspace ${this.workspace}`);
    }
    return held.client;
  }

  async load(): Promise<StateFile | undefined> {
    return await this.#run(`reading the state of workspace ${this.workspace}`, async () => {
      if (!(await this.shared.tablesExist())) return undefined;
      const { rows } = await this.#db().query<{ doc: string; serial: string; deltas: unknown[] }>(
        `SELECT s.doc::text AS doc, s.serial,
                (SELECT coalesce(jsonb_agg(j.delta ORDER BY j.seq), '[]'::jsonb)
                   FROM ${this.#s}.journal j WHERE j.workspace = $1) AS deltas
           FROM ${this.#s}.states s WHERE s.workspace = $1`,
        [this.workspace],
      );
      const row = rows[0];
      if (row === undefined) return undefined;
      const deltas = row.deltas as StateDelta[];
      const base = this.#parse(row.doc, `the state of workspace ${this.workspace}`);
      // the row's serial counts the journal's records too (each append bumps it)
      base.serial = Number(row.serial);
      if (deltas.length === 0) return base;
      applyDeltas(base, deltas);
      // the records were checked as they were written; check the result as a whole once more
      return this.#parse(JSON.stringify(base), `the state of workspace ${this.workspace} with its journal`);
    });
  }

  #parse(text: string, what: string): StateFile {
    return parseState(text, `${what} in ${this.describe()}`, {
      ...(this.shared.knownTypes === undefined ? {} : { knownTypes: this.shared.knownTypes }),
      hint: "list earlier versions with `popdock state history` and restore one with `popdock state pull --serial N` and `popdock state push`",
    });
  }

  async write(state: StateFile, expectedSerial: number, opts: WriteOptions = {}): Promise<number> {
    if (!Number.isInteger(expectedSerial) || expectedSerial < -1) {
      throw new InternalError(`write(): expectedSerial must be an integer ≥ -1, got ${expectedSerial}`);
    }
    const where = this.describe();
    assertNoTokenId(state, where);
    const serial = Math.max(expectedSerial + 1, state.serial);
    const doc = JSON.stringify({ ...state, serial });
    await this.shared.migrated();
    return await this.#run(`writing the state of workspace ${this.workspace}`, async () => {
      const db = this.#db();
      const client = db instanceof pg.Pool ? await db.connect() : db;
      try {
        await client.query("BEGIN");
        try {
          const swapped =
            expectedSerial < 0
              ? await client.query(
                  `INSERT INTO ${this.#s}.states (workspace, lineage, serial, doc) VALUES ($1, $2, $3, $4::jsonb)
                   ON CONFLICT (workspace) DO NOTHING`,
                  [this.workspace, state.lineage, serial, doc],
                )
              : await client.query(
                  `UPDATE ${this.#s}.states SET lineage = $2, serial = $3, doc = $4::jsonb, written_at = now()
                    WHERE workspace = $1 AND serial = $5`,
                  [this.workspace, state.lineage, serial, doc, expectedSerial],
                );
          if (swapped.rowCount !== 1) {
            const now = await client.query<{ serial: string }>(
              `SELECT serial FROM ${this.#s}.states WHERE workspace = $1`,
              [this.workspace],
            );
            await client.query("ROLLBACK");
            throw new StateConflictError(
              where,
              expectedSerial,
              now.rows[0] === undefined ? -1 : Number(now.rows[0].serial),
            );
          }
          if (opts.checkpoint !== true) {
            await client.query(
              `INSERT INTO ${this.#s}.state_history (workspace, serial, lineage, doc) VALUES ($1, $2, $3, $4::jsonb)
               ON CONFLICT (workspace, serial) DO UPDATE SET lineage = EXCLUDED.lineage, doc = EXCLUDED.doc, written_at = now()`,
              [this.workspace, serial, state.lineage, doc],
            );
            await client.query(
              `DELETE FROM ${this.#s}.state_history WHERE workspace = $1 AND serial < (
                 SELECT serial FROM ${this.#s}.state_history WHERE workspace = $1
                  ORDER BY serial DESC OFFSET $2 LIMIT 1)`,
              [this.workspace, this.shared.historyLimit - 1],
            );
          }
          await client.query(`DELETE FROM ${this.#s}.journal WHERE workspace = $1`, [this.workspace]);
          await client.query("COMMIT");
        } catch (err) {
          await client.query("ROLLBACK").catch(() => {});
          throw err;
        }
      } finally {
        if (db instanceof pg.Pool) (client as pg.PoolClient).release();
      }
      return serial;
    });
  }

  async append(deltas: readonly StateDelta[], expectedSerial: number): Promise<number> {
    const held = this.#lock;
    if (held === undefined || held.released) {
      throw new InternalError(`append() on ${this.describe()} without holding its lock`);
    }
    assertNoTokenId(deltas, `the journal of ${this.describe()}`);
    const records = JSON.stringify(deltas);
    return await this.#run(`recording a step in the journal of workspace ${this.workspace}`, async () => {
      // One statement: one round trip and one COMMIT, whatever the size of the state. The
      // compare-and-swap bumps the serial in the states row (the snapshot document, stored out
      // of line by PostgreSQL's TOAST, is not rewritten) and inserts the records only if it won.
      const db = this.#db();
      // A named (prepared) statement: parsed and planned once per connection, not per record.
      const { rows: out } = await db.query<{ serial: string }>({
        name: `popdock-append-${this.shared.schemaName}`,
        text: `WITH bump AS (
           UPDATE ${this.#s}.states SET serial = serial + 1 WHERE workspace = $1 AND serial = $2 RETURNING serial),
         ins AS (
           INSERT INTO ${this.#s}.journal (workspace, serial, delta)
           SELECT $1, bump.serial, t.d FROM bump, jsonb_array_elements($3::jsonb) WITH ORDINALITY AS t(d, i) ORDER BY t.i)
         SELECT serial FROM bump`,
        values: [this.workspace, expectedSerial, records],
      });
      const won = out[0];
      if (won !== undefined) return Number(won.serial);
      const now = await db.query<{ serial: string }>(
        `SELECT serial FROM ${this.#s}.states WHERE workspace = $1`,
        [this.workspace],
      );
      throw new StateConflictError(
        this.describe(),
        expectedSerial,
        now.rows[0] === undefined ? -1 : Number(now.rows[0].serial),
      );
    });
  }

  async lock(req: LockRequest): Promise<HeldLock> {
    const where = this.describe();
    if (this.#lock !== undefined && !this.#lock.released) {
      throw new InternalError(`lock(): ${where} is already locked by this process`);
    }
    await this.shared.migrated();
    const key = workspaceLockKey(this.shared.schemaName, this.workspace);
    const client = new pg.Client({
      connectionString: this.#conn.connectionString,
      connectionTimeoutMillis: 15_000,
      application_name: "popdock-iac lock",
      // notice a vanished peer (a killed runner's socket is closed by its kernel anyway)
      keepAlive: true,
    });
    let lost: Error | undefined;
    let state: LockState | undefined;
    client.on("error", (err) => {
      lost = err;
      if (state !== undefined) state.lost = err;
    });
    const started = Date.now();
    try {
      await client.connect();
      let waiting = false;
      for (;;) {
        if (lost) throw lost;
        const { rows } = await client.query<{ ok: boolean }>(
          "SELECT pg_try_advisory_lock($1::bigint) AS ok",
          [key],
        );
        if (rows[0]?.ok === true) break;
        const waited = Date.now() - started;
        if (waited >= req.timeoutMs || req.signal?.aborted) {
          const holder = await this.#holder(client, key);
          const err = new PgStateLockedError(where, holder.info, holder.pid, waited);
          if (req.signal?.aborted && req.signal.reason instanceof Error) throw req.signal.reason;
          throw err;
        }
        if (!waiting) {
          waiting = true;
          const holder = await this.#holder(client, key);
          req.onWait?.(
            `waiting for the state lock: ${describeLockHolder(holder.info, holder.pid)} ` +
              `(up to ${Math.ceil(req.timeoutMs / 1000)}s)…`,
          );
        }
        await pause(Math.min(LOCK_POLL_MS, req.timeoutMs - waited), req.signal);
      }
      const info: LockInfo = {
        id: randomUUID(),
        command: req.command,
        host: hostname(),
        user: currentUser(),
        pid: process.pid,
        created_at: new Date().toISOString(),
      };
      await client.query(
        `INSERT INTO ${this.#s}.locks (workspace, lock_id, info, backend_pid) VALUES ($1, $2, $3::jsonb, pg_backend_pid())
         ON CONFLICT (workspace) DO UPDATE
           SET lock_id = EXCLUDED.lock_id, info = EXCLUDED.info, backend_pid = EXCLUDED.backend_pid, created_at = now()`,
        [this.workspace, info.id, JSON.stringify(info)],
      );
      state = { client, info, lost, released: false };
    } catch (err) {
      await client.end().catch(() => {});
      throw wrapPgError(err, this.#conn, `taking the state lock of workspace ${this.workspace}`);
    }
    const held = state;
    this.#lock = held;
    const release = async (): Promise<void> => {
      if (held.released) return;
      held.released = true;
      if (held.lost === undefined) {
        try {
          await held.client.query(`DELETE FROM ${this.#s}.locks WHERE workspace = $1 AND lock_id = $2`, [
            this.workspace,
            held.info.id,
          ]);
          await held.client.query("SELECT pg_advisory_unlock($1::bigint)", [key]);
        } catch {
          // the connection is gone: so is the lock (it dies with the session)
        }
      }
      await held.client.end().catch(() => {});
    };
    return { id: held.info.id, info: held.info, release };
  }

  /** Who holds `key`: the session from pg_locks, and its lock-info row if that row is the session's. */
  async #holder(
    db: pg.ClientBase | pg.Pool,
    key: string,
  ): Promise<{ info: LockInfo | undefined; pid: number | undefined }> {
    const { classid, objid } = lockParts(key);
    const { rows } = await db.query<{
      holder_pid: number | null;
      info: LockInfo | null;
      backend_pid: number | null;
    }>(
      `SELECT (SELECT pid FROM pg_locks
                WHERE locktype = 'advisory' AND granted AND classid = $2::oid AND objid = $3::oid AND objsubid = 1
                  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                LIMIT 1) AS holder_pid,
              l.info, l.backend_pid
         FROM (SELECT 1) one LEFT JOIN ${this.#s}.locks l ON l.workspace = $1`,
      [this.workspace, classid, objid],
    );
    const row = rows[0];
    const pid = row?.holder_pid ?? undefined;
    if (pid === undefined) return { info: undefined, pid: undefined };
    return { info: row?.backend_pid === pid ? (row.info ?? undefined) : undefined, pid };
  }

  async forceUnlock(id: string): Promise<void> {
    const where = this.describe();
    await this.#run(`force-unlocking workspace ${this.workspace}`, async () => {
      if (!(await this.shared.tablesExist())) throw new PgNotLockedError(where);
      const key = workspaceLockKey(this.shared.schemaName, this.workspace);
      const holder = await this.#holder(this.shared.pool, key);
      if (holder.pid === undefined) {
        await this.shared.pool.query(`DELETE FROM ${this.#s}.locks WHERE workspace = $1`, [this.workspace]);
        throw new PgNotLockedError(where);
      }
      if (holder.info === undefined) {
        // the holder has not recorded itself yet (it is between taking the lock and writing its row)
        throw new PgStateLockedError(where, undefined, holder.pid, 0);
      }
      if (holder.info.id !== id) throw new PgLockIdMismatchError(where, id, holder.info);
      await this.shared.pool.query("SELECT pg_terminate_backend($1)", [holder.pid]);
      await this.shared.pool.query(`DELETE FROM ${this.#s}.locks WHERE workspace = $1 AND lock_id = $2`, [
        this.workspace,
        id,
      ]);
      // the lock goes when that backend has exited: wait for it, so the next lock() gets it at once
      const until = Date.now() + 10_000;
      while (Date.now() < until && (await this.#holder(this.shared.pool, key)).pid === holder.pid) {
        await pause(50, undefined);
      }
    });
  }

  async listWorkspaces(): Promise<string[]> {
    return await this.#run("listing workspaces", async () => {
      const names = new Set([DEFAULT_WORKSPACE]);
      if (await this.shared.tablesExist()) {
        const { rows } = await this.shared.pool.query<{ workspace: string }>(
          `SELECT workspace FROM ${this.#s}.states`,
        );
        for (const r of rows) names.add(r.workspace);
      }
      return [...names].sort();
    });
  }

  async deleteWorkspace(name: string, opts: { force: boolean }): Promise<void> {
    checkWorkspaceName(name, "workspace");
    if (name === DEFAULT_WORKSPACE) throw new UsageError("the default workspace cannot be deleted");
    const other = this.forWorkspace(name);
    try {
      const state = await other.load();
      if (state === undefined && !(await this.listWorkspaces()).includes(name)) {
        throw new UsageError(`workspace ${name} does not exist in ${this.identity().location}`);
      }
      const count = state === undefined ? 0 : Object.keys(state.resources).length + state.deposed.length;
      if (count > 0 && !opts.force) {
        throw new UsageError(`workspace ${name} still manages ${count} object(s); nothing was deleted`, {
          hint: `destroy them first (popdock destroy in workspace ${name}), or delete with --force to forget them`,
        });
      }
      const lock = await other.lock({ command: "popdock workspace delete", timeoutMs: 0 });
      try {
        await this.#run(`deleting workspace ${name}`, async () => {
          const client = await this.shared.pool.connect();
          try {
            await client.query("BEGIN");
            for (const table of ["journal", "state_history", "states"]) {
              await client.query(`DELETE FROM ${this.#s}.${table} WHERE workspace = $1`, [name]);
            }
            await client.query("COMMIT");
          } catch (err) {
            await client.query("ROLLBACK").catch(() => {});
            throw err;
          } finally {
            client.release();
          }
        });
      } finally {
        await lock.release();
      }
    } finally {
      await other.close();
    }
  }

  forWorkspace(name: string): StateBackend {
    checkWorkspaceName(name, "workspace");
    return new PgBackend(this.shared, name);
  }

  async history(limit: number): Promise<{ serial: number; lineage: string; written_at: string }[]> {
    return await this.#run(`reading the state history of workspace ${this.workspace}`, async () => {
      if (!(await this.shared.tablesExist())) return [];
      const { rows } = await this.shared.pool.query<{ serial: string; lineage: string; written_at: Date }>(
        `SELECT serial, lineage, written_at FROM ${this.#s}.state_history WHERE workspace = $1
          ORDER BY serial DESC LIMIT $2`,
        [this.workspace, Math.max(0, Math.floor(limit))],
      );
      return rows.map((r) => ({
        serial: Number(r.serial),
        lineage: r.lineage,
        written_at: r.written_at.toISOString(),
      }));
    });
  }

  async loadSerial(serial: number): Promise<StateFile | undefined> {
    return await this.#run(`reading serial ${serial} of workspace ${this.workspace}`, async () => {
      if (!(await this.shared.tablesExist())) return undefined;
      const { rows } = await this.shared.pool.query<{ doc: string }>(
        `SELECT doc::text AS doc FROM ${this.#s}.state_history WHERE workspace = $1 AND serial = $2`,
        [this.workspace, serial],
      );
      const row = rows[0];
      return row === undefined
        ? undefined
        : this.#parse(row.doc, `serial ${serial} of workspace ${this.workspace}`);
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const held = this.#lock;
    if (held !== undefined && !held.released) {
      held.released = true;
      await held.client.end().catch(() => {});
    }
    await this.shared.unref();
  }
}

/** Opens the PostgreSQL backend. Connects lazily: nothing touches the server until the first call. */
export function openPgBackend(options: PgBackendOptions): StateBackend {
  const conn = parseConnString(options.connStr);
  const schemaName = options.schemaName ?? DEFAULT_SCHEMA_NAME;
  if (!SCHEMA_NAME.test(schemaName)) {
    throw new UsageError(`invalid schema_name ${JSON.stringify(schemaName)} for the pg backend`, {
      hint: "use letters, digits and '_' (not starting with a digit), at most 63 characters",
    });
  }
  const workspace = checkWorkspaceName(options.workspace ?? DEFAULT_WORKSPACE, "workspace");
  const historyLimit = options.historyLimit ?? DEFAULT_HISTORY_LIMIT;
  if (!Number.isInteger(historyLimit) || historyLimit < 1) {
    throw new UsageError(`the pg backend's history limit must be a whole number ≥ 1, got ${historyLimit}`);
  }
  return new PgBackend(
    new Shared(conn, schemaName, historyLimit, options.poolSize ?? 4, options.knownTypes),
    workspace,
  );
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? "unknown";
  }
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener("abort", done, { once: true });
  });
}
