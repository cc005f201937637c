#!/usr/bin/env node
// Entry point for `npx popdock`: runs the compiled CLI (built by `npm install` via `prepare`).
if (process.env.POPDOCK_CPU_PROF) {
  // A CPU profile of the whole run, module loading included (README: "Benchmarks and profiles").
  const { startCpuProfile } = await import("../dist/provider/cli/cpu-prof.js");
  startCpuProfile(process.env.POPDOCK_CPU_PROF, process.argv.slice(2));
}
const { runMain } = await import("../dist/provider/cli/main.js");

// `popdock state list | head`: the reader went away; stop quietly, as other CLIs do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const code = await runMain(process.argv.slice(2));
process.exitCode = code;
