import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  acquireLock,
  forceUnlock,
  LockIdMismatchError,
  lockPathFor,
  NotLockedError,
  readLock,
  StateLockedError,
} from "./lock.js";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const lockModule = fileURLToPath(new URL("./lock.ts", import.meta.url));
const at = (iso: string) => () => new Date(iso);
const T0 = "2024-05-01T12:03:55.123Z";

let dir: string;
let statePath: string;
let lockFile: string;
const children: ChildProcess[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "popdock-lock-"));
  statePath = path.join(dir, ".popdock", "state.json");
  lockFile = `${statePath}.lock`;
});

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await rm(dir, { recursive: true, force: true });
});

async function lockedError(p: Promise<unknown>): Promise<StateLockedError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StateLockedError);
  return err as StateLockedError;
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

describe("acquireLock", () => {
  it("writes who holds it, creates the directory but never the state file", async () => {
    const lock = await acquireLock({ statePath, command: "popdock plan", now: at(T0) });
    expect(lockPathFor(statePath)).toBe(lockFile);
    expect(lock.path).toBe(lockFile);
    expect(JSON.parse(await readFile(lockFile, "utf8"))).toEqual({
      id: lock.id,
      pid: process.pid,
      host: hostname(),
      user: expect.any(String),
      command: "popdock plan",
      created_at: T0,
      boot_id: readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim(),
      pid_start: expect.stringMatching(/^\d+$/),
    });
    expect(lock.info.id).toBe(lock.id);
    expect(lock.id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await stat(lockFile)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(statePath))).mode & 0o777).toBe(0o700);
    expect(await exists(statePath)).toBe(false);
    await lock.release();
    expect(await exists(lockFile)).toBe(false);
    expect(await exists(statePath)).toBe(false);
  });

  it("leaves an existing state file untouched", async () => {
    await mkdir(path.dirname(statePath), { recursive: true });
    await writeFile(statePath, "{ original }");
    const before = await stat(statePath);
    const lock = await acquireLock({ statePath, command: "popdock apply" });
    await lock.release();
    const after = await stat(statePath);
    expect(await readFile(statePath, "utf8")).toBe("{ original }");
    expect([after.ino, after.size, after.mtimeMs]).toEqual([before.ino, before.size, before.mtimeMs]);
  });

  it("fails fast when held, saying who holds it and how to unlock", async () => {
    const held = await acquireLock({ statePath, command: "popdock apply", now: at(T0) });
    const started = performance.now();
    const err = await lockedError(
      acquireLock({ statePath, command: "popdock plan", now: at("2024-05-01T12:04:10Z") }),
    );
    expect(performance.now() - started).toBeLessThan(1000);
    expect(err.code).toBe("POPDOCK_STATE_LOCKED");
    expect(err.message).toBe(
      `state is locked by pid ${process.pid} on ${hostname()} (popdock apply) since 12:03:55Z (lock file ${lockFile})`,
    );
    expect(err.hint).toBe(
      "wait and retry, use --lock-timeout 30s to wait, or if that process is gone run " +
        `\`popdock force-unlock ${held.id}\``,
    );
    expect(err.holder).toMatchObject({ id: held.id, readable: true, stale: false, pid: process.pid });
    // the holder still holds it
    expect(JSON.parse(await readFile(lockFile, "utf8")).id).toBe(held.id);
    await held.release();
  });

  it("shows the date when the lock was not taken today", async () => {
    const held = await acquireLock({ statePath, command: "popdock apply", now: at(T0) });
    const err = await lockedError(acquireLock({ statePath, command: "x", now: at("2024-05-03T08:00:00Z") }));
    expect(err.message).toContain("since 2024-05-01 12:03:55Z");
    await held.release();
  });

  it("waits up to timeoutMs and takes the lock once it is released", async () => {
    const held = await acquireLock({ statePath, command: "popdock apply" });
    setTimeout(() => void held.release(), 300);
    const started = performance.now();
    const said: string[] = [];
    const lock = await acquireLock({
      statePath,
      command: "popdock plan",
      timeoutMs: 5000,
      onWait: (m) => said.push(m),
    });
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    // Said once, naming the holder, and how long it will wait.
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(
      new RegExp(
        `^waiting for the state lock held by pid ${process.pid} on .* \\(popdock apply\\) since .* \\(up to 5s\\)…$`,
      ),
    );
    expect(JSON.parse(await readFile(lockFile, "utf8")).id).toBe(lock.id);
    await lock.release();
  });

  it("gives up after timeoutMs with the same error and how long it waited", async () => {
    const held = await acquireLock({ statePath, command: "popdock apply", now: at(T0) });
    const started = performance.now();
    const err = await lockedError(
      acquireLock({ statePath, command: "popdock plan", timeoutMs: 1200, now: at(T0) }),
    );
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(1190);
    expect(elapsed).toBeLessThan(3000);
    expect(err.message).toBe(
      `state is locked by pid ${process.pid} on ${hostname()} (popdock apply) since 12:03:55Z, after waiting 1.2s (lock file ${lockFile})`,
    );
    await held.release();
  });

  it("stops waiting when the signal aborts", async () => {
    const held = await acquireLock({ statePath, command: "popdock apply" });
    const reason = new Error("interrupted");
    const ac = new AbortController();
    setTimeout(() => ac.abort(reason), 150);
    const started = performance.now();
    await expect(
      acquireLock({ statePath, command: "popdock plan", timeoutMs: 10_000, signal: ac.signal }),
    ).rejects.toBe(reason);
    expect(performance.now() - started).toBeLessThan(2000);
    await expect(
      acquireLock({ statePath, command: "popdock plan", signal: AbortSignal.abort(reason) }),
    ).rejects.toBe(reason);
    await held.release();
  });

  it("is exclusive among many concurrent in-process attempts", async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 25 }, () => acquireLock({ statePath, command: "popdock plan" })),
    );
    const won = results.filter((r) => r.status === "fulfilled");
    expect(won).toHaveLength(1);
    for (const r of results) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(StateLockedError);
    await (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof acquireLock>>>).value.release();
  });

  it("rejects a negative timeout", async () => {
    await expect(acquireLock({ statePath, command: "x", timeoutMs: -1 })).rejects.toBeInstanceOf(RangeError);
  });
});

