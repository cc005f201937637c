/**
 * Apply against a misbehaving Popdock (the sandbox's fault modes): a rate limit, errors before
 * the work, and failures after a change was committed (an error status, or a dropped
 * connection). The client's retries must make each of them invisible — or, when a step
 * ultimately fails, leave a state the next run converges from — and never create an object twice.
 */
import { describe, expect, it } from "vitest";
import { ROUTES, readState, routeCount, statusCount, useSandbox, waitFor } from "../helpers/e2e-sandbox.js";
import { expectConverged, expectFleet, fleetProject } from "../helpers/resilience.js";

const sandbox = useSandbox();

const CREATE_ROUTES = [ROUTES.createUser, ROUTES.createGrant, ROUTES.createToken];

describe("apply under faults", () => {
  // A 429 must be certain, not a matter of how fast this machine is. The sandbox's limiter is a
  // token bucket holding at most max(1, rps) tokens. The apply starts with a refresh that sends
  // its 4 GETs at once (one Promise.all over 4 connections); then 10 user creates are ready at
  // once (parallelism 10, 8 connections). With 2 tokens, the second of those 4 GETs already
  // finds the bucket short unless the sandbox took ≥ 1 s between two requests waiting in its
  // sockets — and should the refresh escape, the 10 concurrent creates cannot. Once the sandbox
  // has counted a 429 the limit goes off, so that the rest of the apply is not paced at 2/s
  // (only the Retry-After of 1 s is waited out); the apply must still succeed exactly once per object.
  it("rate limit: 429s are waited out (Retry-After) and the apply succeeds", async () => {
    const users = 10;
    const dir = await fleetProject(sandbox, users, { rate_limit_rps: 2 });
    const apply = sandbox.run(dir, ["apply", "--auto-approve"]);
    let done = false;
    void apply.then(
      () => (done = true),
      () => (done = true),
    );
    await waitFor(
      "a 429 from the sandbox (or the end of the apply)",
      async () => (done || statusCount(await sandbox.stats(), 429) > 0 ? true : undefined),
      60_000,
      async () => JSON.stringify((await sandbox.stats()).by_status),
    );
    await sandbox.setFaults({});
    await apply;
    const stats = await sandbox.stats();
    expect(statusCount(stats, 429), "the limit was hit").toBeGreaterThan(0);
    expect(statusCount(stats, 201)).toBe(users * 4);
    await expectFleet(sandbox, users);
    await expectConverged(sandbox, dir);
  });

  // With one step at a time the sandbox's seeded fault sequence meets the same requests in the
  // same order on every run, so the outcome is deterministic.
  it("error_rate 0.3, seed 11: every injected 500/503 is retried and the apply succeeds", async () => {
    const users = 4;
    const dir = await fleetProject(sandbox, users, { error_rate: 0.3, seed: 11 });
    await sandbox.run(dir, ["apply", "--auto-approve", "--parallelism", "1"]);
    const stats = await sandbox.stats();
    expect(statusCount(stats, 500) + statusCount(stats, 503), "faults were injected").toBeGreaterThan(0);
    expect(statusCount(stats, 201)).toBe(users * 4);
    expect(statusCount(stats, 409)).toBe(0);
    await expectFleet(sandbox, users);
    await expectConverged(sandbox, dir);
  });

  it("error_rate 0.3, seed 7: a create that fails 5 times fails the apply (exit 1); the re-run converges", async () => {
    const users = 2;
    const dir = await fleetProject(sandbox, users, { error_rate: 0.3, seed: 7 });
    const r = await sandbox.run(dir, ["apply", "--auto-approve", "--parallelism", "1"], 1);
    expect(r.stderr).toContain("POPDOCK_APPLY_FAILED");
    expect(r.stderr).toMatch(/popdock_api_user\.u1: failed after .*after 5 attempts/);
    // Its grants and token were not attempted; the independent user finished.
    expect(r.stderr).toMatch(/popdock_api_token\.u1\["t"\]: skipped/);
    const state = await readState(dir);
    expect(Object.keys(state.resources)).toHaveLength(4); // u0 and its grants and token
    // The last answer was a 500 after a lost one: the outcome is unknown, so it stays pending.
    expect(state.pending.map((p) => p.address)).toEqual(["popdock_api_user.u1"]);

    await sandbox.setFaults({});
    const rerun = await sandbox.run(dir, ["apply", "--auto-approve"]);
    // The re-run replays the pending create's Idempotency-Key: Popdock makes it now (the first
    // attempt never got through) and it is ours, in state, before planning.
    expect(rerun.stderr).toMatch(
      /popdock_api_user\.u1: resolved an earlier create by replaying its Idempotency-Key \(id usr_\w+\)/,
    );
    await expectFleet(sandbox, users);
    await expectConverged(sandbox, dir);
  });

  it.each(["drop", "500"] as const)(
    "fail_after_commit_rate 0.5, mode %s: retries replay the same Idempotency-Key, nothing is created twice",
    async (mode) => {
      const users = 10;
      const dir = await fleetProject(sandbox, users, {
        fail_after_commit_rate: 0.5,
        fail_after_commit_mode: mode,
        seed: 3,
      });
      await sandbox.run(dir, ["apply", "--auto-approve"]);
      await expectFleet(sandbox, users);

      const stats = await sandbox.stats();
      const failed = statusCount(stats, 500); // a dropped connection is counted as 500 too
      expect(failed, "changes whose answer was lost").toBeGreaterThan(0);
      // Each lost answer cost exactly one more POST, answered by replay: a retry with a new key
      // would have been refused as a duplicate (409) or created a second object.
      const posts = CREATE_ROUTES.reduce((n, route) => n + routeCount(stats, route), 0);
      expect(posts).toBe(users * 4 + failed);
      expect(statusCount(stats, 409)).toBe(0);
      await expectConverged(sandbox, dir);

      // Deletes too: a DELETE whose answer was lost is retried, its 404 means done.
      await sandbox.setFaults({ fail_after_commit_rate: 0.5, fail_after_commit_mode: mode, seed: 4 });
      await sandbox.resetStats();
      await sandbox.run(dir, ["destroy", "--auto-approve"]);
      expect((await sandbox.inventory()).userCount).toBe(0);
      expect(statusCount(await sandbox.stats(), 500), "deletes whose answer was lost").toBeGreaterThan(0);
      const state = await readState(dir);
      expect(state.resources).toEqual({});
      expect(state.pending).toEqual([]);
    },
  );
});
