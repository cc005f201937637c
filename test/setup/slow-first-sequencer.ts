/**
 * File order for `vitest run`: the slowest files first, so that no long file starts last and
 * leaves the other fork idle at the end (longest-processing-time-first scheduling). vitest's own
 * order uses the durations of the previous run when its cache has them, and file size otherwise
 * (a fresh CI checkout); file size says little about an end-to-end file that waits on a sandbox.
 * Listed files run in the order given; all others follow in vitest's order.
 */
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * Slowest first, from `vitest run --reporter=json` durations after the e2e files moved in-process
 * (re-measure when they move).
 */
export const SLOW_FILES: readonly string[] = [
  "test/e2e/kill-property-1.test.ts", // 15 killed applies under faults, and their re-runs
  "test/e2e/kill-property-2.test.ts", // the other 15
  "test/e2e/cdktf.test.ts", // ~5 CDKTF syntheses in one test
  "test/e2e/kill-journal.test.ts", // 1,200 creates, killed three times
  "test/e2e/crash.test.ts",
  "test/e2e/faults.test.ts",
  "test/e2e/rate-limit.test.ts", // a rate-limited apply of 240 steps at --parallelism 50
  "test/e2e/interrupt.test.ts",
  "provider/backends/file/lock.test.ts",
  "test/e2e/convergence.test.ts",
  "provider/engine/plan.property.test.ts",
  "test/e2e/locking.test.ts",
  "test/e2e/pg-shared-state.test.ts", // PostgreSQL + sandbox: concurrent applies, kill -9, server restart
  "provider/backends/pg/backend.test.ts", // a PostgreSQL server, a killed lock holder
  "test/sandbox/behaviour.test.ts",
  "test/sandbox/cli.test.ts",
  "test/e2e/rotation.test.ts", // a kill -9 under latency, and a token's whole life
  "test/e2e/cdk-flavours.test.ts", // two CDK syntheses and a CDK Terrain apply
  "test/e2e/github-actions.test.ts", // the workflows' steps as bash processes, ~25 CLI processes
  "test/e2e/planning-modes.test.ts", // -target, -refresh-only and -var-file applies (~7 s)
  "test/sandbox/crash.test.ts",
  "test/e2e/review.test.ts",
  "test/e2e/lifecycle.test.ts",
  "provider/client/transport.test.ts",
  "test/e2e/restart.test.ts",
  "test/e2e/canary.test.ts",
  "test/e2e/outputs.test.ts",
  "test/e2e/state-sync.test.ts",
  "test/e2e/policy.test.ts", // TypeScript policy modules loaded with tsx, ~8 s
  "test/e2e/validate.test.ts",
  "test/e2e/moves.test.ts", // moved, removed, import, state mv against the sandbox (~6 s)
];

export default class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification) => {
      const root = `${spec.project.config.root.replace(/\/+$/, "")}/`;
      const i = SLOW_FILES.indexOf(
        spec.moduleId.startsWith(root) ? spec.moduleId.slice(root.length) : spec.moduleId,
      );
      return i === -1 ? SLOW_FILES.length : i;
    };
    // Array.prototype.sort is stable: unlisted files keep vitest's order among themselves.
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}
