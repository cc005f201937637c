/**
 * The kill -9 property (test/e2e/kill-property-*.test.ts): kill -9 at random moments of applies running against a faulty Popdock (dropped answers after
 * commit, 500s after commit, 5xx before work, 429 rate limits), then a plain re-run: whatever the
 * moment and the fault, the re-run takes the dead run's lock over by itself, leaves no temp file,
 * and Popdock ends with exactly the declared objects — none missing, none created twice — under a
 * state that plans clean. The kill points and faults come from a fixed seed, so a failure names
 * a case that replays exactly (the sandbox's fault PRNG is seeded too).
 */
import { readdirSync } from "node:fs";
import { dirname } from "node:path";
import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../provider/sandbox/faults.js";
import type { SandboxFaultsInput } from "../../schema/api.js";
import { lockPath, readState, statusCount, useSandbox } from "./e2e-sandbox.js";
import {
  countOf,
  expectCleanState,
  expectFleet,
  fleetProject,
  waitUntilQuiet,
  watchStream,
} from "./resilience.js";

const RUNS = 24; // six of each fault kind
const USERS = 3; // 12 resources a run: 3 users, 6 grants, 3 tokens

const FAULTS: [string, SandboxFaultsInput][] = [
  ["dropped answers after commit", { fail_after_commit_rate: 0.3, fail_after_commit_mode: "drop" }],
  ["500s after commit", { fail_after_commit_rate: 0.3, fail_after_commit_mode: "500" }],
  ["5xx before work", { error_rate: 0.3 }],
  ["429 rate limit", { rate_limit_rps: 40 }],
];

// The sandbox's own seeded PRNG, so every run of the suite kills at the same points.
const random = mulberry32(20261203);
const CASES = Array.from({ length: RUNS }, (_, i) => {
  const [fault, faults] = FAULTS[i % FAULTS.length] as [string, SandboxFaultsInput];
  return {
    i,
    fault,
    faults: { ...faults, latency_ms: 10 + Math.floor(random() * 30), seed: 1 + Math.floor(random() * 1e6) },
    // After how many "created in" lines to kill; 0: as soon as the first create starts.
    killAfter: Math.floor(random() * USERS * 4),
  };
});

/**
 * Registers the cases `from` to `to - 1` of the property in the calling test file, with that
 * file's own sandbox: the 24 cases are split over two files so that they run in both forks.
 */
export function killPropertyCases(from: number, to: number): void {
  const sandbox = useSandbox();
  describe("kill -9 at random points under faults (property)", () => {
    it.each(CASES.slice(from, to))(
      "run $i: $fault, kill after $killAfter creates",
      async ({ i, faults, killAfter }) => {
        const prefix = `kp${i}`;
        const dir = await fleetProject(sandbox, USERS, faults, prefix);
        const child = sandbox.spawn(["apply", "--auto-approve", "--parallelism", "4"], dir);
        const out = watchStream(child.stdout);
        const exited = child.output.then(() => true);
        await Promise.race([
          out.waitFor(
            (t) => (killAfter === 0 ? t.includes("Creating…") : countOf(t, " created in ") >= killAfter),
            30_000,
            `${killAfter} created lines`,
          ),
          exited,
        ]);
        child.kill("SIGKILL");
        await child.output;
        // Requests the dead process had sent finish on the server; then Popdock is healthy again.
        await waitUntilQuiet(sandbox, 150, "the dead run's requests to finish");
        await sandbox.setFaults({});
        const before = await sandbox.stats();

        const rerun = await sandbox.run(dir, ["apply", "--auto-approve", "--no-color"], 0, `case ${i}`);
        expect(rerun.stderr).not.toContain("force-unlock");
        await expectFleet(sandbox, USERS, prefix);
        expect(
          statusCount(await sandbox.stats(), 409) - statusCount(before, 409),
          "a create refused as a duplicate",
        ).toBe(0);
        await expectCleanState(sandbox, dir);
        await sandbox.run(dir, ["plan", "--detailed-exitcode"], 0, `case ${i}: nothing left to do`);
        // No lock needing a human, no temp file of an interrupted state write.
        const left = readdirSync(dirname(lockPath(dir))).filter(
          (n) => n.endsWith(".tmp") || n.endsWith(".lock"),
        );
        expect(left).toEqual([]);
        expect((await readState(dir)).pending).toEqual([]);
      },
    );
  });
}
