/**
 * The state lock between real CLI processes: a second run fails fast naming the holder, or waits
 * with --lock-timeout; force-unlock takes only the exact lock id; and taking the lock never
 * creates the state file.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { expectExit } from "../helpers/cli.js";
import {
  exists,
  lockPath,
  project,
  statePath,
  toYaml,
  uniq,
  useSandbox,
  waitFor,
} from "../helpers/e2e-sandbox.js";

// The holder that must be another process is: the apply below is a child process, and the
// dead holder a process that exited. The other runs are in-process (the test runner's process, a
// live one, is also what the hand-written lock below names), so they start at once instead of
// spending the apply's lock-holding time on a Node start-up.
const sb = useSandbox();

async function projectWithUser(prefix: string): Promise<string> {
  return project({ "popdock.yaml": toYaml({ users: { u: { name: `${prefix}-${uniq()}` } } }) });
}

/**
 * A lock file of `popdock apply` whose holder is a process that has exited; `thisBoot` records
 * this machine's boot id, as popdock does (without it the lock proves nothing about the boot).
 */
async function writeDeadLock(
  dir: string,
  opts: { thisBoot: boolean },
): Promise<{ id: string; deadPid: number }> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  const deadPid = child.pid as number;
  await new Promise((r) => child.once("exit", r));
  const id = randomUUID();
  await mkdir(join(dir, ".popdock"), { recursive: true });
  const record = {
    id,
    pid: deadPid,
    host: hostname(),
    user: "x",
    command: "popdock apply",
    created_at: new Date().toISOString(),
  };
  const boot = opts.thisBoot
    ? { boot_id: readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim() }
    : {};
  await writeFile(lockPath(dir), JSON.stringify({ ...record, ...boot }));
  return { id, deadPid };
}

describe("lock contention between two processes", () => {
  it("a plan during an apply fails naming the holder; with --lock-timeout it waits and then succeeds", async () => {
    const dir = await projectWithUser("lk-busy");
    await sb.setFaults({ latency_ms: 700 }); // the apply holds the lock for ≥ 1.4 s
    try {
      const apply = sb.spawn(["apply", "--auto-approve", "--no-color"], dir);
      const lock = await waitFor("the apply's lock", async () => {
        const text = await readFile(lockPath(dir), "utf8").catch(() => undefined);
        return text?.endsWith("}\n")
          ? (JSON.parse(text) as { id: string; pid: number; command: string })
          : undefined;
      });
      expect(lock).toMatchObject({ pid: apply.pid, command: "popdock apply" });

      const [busy, waiting] = await Promise.all([
        sb.popdock(["plan", "--no-color"], dir),
        sb.popdock(["plan", "--no-color", "--lock-timeout", "20s"], dir),
      ]);
      const applied = await apply.output;
      expectExit(applied, 0);

      expectExit(busy, 1);
      expect(busy.stdout).toBe("");
      expect(busy.stderr).toContain(
        `error POPDOCK_STATE_LOCKED: state is locked by pid ${apply.pid} on ${hostname()} (popdock apply) since `,
      );
      expect(busy.stderr).toContain(`(lock file ${lockPath(dir)})`);
      expect(busy.stderr).toContain(`popdock force-unlock ${lock.id}`);

      // The waiting plan ran after the apply released the lock, so it saw the applied state.
      expectExit(waiting, 0);
      expect(waiting.stderr).toContain(
        `waiting for the state lock held by pid ${apply.pid} on ${hostname()} (popdock apply) since `,
      );
      expect(waiting.stderr).toContain("(up to 20s)…");
      expect(waiting.stdout).toContain("No changes. Your Popdock API users match the configuration.");
      expect(await exists(lockPath(dir))).toBe(false);
    } finally {
      await sb.setFaults({});
    }
  });
});

