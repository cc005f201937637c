/**
 * Two CI runners sharing state in PostgreSQL: two checkouts of one configuration whose
 * `backend: { pg: … }` block and PG_CONN_STR point at one database (a real server, see
 * test/helpers/postgres.ts), against the real sandbox. Locks, the journal and recovery cross
 * checkouts and processes; the password appears in no output.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";
import { describe, expect, it, vi } from "vitest";
import { type CliResult, expectExit } from "../helpers/cli.js";
import { exists, project, toYaml, uniq, useSandbox, waitFor } from "../helpers/e2e-sandbox.js";
import { usePostgres } from "../helpers/postgres.js";

const sb = useSandbox();
const pgs = usePostgres();
vi.setConfig({ testTimeout: 120_000 });

interface Checkouts {
  a: string;
  b: string;
  env: Record<string, string>;
  names: string[];
  db: string;
}

/** Two directories holding the same popdock.yaml (users `n` of them) with a pg backend block. */
async function twoCheckouts(prefix: string, n = 3): Promise<Checkouts> {
  const db = await pgs.server.freshDatabase();
  const names = Array.from({ length: n }, (_, i) => `${prefix}-${i}-${uniq()}`);
  const yaml = `${toYaml({ users: Object.fromEntries(names.map((name, i) => [`u${i}`, { name }])) })}backend:\n  pg:\n    schema_name: ci_state\n`;
  const a = await project({ "popdock.yaml": yaml });
  const b = await project({ "popdock.yaml": yaml });
  return { a, b, env: { PG_CONN_STR: db }, names, db };
}

async function countJournal(db: string): Promise<number> {
  const c = new pg.Client({ connectionString: db });
  await c.connect();
  try {
    const r = await c.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM ci_state.journal WHERE to_regclass('ci_state.journal') IS NOT NULL",
    );
    return r.rows[0]?.n ?? 0;
  } catch {
    return 0; // the tables do not exist yet
  } finally {
    await c.end();
  }
}

/** Each name exactly once in Popdock. */
async function expectUsersOnce(names: readonly string[]): Promise<void> {
  const inv = await sb.inventory();
  for (const name of names)
    expect(
      inv.users.filter((u) => u.name === name),
      name,
    ).toHaveLength(1);
}

function expectNoPassword(results: readonly CliResult[]): void {
  for (const r of results) {
    expect(r.stdout).not.toContain(pgs.server.password);
    expect(r.stderr).not.toContain(pgs.server.password);
  }
}

async function noLocalState(dir: string): Promise<void> {
  expect(await exists(join(dir, ".popdock", "state.json"))).toBe(false);
  const files = await readdir(join(dir, ".popdock")).catch(() => [] as string[]);
  expect(files.filter((f) => f.startsWith("state"))).toEqual([]);
}

