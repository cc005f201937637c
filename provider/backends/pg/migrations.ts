/**
 * The pg backend's tables, versioned. `migrate()` brings a schema up to {@link LATEST_VERSION}
 * under a transaction-level advisory lock scoped to that schema (two runners starting at once:
 * one migrates, the other waits and then finds nothing to do). A schema written by a newer
 * popdock-iac is refused, never downgraded.
 */
import type pg from "pg";
import { PgBackendError } from "./errors.js";
import { advisoryKey } from "./keys.js";

export interface Migration {
  version: number;
  /** Statements, run in order in the migration's transaction; `S` stands for the quoted schema. */
  statements: (s: string) => string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    statements: (s) => [
      `CREATE TABLE ${s}.states (
         workspace text PRIMARY KEY,
         lineage uuid NOT NULL,
         serial bigint NOT NULL CHECK (serial >= 0),
         doc jsonb NOT NULL,
         written_at timestamptz NOT NULL DEFAULT now())`,
      `CREATE TABLE ${s}.state_history (
         workspace text NOT NULL,
         serial bigint NOT NULL,
         lineage uuid NOT NULL,
         doc jsonb NOT NULL,
         written_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (workspace, serial))`,
      `CREATE TABLE ${s}.journal (
         workspace text NOT NULL,
         seq bigserial NOT NULL,
         serial bigint NOT NULL,
         delta jsonb NOT NULL,
         written_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (workspace, seq))`,
      // who holds a workspace's advisory lock, for messages and force-unlock (the lock itself is
      // the session-level advisory lock; a row whose session is gone is ignored and overwritten)
      `CREATE TABLE ${s}.locks (
         workspace text PRIMARY KEY,
         lock_id text NOT NULL,
         info jsonb NOT NULL,
         backend_pid integer NOT NULL,
         created_at timestamptz NOT NULL DEFAULT now())`,
    ],
  },
];

export const LATEST_VERSION = MIGRATIONS.reduce((v, m) => Math.max(v, m.version), 0);

/**
 * Creates the schema and its tables on first use and applies missing migrations. `schemaName` is
 * the raw name (for the catalog and the lock key), `quoted` its quoted identifier. Returns the
 * versions it applied (empty when the schema was current).
 */
export async function migrate(client: pg.ClientBase, schemaName: string, quoted: string): Promise<number[]> {
  const applied: number[] = [];
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock($1::bigint)", [advisoryKey(`${schemaName}/migrations`)]);
    const exists = await client.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schemaName]);
    if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${quoted}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${quoted}.schema_migrations (
         version integer PRIMARY KEY,
         applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const { rows } = await client.query<{ v: number }>(
      `SELECT coalesce(max(version), 0)::int AS v FROM ${quoted}.schema_migrations`,
    );
    const current = rows[0]?.v ?? 0;
    if (current > LATEST_VERSION) {
      throw new PgBackendError(
        `the state tables in schema ${schemaName} are at version ${current}, newer than this popdock-iac knows (${LATEST_VERSION})`,
        undefined,
        { hint: "upgrade popdock-iac; it never downgrades the state tables" },
      );
    }
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      for (const sql of m.statements(quoted)) await client.query(sql);
      await client.query(`INSERT INTO ${quoted}.schema_migrations (version) VALUES ($1)`, [m.version]);
      applied.push(m.version);
    }
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  }
  return applied;
}
