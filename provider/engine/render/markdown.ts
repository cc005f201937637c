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

/** GitHub's limit on a comment is 65,536 characters; the default cap leaves room for a footer. */
export const MARKDOWN_MAX_CHARS = 65_000;
/** Below this there is no room for the summary, the marker and the truncation note. */
export const MARKDOWN_MIN_CHARS = 2_000;

/**
 * One block of the comment. `head` + `rows` + `tail` make its text; when the comment is over its
 * cap, a section `droppable` as a whole is left out (and counted in the truncation note), one with
 * `rows` loses rows from the end (with a "… N more" row). `kind` names it in that note. New
 * sections (a policy table, a token-age table) are one more entry in `planMarkdownSections`.
 */
export interface MarkdownSection {
  id: string;
  kind: string;
  head: string;
  rows?: string[];
  tail?: string;
  /** Left out whole rather than cut (a per-user block, the full text plan). */
  droppable?: boolean;
  /** The row that replaces the rows cut; `n` is how many. */
  more?: (n: number) => string;
}

export interface PlanMarkdownOptions {
  /** For the hidden marker a workflow finds its comment by (default `default`). */
  workspace?: string;
  /** The cap on the whole comment, in characters (default 65,000). */
  maxChars?: number;
  /** Where the full plan is (a workflow run's artefacts, a file name): named in the truncation note. */
  fullPlan?: string;
  /** Sections from outside the engine (the policy table), placed right after the summary and drift. */
  extra?: readonly MarkdownSection[];
}

/** HTML text: for `<summary>`, where markdown code spans are not reliable. */
export function html(value: string): string {
  return clean(value)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/\r?\n/g, " ");
}

/** The hidden marker: `<!-- popdock-iac:plan workspace=NAME -->` (NAME safe inside a comment). */
export function planMarker(workspace = "default"): string {
  const safe = workspace.replace(/[^A-Za-z0-9_.-]/g, "_").replace(/-{2,}/g, "-");
  return `<!-- popdock-iac:plan workspace=${safe} -->`;
}

function sectionText(s: MarkdownSection, rows = s.rows): string {
  return `${s.head}${rows ? rows.join("\n") : ""}${s.tail ?? ""}`;
}

const TOKEN_ACTION: Record<Exclude<ResourceChange["action"], "noop">, string> = {
  create: "create",
  update: "update",
  replace: "rotate (replace)",
  delete: "destroy",
};