describe("force-unlock", () => {
  it("refuses a wrong id, removes the lock with the right one, and plan works again", async () => {
    const dir = await projectWithUser("lk-force");
    // A lock held by a live process on this host (the test runner itself).
    const id = randomUUID();
    const record = {
      id,
      pid: process.pid,
      host: hostname(),
      user: "someone",
      command: "popdock apply",
      created_at: new Date().toISOString(),
    };
    await mkdir(join(dir, ".popdock"), { recursive: true });
    await writeFile(lockPath(dir), `${JSON.stringify(record, null, 2)}\n`);

    const locked = await sb.run(dir, ["plan"], 1);
    expect(locked.stderr).toContain(
      `error POPDOCK_STATE_LOCKED: state is locked by pid ${process.pid} on ${hostname()} (popdock apply) since `,
    );
    expect(locked.stderr).toContain(`popdock force-unlock ${id}`);

    const wrong = await sb.run(dir, ["force-unlock", "not-the-id"], 1);
    expect(wrong.stderr).toContain(
      `error POPDOCK_LOCK_ID_MISMATCH: lock id not-the-id does not match the current lock ${id}`,
    );
    expect(wrong.stderr).toContain("nothing was removed");
    expect(JSON.parse(await readFile(lockPath(dir), "utf8"))).toEqual(record);

    const right = await sb.run(dir, ["force-unlock", id]);
    expect(right.stdout).toBe(`Lock ${id} removed.\n`);
    expect(await exists(lockPath(dir))).toBe(false);

    const again = await sb.run(dir, ["force-unlock", id], 1);
    expect(again.stderr).toContain("error POPDOCK_NOT_LOCKED: the state is not locked");

    await sb.run(dir, ["plan", "--detailed-exitcode"], 2);
  });

  it("a lock left by a dead process fails at once, even with --lock-timeout, and says the holder is gone", async () => {
    const dir = await projectWithUser("lk-dead");
    const { id, deadPid } = await writeDeadLock(dir, { thisBoot: false });
    const started = Date.now();
    const r = await sb.popdock(["plan", "--lock-timeout", "20s"], dir);
    expect(Date.now() - started).toBeLessThan(10_000);
    expectExit(r, 1);
    // Written without a boot id (an older popdock, or copied from elsewhere): not provably dead.
    expect(r.stderr).toContain(
      `(process ${deadPid} is no longer running on this host, but the lock does not prove it was taken during this boot)`,
    );
    expect(r.stderr).toContain(
      `the holder is gone; if you are sure no popdock process uses this state, run \`popdock force-unlock ${id}\``,
    );
  });

  it("a lock whose holder died during this boot is taken over at once, with one line saying so", async () => {
    const dir = await projectWithUser("lk-takeover");
    const { id, deadPid } = await writeDeadLock(dir, { thisBoot: true });
    await writeFile(join(dir, ".popdock", ".state.json.4121.0123456789ab.tmp"), "half a state");
    const r = await sb.run(dir, ["plan", "--detailed-exitcode"], 2);
    expect(r.stderr).toContain(
      `Took over the state lock ${id} left by pid ${deadPid} (popdock apply, since `,
    );
    expect(await exists(lockPath(dir)), "released after the plan").toBe(false);
    expect(await exists(join(dir, ".popdock", ".state.json.4121.0123456789ab.tmp"))).toBe(false);
  });
});

describe("the lock never creates the state file", () => {
  it("not after a successful plan, nor after a plan that failed with the lock held", async () => {
    const dir = await projectWithUser("lk-nostate");
    await sb.run(dir, ["plan", "--detailed-exitcode"], 2);
    expect(await exists(statePath(dir))).toBe(false);

    // Fails after taking the lock: Popdock refuses the key.
    const denied = await sb.popdock(["plan"], dir, { POPDOCK_API_KEY: "wrong-key" });
    expectExit(denied, 1);
    expect(denied.stderr).toContain("POPDOCK_API_UNAUTHORIZED");
    expect(await exists(statePath(dir))).toBe(false);
    expect(await exists(`${statePath(dir)}.backup`)).toBe(false);
    expect(await exists(lockPath(dir))).toBe(false);

    // A failed apply leaves no state file either.
    const refused = await sb.popdock(["apply", "--auto-approve"], dir, { POPDOCK_API_KEY: "wrong-key" });
    expectExit(refused, 1);
    expect(await exists(statePath(dir))).toBe(false);
    expect(await exists(lockPath(dir))).toBe(false);
  });
});
