/** `popdock show PLANFILE [--json|--markdown]`: render a saved plan. */
import { renderPlanJson } from "../../engine/render/json.js";
import { renderPlanMarkdown } from "../../engine/render/markdown.js";
import { renderPlanText } from "../../engine/render/text.js";
import { UsageError } from "../../model/errors.js";
import { renderPolicyText } from "../../policy/render.js";
import { COLOR_OPTIONS, FULL_OPTION, flag, readPlanFile, useColor } from "../common.js";
import type { Command } from "../io.js";
import { MARKDOWN_OPTIONS, markdownOptions } from "../markdown-options.js";
import { policyMarkdownSections } from "../policy.js";

export const command: Command = {
  name: "show",
  summary: "Show a saved plan.",
  usage: "show PLANFILE [--json|--markdown]",
  examples: [
    "popdock show plan.json",
    "popdock show plan.json --markdown > comment.md",
    "popdock show plan.json --json | jq '.resource_changes | length'",
  ],
  maxPositionals: 1,
  options: {
    ...COLOR_OPTIONS,
    ...FULL_OPTION,
    json: { type: "boolean", description: "JSON (terraform show -json shape, no secrets)" },
    markdown: { type: "boolean", description: "PR-comment Markdown" },
    ...MARKDOWN_OPTIONS,
  },
  async run(args, io) {
    const file = args.positionals[0];
    if (file === undefined)
      throw new UsageError("show needs a PLANFILE", { hint: "make one with `popdock plan --out FILE`" });
    const plan = await readPlanFile(file, io.cwd, { env: io.env, forApply: false });
    if (flag(args, "json")) io.stdout.write(`${JSON.stringify(renderPlanJson(plan), null, 2)}\n`);
    else if (flag(args, "markdown"))
      io.stdout.write(
        renderPlanMarkdown(plan, {
          ...markdownOptions(args),
          ...(plan.backend !== undefined ? { workspace: plan.backend.workspace } : {}),
          extra: policyMarkdownSections(plan.policy_results ?? [], 0),
        }),
      );
    else {
      const full = flag(args, "full") ? { changesShown: Number.POSITIVE_INFINITY } : {};
      io.stdout.write(
        renderPlanText(plan, { color: useColor(args, io), ...full }) +
          renderPolicyText(plan.policy_results ?? [], 0),
      );
    }
    return 0;
  },
};