describe("two checkouts on one PostgreSQL", () => {
  it("apply in one, the other plans no changes; no local state file anywhere", async () => {
    const c = await twoCheckouts("pg-two");
    const applied = await sb.popdock(["apply", "--auto-approve", "--no-color"], c.a, c.env);
    expectExit(applied, 0);
    expect(applied.stdout).toContain("3 added");
    const plan = await sb.popdock(["plan", "--no-color", "--detailed-exitcode"], c.b, c.env);
    expectExit(plan, 0, "the other checkout sees the same state");
    expect(plan.stdout).toContain("No changes");
    await expectUsersOnce(c.names);
    await noLocalState(c.a);
    await noLocalState(c.b);
    // --backend-config wins over the block: another schema is another (empty) state, whose plan
    // finds the users unmanaged
    const other = await sb.popdock(
      ["plan", "--no-color", "--detailed-exitcode", "--backend-config", "schema_name=elsewhere"],
      c.b,
      c.env,
    );
    expect(other.code).toBe(1);
    expect(other.stderr).toContain("already exists in Popdock");
    expectNoPassword([applied, plan, other]);
  });

  it("concurrent applies across both checkouts: exactly one applies, the others fail naming it or find nothing to do", async () => {
    const c = await twoCheckouts("pg-race", 3);
    // Each request takes ≥ 400 ms, so the winner holds the lock for seconds; the others give up
    // after 1 s. N = 6 real processes (not 20: on a 2-core machine 20 Node start-ups take longer
    // than the apply holds the lock, so most would only find nothing to do).
    await sb.setFaults({ latency_ms: 400 });
    let results: CliResult[];
    try {
      const runs = Array.from({ length: 6 }, (_, i) =>
        sb.spawn(
          ["apply", "--auto-approve", "--no-color", "--lock-timeout", "1s"],
          i % 2 === 0 ? c.a : c.b,
          c.env,
        ),
      );
      results = await Promise.all(runs.map((r) => r.output));
      const pids = runs.map((r) => r.pid);
      const winners = results.filter((r) => r.code === 0 && r.stdout.includes("3 added"));
      expect(winners, results.map((r) => `${r.code}: ${r.stdout}${r.stderr}`).join("\n---\n")).toHaveLength(
        1,
      );
      const winnerPid = pids[results.indexOf(winners[0] as CliResult)];
      for (const r of results) {
        if (r === winners[0]) continue;
        if (r.code === 0) {
          // started after the winner had finished
          expect(r.stdout).toMatch(/No changes|0 added/);
        } else {
          expect(r.code).toBe(1);
          expect(r.stderr).toContain(`state is locked by pid ${winnerPid}`);
          expect(r.stderr).toContain("(popdock apply");
        }
      }
      expect(results.filter((r) => r.code === 1).length).toBeGreaterThan(0);
    } finally {
      await sb.setFaults({ latency_ms: 0 });
    }
    await expectUsersOnce(c.names);
    const plan = await sb.popdock(["plan", "--no-color", "--detailed-exitcode"], c.b, c.env);
    expectExit(plan, 0);
    expectNoPassword([...results, plan]);
  });

  it("kill -9 of the holder mid-apply: the other checkout takes the lock at once and converges from the journal", async () => {
    const c = await twoCheckouts("pg-kill", 4);
    await sb.setFaults({ latency_ms: 300 });
    let apply: ReturnType<typeof sb.spawn> | undefined;
    try {
      apply = sb.spawn(["apply", "--auto-approve", "--no-color"], c.a, c.env);
      // mid-apply: at least one step recorded in the database's journal
      await waitFor(
        "a journal record",
        async () => ((await countJournal(c.db)) > 0 ? true : undefined),
        30_000,
      );
      apply.kill("SIGKILL");
      await apply.output;
    } finally {
      await sb.setFaults({ latency_ms: 0 });
    }
    const next = await sb.popdock(
      ["apply", "--auto-approve", "--no-color", "--lock-timeout", "0s"],
      c.b,
      c.env,
    );
    expectExit(next, 0, "the dead holder's lock went with its connection");
    await expectUsersOnce(c.names);
    const plan = await sb.popdock(["plan", "--no-color", "--detailed-exitcode"], c.a, c.env);
    expectExit(plan, 0);
    expect((await sb.inventory()).users.filter((u) => u.name.startsWith("pg-kill-")).length).toBe(
      c.names.length,
    );
    expectNoPassword([next, plan]);
  });

  it("PostgreSQL stopped and restarted mid-apply: a clear error, then the next apply converges", async () => {
    const c = await twoCheckouts("pg-restart", 4);
    await sb.setFaults({ latency_ms: 300 });
    let failed: CliResult;
    try {
      const apply = sb.spawn(["apply", "--auto-approve", "--no-color"], c.a, c.env);
      await waitFor(
        "a journal record",
        async () => ((await countJournal(c.db)) > 0 ? true : undefined),
        30_000,
      );
      await pgs.server.halt();
      try {
        failed = await apply.output;
      } finally {
        await pgs.server.resume();
      }
    } finally {
      await sb.setFaults({ latency_ms: 0 });
    }
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/(lost the connection to|cannot reach) PostgreSQL at 127\.0\.0\.1:\d+/);
    const next = await sb.popdock(
      ["apply", "--auto-approve", "--no-color", "--lock-timeout", "10s"],
      c.b,
      c.env,
    );
    expectExit(next, 0);
    await expectUsersOnce(c.names);
    const plan = await sb.popdock(["plan", "--no-color", "--detailed-exitcode"], c.a, c.env);
    expectExit(plan, 0);
    expectNoPassword([failed, next, plan]);
  });
});