describe("stale and unreadable locks", () => {
  async function deadPid(): Promise<number> {
    const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
    await once(child, "exit");
    return child.pid as number;
  }

  /** Writes a lock record of `popdock apply` on this host, with `fields` over the defaults. */
  async function writeRecord(fields: Record<string, unknown>): Promise<Record<string, unknown>> {
    const record = { host: hostname(), user: "ci", command: "popdock apply", created_at: T0, ...fields };
    await mkdir(path.dirname(lockFile), { recursive: true });
    await writeFile(lockFile, JSON.stringify(record));
    return record;
  }

  it("mentions a holder on this host that is no longer running, fails fast, does not remove it", async () => {
    const pid = await deadPid();
    const record = await writeRecord({ id: "3f2a0000-0000-4000-8000-000000000000", pid });
    const started = performance.now();
    const err = await lockedError(acquireLock({ statePath, command: "x", timeoutMs: 10_000, now: at(T0) }));
    expect(performance.now() - started).toBeLessThan(2000);
    expect(err.message).toBe(
      `state is locked by pid ${pid} on ${hostname()} (popdock apply) since 12:03:55Z ` +
        `(process ${pid} is no longer running on this host, but the lock does not prove it was taken during this boot) (lock file ${lockFile})`,
    );
    expect(err.hint).toContain(`popdock force-unlock ${record.id}`);
    expect(err.holder.stale).toBe(true);
    expect(JSON.parse(await readFile(lockFile, "utf8"))).toEqual(record);
  });

  const bootId = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();

  it("takes over at once a lock whose holder died during this boot on this host, and says so", async () => {
    const pid = await deadPid();
    await writeRecord({ id: "dead-1", pid, boot_id: bootId });
    const seen: string[] = [];
    const lock = await acquireLock({ statePath, command: "x", onTakeover: (h) => seen.push(h.id) });
    expect(seen).toEqual(["dead-1"]);
    expect(JSON.parse(await readFile(lockFile, "utf8")).id).toBe(lock.id);
    expect(await exists(`${lockFile}.takeover`)).toBe(false);
    await lock.release();
  });

  it("takes over a lock whose pid now belongs to another process (another start time)", async () => {
    await writeRecord({ id: "reused-1", pid: process.pid, boot_id: bootId, pid_start: "1" });
    const seen: string[] = [];
    const lock = await acquireLock({ statePath, command: "x", onTakeover: (h) => seen.push(h.id) });
    expect(seen).toEqual(["reused-1"]);
    await lock.release();
  });

  it("never takes over a lock from another boot, even on this host", async () => {
    const pid = await deadPid();
    const record = await writeRecord({
      id: "old-boot",
      pid,
      boot_id: "00000000-0000-4000-8000-000000000000",
    });
    const err = await lockedError(
      acquireLock({ statePath, command: "x", now: at(T0), onTakeover: () => expect.unreachable() }),
    );
    expect(err.holder).toMatchObject({ stale: true, takeable: false });
    expect(JSON.parse(await readFile(lockFile, "utf8"))).toEqual(record);
  });

  it("one takeover among many contenders, and still one holder at a time", async () => {
    const pid = await deadPid();
    await writeRecord({ id: "dead-2", pid, boot_id: bootId });
    let takeovers = 0;
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        const lock = await acquireLock({
          statePath,
          command: "x",
          timeoutMs: 20_000,
          onTakeover: () => takeovers++,
        });
        inside++;
        maxInside = Math.max(maxInside, inside);
        await new Promise((r) => setImmediate(r));
        inside--;
        await lock.release();
      }),
    );
    expect(takeovers).toBe(1);
    expect(maxInside).toBe(1);
  });

  it("does not call a holder on another host stale", async () => {
    const pid = await deadPid();
    await mkdir(path.dirname(lockFile), { recursive: true });
    await writeFile(
      lockFile,
      JSON.stringify({
        id: "abc",
        pid,
        host: "ci-runner-7",
        user: "ci",
        command: "popdock apply",
        created_at: T0,
      }),
    );
    const err = await lockedError(acquireLock({ statePath, command: "x", now: at(T0) }));
    expect(err.message).toBe(
      `state is locked by pid ${pid} on ci-runner-7 (popdock apply) since 12:03:55Z (lock file ${lockFile})`,
    );
  });

  it.each([
    ["empty (crash between create and write)", ""],
    ["half-written", '{\n  "id": "3f2a'],
    ["JSON without an id", '{"pid": 4121}'],
  ])("reports an unreadable lock file (%s) with an id force-unlock accepts", async (_name, content) => {
    await mkdir(path.dirname(lockFile), { recursive: true });
    await writeFile(lockFile, content);
    const err = await lockedError(acquireLock({ statePath, command: "x" }));
    expect(err.holder.readable).toBe(false);
    expect(err.holder.id).toMatch(/^unreadable-[0-9a-f]{12}$/);
    expect(err.message).toMatch(
      /^state is locked by (an unknown process|pid 4121) since .*; the lock file is unreadable or half-written/,
    );
    expect(err.hint).toContain(`popdock force-unlock ${err.holder.id}`);
    // the id is stable for the same file
    expect((await readLock(statePath))?.id).toBe(err.holder.id);
    await expect(forceUnlock(statePath, "*")).rejects.toBeInstanceOf(LockIdMismatchError);
    await forceUnlock(statePath, err.holder.id);
    expect(await exists(lockFile)).toBe(false);
  });
});

