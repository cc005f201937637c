/**
 * Benchmark: planning at scale. `popdock plan` of N API users × 6 resources against an empty
 * sandbox (a first plan: every resource a create), for N/10 and N users, in child processes:
 * CPU, peak RSS and the size of the text plan. Targets (issue 9, 4): at 10,000 users ≤ 5 s CPU
 * and ≤ 300 MiB; time ratio 10k/1k ≤ 11.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { createSandbox } from "../../provider/sandbox/index.js";
import { type Bench, expectOk, measureCli, apiKey as newKey, writeConfig } from "./lib.js";

export const bench: Bench = {
  name: "plan",
  async run(ctx) {
    const key = newKey();
    const sandbox = createSandbox({ apiKey: key });
    const server = await sandbox.listen({ host: "127.0.0.1", port: 0 });
    try {
      const sizes = [Math.max(1, Math.round(ctx.users / 10)), ctx.users];
      const res = [];
      for (const n of sizes) {
        const dir = join(ctx.tmp, `u${n}`);
        mkdirSync(dir);
        const config = writeConfig(dir, n);
        ctx.log(`first plan of ${n} users (${n * 6} resources)`);
        const u = expectOk(
          `plan ${n}`,
          await measureCli(
            ctx.root,
            ["plan", "-c", config, "--endpoint", server.url],
            { POPDOCK_API_KEY: key },
            dir,
          ),
        );
        res.push({ n, cpu: u.cpuMs, rss: u.maxRssMiB, text: u.stdout.length });
      }
      const [small, large] = res as [(typeof res)[0], (typeof res)[0]];
      const ratio = large.cpu / small.cpu;
      const scale = large.n / small.n;
      // The absolute targets are for 10,000 users; at other sizes they are scaled linearly.
      const cpuTarget = (5_000 * large.n) / 10_000;
      return [
        {
          metric: `first plan CPU ${large.n} / ${small.n} users`,
          value: ratio,
          unit: "×",
          target: `≤ ${(scale * 1.1).toFixed(0)}`,
          ok: ratio <= scale * 1.1,
          note: `${small.cpu.toFixed(0)} ms vs ${large.cpu.toFixed(0)} ms`,
        },
        {
          metric: `first plan CPU at ${large.n} users`,
          value: large.cpu / 1000,
          unit: "s",
          target: `≤ ${(cpuTarget / 1000).toFixed(1)}`,
          ok: large.cpu <= cpuTarget,
        },
        {
          metric: `first plan peak RSS at ${large.n} users`,
          value: large.rss,
          unit: "MiB",
          target: large.n >= 10_000 ? "≤ 300" : `≤ 300 at 10k`,
          ...(large.n >= 10_000 ? { ok: large.rss <= 300 } : {}),
          note: `${small.rss.toFixed(0)} MiB at ${small.n}`,
        },
        {
          metric: `first plan text at ${large.n} users`,
          value: large.text / 2 ** 20,
          unit: "MiB",
          note: `${(small.text / 1024).toFixed(0)} KiB at ${small.n}`,
        },
      ];
    } finally {
      await server.close();
    }
  },
};
