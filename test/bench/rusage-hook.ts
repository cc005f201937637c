/**
 * Preloaded into a measured child (`node --import rusage-hook.js …`, lib.ts `measureNode`): at
 * exit, writes the process's own CPU time (user + system, ms) and peak RSS (MiB) as JSON to
 * `$POPDOCK_BENCH_RUSAGE`.
 */
import { writeFileSync } from "node:fs";

const out = process.env.POPDOCK_BENCH_RUSAGE;
if (out !== undefined && out !== "") {
  delete process.env.POPDOCK_BENCH_RUSAGE;
  process.on("exit", () => {
    const u = process.resourceUsage();
    writeFileSync(
      out,
      JSON.stringify({ cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000, maxRssMiB: u.maxRSS / 1024 }),
    );
  });
}
