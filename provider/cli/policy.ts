/**
 * Wiring the policy engine (provider/policy) into the commands that plan: where the rules come
 * from for a configuration (its YAML `policy:` section, a `popdock-policy.yaml` beside a
 * Terraform JSON / CDKTF app, `--policy FILE`s, modules in `policies/` and `--policy-module`),
 * evaluating them over a plan, overrides given to apply and their durable record.
 */
import { appendFile, mkdir, readdir, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import type { Plan } from "../../schema/plan.js";
import type { PolicyResult } from "../../schema/policy.js";
import type { PolicyOverrideRecord } from "../../schema/state.js";
import type { MarkdownSection } from "../engine/render/markdown.js";
import { type Diagnostic, hasErrors } from "../model/diagnostics.js";
import { UsageError } from "../model/errors.js";
import type { LiveSnapshot } from "../model/live.js";
import { policyNow } from "../policy/clock.js";
import { activeRules, POLICY_FILE_NAME, type PolicySource, readPolicyConfig } from "../policy/config.js";
import { PolicyConfigError, PolicyFailedError } from "../policy/errors.js";
import { type ActiveRule, evaluatePolicies, type PolicyOverride, verdict } from "../policy/evaluate.js";
import { loadPolicyModules, policyModulesIn } from "../policy/modules.js";
import { renderPolicyMarkdown } from "../policy/render.js";
import { displayPath, list, printDiagnostics, str } from "./common.js";
import type { CliIO, OptionSpec, ParsedArgs } from "./io.js";
import type { ConfigLocation } from "./wiring.js";

export const POLICY_OPTIONS: Record<string, OptionSpec> = {
  policy: {
    type: "string",
    multiple: true,
    value: "FILE",
    description: "Also check the policy rules in FILE (YAML `rules:`; repeatable)",
  },
  "policy-module": {
    type: "string",
    multiple: true,
    value: "FILE",
    description: "Load custom policy rules from FILE (.ts/.mts/.js/.mjs; repeatable)",
  },
};

export const OVERRIDE_OPTIONS: Record<string, OptionSpec> = {
  "override-policy": {
    type: "string",
    multiple: true,
    value: "RULE",
    description: "Apply despite the mandatory policy rule RULE (repeatable; needs --reason; recorded)",
  },
  reason: { type: "string", value: "TEXT", description: "Why the policy overrides are needed (recorded)" },
};

/** The rules in force for a configuration, ready to evaluate. */
export interface LoadedPolicy {
  rules: ActiveRule[];
}

const YAML_NAME = /\.ya?ml$/i;

async function isDir(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

async function isFile(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isFile(),
    () => false,
  );
}

/**
 * Where a configuration's policy settings are: the YAML files it is read from (their `policy:`
 * sections), a `popdock-policy.yaml` in its directory (any format: it is how a Terraform JSON /
 * CDKTF app has one), then each `--policy FILE` in order.
 */
async function policySources(
  location: ConfigLocation,
  cwd: string,
  extra: readonly string[],
): Promise<PolicySource[]> {
  const yaml: string[] = [];
  const dirs: string[] = [];
  for (const p of location.paths) {
    if (await isDir(p)) {
      dirs.push(p);
      const names = (await readdir(p).catch(() => [] as string[])).filter((n) => YAML_NAME.test(n)).sort();
      for (const n of names) if (n !== POLICY_FILE_NAME && (await isFile(join(p, n)))) yaml.push(join(p, n));
    } else if (basename(p) === POLICY_FILE_NAME) dirs.push(dirname(p));
    else if (YAML_NAME.test(p)) {
      yaml.push(p);
      dirs.push(dirname(p));
    } else dirs.push(dirname(p));
  }
  const sources: PolicySource[] = yaml.map((path) => ({
    file: displayPath(cwd, path),
    path,
    kind: "config",
  }));
  for (const d of new Set(dirs.length > 0 ? dirs : [location.baseDir])) {
    const path = join(d, POLICY_FILE_NAME);
    if (await isFile(path)) sources.push({ file: displayPath(cwd, path), path, kind: "policy-file" });
  }
  for (const f of extra) {
    const path = resolve(cwd, f);
    sources.push({ file: displayPath(cwd, path), path, kind: "policy-file" });
  }
  return sources;
}

/** The policy of a configuration and the command line, with its diagnostics; prints nothing. */
export async function readPolicy(
  args: ParsedArgs,
  io: CliIO,
  location: ConfigLocation,
): Promise<{ policy: LoadedPolicy; diagnostics: Diagnostic[] }> {
  const display = (p: string) => displayPath(io.cwd, p);
  const moduleFiles = [
    ...(await policyModulesIn(join(location.baseDir, "policies"))),
    ...list(args, "policy-module").map((f) => resolve(io.cwd, f)),
  ];
  const modules = await loadPolicyModules(moduleFiles, io.cwd, display);
  const sources = await policySources(location, io.cwd, list(args, "policy"));
  const config = await readPolicyConfig(sources, new Set(modules.rules.map((r) => r.def.id)));
  const diagnostics = [...modules.diagnostics, ...config.diagnostics];
  const rules = hasErrors(diagnostics) ? [] : activeRules(config.settings, modules.rules);
  return { policy: { rules }, diagnostics };
}

/**
 * Reads the policy of a configuration and the command line. Prints diagnostics; throws
 * PolicyConfigError when there are errors (nothing is planned or sent then).
 */
export async function loadPolicy(
  args: ParsedArgs,
  io: CliIO,
  location: ConfigLocation,
): Promise<LoadedPolicy> {
  const { policy, diagnostics } = await readPolicy(args, io, location);
  printDiagnostics(io, diagnostics);
  if (hasErrors(diagnostics)) {
    throw new PolicyConfigError("the policy configuration has errors; nothing was planned or changed", {
      hint: "fix the rules named above (`popdock policy list` shows the rules there are)",
    });
  }
  return policy;
}

/**
 * Evaluates the policy over `plan` and records the results in it (`policy_results`); a policy
 * with no rule leaves the plan as it was. `live` is the refresh snapshot (absent offline).
 */
export function checkPlan(plan: Plan, policy: LoadedPolicy, live: LiveSnapshot | undefined): PolicyResult[] {
  if (policy.rules.length === 0) return [];
  const results = evaluatePolicies({
    plan,
    ...(live !== undefined ? { live } : {}),
    rules: policy.rules,
    // Popdock's clock: the live snapshot's, else (offline) the one the plan was made at.
    now: policyNow(live, () => (plan.server_time !== undefined ? new Date(plan.server_time) : new Date())),
  });
  plan.policy_results = results;
  return results;
}

/** `--override-policy` / `--reason`, checked: a reason is required and must say something. */
export function overridesOf(args: ParsedArgs): PolicyOverride[] {
  const rules = list(args, "override-policy");
  const reason = str(args, "reason")?.trim();
  if (rules.length === 0) {
    if (reason !== undefined) throw new UsageError("--reason is given without --override-policy");
    return [];
  }
  if (reason === undefined || reason === "")
    throw new UsageError('--override-policy needs --reason "…": an override is recorded with its reason');
  return [...new Set(rules)].map((rule) => ({ rule, reason }));
}

/**
 * Apply's gate: refuses a plan that fails policy (naming the rules), unless every failing rule
 * is mandatory and overridden. Prints what the overrides let through. Returns the overrides that
 * took effect, with the results they cover, for the record.
 */
export function enforcePolicy(
  io: CliIO,
  results: readonly PolicyResult[],
  overrides: readonly PolicyOverride[],
): { rule: string; reason: string; level: "mandatory"; addresses: string[] }[] {
  const v = verdict(results, overrides);
  const failingRules = [...new Set(v.failing.map((r) => r.rule))];
  for (const o of overrides) {
    if (!results.some((r) => r.rule === o.rule && r.level !== "advisory"))
      io.stderr.write(
        `note: --override-policy ${o.rule}: the plan breaks no mandatory result of that rule\n`,
      );
  }
  if (v.failing.length > 0) {
    const hard = [...new Set(v.refusedOverrides.map((r) => r.rule))];
    const lines = v.failing.map((r) => `  - ${r.rule} [${r.level}] ${r.address}: ${r.message}`);
    throw new PolicyFailedError(
      `the plan fails policy rule${failingRules.length === 1 ? "" : "s"} ${failingRules.join(", ")}; nothing was changed:\n${lines.join("\n")}`,
      {
        hint:
          hard.length > 0
            ? `${hard.join(", ")} ${hard.length === 1 ? "is a hard rule" : "are hard rules"}: no override; change the configuration`
            : `change the configuration, or override a mandatory rule with a recorded reason: --override-policy ${failingRules[0]} --reason "…"`,
      },
    );
  }
  const used = overrides
    .map((o) => ({
      rule: o.rule,
      reason: o.reason,
      level: "mandatory" as const,
      addresses: [...new Set(v.overridden.filter((r) => r.rule === o.rule).map((r) => r.address))],
    }))
    .filter((o) => o.addresses.length > 0);
  for (const o of used)
    io.stdout.write(
      `\nPolicy override: ${o.rule} (mandatory) overridden for ${o.addresses.join(", ")}; reason: ${o.reason}\n`,
    );
  return used;
}

export interface OverrideEntry {
  command: string;
  endpoint: string;
  plan: Plan;
  overrides: { rule: string; reason: string; level: string; addresses: string[] }[];
  env: Readonly<Record<string, string | undefined>>;
}

/** How many override records the state keeps (the oldest go first). */
export const MAX_RECORDED_OVERRIDES = 100;

/** The record of the overrides an apply used: reason, who and when. Never holds a secret. */
export function overrideRecord(entry: OverrideEntry): PolicyOverrideRecord {
  return {
    time: new Date().toISOString(),
    event: "policy_override",
    command: entry.command,
    user: entry.env.USER ?? entry.env.USERNAME ?? null,
    endpoint: entry.endpoint,
    state_lineage: entry.plan.state_lineage,
    state_serial: entry.plan.state_serial,
    config_digest: entry.plan.config_digest,
    policy_overrides: entry.overrides,
  };
}

/**
 * Appends one JSON line to `apply-log.jsonl` beside a local state file: the overrides an apply
 * used. Written before the apply sends anything, so an apply that fails half-way is recorded
 * too. Append-only; never holds a secret.
 */
export async function recordOverrides(statePath: string, entry: OverrideEntry): Promise<string> {
  const path = join(dirname(statePath), "apply-log.jsonl");
  await mkdir(dirname(path), { recursive: true });
  await appendFile(path, `${JSON.stringify(overrideRecord(entry))}\n`, { mode: 0o600 });
  return path;
}

/** The policy table of a PR comment, as a markdown section (none without rules or results). */
export function policyMarkdownSections(
  results: readonly PolicyResult[],
  ruleCount: number,
): MarkdownSection[] {
  const md = renderPolicyMarkdown(results, ruleCount).trim();
  return md === "" ? [] : [{ id: "policy", kind: "policy table", head: md }];
}
