/**
 * Benchmark: what policy evaluation adds to planning, measured twice: the whole `popdock plan`
 * command (in-process, embedded sandbox: configuration loading, refresh, planning, rendering;
 * with and without a policy), and the pure planner `makePlan` alone (the strictest comparison).
 * 50 rules (the 9 built-in ones with
 * parameters, and 41 custom rules written with `definePolicy`) over a plan of 10,000 resources
 * (2,000 API users, each with a team grant, a connector grant and two tokens), against the time
 * `makePlan` takes for the same configuration. The goal: under 10 % of plan time.
 *
 *   npm run build && node dist/test/bench/policy.bench.js            (2,000 users, 5 rounds)
 *   npm run build && node dist/test/bench/policy.bench.js 4000 7     (users, rounds)
 *
 * Prints the medians and their ratio; nothing is hard-coded.
 */
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { emptyState } from "../../provider/backends/state-codec.js";
import { makePlan } from "../../provider/engine/plan.js";
import {
  type DesiredConfig,
  type DesiredResource,
  defaultLifecycle,
  formatAddress,
} from "../../provider/model/desired.js";
import { buildSnapshot } from "../../provider/model/live.js";
import { BUILTIN_POLICIES } from "../../provider/policy/builtin.js";
import { definePolicy } from "../../provider/policy/define.js";
import { type ActiveRule, evaluatePolicies } from "../../provider/policy/evaluate.js";
import { DEFAULT_SEED } from "../../provider/sandbox/seed.js";
import type { StateFile } from "../../schema/state.js";
import type { Bench } from "./lib.js";

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/** What 50 rules add: to the whole plan command (`cli`, a fraction) and to `makePlan` (`planner`). */
async function policyBench(
  users: number,
  rounds: number,
  log: (line: string) => void,
): Promise<{ cli: number; planner: number; cp: number; cg: number; p: number; q: number }> {
  const src = { file: "popdock.yaml" };
  const base = { dependsOn: [], lifecycle: defaultLifecycle(), source: src };

  const resources: DesiredResource[] = [];
  for (let i = 0; i < users; i++) {
    const key = `bot_${i}`;
    const user = `popdock_api_user.${key}`;
    resources.push({
      ...base,
      type: "popdock_api_user",
      address: user,
      name: key,
      attrs: { name: `svc-bot-${i}`, description: i % 7 === 0 ? "" : `bot ${i}` },
    });
    resources.push({
      ...base,
      type: "popdock_api_user_grant",
      address: formatAddress("popdock_api_user_grant", key, "team:Finance"),
      name: key,
      index: "team:Finance",
      user,
      attrs: { kind: "team", team: "Finance" },
    });
    resources.push({
      ...base,
      type: "popdock_api_user_grant",
      address: formatAddress("popdock_api_user_grant", key, "connector:GP Production"),
      name: key,
      index: "connector:GP Production",
      user,
      attrs: {
        kind: "connector",
        connector: "GP Production",
        roles: ["Reader"],
        companies: i % 5 === 0 ? [] : ["Fabrikam Inc"],
        lists: ["Customers"],
        actions: [],
        details: [],
      },
    });
    for (const tk of ["ci", "pbi"])
      resources.push({
        ...base,
        type: "popdock_api_token",
        address: formatAddress("popdock_api_token", key, tk),
        name: key,
        index: tk,
        user,
        attrs: { name: `${tk}-${i}` },
      });
  }
  const config: DesiredConfig = {
    files: ["popdock.yaml"],
    digest: "bench",
    provider: {},
    resources,
    outputs: [],
  };
  const live = buildSnapshot({
    teams: [...DEFAULT_SEED.teams],
    roles: [...DEFAULT_SEED.roles],
    connectors: [...DEFAULT_SEED.connectors],
    users: [],
  });
  const state: StateFile = emptyState("local");

  const params: Record<string, Record<string, unknown>> = {
    "name-pattern": { users: "^svc-[a-z0-9-]+$", tokens: "^[a-z]+-[0-9]+$" },
    "no-destroy-of-protected": { connectors: ["GP Production"] },
  };
  const rules: ActiveRule[] = [...BUILTIN_POLICIES.values()].map((def) => ({
    def,
    level: def.level,
    params: def.params.parse(params[def.id] ?? {}),
    source: "built-in",
  }));
  const types = ["popdock_api_user", "popdock_api_user_grant", "popdock_api_token"];
  for (let i = 0; rules.length < 50; i++) {
    const type = types[i % types.length] as string;
    const re = new RegExp(`forbidden-${i}`);
    rules.push({
      def: definePolicy({
        id: `custom-${i}`,
        types: [type],
        check: (c) =>
          re.test(String(c.after?.name ?? c.after?.kind ?? "")) ? `matches ${re.source}` : undefined,
      }),
      level: "advisory",
      params: {},
      source: "bench",
    });
  }

  // ------------------------------------------------------------ the whole `popdock plan` command
  const { runMain } = await import("../../provider/cli/main.js");
  const { mkdtempSync, mkdirSync, rmSync, writeFileSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const { stringify } = await import("yaml");

  const apiUsers: Record<string, unknown> = {};
  for (let i = 0; i < users; i++) {
    apiUsers[`bot_${i}`] = {
      name: `svc-bot-${i}`,
      ...(i % 7 === 0 ? {} : { description: `bot ${i}` }),
      grants: [
        { team: "Finance" },
        {
          connector: "GP Production",
          roles: ["Reader"],
          companies: i % 5 === 0 ? [] : ["Fabrikam Inc"],
          lists: ["Customers"],
        },
      ],
      tokens: { ci: { name: `ci-${i}` }, pbi: { name: `pbi-${i}` } },
    };
  }
  const policyRules: Record<string, unknown> = {};
  for (const def of BUILTIN_POLICIES.values())
    policyRules[def.id] = { level: "advisory", ...(params[def.id] ?? {}) };
  const customModule = `export default Array.from({ length: 41 }, (_, i) => {
  const types = ["popdock_api_user", "popdock_api_user_grant", "popdock_api_token"];
  const re = new RegExp("forbidden-" + i);
  return { id: "custom-" + i, types: [types[i % 3]], check: (c) => (re.test(String(c.after?.name ?? c.after?.kind ?? "")) ? "matches " + re.source : undefined) };
});
`;
  const root = mkdtempSync(join(tmpdir(), "popdock-policy-bench-"));
  const plain = join(root, "plain");
  const guarded = join(root, "guarded");
  mkdirSync(plain);
  mkdirSync(join(guarded, "policies"), { recursive: true });
  writeFileSync(join(plain, "popdock.yaml"), stringify({ api_users: apiUsers }));
  writeFileSync(
    join(guarded, "popdock.yaml"),
    stringify({ api_users: apiUsers, policy: { rules: policyRules } }),
  );
  writeFileSync(join(guarded, "policies", "custom.mjs"), customModule);

  async function timePlan(dir: string): Promise<{ ms: number; out: string }> {
    let out = "";
    let err = "";
    const io = {
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: (s: string) => (err += s) },
      env: { ...process.env, NO_COLOR: "1" },
      cwd: dir,
      signal: new AbortController().signal,
    };
    const t0 = performance.now();
    const code = await runMain(["plan", "--endpoint", "local", "--no-color"], io);
    const ms = performance.now() - t0;
    if (code !== 0 && code !== 1) throw new Error(`plan failed (${code}): ${err.slice(0, 2000)}`);
    return { ms, out };
  }

  const cliPlain: number[] = [];
  const cliGuarded: number[] = [];
  let policyLines = 0;
  try {
    for (let r = 0; r < rounds + 1; r++) {
      const a = await timePlan(plain);
      const b = await timePlan(guarded);
      if (r === 0) continue;
      cliPlain.push(a.ms);
      cliGuarded.push(b.ms);
      policyLines = b.out.split("\n").filter((l) => / \[(advisory|mandatory|hard)\] /.test(l)).length;
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const cp = median(cliPlain);
  const cg = median(cliGuarded);
  log(`popdock plan (in-process, embedded sandbox, ${resources.length} resources), ${rounds} rounds:`);
  log(`  without a policy   median ${cp.toFixed(0)} ms`);
  log(`  with 50 rules      median ${cg.toFixed(0)} ms (${policyLines} policy lines shown)`);
  log(`  added              ${(((cg - cp) / cp) * 100).toFixed(1)} % (goal: < 10 %)`);

  // ------------------------------------------------------------ the pure planner alone
  const planMs: number[] = [];
  const policyMs: number[] = [];
  let results = 0;
  let changes = 0;
  for (let r = 0; r < rounds + 1; r++) {
    const t0 = performance.now();
    const made = makePlan({ config, state, live, endpoint: "local", mode: "normal" });
    const t1 = performance.now();
    if (!made.plan)
      throw new Error(
        `the bench configuration does not plan: ${JSON.stringify(made.diagnostics.slice(0, 3))}`,
      );
    const out = evaluatePolicies({ plan: made.plan, live, rules, now: new Date() });
    const t2 = performance.now();
    if (r === 0) continue; // warm-up
    planMs.push(t1 - t0);
    policyMs.push(t2 - t1);
    results = out.length;
    changes = made.plan.changes.length;
  }
  const p = median(planMs);
  const q = median(policyMs);
  log(
    `makePlan alone vs evaluatePolicies: ${rules.length} rules over a plan of ${changes} resources (${users} users), ${rounds} rounds`,
  );
  log(`  makePlan           median ${p.toFixed(1)} ms`);
  log(`  evaluatePolicies   median ${q.toFixed(1)} ms (${results} results)`);
  log(`  policy / plan      ${((q / p) * 100).toFixed(1)} % (goal: < 10 %)`);
  return { cli: cg / cp - 1, planner: q / p, cp, cg, p, q };
}

export const bench: Bench = {
  name: "policy",
  async run(ctx) {
    const users = ctx.quick ? 500 : 2000;
    const rounds = ctx.quick ? 2 : 5;
    const r = await policyBench(users, rounds, ctx.log);
    return [
      {
        metric: `plan command, 50 rules over ${users * 5} resources: time added`,
        value: r.cli * 100,
        unit: "%",
        target: "< 10",
        ok: r.cli < 0.1,
        note: `${r.cp.toFixed(0)} ms → ${r.cg.toFixed(0)} ms (median of ${rounds})`,
      },
      {
        metric: "makePlan alone: evaluation / planning",
        value: r.planner * 100,
        unit: "%",
        note: `makePlan ${r.p.toFixed(0)} ms, evaluatePolicies ${r.q.toFixed(0)} ms`,
      },
    ];
  },
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await policyBench(Number(process.argv[2] ?? 2000), Number(process.argv[3] ?? 5), (l) => console.log(l));
}
