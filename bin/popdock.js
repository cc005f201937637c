#!/usr/bin/env node
// Entry point for `npx popdock`: runs the compiled CLI (built by `npm install` via `prepare`).
import { runMain } from "../dist/provider/cli/main.js";

// `popdock state list | head`: the reader went away; stop quietly, as other CLIs do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const code = await runMain(process.argv.slice(2));
process.exitCode = code;