describe("configuration", () => {
  it("a bad backend block is refused at its file:line:col; no conn_str anywhere says where to set it", async () => {
    const bad = await project({
      "popdock.yaml": `${toYaml({ users: { u: { name: `pg-bad-${uniq()}` } } })}backend:\n  pg:\n    schema_name: "has-dash"\n`,
    });
    const r = await sb.popdock(["plan", "--no-color"], bad, { PG_CONN_STR: "" });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/popdock\.yaml:\d+:\d+/);
    expect(r.stderr).toContain("schema_name");

    const noConn = await project({
      "popdock.yaml": `${toYaml({ users: { u: { name: `pg-noconn-${uniq()}` } } })}backend:\n  pg: {}\n`,
    });
    const r2 = await sb.popdock(["plan", "--no-color"], noConn, { PG_CONN_STR: "" });
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain("has no connection string");
    expect(r2.stderr).toContain("PG_CONN_STR");
  });

  it("terraform.backend.pg (CDKTF's PgBackend) and --backend-config conn_str=… work; a server that is down is named without the password", async () => {
    const db = await pgs.server.freshDatabase();
    const name = `pg-tf-${uniq()}`;
    const tf = {
      terraform: { backend: { pg: { schema_name: "tf_state" } } },
      provider: { popdock: [{}] },
      resource: { popdock_api_user: { u: { name } } },
    };
    const dir = await project({ "main.tf.json": JSON.stringify(tf, null, 2) });
    const applied = await sb.popdock(
      ["apply", "--auto-approve", "--no-color", "--backend-config", `conn_str=${db}`],
      dir,
      {
        PG_CONN_STR: "",
      },
    );
    expectExit(applied, 0);
    await expectUsersOnce([name]);
    await noLocalState(dir);

    const down = new URL(db);
    down.port = "1"; // nothing listens there
    const r = await sb.popdock(["plan", "--no-color"], dir, { PG_CONN_STR: down.href });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("cannot reach PostgreSQL at 127.0.0.1:1 (ECONNREFUSED)");
    expectNoPassword([applied, r]);
  });
});

describe("saved plans, workspaces and secrets with pg", () => {
  it("plan -out in one checkout, apply the file in the other; workspaces isolate; the password is in no plan, state or lock row", async () => {
    const c = await twoCheckouts("pg-plan", 2);
    const planFile = join(c.a, "ci.plan.json");
    const planned = await sb.popdock(["plan", "--no-color", "-out", planFile], c.a, c.env);
    expectExit(planned, 0);
    const applied = await sb.popdock(["apply", "--auto-approve", "--no-color", planFile], c.b, c.env);
    expectExit(applied, 0, "a pg plan applies from another checkout");
    await expectUsersOnce(c.names);

    // another workspace of the same configuration is another state (its users would clash by name)
    const ws = await sb.popdock(["workspace", "new", "staging"], c.b, c.env);
    expectExit(ws, 0);
    const list = await sb.popdock(["workspace", "list"], c.a, c.env);
    expectExit(list, 0);
    expect(list.stdout).toContain("staging");
    const staging = await sb.popdock(["plan", "--no-color", "--workspace", "staging"], c.a, c.env);
    expect(staging.code).toBe(1);
    expect(staging.stderr).toContain("already exists in Popdock");

    const { readFile } = await import("node:fs/promises");
    expect(await readFile(planFile, "utf8")).not.toContain(pgs.server.password);
    const client = new pg.Client({ connectionString: c.db });
    await client.connect();
    try {
      const dump = await client.query(
        `SELECT (SELECT coalesce(json_agg(s), '[]') FROM ci_state.states s)::text
             || (SELECT coalesce(json_agg(h), '[]') FROM ci_state.state_history h)::text
             || (SELECT coalesce(json_agg(l), '[]') FROM ci_state.locks l)::text AS all`,
      );
      const text = String(dump.rows[0]?.all);
      expect(text).toContain(c.names[0]);
      expect(text).not.toContain(pgs.server.password);
    } finally {
      await client.end();
    }
    expectNoPassword([planned, applied, ws, list, staging]);
  });
});

