/**
 * `kill -9` in the middle of an apply, then what a user does next: the dead run's lock is
 * reported (the holder is gone) and cleared with `popdock force-unlock`, the next apply adopts
 * what the dead run had already created (its pending steps) and finishes, and Popdock ends up
 * with exactly the configured objects — none missing, none created twice — under a state that
 * plans clean. Repeated at several moments of the run.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, spawnCli, workdir } from "../helpers/cli.js";
import {
  clearDeadHolderLock,
  countOf,
  expectCleanState,
  expectFleet,
  fleetYaml,
  readState,
  type Sandbox,
  sleep,
  startSandbox,
  statusCount,
  watchStream,
} from "../helpers/resilience.js";

const USERS = 20; // 80 resources: 20 users, 40 grants, 20 tokens
const LATENCY_MS = 100; // the apply takes a few seconds

/** When to kill: after this many `created in` lines (of 80). */
const KILL_POINTS = [
  { moment: "early (users being created)", afterCreated: 1 },
  { moment: "middle (grants and tokens in flight)", afterCreated: 30 },
  { moment: "late", afterCreated: 60 },
];

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox();
});

afterAll(async () => {
  await sandbox?.stop();
});

describe("kill -9 during apply", () => {
  it.each(KILL_POINTS)("converges without duplicates after a kill $moment", async ({ afterCreated }) => {
    await sandbox.reset();
    await sandbox.setFaults({ latency_ms: LATENCY_MS });
    const dir = await workdir({ "popdock.yaml": fleetYaml(USERS) });
    const env = sandbox.env();

    const child = spawnCli(["apply", "--auto-approve"], { cwd: dir, env });
    const out = watchStream(child.stdout);
    await out.waitFor(
      (t) => countOf(t, " created in ") >= afterCreated,
      20_000,
      `${afterCreated} created lines`,
    );
    child.kill("SIGKILL");
    const killed = await child.output;
    expect(killed.signal).toBe("SIGKILL");
    expect(killed.stdout).not.toContain("Apply complete!");

    // What the dead run left: a valid state that records its in-flight creates as pending.
    const left = await readState(dir);
    expect(Object.keys(left.resources).length).toBeLessThan(USERS * 4);
    expect(left.pending.length, "creates in flight at the kill are recorded as pending").toBeGreaterThan(0);

    // Let the requests the dead process had sent finish on the server, then go fast.
    await sleep(LATENCY_MS * 3);
    await sandbox.setFaults({});

    await clearDeadHolderLock(dir, env);
    const rerun = await runCli(["apply", "--auto-approve"], { cwd: dir, env });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stdout).toContain("Apply complete!");

    await expectFleet(sandbox, USERS);
    // Every object was created exactly once: no create was refused as a duplicate (409), none
    // went through twice.
    const stats = await sandbox.stats();
    expect(statusCount(stats, 409)).toBe(0);
    expect(statusCount(stats, 201)).toBe(USERS * 4);

    const plan = await runCli(["plan", "--detailed-exitcode"], { cwd: dir, env });
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    const state = await expectCleanState(dir, sandbox);
    expect(Object.keys(state.resources)).toHaveLength(USERS * 4);
  });

  it("refuses a second run while the lock's holder is alive", async () => {
    // The other half of the lock rule: the dead-holder path above must not become "anyone may
    // take the lock". A live apply holds it; a concurrent apply is refused and changes nothing.
    await sandbox.reset();
    await sandbox.setFaults({ latency_ms: 500 }); // the first apply outlasts the second one's start-up
    const dir = await workdir({ "popdock.yaml": fleetYaml(8, "live") });
    const env = sandbox.env();
    const child = spawnCli(["apply", "--auto-approve"], { cwd: dir, env });
    const out = watchStream(child.stdout);
    await out.waitFor((t) => t.includes("Creating…"), 20_000, "the first Creating… line");
    const second = await runCli(["apply", "--auto-approve"], { cwd: dir, env });
    expect(child.exitCode, "the first apply was still running when the second one ended").toBeNull();
    expect(second.code).toBe(1);
    expect(second.stderr).toContain("POPDOCK_STATE_LOCKED");
    expect(second.stderr).not.toMatch(/no longer running/);
    expect(second.stdout).not.toContain("Creating…");
    const first = await child.output;
    expect(first.code, first.stderr).toBe(0);
    expect((await sandbox.inventory()).userCount).toBe(8);
  });
});
