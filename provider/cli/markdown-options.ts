/** The options of `plan --markdown` and `show --markdown` (the PR comment; engine/render/markdown.ts). */
import {
  MARKDOWN_MAX_CHARS,
  MARKDOWN_MIN_CHARS,
  type PlanMarkdownOptions,
} from "../engine/render/markdown.js";
import { UsageError } from "../model/errors.js";
import type { OptionSpec, ParsedArgs } from "./io.js";

export const MARKDOWN_OPTIONS: Record<string, OptionSpec> = {
  "markdown-max-chars": {
    type: "string",
    value: "N",
    description: `Cap the Markdown at N characters (default ${MARKDOWN_MAX_CHARS}; GitHub's comment limit is 65,536): what does not fit is left out, with a note`,
  },
  "markdown-full-plan": {
    type: "string",
    value: "WHERE",
    description:
      "Where the full plan is (e.g. the run's artefacts URL), named in the note when the Markdown is cut",
  },
};

export function markdownOptions(args: ParsedArgs): PlanMarkdownOptions {
  const raw = args.values["markdown-max-chars"];
  const full = args.values["markdown-full-plan"];
  const workspace = args.values.workspace;
  let maxChars: number | undefined;
  if (typeof raw === "string") {
    maxChars = Number(raw);
    if (!Number.isInteger(maxChars) || maxChars < MARKDOWN_MIN_CHARS)
      throw new UsageError(
        `--markdown-max-chars must be a whole number of at least ${MARKDOWN_MIN_CHARS}, not "${raw}"`,
      );
  }
  return {
    ...(maxChars !== undefined ? { maxChars } : {}),
    ...(typeof full === "string" ? { fullPlan: full } : {}),
    ...(typeof workspace === "string" ? { workspace } : {}),
  };
}