describe("release and forceUnlock", () => {
  it("release is idempotent", async () => {
    const lock = await acquireLock({ statePath, command: "popdock apply" });
    await Promise.all([lock.release(), lock.release()]);
    await lock.release();
    expect(await exists(lockFile)).toBe(false);
    expect(await readLock(statePath)).toBeUndefined();
  });

  it("release leaves alone a lock someone else took after a force-unlock", async () => {
    const first = await acquireLock({ statePath, command: "popdock apply" });
    await forceUnlock(statePath, first.id);
    const second = await acquireLock({ statePath, command: "popdock plan" });
    await first.release();
    expect(JSON.parse(await readFile(lockFile, "utf8")).id).toBe(second.id);
    await second.release();
    expect(await exists(lockFile)).toBe(false);
  });

  it("forceUnlock removes only the lock with the given id", async () => {
    const held = await acquireLock({ statePath, command: "popdock apply", now: at(T0) });
    const err = await forceUnlock(statePath, "wrong-id", { now: at(T0) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LockIdMismatchError);
    expect((err as LockIdMismatchError).code).toBe("POPDOCK_LOCK_ID_MISMATCH");
    expect((err as LockIdMismatchError).message).toBe(
      `lock id wrong-id does not match the current lock ${held.id} (lock file ${lockFile}): ` +
        `state is locked by pid ${process.pid} on ${hostname()} (popdock apply) since 12:03:55Z; nothing was removed`,
    );
    expect(JSON.parse(await readFile(lockFile, "utf8")).id).toBe(held.id);

    const removed = await forceUnlock(statePath, held.id);
    expect(removed).toMatchObject({ id: held.id, pid: process.pid, command: "popdock apply" });
    expect(await exists(lockFile)).toBe(false);
    await held.release(); // no-op, does not throw
  });

  it("forceUnlock without a lock says so", async () => {
    const err = await forceUnlock(statePath, "any").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(NotLockedError);
    expect((err as NotLockedError).code).toBe("POPDOCK_NOT_LOCKED");
    expect((err as NotLockedError).message).toBe(`the state is not locked (no lock file at ${lockFile})`);
  });
});

describe("between processes", () => {
  /**
   * Runs lock.ts in a child node (through tsx). mode "hold": take the lock, print its info as one
   * line, then obey stdin lines `release` (release and exit 0), `crash` (SIGKILL itself holding
   * it: no exit code runs) or `exit` (process.exit(3) without releasing).
   * mode "count": N times: take the lock (waiting), read-increment-write COUNTER slowly, release.
   */
  function child(mode: "hold" | "count", env: Record<string, string> = {}) {
    const code = `
      const { acquireLock } = await import(${JSON.stringify(lockModule)});
      const fs = await import("node:fs/promises");
      const statePath = process.env.STATE_PATH;
      if (process.env.MODE === "hold") {
        const lock = await acquireLock({ statePath, command: "popdock apply" });
        process.stdout.write(JSON.stringify(lock.info) + "\\n");
        const rl = (await import("node:readline")).createInterface({ input: process.stdin });
        for await (const line of rl) {
          if (line === "release") { await lock.release(); process.exit(0); }
          if (line === "crash") process.kill(process.pid, "SIGKILL");
          if (line === "exit") process.exit(3);
        }
      } else {
        for (let i = 0; i < Number(process.env.ROUNDS); i++) {
          const lock = await acquireLock({ statePath, command: "count", timeoutMs: 20000 });
          const n = Number(await fs.readFile(process.env.COUNTER, "utf8"));
          await new Promise((r) => setTimeout(r, 5));
          await fs.writeFile(process.env.COUNTER, String(n + 1));
          await lock.release();
        }
      }`;
    const c = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
      cwd: repoRoot,
      env: { ...process.env, STATE_PATH: statePath, MODE: mode, ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    children.push(c);
    let stderr = "";
    c.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number>((resolve) => {
      c.on("exit", (code) => resolve(code ?? -1));
    });
    const firstLine = new Promise<string>((resolve, reject) => {
      const rl = createInterface({ input: c.stdout as NodeJS.ReadableStream });
      rl.once("line", resolve);
      void exited.then((code) => reject(new Error(`child exited ${code} before printing: ${stderr}`)));
    });
    firstLine.catch(() => undefined); // only "hold" children print; a test that awaits it still sees the rejection
    return { c, firstLine, exited, stderr: () => stderr };
  }

  it("a lock held by another process blocks, then is taken once it releases", async () => {
    const holder = child("hold");
    const info = JSON.parse(await holder.firstLine);
    expect(info.pid).toBe(holder.c.pid);

    const err = await lockedError(acquireLock({ statePath, command: "popdock plan" }));
    expect(err.message).toMatch(
      new RegExp(`^state is locked by pid ${holder.c.pid} on ${hostname()} \\(popdock apply\\) since `),
    );
    expect(err.holder).toMatchObject({ id: info.id, stale: false });

    setTimeout(() => holder.c.stdin?.write("release\n"), 300);
    const lock = await acquireLock({ statePath, command: "popdock plan", timeoutMs: 10_000 });
    expect(await holder.exited).toBe(0);
    await lock.release();
    expect(await exists(statePath)).toBe(false);
  });

  it("a crashed holder's lock is taken over by the next run, which says so", async () => {
    const holder = child("hold");
    const info = JSON.parse(await holder.firstLine);
    expect(info.boot_id).toBe(readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim());
    holder.c.stdin?.write("crash\n");
    expect(await holder.exited).toBe(-1); // killed by a signal (no exit code)
    const seen: number[] = [];
    const lock = await acquireLock({
      statePath,
      command: "popdock plan",
      onTakeover: (h) => seen.push(h.pid ?? 0),
    });
    expect(seen).toEqual([info.pid]);
    await lock.release();
  });

  it("a process that exits without releasing still removes its lock on the way out", async () => {
    const holder = child("hold");
    await holder.firstLine;
    holder.c.stdin?.write("exit\n");
    expect(await holder.exited).toBe(3);
    expect(await exists(lockFile)).toBe(false);
  });

  it("gives mutual exclusion to several processes contending", async () => {
    const counter = path.join(dir, "counter");
    await writeFile(counter, "0");
    const n = 4;
    const rounds = 5;
    const workers = Array.from({ length: n }, () =>
      child("count", { COUNTER: counter, ROUNDS: String(rounds) }),
    );
    const codes = await Promise.all(workers.map((w) => w.exited));
    expect(codes, workers.map((w) => w.stderr()).join("\n")).toEqual(Array(n).fill(0));
    expect(await readFile(counter, "utf8")).toBe(String(n * rounds));
    expect(await exists(lockFile)).toBe(false);
  });
});
