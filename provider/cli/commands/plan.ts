/** `popdock plan`: refresh, diff, show the plan; `--out FILE` saves it for an exact apply. */
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { PLAN_SIGNING_KEY_ENV, sealPlan } from "../../engine/plan-seal.js";
import { renderPlanMarkdown } from "../../engine/render/markdown.js";
import { changeSummaryMessage, planMessages, plannedOutputsMessage } from "../../engine/render/ui-json.js";
import {
  COLOR_OPTIONS,
  CONFIG_OPTIONS,
  CONNECTION_OPTIONS,
  displayPath,
  flag,
  PLAN_SAFETY_OPTIONS,
  parallelismOf,
  planText,
  STATE_OPTIONS,
  str,
  withPlan,
} from "../common.js";
import { PARALLELISM_OPTION } from "../common-options.js";
import type { Command } from "../io.js";
import { jsonUiOf, withJsonUi } from "../json-ui.js";
import { MARKDOWN_OPTIONS, markdownOptions } from "../markdown-options.js";
import { isRefreshOnly, REFRESH_ONLY_OPTION, refreshOnlyText, TARGET_OPTION } from "../planning.js";

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
  help: `Exit codes: 0 success (with --detailed-exitcode: no changes), 1 error, 2 changes present (--detailed-exitcode only;
with -refresh-only: changes made outside popdock-iac).
The saved plan (--out) holds no secret; \`popdock apply FILE\` applies exactly it, or refuses if it went stale.`,
  maxPositionals: 0,
  options: {
    ...CONFIG_OPTIONS,
    ...CONNECTION_OPTIONS,
    ...STATE_OPTIONS,
    ...COLOR_OPTIONS,
    ...PLAN_SAFETY_OPTIONS,
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
    "detailed-exitcode": {
      type: "boolean",
      description: "Exit 0 for no changes, 2 for changes, 1 for errors",
    },
  },
  run: (args, io) =>
    withJsonUi(args, io, () => {
      parallelismOf(args);
      return withPlan(args, io, "popdock plan", flag(args, "destroy") ? "destroy" : "normal", async (p) => {
        const { plan } = p;
        const ui = jsonUiOf(io);
        if (ui) {
          ui.emitAll(planMessages(plan));
          if (plan.outputs.length > 0) ui.emit(plannedOutputsMessage(plan));
          ui.emit(changeSummaryMessage(plan, "plan"));
        } else if (flag(args, "markdown")) io.stdout.write(renderPlanMarkdown(plan, markdownOptions(args)));
        else if (isRefreshOnly(args))
          io.stdout.write(refreshOnlyText(planText(args, io, p), plan.drift.length));
        else io.stdout.write(planText(args, io, p));
        const out = str(args, "out");
        if (out !== undefined) {
          const saved = sealPlan(
            { ...plan, state_path: displayPath(io.cwd, p.store.path) },
            io.env[PLAN_SIGNING_KEY_ENV],
          );
          await writeFile(resolve(io.cwd, out), `${JSON.stringify(saved, null, 2)}\n`, { mode: 0o600 });
          const msg = `\nSaved the plan to ${out}. Apply exactly it with: popdock apply ${out}\n`;
          (flag(args, "json") ? io.stderr : io.stdout).write(msg);
        }
        const changes = isRefreshOnly(args)
          ? plan.drift.length > 0
          : plan.changes.some((c) => c.action !== "noop") || plan.outputs.some((o) => o.action !== "noop");
        return flag(args, "detailed-exitcode") && changes ? 2 : 0;
      });
    }),
};