/** The sections of the comment, in order; the first is never cut. */
export function planMarkdownSections(
  plan: Plan,
  opts: Pick<PlanMarkdownOptions, "workspace" | "extra"> = {},
): MarkdownSection[] {
  const changes = plan.changes.filter(
    (c): c is ResourceChange & { action: Exclude<ResourceChange["action"], "noop"> } => c.action !== "noop",
  );
  const outputs = plan.outputs
    .filter((o) => o.action !== "noop")
    .sort((a, b) => compareStrings(a.name, b.name));
  const sections: MarkdownSection[] = [];

  const head = [planMarker(opts.workspace)];
  const moves = plan.state_actions ?? [];
  if (changes.length === 0 && outputs.length === 0 && moves.length === 0) {
    head.push("**Plan:** no changes · your Popdock API users match the configuration");
  } else if (changes.length === 0 && moves.length === 0) {
    head.push(`**Plan:** ${summaryText(plan)} · only outputs change`);
  } else {
    head.push(`**Plan:** ${summaryText(plan)}`);
  }
  if (moves.length > 0) {
    // State-only changes: moved, forgotten or imported addresses (no call to Popdock).
    head.push(moves.map((a) => `- ${stateActionHeadline(a).replaceAll("|", "\\|")}`).join("\n"));
  }
  if (plan.summary.destroy > 0) {
    const users = changes.filter((c) => c.action === "delete" && c.type === "popdock_api_user").length;
    head.push(
      [
        "> [!CAUTION]",
        `> **This plan destroys ${plural(plan.summary.destroy, "object", "objects")}**` +
          (users > 0 ? `, ${plural(users, "API user", "API users")} among them` : "") +
          ": whatever uses them stops working. Review the destroys below before merging.",
      ].join("\n"),
    );
  }
  sections.push({ id: "summary", kind: "summary", head: head.join("\n\n") });

  const drift = [...plan.drift].sort(compareForDisplay);
  if (drift.length > 0) {
    sections.push({
      id: "drift",
      kind: "drift",
      head: [
        "> [!WARNING]",
        `> **${plural(drift.length, "object", "objects")} changed outside popdock-iac** since the last ` +
          (changes.length > 0
            ? "`popdock apply`; this plan may undo or respond to these changes."
            : "`popdock apply`; the configuration already matches them."),
        "",
        `<details><summary>Drift: ${plural(drift.length, "object", "objects")} changed outside popdock-iac</summary>`,
        "",
        "",
      ].join("\n"),
      rows: drift.map((d) => driftLine(d).replace(/^> /, "")),
      tail: "\n\n</details>",
      more: (n) => `- … and ${n} more (in the full plan)`,
    });
  }

  sections.push(...(opts.extra ?? []));

  const tokens = changes.filter((c) => c.type === "popdock_api_token");
  if (tokens.length > 0) {
    sections.push({
      id: "tokens",
      kind: "token table",
      head: "#### Tokens\n\n| Token | API user | Action | Details |\n| --- | --- | --- | --- |\n",
      rows: tokens.map((c) => {
        const name = (c.after?.name ?? c.before?.name ?? c.index ?? c.name) as string;
        return `| ${cell(code(String(name)))} | ${cell(code(c.parent ?? c.group))} | ${TOKEN_ACTION[c.action]} | ${cell(details(c))} |`;
      }),
      more: (n) => `| … | | | ${n} more token changes (in the full plan) |`,
    });
  }

  const timed = plan.changes.filter((c) => c.token !== undefined);
  if (timed.length > 0) {
    sections.push({
      id: "token-ages",
      kind: "token age table",
      head: "#### Tokens (Popdock's clock)\n\n| Token | Name | Age | Last used | Rotation | Decision |\n| --- | --- | --- | --- | --- | --- |\n",
      rows: timed.map((c) => {
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
      }),
      more: (n) => `| … | | | | | ${n} more tokens (in the full plan) |`,
    });
  }

  for (const g of groupChanges(changes)) {
    const counts = (["create", "update", "replace", "delete"] as const)
      .map((a) => [a, g.changes.filter((c) => c.action === a).length] as const)
      .filter(([, n]) => n > 0)
      .map(([a, n]) => `${n} to ${ACTION_WORD[a]}`)
      .join(", ");
    const title = groupTitleOf(g.group);
    sections.push({
      id: `group:${g.group}`,
      kind: "API user",
      droppable: true,
      head: `<details><summary>${title ? `${html(title)} ` : ""}<code>${html(g.group)}</code>: ${counts}</summary>\n\n| Action | Resource | Details |\n| --- | --- | --- |\n`,
      rows: g.changes.map(
        (c) => `| ${ACTION_WORD[c.action]} | ${cell(code(c.address))} | ${cell(details(c))} |`,
      ),
      tail: "\n\n</details>",
      more: (n) => `| … | | ${n} more changes (in the full plan) |`,
    });
  }

  if (outputs.length > 0) {
    sections.push({
      id: "outputs",
      kind: "outputs",
      head: "#### Outputs\n\n| Action | Output | Value |\n| --- | --- | --- |\n",
      rows: outputs.map((o) => `| ${o.action} | ${cell(code(o.name))} | ${cell(outputCell(o))} |`),
      more: (n) => `| … | | ${n} more outputs |`,
    });
  }

  const full = toDiffLines(renderPlanText(plan, { color: false }).trimEnd());
  const longest = Math.max(0, ...(full.match(/`{3,}/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(Math.max(3, longest + 1));
  sections.push({
    id: "full-plan",
    kind: "full text plan",
    droppable: true,
    head: `<details><summary>Full plan</summary>\n\n${fence}diff\n${full}\n${fence}\n\n</details>`,
  });
  return sections;
}

/**
 * Renders a plan as GitHub-flavoured markdown for a pull-request comment: the hidden marker, the
 * summary line (and a caution when it destroys), drift folded in its own section, a token table,
 * one collapsed `<details>` per API user, outputs, and the full text plan folded in a `diff`
 * block. At most `maxChars` characters: when the whole would be longer, what does not fit is left
 * out (API users whole, then rows of the long tables) and a closing note says what and where the
 * full plan is. Ends with a newline.
 */
export function renderPlanMarkdown(plan: Plan, opts: PlanMarkdownOptions = {}): string {
  return fitMarkdown(planMarkdownSections(plan, opts), opts);
}

/** Joins sections within the cap (see `renderPlanMarkdown`). */
export function fitMarkdown(sections: readonly MarkdownSection[], opts: PlanMarkdownOptions = {}): string {
  const max = opts.maxChars ?? MARKDOWN_MAX_CHARS;
  const whole = `${sections.map((s) => sectionText(s)).join("\n\n")}\n`;
  if (whole.length <= max) return whole;

  const where = opts.fullPlan ?? "`popdock show PLANFILE` or `popdock plan`";
  const note = (left: Map<string, number>) => {
    const what = [...left].map(([kind, n]) =>
      kind === "API user"
        ? plural(n, "API user", "API users")
        : kind === "rows"
          ? plural(n, "table row", "table rows")
          : kind,
    );
    return `> [!NOTE]\n> This comment is cut to fit GitHub's limit (${max.toLocaleString("en-US")} characters): ${what.join(", ")} not shown. The full plan: ${where}.`;
  };
  // Room for the note at its longest (every kind named, with large counts).
  const reserve =
    note(new Map([...sections.map((s) => [s.kind, 999_999] as const), ["rows", 999_999]])).length + 4;
  let budget = max - reserve - 1;
  const parts: string[] = [];
  const left = new Map<string, number>();
  const leave = (kind: string, n = 1) => left.set(kind, (left.get(kind) ?? 0) + n);
  let usersStopped = false;
  for (const s of sections) {
    const text = sectionText(s);
    const cost = text.length + (parts.length > 0 ? 2 : 0);
    if (s.droppable && (usersStopped || cost > budget)) {
      // API users are kept in order: once one does not fit, the rest are left out too.
      if (s.kind === "API user") usersStopped = true;
      leave(s.kind);
      continue;
    }
    // A table may take at most a quarter of the comment, so the API users get the most room.
    const share = s.rows && s.more ? Math.min(budget, Math.floor(max / 4)) : budget;
    if (cost <= share) {
      parts.push(text);
      budget -= cost;
      continue;
    }
    if (!s.rows || !s.more) {
      // The summary: never cut (the minimum cap leaves room for it).
      parts.push(text);
      budget -= cost;
      continue;
    }
    // Keep as many rows as fit, and a "… N more" row.
    const rows: string[] = [];
    let used = sectionText(s, []).length + (parts.length > 0 ? 2 : 0) + s.more(s.rows.length).length + 1;
    for (const r of s.rows) {
      if (used + r.length + 1 > share) break;
      rows.push(r);
      used += r.length + 1;
    }
    const cut = s.rows.length - rows.length;
    leave("rows", cut);
    parts.push(sectionText(s, [...rows, s.more(cut)]));
    budget -= used;
  }
  if (left.has("rows") && left.size > 1) {
    // rows are named last
    const rows = left.get("rows") ?? 0;
    left.delete("rows");
    left.set("rows", rows);
  }
  return `${[...parts, note(left)].join("\n\n")}\n`;
}
