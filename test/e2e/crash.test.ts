/**
 * `kill -9` in the middle of an apply, then what a user does next: the dead run's lock is taken
 * over by the next apply (its holder provably died on this machine, this boot), which adopts
 * what the dead run had already created (its pending steps) and finishes, and Popdock ends up
 * with exactly the configured objects — none missing, none created twice — under a state that
 * plans clean. Repeated at several moments of the run.
 */
import { describe, expect, it } from "vitest";
import { expectExit } from "../helpers/cli.js";
import { readState, useSandbox } from "../helpers/e2e-sandbox.js";
import {
  countOf,
  expectDeadHolderLock,
  expectRerunConverges,
  fleetProject,
  waitUntilQuiet,
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

const sandbox = useSandbox();

describe("kill -9 during apply", () => {
  it.each(KILL_POINTS)("converges without duplicates after a kill $moment", async ({ afterCreated }) => {
    const dir = await fleetProject(sandbox, USERS, { latency_ms: LATENCY_MS });

    const child = sandbox.spawn(["apply", "--auto-approve"], dir);
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

    // Let the requests the dead process had sent finish on the server (no answer for 3 latencies),
    // then go fast.
    await waitUntilQuiet(sandbox, LATENCY_MS * 3, "the killed apply's requests to finish");
    await sandbox.setFaults({});

    const tookOver = expectDeadHolderLock(dir);
    // Every object was created exactly once: no create was refused as a duplicate (409), none
    // went through twice; then the plan is clean.
    const { rerun, state } = await expectRerunConverges(sandbox, dir, USERS);
    expect(rerun.stdout).toContain("Apply complete!");
    tookOver(rerun);
    expect(Object.keys(state.resources)).toHaveLength(USERS * 4);
  });

  it("refuses a second run while the lock's holder is alive", async () => {
    // The other half of the lock rule: the dead-holder path above must not become "anyone may
    // take the lock". A live apply holds it; a concurrent apply is refused and changes nothing.
    // The first apply outlasts the second one's start-up.
    const dir = await fleetProject(sandbox, 8, { latency_ms: 500 }, "live");
    const child = sandbox.spawn(["apply", "--auto-approve"], dir);
    const out = watchStream(child.stdout);
    await out.waitFor((t) => t.includes("Creating…"), 20_000, "the first Creating… line");
    // In this (the test's) process: another process than the live holder, and with no start-up
    // to eat into the time the first apply holds the lock.
    const second = await sandbox.popdock(["apply", "--auto-approve"], dir);
    expect(child.exitCode, "the first apply was still running when the second one ended").toBeNull();
    expectExit(second, 1);
    expect(second.stderr).toContain("POPDOCK_STATE_LOCKED");
    expect(second.stderr).not.toMatch(/no longer running/);
    expect(second.stdout).not.toContain("Creating…");
    expectExit(await child.output, 0);
    expect((await sandbox.inventory()).userCount).toBe(8);
  });
});
