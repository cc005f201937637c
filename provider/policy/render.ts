/**
 * Policy results for people: the `Policy` section of the text plan and the table of the Markdown
 * summary. (`plan --json` and the plan file carry the results as data: `policy_results`.)
 */
import type { PolicyResult } from "../../schema/policy.js";
import { verdict } from "./evaluate.js";

const MARK: Record<PolicyResult["level"], string> = { advisory: "warning", mandatory: "FAIL", hard: "FAIL" };

function rulesOf(results: readonly PolicyResult[]): string[] {
  return [...new Set(results.map((r) => r.rule))];
}

/**
 * The `Policy` section: one line per result, then what it means for apply. `ruleCount` is how
 * many rules ran (a plan that passes says so).
 */
export function renderPolicyText(results: readonly PolicyResult[], ruleCount: number): string {
  if (ruleCount === 0 && results.length === 0) return "";
  const v = verdict(results);
  const lines = ["", "Policy:"];
  if (results.length === 0) {
    lines.push(`  ${ruleCount} rule${ruleCount === 1 ? "" : "s"} checked; all pass.`);
    return `${lines.join("\n")}\n`;
  }
  for (const r of results)
    lines.push(`  ${MARK[r.level]} [${r.level}] ${r.rule}: ${r.address}: ${r.message}`);
  lines.push("");
  if (v.failing.length > 0) {
    const mandatory = rulesOf(v.failing.filter((r) => r.level === "mandatory"));
    const hard = rulesOf(v.failing.filter((r) => r.level === "hard"));
    const parts = [
      ...(mandatory.length > 0 ? [`mandatory: ${mandatory.join(", ")}`] : []),
      ...(hard.length > 0 ? [`hard: ${hard.join(", ")}`] : []),
    ];
    lines.push(`The plan fails policy (${parts.join("; ")}); apply will refuse it.`);
    if (mandatory.length > 0)
      lines.push(
        `A mandatory rule can be overridden with a recorded reason: popdock apply --override-policy ${mandatory[0]} --reason "…"`,
      );
  } else {
    lines.push(
      `The plan passes policy with ${v.advisory.length} warning${v.advisory.length === 1 ? "" : "s"}.`,
    );
  }
  return `${lines.join("\n")}\n`;
}

function cell(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** A Markdown table of the results, for a PR comment. */
export function renderPolicyMarkdown(results: readonly PolicyResult[], ruleCount: number): string {
  if (ruleCount === 0 && results.length === 0) return "";
  const v = verdict(results);
  const head =
    v.failing.length > 0
      ? "### Policy: :x: fails"
      : results.length > 0
        ? "### Policy: :warning: passes with warnings"
        : "### Policy: :white_check_mark: passes";
  if (results.length === 0) return `\n${head}\n\n${ruleCount} rule${ruleCount === 1 ? "" : "s"} checked.\n`;
  const rows = results.map(
    (r) => `| \`${cell(r.rule)}\` | ${r.level} | \`${cell(r.address)}\` | ${cell(r.message)} |`,
  );
  return `\n${head}\n\n| Rule | Level | Address | Message |\n| --- | --- | --- | --- |\n${rows.join("\n")}\n`;
}
