/**
 * A plan summary for a pull-request comment (Atlantis style): the counts, a warning when objects
 * changed outside popdock-iac, one table per API user, and the full text plan folded away in a
 * `diff` block so GitHub colours additions and removals.
 *
 * Untrusted text (names, addresses, values) goes into code spans, and `|` is escaped in table
 * cells, so no value can break the table or inject markup.
 */

import type { DriftChange, OutputChange, Plan, ResourceChange } from "../../../schema/plan.js";
import { compareStrings, isRecord } from "../../model/values.js";
import { formatAge } from "../../resources/api-token/duration.js";
import {
  type AttrEntry,
  clean,
  compareForDisplay,
  diffChange,
  diffDrift,
  diffMap,
  diffSet,
  formatScalar,
  groupChanges,
  groupTitleOf,
} from "./diff.js";
import { importCount, stateActionHeadline } from "./state-actions.js";
import { displayAddress, renderPlanText } from "./text.js";

/** Inline code for any text: a fence longer than any backtick run inside, padded when needed. */
export function code(text: string): string {
  const value = clean(text).replace(/\r?\n/g, " ");
  const longest = Math.max(0, ...(value.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longest + 1);
  const pad = value.startsWith("`") || value.endsWith("`") || value === "" ? " " : "";
  return `${fence}${pad}${value}${pad}${fence}`;
}

/** Plain text with markdown punctuation backslash-escaped, so it renders as written. */
export function text(value: string): string {
  return clean(value)
    .replace(/[\\`*_[\]<>#~|!]/g, "\\$&")
    .replace(/\r?\n/g, " ");
}

/** A table cell: `|` escaped (GitHub honours `\|` inside code spans too), no line breaks. */
export function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

const ACTION_WORD: Record<Exclude<ResourceChange["action"], "noop">, string> = {
  create: "create",
  update: "update",
  replace: "replace",
  delete: "destroy",
};

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** One changed attribute, briefly: `lists` +`"Invoices"` −`"Vendors"`. */
function describeEntry(e: AttrEntry): string {
  const name = code(e.name);
  if (e.sensitive) return `${name}: (sensitive value)`;
  if (e.unknown) return `${name}: known after apply`;
  if (e.op === "create") return `${name} = ${code(formatScalar(e.after))}`;
  if (e.op === "delete") return `${name}: removed`;
  if (Array.isArray(e.before) && Array.isArray(e.after)) {
    const d = diffSet(e.before, e.after);
    const items = [
      ...d.added.map((v) => `+${code(formatScalar(v))}`),
      ...d.removed.map((v) => `−${code(formatScalar(v))}`),
    ];
    return `${name}: ${items.join(" ")}`;
  }
  if (isRecord(e.before) && isRecord(e.after)) {
    const d = diffMap(e.before, e.after);
    const sign = { create: "+", delete: "−", update: "~" } as const;
    return `${name}: ${d.entries.map((x) => `${sign[x.op]}${code(x.key)}`).join(" ")}`;
  }
  return `${name}: ${code(formatScalar(e.before))} → ${code(formatScalar(e.after))}`;
}

function details(c: ResourceChange & { action: Exclude<ResourceChange["action"], "noop"> }): string {
  const parts: string[] = [];
  const diff = diffChange(c);
  switch (c.action) {
    case "create":
      for (const e of diff.shown)
        if (!e.unknown && !e.sensitive && e.name !== "kind") parts.push(describeEntry(e));
      break;
    case "update":
      for (const e of diff.shown) if (e.op !== "same") parts.push(describeEntry(e));
      break;
    case "replace": {
      parts.push(
        c.replace_order === "create_before_destroy" ? "create before destroy" : "destroy before create",
      );
      const forcing = diff.shown.filter((e) => e.forces);
      if (forcing.length > 0) parts.push(`forced by ${forcing.map(describeEntry).join(", ")}`);
      break;
    }
    case "delete":
      if (c.deleted_with !== undefined) parts.push(`deleted together with ${code(c.deleted_with)}`);
      break;
  }
  for (const r of c.reasons) parts.push(text(r));
  return parts.join("; ");
}

function groupTitle(group: string): string {
  const title = groupTitleOf(group);
  return title ? `${title} ${code(group)}` : code(group);
}

function driftLine(d: DriftChange): string {
  if (d.action === "delete") return `> - ${code(d.address)} was deleted`;
  const changed = diffDrift(d).shown.filter((e) => e.op !== "same");
  const what = changed.length > 0 ? `: ${changed.map((e) => code(e.name)).join(", ")} changed` : " changed";
  return `> - ${code(d.address)}${what}`;
}

function outputCell(o: OutputChange): string {
  if (o.sensitive) return "(sensitive value)";
  if (o.action === "delete") return "removed";
  if (o.after_unknown) return "known after apply";
  const after = code(formatScalar(o.after));
  return o.action === "update" && o.before !== undefined
    ? `${code(formatScalar(o.before))} → ${after}`
    : after;
}

/**
 * Moves the `+`, `-`, `~` marks of the text plan to the start of each line, where a `diff`
 * block looks for them (`~` becomes `!`), as Atlantis does.
 */
export function toDiffLines(text: string): string {
  return text
    .split("\n")
    .map((line) => line.replace(/^( +)([-+~]) /, "$2 $1").replace(/^~/, "!"))
    .join("\n");
}

/** The summary line's text, e.g. `3 to add, 1 to change, 2 to destroy · 2 tokens will be created`. */
function summaryText(plan: Plan): string {
  const s = plan.summary;
  const imports = importCount(plan);
  const imported = imports > 0 ? `${imports} to import, ` : "";
  const tokens =
    s.tokens_to_create > 0 ? ` · ${plural(s.tokens_to_create, "token", "tokens")} will be created` : "";
  return `${imported}${s.add} to add, ${s.change} to change, ${s.destroy} to destroy${tokens}`;
}

/**
 * Renders a plan as GitHub-flavoured markdown for a pull-request comment. Tables list the
 * non-noop changes per API user with plain action words (create, update, replace, destroy);
 * the full text plan follows in a collapsed `diff` block. Ends with a newline.
 */
export function renderPlanMarkdown(plan: Plan): string {
  const changes = plan.changes.filter(
    (c): c is ResourceChange & { action: Exclude<ResourceChange["action"], "noop"> } => c.action !== "noop",
  );
  const outputs = plan.outputs
    .filter((o) => o.action !== "noop")
    .sort((a, b) => compareStrings(a.name, b.name));
  const blocks: string[] = [];

  const moves = plan.state_actions ?? [];
  if (changes.length === 0 && outputs.length === 0 && moves.length === 0) {
    blocks.push("**Plan:** no changes · your Popdock API users match the configuration");
  } else if (changes.length === 0 && moves.length === 0) {
    blocks.push(`**Plan:** ${summaryText(plan)} · only outputs change`);
  } else {
    blocks.push(`**Plan:** ${summaryText(plan)}`);
  }
  if (moves.length > 0) {
    // State-only changes: moved, forgotten or imported addresses (no call to Popdock).
    blocks.push(moves.map((a) => `- ${stateActionHeadline(a).replaceAll("|", "\\|")}`).join("\n"));
  }

  const drift = [...plan.drift].sort(compareForDisplay);
  if (drift.length > 0) {
    blocks.push(
      [
        "> [!WARNING]",
        `> **${plural(drift.length, "object", "objects")} changed outside popdock-iac** since the last ` +
          (changes.length > 0
            ? "`popdock apply`; this plan may undo or respond to these changes:"
            : "`popdock apply`; the configuration already matches them:"),
        ...drift.map(driftLine),
      ].join("\n"),
    );
  }

  for (const g of groupChanges(changes)) {
    const rows = g.changes.map(
      (c) => `| ${ACTION_WORD[c.action]} | ${cell(code(c.address))} | ${cell(details(c))} |`,
    );
    blocks.push(
      `#### ${groupTitle(g.group)}`,
      ["| Action | Resource | Details |", "| --- | --- | --- |", ...rows].join("\n"),
    );
  }

  const tokens = plan.changes.filter((c) => c.token !== undefined);
  if (tokens.length > 0) {
    const rows = tokens.map((c) => {
      const t = c.token as NonNullable<typeof c.token>;
      const used = t.last_used_seconds_ago === null ? "never" : `${formatAge(t.last_used_seconds_ago)} ago`;
      const r = t.rotation;
      const due =
        r?.due_in_seconds !== undefined
          ? r.due_in_seconds > 0
            ? `in ${formatAge(r.due_in_seconds)}`
            : `overdue by ${formatAge(-r.due_in_seconds)}`
          : r?.retires_at !== undefined
            ? `retires ${r.retires_at.slice(0, 10)}`
            : "-";
      return `| ${cell(code(displayAddress(c)))} | ${cell(t.name)} | ${formatAge(t.age_seconds)} | ${used} | ${due} | ${r?.decision ?? "-"} |`;
    });
    blocks.push(
      "#### Tokens (Popdock's clock)",
      [
        "| Token | Name | Age | Last used | Rotation | Decision |",
        "| --- | --- | --- | --- | --- | --- |",
        ...rows,
      ].join("\n"),
    );
  }

  if (outputs.length > 0) {
    const rows = outputs.map((o) => `| ${o.action} | ${cell(code(o.name))} | ${cell(outputCell(o))} |`);
    blocks.push("#### Outputs", ["| Action | Output | Value |", "| --- | --- | --- |", ...rows].join("\n"));
  }

  const full = toDiffLines(renderPlanText(plan, { color: false }).trimEnd());
  const longest = Math.max(0, ...(full.match(/`{3,}/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(Math.max(3, longest + 1));
  blocks.push(`<details><summary>Full plan</summary>\n\n${fence}diff\n${full}\n${fence}\n\n</details>`);
  return `${blocks.join("\n\n")}\n`;
}
