#!/usr/bin/env node
// `npm start`: the quick-start flow against the embedded sandbox (--endpoint local), as a user
// would type it: plan, apply, then a second plan that must show no changes.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, "..", "..", "bin", "popdock.js");
// Relative to the repository root, where `npm start` runs: the commands shown can be pasted.
const common = ["-c", "examples/quickstart/popdock.yaml", "--endpoint", "local"];
const root = join(here, "..", "..");

function popdock(args) {
  process.stdout.write(`\n$ npx popdock ${[...args, ...common].join(" ")}\n`);
  const r = spawnSync(process.execPath, [bin, ...args, ...common], { stdio: "inherit", cwd: root });
  return r.status ?? 1;
}

let code = popdock(["plan"]);
if (code !== 0) process.exit(code);
code = popdock(["apply", "--auto-approve"]);
if (code !== 0) process.exit(code);
code = popdock(["plan", "--detailed-exitcode"]);
if (code === 2) {
  process.stderr.write("\nThe second plan still has changes: apply did not converge.\n");
  process.exit(1);
}
process.stdout.write(
  `\nDone. State: examples/quickstart/.popdock/state.json (no token IDs in it).\nRead a token ID with: npx popdock output reporting_bot.powerbi --raw ${common.join(" ")}\n`,
);
process.exit(code);
