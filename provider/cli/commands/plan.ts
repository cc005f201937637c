/** `popdock plan`: refresh, diff, show the plan; `--out FILE` saves it for an exact apply. */
import { stat, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { Plan } from "../../../schema/plan.js";
import { planHasChanges, type UnconfiguredImport } from "../../engine/moves.js";
import { PLAN_SIGNING_KEY_ENV, sealPlan } from "../../engine/plan-seal.js";
import { renderPlanMarkdown } from "../../engine/render/markdown.js";
import {
  changeSummaryMessage,
  planMessages,
  plannedOutputsMessage,
  policyResultsMessage,
} from "../../engine/render/ui-json.js";
import { generateImportYaml } from "../../frontends/yaml/generate.js";
import { UsageError } from "../../model/errors.js";
import { verdict } from "../../policy/evaluate.js";
import {
  COLOR_OPTIONS,
  CONFIG_OPTIONS,
  CONNECTION_OPTIONS,
  FULL_OPTION,
  flag,
  PLAN_SAFETY_OPTIONS,
  parallelismOf,
  planText,
  REPLACE_OPTIONS,
  STATE_OPTIONS,
  str,
  withPlan,
} from "../common.js";
import { PARALLELISM_OPTION } from "../common-options.js";
import type { CliIO, Command } from "../io.js";
import { jsonUiOf, withJsonUi } from "../json-ui.js";
import { MARKDOWN_OPTIONS, markdownOptions } from "../markdown-options.js";
import { isRefreshOnly, REFRESH_ONLY_OPTION, refreshOnlyText, TARGET_OPTION } from "../planning.js";
import { POLICY_OPTIONS, policyMarkdownSections } from "../policy.js";

export const command: Command = {
  name: "plan",
  summary: "Show what apply would change in Popdock.",
  usage: "plan [options]",
  examples: [
    "popdock plan",
    "popdock plan -out=plan.json -detailed-exitcode",
    "popdock plan --markdown > plan.md",
    "popdock plan --destroy --out destroy.json",
  ],
  help: `Exit codes: 0 success (with --detailed-exitcode: no changes), 1 error or a plan that fails a mandatory/hard policy rule, 2 changes present (--detailed-exitcode only;
with -refresh-only: changes made outside popdock-iac).
The saved plan (--out) holds no secret; \`popdock apply FILE\` applies exactly it, or refuses if it went stale.`,
  maxPositionals: 0,
  options: {
    ...CONFIG_OPTIONS,
    ...CONNECTION_OPTIONS,
    ...STATE_OPTIONS,
    ...COLOR_OPTIONS,
    ...PLAN_SAFETY_OPTIONS,
    ...POLICY_OPTIONS,
    ...FULL_OPTION,
    ...REPLACE_OPTIONS,
    parallelism: {
      ...PARALLELISM_OPTION,
      description:
        "Accepted as apply takes it (checked, 1–100); plan's refresh makes at most 4 requests at once",
    },
    target: TARGET_OPTION,
    "refresh-only": REFRESH_ONLY_OPTION,
    out: { type: "string", value: "FILE", description: "Save the plan to FILE for `popdock apply FILE`" },
    json: {
      type: "boolean",
      description: "Stream machine-readable UI messages, one JSON object per line (terraform plan -json)",
    },
    markdown: { type: "boolean", description: "Print a PR-comment summary in Markdown" },
    ...MARKDOWN_OPTIONS,
    destroy: { type: "boolean", description: "Plan to destroy everything in state" },
    "generate-config-out": {
      type: "string",
      value: "FILE",
      description:
        "Write YAML for import blocks whose object has no configuration yet (never overwrites FILE)",
    },
    "detailed-exitcode": {
      type: "boolean",
      description: "Exit 0 for no changes, 2 for changes, 1 for errors",
    },
  },
  run: (args, io) =>
    withJsonUi(args, io, async () => {
      parallelismOf(args);
      const generateOut = str(args, "generate-config-out");
      if (generateOut !== undefined) await refuseExisting(resolve(io.cwd, generateOut), generateOut);
      const unconfigured: UnconfiguredImport[] = [];
      return withPlan(
        args,
        io,
        "popdock plan",
        flag(args, "destroy") ? "destroy" : "normal",
        async (p) => {
          const { plan } = p;
          const ui = jsonUiOf(io);
          if (ui) {
            ui.emitAll(planMessages(plan));
            const policy = policyResultsMessage(plan);
            if (policy) ui.emit(policy);
            if (plan.outputs.length > 0) ui.emit(plannedOutputsMessage(plan));
            ui.emit(changeSummaryMessage(plan, "plan"));
          } else if (flag(args, "markdown")) {
            io.stdout.write(
              renderPlanMarkdown(plan, {
                ...markdownOptions(args),
                workspace: p.backend.workspace,
                extra: policyMarkdownSections(plan.policy_results ?? [], p.policy.rules.length),
              }),
            );
          } else if (isRefreshOnly(args))
            io.stdout.write(refreshOnlyText(planText(args, io, p), plan.drift.length));
          else io.stdout.write(planText(args, io, p));
          const out = str(args, "out");
          if (out !== undefined) {
            const saved = sealPlan({ ...plan, backend: p.backend.identity() }, io.env[PLAN_SIGNING_KEY_ENV]);
            await writeFile(resolve(io.cwd, out), `${JSON.stringify(saved, null, 2)}\n`, { mode: 0o600 });
            const msg = `\nSaved the plan to ${out}. Apply exactly it with: popdock apply ${out}\n`;
            (flag(args, "json") ? io.stderr : io.stdout).write(msg);
          }
          if (generateOut !== undefined) await writeGenerated(io, generateOut, unconfigured, plan);
          // A plan that fails policy is shown (and saved: `policy check` and apply re-check it) but fails.
          const failing = verdict(plan.policy_results ?? []).failing;
          if (failing.length > 0) {
            const rules = [...new Set(failing.map((r) => r.rule))].join(", ");
            io.stderr.write(`Error: the plan fails policy (${rules}); apply will refuse it.\n`);
            return 1;
          }
          const changes = isRefreshOnly(args)
            ? plan.drift.length > 0
            : planHasChanges(plan) || unconfigured.length > 0;
          return flag(args, "detailed-exitcode") && changes ? 2 : 0;
        },
        generateOut !== undefined ? unconfigured : undefined,
      );
    }),
};

/** `--generate-config-out` never overwrites: an existing file is refused before anything runs. */
async function refuseExisting(abs: string, given: string): Promise<void> {
  const exists = await stat(abs).then(
    () => true,
    (e: NodeJS.ErrnoException) => e.code !== "ENOENT",
  );
  if (exists) {
    throw new UsageError(`${given} already exists; --generate-config-out does not overwrite a file`, {
      hint: "pass a new file name, or move the existing file away",
    });
  }
}

async function writeGenerated(
  io: CliIO,
  file: string,
  imports: readonly UnconfiguredImport[],
  plan: Plan,
): Promise<void> {
  const text = generateImportYaml(imports, plan.created_at);
  if (text === undefined) {
    io.stderr.write(`\nEvery import block's object is already configured; ${file} was not written.\n`);
    return;
  }
  // "wx": created here, never over a file that appeared since the check.
  await writeFile(resolve(io.cwd, file), text, { flag: "wx" });
  const next = [...plan.config_files, file].map((f) => `-c ${f}`).join(" ");
  const n = imports.length;
  io.stdout.write(
    `\nWrote the configuration of ${n} imported object${n === 1 ? "" : "s"} to ${file}. Review it, then plan with it (\`popdock plan ${next}\`) or paste it into your configuration.\n`,
  );
}