describe("force-unlock with pg", () => {
  it("ends the holder's session for its exact id: the holder stops writing, the other checkout converges", async () => {
    const c = await twoCheckouts("pg-force", 4);
    await sb.setFaults({ latency_ms: 300 });
    let stopped: CliResult;
    let unlocked: CliResult;
    try {
      const apply = sb.spawn(["apply", "--auto-approve", "--no-color"], c.a, c.env);
      const id = await waitFor(
        "the apply's lock row",
        async () => {
          const client = new pg.Client({ connectionString: c.db });
          await client.connect();
          try {
            const r = await client.query<{ lock_id: string }>("SELECT lock_id FROM ci_state.locks");
            return r.rows[0]?.lock_id;
          } catch {
            return undefined; // no tables yet
          } finally {
            await client.end();
          }
        },
        30_000,
      );
      const wrong = await sb.popdock(["force-unlock", "not-the-id"], c.b, c.env);
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toContain(`does not match the current lock ${id}`);
      unlocked = await sb.popdock(["force-unlock", id], c.b, c.env);
      expectExit(unlocked, 0);
      stopped = await apply.output;
    } finally {
      await sb.setFaults({ latency_ms: 0 });
    }
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toMatch(/PostgreSQL at 127\.0\.0\.1:\d+/);
    const next = await sb.popdock(
      ["apply", "--auto-approve", "--no-color", "--lock-timeout", "10s"],
      c.b,
      c.env,
    );
    expectExit(next, 0);
    await expectUsersOnce(c.names);
    expectNoPassword([stopped, unlocked, next]);
  });
});

describe("state migrate with pg", () => {
  it("file → pg → file through the CLI: every workspace byte-identical; history and pull --serial read pg", async () => {
    const { readFile } = await import("node:fs/promises");
    const db = await pgs.server.freshDatabase();
    const name = `pg-mig-${uniq()}`;
    const yaml = toYaml({ users: { u: { name } } });
    const local = await project({ "popdock.yaml": yaml });
    expectExit(await sb.popdock(["apply", "--auto-approve", "--no-color"], local), 0);
    expectExit(await sb.popdock(["workspace", "new", "staging"], local), 0);
    const original = await readFile(join(local, ".popdock", "state.json"), "utf8");

    const toPg = await sb.popdock(["state", "migrate", "--to", "pg"], local, {
      PG_CONN_STR: db,
      PG_SCHEMA_NAME: "mig",
    });
    expectExit(toPg, 0);
    expect(toPg.stdout).toContain("default: copied");

    // the same configuration pointed at pg sees the state: no changes, and history/pull read it
    const remote = await project({ "popdock.yaml": `${yaml}backend:\n  pg:\n    schema_name: mig\n` });
    const env = { PG_CONN_STR: db };
    expectExit(await sb.popdock(["plan", "--no-color", "--detailed-exitcode"], remote, env), 0);
    const history = await sb.popdock(["state", "history"], remote, env);
    expectExit(history, 0);
    const serial = JSON.parse(original).serial as number;
    expect(history.stdout).toContain(String(serial));
    const pulled = await sb.popdock(["state", "pull", "--serial", String(serial)], remote, env);
    expectExit(pulled, 0);
    expect(JSON.parse(pulled.stdout)).toEqual(JSON.parse(original));

    const back = await project({});
    const toFile = await sb.popdock(["state", "migrate", "--to", "local", "--to-path", back], remote, env);
    expectExit(toFile, 0);
    expect(await readFile(join(back, ".popdock", "state.json"), "utf8")).toBe(original);
    expectNoPassword([toPg, history, pulled, toFile]);
  });
});
