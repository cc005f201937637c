/**
 * `POPDOCK_CPU_PROF=DIR popdock …`: a V8 CPU profile of the whole run, module loading included,
 * written at exit to `DIR/popdock-<command>-<pid>.cpuprofile` (open it in Chrome DevTools →
 * Performance, or speedscope). bin/popdock.js starts it before it loads the CLI. The same as
 * `node --cpu-prof --cpu-prof-dir=DIR bin/popdock.js …`, without having to find the script.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { join, resolve } from "node:path";

export function startCpuProfile(dir: string, argv: readonly string[]): void {
  const out = resolve(dir);
  mkdirSync(out, { recursive: true });
  const session = new Session();
  session.connect();
  session.post("Profiler.enable");
  session.post("Profiler.start");
  const command = (argv.find((a) => !a.startsWith("-")) ?? "help").replace(/[^a-z-]/gi, "");
  process.on("exit", () => {
    // The in-thread inspector answers synchronously, so the profile is written before exit.
    session.post("Profiler.stop", (err, result) => {
      if (err) return;
      const file = join(out, `popdock-${command}-${process.pid}.cpuprofile`);
      writeFileSync(file, JSON.stringify(result.profile));
      process.stderr.write(`CPU profile: ${file}\n`);
    });
  });
}
