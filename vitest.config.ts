import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["provider/**/*.test.ts", "schema/**/*.test.ts", "test/**/*.test.ts"],
    setupFiles: ["test/setup/fail-on-console.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
  },
});
