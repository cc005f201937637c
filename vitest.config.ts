import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";
import SlowFirstSequencer from "./test/setup/slow-first-sequencer.js";

export default defineConfig({
  test: {
    include: ["provider/**/*.test.ts", "schema/**/*.test.ts", "test/**/*.test.ts"],
    setupFiles: ["test/setup/fail-on-console.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // vitest's default in `run` mode is one fork fewer than the CPUs: a single fork on a 2-core
    // machine, so the suite ran file after file. Most of an end-to-end file's time is waiting
    // (on its sandbox process, on injected latency, on a Retry-After), so one fork per CPU keeps
    // both busy. Not more: the resilience tests time kills and signals, and a machine with both
    // cores busy must still run them without a failure.
    maxWorkers: Math.max(2, availableParallelism()),
    sequence: { sequencer: SlowFirstSequencer },
    server: {
      deps: {
        // The end-to-end helpers run the built CLI (dist/) in-process: let Node load it as is,
        // the same modules bin/popdock.js runs, instead of vite transforming them.
        external: [/\/dist\//],
      },
    },
  },
});
