/**
 * Correctness at scale under a server rate limit (issue 9, target 2): an apply with a parallelism
 * far above what the limit allows finishes with zero failed steps — every request takes its turn
 * in the client's one shared pace — and a limit that leaves no turn within the retry budget ends
 * in a clear error naming the budget, with nothing half-done. Speed is the benchmark's business
 * (`npm run bench`, apply rows); nothing here asserts on time.
 */
import { describe, expect, it } from "vitest";
import { readState, statusCount, useSandbox } from "../helpers/e2e-sandbox.js";
import { expectConverged, expectFleet, fleetProject } from "../helpers/resilience.js";

const sandbox = useSandbox();

describe("apply against a rate-limited Popdock", () => {
  // 160 steps at 60 requests/s: about three seconds of a limit that the parallelism exceeds
  // many times over (kept short for the suite; `npm run bench` runs it at scale).
  it("160 steps at --parallelism 50 against 60 requests/s: zero failed steps, each object created once", async () => {
    const users = 40; // 4 steps each
    const dir = await fleetProject(sandbox, users, { rate_limit_rps: 60 });
    const r = await sandbox.run(dir, ["apply", "--auto-approve", "--parallelism", "50"]);
    expect(r.stdout).toContain(`Apply complete! Resources: ${users * 4} added, 0 changed, 0 destroyed.`);
    await sandbox.setFaults({});
    const stats = await sandbox.stats();
    expect(statusCount(stats, 201)).toBe(users * 4);
    expect(statusCount(stats, 409)).toBe(0);
    await expectFleet(sandbox, users);
    await expectConverged(sandbox, dir);
  }, 60_000);

  it("a limit that leaves no turn within POPDOCK_RETRY_BUDGET fails clearly, sending nothing it cannot finish", async () => {
    // One request per 100 s: the first GET takes the only token, and the pace the sandbox
    // announces leaves the next request no turn within the 2 s budget.
    const dir = await fleetProject(sandbox, 2, { rate_limit_rps: 0.01 });
    const r = await sandbox.popdock(["apply", "--auto-approve"], dir, { POPDOCK_RETRY_BUDGET: "2s" });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/rate limit.*would overrun the retry budget of 2\.0s/);
    expect(r.stderr).toContain("POPDOCK_RETRY_BUDGET");
    await sandbox.setFaults({});
    const stats = await sandbox.stats();
    expect(statusCount(stats, 201)).toBe(0);
    expect((await sandbox.inventory()).userCount).toBe(0);
    await expect(readState(dir)).rejects.toThrow();
  });
});
