/**
 * Benchmark: apply. A first apply of N API users × 6 resources by the built CLI (a child
 * process; the sandbox serves from this process over loopback):
 *
 * - CPU per step at a small and a larger step count (issue 9, target 1: ratio ≤ 1.3; it measures
 *   the state writes, whatever backend the CLI uses);
 * - steps per second with no rate limit at --parallelism 10 (target 2: ≥ 300);
 * - against a server rate limit R at --parallelism 10 and 50: the sustained rate of successful
 *   requests over R (target ≥ 0.9) and the steps that failed (target 0).
 *
 * Rates are taken from the sandbox's counters, sampled every 50 ms, between the first and the
 * last successful mutation. Failed steps = steps planned − objects the sandbox holds afterwards.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { createSandbox, type Sandbox } from "../../provider/sandbox/index.js";
import { type Bench, type BenchRow, measureCli, apiKey as newKey, writeConfig } from "./lib.js";

interface ApplyRun {
  steps: number;
  cpuMs: number;
  wallMs: number;
  /** Successful mutations a second, first to last. */
  mutationRate: number;
  /** Successful requests (any method) a second over the same window. */
  okRate: number;
  failedSteps: number;
  code: number | null;
  stderr: string;
}

function successes(sandbox: Sandbox): { ok: number; mutations: number } {
  const s = sandbox.stats();
  let ok = 0;
  let mutations = 0;
  for (const [status, n] of Object.entries(s.by_status)) if (status.startsWith("2")) ok += n;
  // by_route counts every answer; a route's successes are not split out, so count mutations as
  // objects in the store instead (each success adds one).
  const snap = sandbox.store.snapshot();
  mutations = snap.users.length + snap.grants.length + snap.tokens.length;
  return { ok, mutations };
}

async function applyOnce(
  ctx: Parameters<Bench["run"]>[0],
  users: number,
  parallelism: number,
  rateLimit: number,
): Promise<ApplyRun> {
  const key = newKey();
  const sandbox = createSandbox({ apiKey: key, faults: { rate_limit_rps: rateLimit } });
  const server = await sandbox.listen({ host: "127.0.0.1", port: 0 });
  const dir = join(ctx.tmp, `a${users}-p${parallelism}-r${rateLimit}`);
  mkdirSync(dir);
  const config = writeConfig(dir, users);
  const samples: { t: number; ok: number; mutations: number }[] = [];
  const timer = setInterval(() => samples.push({ t: performance.now(), ...successes(sandbox) }), 50);
  try {
    const u = await measureCli(
      ctx.root,
      [
        "apply",
        "-c",
        config,
        "--auto-approve",
        "--endpoint",
        server.url,
        "--parallelism",
        String(parallelism),
      ],
      { POPDOCK_API_KEY: key },
      dir,
    );
    clearInterval(timer);
    samples.push({ t: performance.now(), ...successes(sandbox) });
    const steps = users * 6;
    const end = samples[samples.length - 1] ?? { t: 0, ok: 0, mutations: 0 };
    const first = samples.find((s) => s.mutations > 0) ?? end;
    const last = samples.find((s) => s.mutations === end.mutations) ?? end;
    const secs = Math.max(0.05, (last.t - first.t) / 1000);
    return {
      steps,
      cpuMs: u.cpuMs,
      wallMs: u.wallMs,
      mutationRate: (last.mutations - first.mutations) / secs,
      okRate: (last.ok - first.ok) / secs,
      failedSteps: steps - end.mutations,
      code: u.code,
      stderr: u.stderr,
    };
  } finally {
    clearInterval(timer);
    await server.close();
  }
}

export const bench: Bench = {
  name: "apply",
  async run(ctx) {
    const rows: BenchRow[] = [];
    const envLarge = Number(process.env.BENCH_APPLY_USERS);
    // Quick: 150 vs 600 steps (the state file's rewrite per step makes larger counts slow until
    // state writes cost O(change)); full: 600 vs 6,000 (BENCH_APPLY_USERS sets the larger).
    const smallUsers = ctx.quick ? 25 : 100;
    const largeUsers = Number.isInteger(envLarge) && envLarge > 0 ? envLarge : ctx.quick ? 100 : 1_000;
    ctx.log(`apply ${smallUsers * 6} steps`);
    const small = await applyOnce(ctx, smallUsers, 10, 0);
    ctx.log(`apply ${largeUsers * 6} steps`);
    const large = await applyOnce(ctx, largeUsers, 10, 0);
    const perSmall = small.cpuMs / small.steps;
    const perLarge = large.cpuMs / large.steps;
    rows.push(
      {
        metric: `apply CPU/step ${large.steps} / ${small.steps} steps`,
        value: perLarge / perSmall,
        unit: "×",
        target: "≤ 1.3",
        ok: perLarge / perSmall <= 1.3,
        note: `${perSmall.toFixed(2)} vs ${perLarge.toFixed(2)} ms CPU/step; wall ${(small.wallMs / 1000).toFixed(1)} s vs ${(large.wallMs / 1000).toFixed(1)} s`,
      },
      {
        metric: `apply steps/s, no limit, --parallelism 10`,
        value: large.mutationRate,
        unit: "steps/s",
        target: "≥ 300",
        ok: large.mutationRate >= 300,
        note: `${large.failedSteps} failed of ${large.steps}`,
      },
    );
    const r = ctx.quick ? 100 : 50;
    const limitedUsers = ctx.quick ? 50 : 167;
    for (const p of [10, 50]) {
      ctx.log(`apply ${limitedUsers * 6} steps at ${r} req/s, --parallelism ${p}`);
      const run = await applyOnce(ctx, limitedUsers, p, r);
      rows.push(
        {
          metric: `rate limit ${r}/s, --parallelism ${p}: successful rate / R`,
          value: run.okRate / r,
          unit: "",
          target: "≥ 0.9",
          ok: run.okRate / r >= 0.9,
          note: `${run.okRate.toFixed(1)} req/s ok, ${run.mutationRate.toFixed(1)} steps/s, exit ${run.code}`,
        },
        {
          metric: `rate limit ${r}/s, --parallelism ${p}: failed steps`,
          value: run.failedSteps,
          unit: `of ${run.steps}`,
          target: "0",
          ok: run.failedSteps === 0,
          ...(run.failedSteps > 0 ? { note: lastLine(run.stderr) } : {}),
        },
      );
    }
    return rows;
  },
};

function lastLine(text: string): string {
  const lines = text.trim().split("\n");
  return (lines.find((l) => /429|rate limit/i.test(l)) ?? lines[lines.length - 1] ?? "").slice(0, 140);
}
