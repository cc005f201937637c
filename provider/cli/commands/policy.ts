/**
 * `popdock policy list`: the rules in force for a configuration, with their levels; and
 * `popdock policy check PLANFILE`: evaluates a saved plan against them, offline, for a CI step
 * of its own (exit 1 when it fails a mandatory or hard rule).
 */

import { UsageError } from "../../model/errors.js";
import { BUILTIN_POLICIES } from "../../policy/builtin.js";
import { verdict } from "../../policy/evaluate.js";
import { renderPolicyMarkdown, renderPolicyText } from "../../policy/render.js";
import { flag, list, readPlanFile } from "../common.js";
import type { CliIO, Command, ParsedArgs } from "../io.js";
import { checkPlan, loadPolicy, POLICY_OPTIONS } from "../policy.js";
import { locateConfig } from "../wiring.js";

export const command: Command = {
  name: "policy",
  summary: "Show the policy rules in force (list), or check a saved plan against them (check PLANFILE).",
  usage: "policy list|check [PLANFILE] [options]",
  examples: [
    "popdock policy list",
    "popdock policy list --all",
    "popdock policy check plan.json --policy org-policy.yaml",
  ],
  help: `policy list            the active rules, their levels and where they come from (--all: every built-in rule)
policy check PLANFILE  evaluate a saved plan (offline; rules that need the refresh snapshot, such as
                       token-unused, are evaluated at plan and apply); exit 1 when it fails policy`,
  maxPositionals: 2,
  options: {
    config: {
      type: "string",
      short: "c",
      multiple: true,
      value: "PATH",
      description: "Config file or directory (default: the plan's, else ./popdock.yaml)",
    },
    ...POLICY_OPTIONS,
    all: { type: "boolean", description: "list: also show the built-in rules not enabled" },
    json: { type: "boolean", description: "Print as JSON" },
    markdown: { type: "boolean", description: "check: print a Markdown table" },
  },
  async run(args, io) {
    const [sub, file] = args.positionals;
    if (sub === "list") {
      if (file !== undefined) throw new UsageError("`policy list` takes no PLANFILE");
      return listRules(args, io);
    }
    if (sub === "check") {
      if (file === undefined)
        throw new UsageError("`policy check` needs a PLANFILE (from `popdock plan --out FILE`)");
      return checkSaved(args, io, file);
    }
    throw new UsageError(`unknown policy subcommand ${sub === undefined ? "(none)" : `"${sub}"`}`, {
      hint: "popdock policy list, or popdock policy check PLANFILE",
    });
  },
};

async function listRules(args: ParsedArgs, io: CliIO): Promise<number> {
  const location = await locateConfig(list(args, "config"), io.cwd);
  const policy = await loadPolicy(args, io, location);
  const rows = policy.rules.map((r) => ({
    id: r.def.id,
    level: r.level as string,
    source: r.source,
    params: r.params,
    description: r.def.description ?? "",
  }));
  if (flag(args, "all")) {
    for (const b of BUILTIN_POLICIES.values())
      if (!rows.some((r) => r.id === b.id))
        rows.push({
          id: b.id,
          level: "not enabled",
          source: "built-in",
          params: {},
          description: b.description,
        });
  }
  if (flag(args, "json")) {
    io.stdout.write(`${JSON.stringify({ rules: rows }, null, 2)}\n`);
    return 0;
  }
  if (rows.length === 0) {
    io.stdout.write(
      "No policy rules are enabled. Enable them in the configuration's `policy:` section (see `popdock policy list --all`).\n",
    );
    return 0;
  }
  const w = Math.max(...rows.map((r) => r.id.length));
  const lw = Math.max(...rows.map((r) => r.level.length));
  for (const r of rows) {
    const params = Object.keys(r.params).length > 0 ? ` ${JSON.stringify(r.params)}` : "";
    io.stdout.write(`${r.id.padEnd(w)}  ${r.level.padEnd(lw)}  ${r.source}${params}\n`);
    if (r.description !== "") io.stdout.write(`${" ".repeat(w + 2)}${r.description}\n`);
  }
  return 0;
}

async function checkSaved(args: ParsedArgs, io: CliIO, file: string): Promise<number> {
  const plan = await readPlanFile(file, io.cwd, { env: io.env, forApply: false });
  const given = list(args, "config");
  const location = await locateConfig(
    given.length > 0 ? given : plan.config_files.length > 0 ? plan.config_files : [io.cwd],
    io.cwd,
  );
  const policy = await loadPolicy(args, io, location);
  const results = checkPlan(plan, policy, undefined);
  const failing = verdict(results).failing;
  if (flag(args, "json")) {
    io.stdout.write(
      `${JSON.stringify({ pass: failing.length === 0, rules: policy.rules.length, policy_results: results }, null, 2)}\n`,
    );
  } else if (flag(args, "markdown")) {
    io.stdout.write(renderPolicyMarkdown(results, policy.rules.length));
  } else {
    const text = renderPolicyText(results, policy.rules.length);
    io.stdout.write(
      text === "" ? "No policy rules are enabled; nothing to check.\n" : text.replace(/^\n/, ""),
    );
  }
  return failing.length > 0 ? 1 : 0;
}
