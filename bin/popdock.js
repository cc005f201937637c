#!/usr/bin/env node
// Entry point for `npx popdock`: runs the compiled CLI (built by `npm install` via `prepare`).
import { runMain } from "../dist/provider/cli/main.js";

const code = await runMain(process.argv.slice(2));
process.exitCode = code;
