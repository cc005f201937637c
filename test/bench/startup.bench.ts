/**
 * Benchmark: start-up. CPU of `popdock validate` on a one-user configuration, and of
 * `popdock --help`, against `node -e 0` (median of several runs each, child CPU only).
 * Target (issue 9, 5): validate ≤ 1.5 × node + 60 ms.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Bench, expectOk, measureCli, measureNode, median, usersConfig } from "./lib.js";

export const bench: Bench = {
  name: "startup",
  async run(ctx) {
    const runs = ctx.quick ? 5 : 11;
    const config = join(ctx.tmp, "popdock.yaml");
    writeFileSync(config, usersConfig(1));
    const node: number[] = [];
    const validate: number[] = [];
    const help: number[] = [];
    for (let i = 0; i < runs; i++) {
      node.push((await measureNode(["-e", "0"], {}, ctx.tmp)).cpuMs);
      validate.push(
        expectOk("validate", await measureCli(ctx.root, ["validate", "-c", config], {}, ctx.tmp)).cpuMs,
      );
      help.push(expectOk("--help", await measureCli(ctx.root, ["--help"], {}, ctx.tmp)).cpuMs);
    }
    const n = median(node);
    const v = median(validate);
    const h = median(help);
    const limit = 1.5 * n + 60;
    return [
      {
        metric: "validate (tiny config) CPU / node -e 0",
        value: v / n,
        unit: "×",
        target: `≤ ${(limit / n).toFixed(2)} (1.5× + 60 ms)`,
        ok: v <= limit,
        note: `${v.toFixed(0)} ms vs ${n.toFixed(0)} ms (median of ${runs})`,
      },
      { metric: "--help CPU / node -e 0", value: h / n, unit: "×", note: `${h.toFixed(0)} ms` },
    ];
  },
};
