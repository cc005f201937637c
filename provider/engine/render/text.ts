/**
 * The human plan, laid out like `terraform plan`: changes made outside popdock-iac, the actions
 * grouped per API user, the counts, and the output changes. Pure: a Plan in, a string out.
 *
 * A plan holds no secret; still, values of sensitive attributes and outputs are never printed
 * (`(sensitive value)`), and untrusted text is escaped so it cannot drive the terminal.
 */

import { styleText } from "node:util";
import type { DriftChange, OutputChange, Plan, ResourceChange } from "../../../schema/plan.js";
import { parseAddress } from "../../model/desired.js";
import { compareStrings, isRecord } from "../../model/values.js";
import { describeTiming, previousLabel } from "../rotation.js";
import {
  type AttrEntry,
  type AttrOp,
  type BlockDiff,
  clean,
  compareForDisplay,
  diffChange,
  diffDrift,
  diffMap,
  diffSet,
  formatScalar,
  groupChanges,
  groupTitleOf,
  replaceMark,
} from "./diff.js";
import { importCount, stateActionBlocks, stateActionNote } from "./state-actions.js";

/** What the refresh before planning did, for the first line of the output. */
export interface RefreshInfo {
  /** API users read from Popdock. */
  users: number;
  /** HTTP requests sent. */
  requests: number;
}

export interface TextRenderOptions {
  /** ANSI colours and bold; only for a terminal that wants them. */
  color: boolean;
  refresh?: RefreshInfo;
  /**
   * Changes shown in full per resource type and action; the rest are counted in one line each
   * ("… and 9,412 more popdock_api_token creates like these"). Default
   * {@link DEFAULT_CHANGES_SHOWN}; `Infinity` (`--full`) shows every change.
   */
  changesShown?: number;
}

/** `9412` → `9,412` (toLocaleString loads ICU data: ~100 ms at first use). */
function thousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** How many changes of each resource type and action the text plan shows before it counts the rest. */
export const DEFAULT_CHANGES_SHOWN = 50;

const ACTION_NOUN: Record<string, [string, string]> = {
  create: ["create", "creates"],
  update: ["update", "updates"],
  delete: ["destroy", "destroys"],
  replace: ["replacement", "replacements"],
};

interface Style {
  bold(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  red(text: string): string;
  cyan(text: string): string;
}

/**
 * Styles by Node's `util.styleText`. Whether to colour is the caller's decision (the CLI's
 * `useColor`: --no-color, FORCE_COLOR, NO_COLOR, a terminal), so the stream is not consulted.
 */
function styler(color: boolean): Style {
  const wrap = (format: "bold" | "green" | "yellow" | "red" | "cyan") => (text: string) =>
    color ? styleText(format, text, { validateStream: false }) : text;
  return {
    bold: wrap("bold"),
    green: wrap("green"),
    yellow: wrap("yellow"),
    red: wrap("red"),
    cyan: wrap("cyan"),
  };
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function opMark(op: AttrOp | "noop", st: Style): string {
  switch (op) {
    case "create":
      return st.green("+");
    case "delete":
      return st.red("-");
    case "update":
      return st.yellow("~");
    default:
      return " ";
  }
}

/** The lines of a list or map value shown whole (created or deleted). */
function wholeValueLines(head: string, value: unknown, op: "create" | "delete", tail: string, st: Style) {
  const m = opMark(op, st);
  const suffix = op === "delete" ? " -> null" : "";
  if (Array.isArray(value)) {
    if (value.length === 0) return [`${head}[]${suffix}${tail}`];
    return [
      `${head}[${tail}`,
      ...value.map((v) => `          ${m} ${formatScalar(v)},`),
      `        ]${suffix}`,
    ];
  }
  if (isRecord(value)) {
    const keys = Object.keys(value).sort(compareStrings);
    if (keys.length === 0) return [`${head}{}${suffix}${tail}`];
    const pad = Math.max(...keys.map((k) => formatScalar(k).length));
    return [
      `${head}{${tail}`,
      ...keys.map((k) => `          ${m} ${formatScalar(k).padEnd(pad)} = ${formatScalar(value[k])}`),
      `        }${suffix}`,
    ];
  }
  return [`${head}${formatScalar(value)}${suffix}${tail}`];
}

function hiddenNote(indent: string, n: number, what: "attribute" | "element"): string {
  return `${indent}# (${plural(n, `unchanged ${what}`, `unchanged ${what}s`)} hidden)`;
}

function attrLines(e: AttrEntry, pad: number, st: Style): string[] {
  const head = `      ${opMark(e.op, st)} ${clean(e.name).padEnd(pad)} = `;
  const tail = e.forces ? ` ${st.red("# forces replacement")}` : "";
  if (e.sensitive) return [`${head}(sensitive value)${e.op === "delete" ? " -> null" : ""}${tail}`];
  switch (e.op) {
    case "same":
      return [`${head}${formatScalar(e.after)}`];
    case "create":
      return e.unknown
        ? [`${head}(known after apply)${tail}`]
        : wholeValueLines(head, e.after, "create", tail, st);
    case "delete":
      return wholeValueLines(head, e.before, "delete", tail, st);
    case "update": {
      if (e.unknown) return [`${head}${formatScalar(e.before)} -> (known after apply)${tail}`];
      if (Array.isArray(e.before) && Array.isArray(e.after)) {
        const d = diffSet(e.before, e.after);
        return [
          `${head}[${tail}`,
          ...d.added.map((v) => `          ${opMark("create", st)} ${formatScalar(v)},`),
          ...d.removed.map((v) => `          ${opMark("delete", st)} ${formatScalar(v)},`),
          ...(d.unchanged > 0 ? [hiddenNote("            ", d.unchanged, "element")] : []),
          "        ]",
        ];
      }
      if (isRecord(e.before) && isRecord(e.after)) {
        const d = diffMap(e.before, e.after);
        const pad = Math.max(0, ...d.entries.map((x) => formatScalar(x.key).length));
        return [
          `${head}{${tail}`,
          ...d.entries.map((x) => {
            const k = `          ${opMark(x.op, st)} ${formatScalar(x.key).padEnd(pad)} = `;
            if (x.op === "create") return `${k}${formatScalar(x.after)}`;
            if (x.op === "delete") return `${k}${formatScalar(x.before)} -> null`;
            return `${k}${formatScalar(x.before)} -> ${formatScalar(x.after)}`;
          }),
          ...(d.unchanged > 0 ? [hiddenNote("            ", d.unchanged, "element")] : []),
          "        }",
        ];
      }
      return [`${head}${formatScalar(e.before)} -> ${formatScalar(e.after)}${tail}`];
    }
  }
}

interface BlockSpec {
  headline: string;
  comments: string[];
  /** The action mark, three columns wide, coloured. */
  mark: string;
  type: string;
  name: string;
  diff: BlockDiff;
}

function resourceBlock(b: BlockSpec, st: Style): string {
  const lines = [`  ${st.bold(`# ${b.headline}`)}`];
  for (const c of b.comments) lines.push(`  # (${clean(c)})`);
  lines.push(`${b.mark} resource ${clean(JSON.stringify(b.type))} ${clean(JSON.stringify(b.name))} {`);
  const pad = Math.max(0, ...b.diff.shown.map((e) => clean(e.name).length));
  for (const e of b.diff.shown) lines.push(...attrLines(e, pad, st));
  if (b.diff.hidden > 0) lines.push(hiddenNote("        ", b.diff.hidden, "attribute"));
  lines.push("    }");
  return lines.join("\n");
}

const HEADLINE: Record<Exclude<ResourceChange["action"], "noop">, string> = {
  create: "will be created",
  update: "will be updated in-place",
  delete: "will be destroyed",
  replace: "must be replaced",
};

function changeMark(c: ResourceChange, st: Style): string {
  switch (c.action) {
    case "create":
      return `  ${st.green("+")}`;
    case "update":
      return `  ${st.yellow("~")}`;
    case "delete":
      return `  ${st.red("-")}`;
    default:
      return st.cyan(replaceMark(c));
  }
}

function changeBlock(
  c: ResourceChange & { action: Exclude<ResourceChange["action"], "noop"> },
  st: Style,
  note?: string,
) {
  const comments = c.deleted_with === undefined ? [] : [`deleted together with ${c.deleted_with}`];
  const headline =
    c.rotation !== undefined
      ? `${clean(c.address)} will be rotated: its next generation will be created`
      : `${clean(displayAddress(c))} ${HEADLINE[c.action]}`;
  if (note !== undefined) comments.push(note);
  return resourceBlock(
    {
      headline,
      comments: [...comments, ...c.reasons, ...(c.token ? [describeTiming(c.token)] : [])],
      mark: changeMark(c, st),
      type: c.type,
      name: c.name,
      diff: diffChange(c),
    },
    st,
  );
}

function driftBlock(d: DriftChange, st: Style): string {
  const deleted = d.action === "delete";
  return resourceBlock(
    {
      headline: `${clean(d.address)} ${deleted ? "has been deleted" : "has changed"}`,
      comments: [],
      mark: deleted ? `  ${st.red("-")}` : `  ${st.yellow("~")}`,
      type: d.type,
      name: parseAddress(d.address)?.name ?? d.address,
      diff: diffDrift(d),
    },
    st,
  );
}

function groupTitle(group: string): string {
  const title = groupTitleOf(group);
  return title ? `# ${title} ${clean(group)}` : `# ${clean(group)}`;
}

function legend(changes: readonly ResourceChange[], st: Style): string {
  const used = new Set<string>(changes.map((c) => (c.action === "replace" ? replaceMark(c) : c.action)));
  const rows: [string, string, string][] = [
    ["create", `  ${st.green("+")}`, "create"],
    ["update", `  ${st.yellow("~")}`, "update in-place"],
    ["delete", `  ${st.red("-")}`, "destroy"],
    ["-/+", st.cyan("-/+"), "destroy and then create replacement"],
    ["+/-", st.cyan("+/-"), "create replacement and then destroy"],
  ];
  return [
    "Resource actions are indicated with the following symbols:",
    ...rows.filter(([key]) => used.has(key)).map(([, mark, text]) => `${mark} ${text}`),
  ].join("\n");
}

function outputValue(o: OutputChange): string {
  if (o.sensitive) return o.action === "delete" ? "(sensitive value) -> null" : "(sensitive value)";
  const after = o.after_unknown ? "(known after apply)" : formatScalar(o.after);
  switch (o.action) {
    case "delete":
      return `${formatScalar(o.before)} -> null`;
    case "update":
      return o.before === undefined ? after : `${formatScalar(o.before)} -> ${after}`;
    default:
      return after;
  }
}

function outputsSection(outputs: readonly OutputChange[], st: Style): string {
  const pad = Math.max(...outputs.map((o) => clean(o.name).length));
  return [
    st.bold("Changes to Outputs:"),
    ...outputs.map((o) => `  ${opMark(o.action, st)} ${clean(o.name).padEnd(pad)} = ${outputValue(o)}`),
  ].join("\n");
}

/** `Plan: 3 to add, 1 to change, 2 to destroy. 2 tokens will be created.` without styling. */
export function formatSummaryLine(summary: Plan["summary"], imports = 0): string {
  const tokens =
    summary.tokens_to_create > 0
      ? ` ${plural(summary.tokens_to_create, "token", "tokens")} will be created.`
      : "";
  const imported = imports > 0 ? `${imports} to import, ` : "";
  return `${imported}${summary.add} to add, ${summary.change} to change, ${summary.destroy} to destroy.${tokens}`;
}

/**
 * Renders a plan as text, the way `terraform plan` prints it. Only changed attributes of updated
 * objects are shown; lists diff as sets, maps key by key. Noop changes and outputs are left out.
 * With `color: false` the result holds no ANSI escape. Ends with a newline.
 */
export function renderPlanText(plan: Plan, options: TextRenderOptions): string {
  const st = styler(options.color);
  const parts: string[] = [];
  if (options.refresh) {
    const { users, requests } = options.refresh;
    parts.push(
      `popdock-iac refreshed ${plural(users, "API user", "API users")} (${plural(requests, "request", "requests")}).`,
    );
  }

  const drift = [...plan.drift].sort(compareForDisplay);
  if (drift.length > 0) {
    parts.push(
      st.bold("Objects have changed outside of popdock-iac"),
      'popdock-iac detected the following changes made outside of popdock-iac since the last "popdock apply":',
      ...drift.map((d) => driftBlock(d, st)),
      "Unless you have made equivalent changes to your configuration, or ignored the relevant attributes " +
        "using ignore_changes, the following plan may include actions to undo or respond to these changes.",
    );
  }

  const changes = plan.changes.filter(
    (c): c is ResourceChange & { action: Exclude<ResourceChange["action"], "noop"> } => c.action !== "noop",
  );
  const outputs = plan.outputs
    .filter((o) => o.action !== "noop")
    .sort((a, b) => compareStrings(a.name, b.name));

  const ages = tokenAges(plan);
  const moves = stateActionBlocks(plan, st.bold);
  if (changes.length === 0 && outputs.length === 0 && (plan.state_actions?.length ?? 0) === 0) {
    if (ages) parts.push(ages);
    if (plan.mode === "destroy") {
      parts.push(
        st.bold("No changes. No objects need to be destroyed."),
        "Either you have not created any API users yet or they were already deleted outside of popdock-iac.",
      );
    } else {
      parts.push(
        st.bold("No changes. Your Popdock API users match the configuration."),
        drift.length > 0
          ? "Your configuration already matches the changes detected above."
          : "popdock-iac has compared your Popdock API users against your configuration and found no " +
              "differences, so no changes are needed.",
      );
    }
    return `${parts.join("\n\n")}\n`;
  }

  if (moves.length > 0) {
    parts.push("popdock-iac will change these addresses in its state (no call to Popdock):", ...moves);
  }
  if (changes.length > 0) {
    parts.push(legend(changes, st), "popdock-iac will perform the following actions:");
    // A huge change set stays readable: the first N of each type and action in full, then a count.
    const shown = options.changesShown ?? DEFAULT_CHANGES_SHOWN;
    const seen = new Map<string, number>();
    for (const g of groupChanges(changes)) {
      const visible = g.changes.filter((c) => {
        const key = `${c.type}\u0000${c.action}`;
        const n = (seen.get(key) ?? 0) + 1;
        seen.set(key, n);
        return n <= shown;
      });
      const [first, ...rest] = visible.map((c) => changeBlock(c, st, stateActionNote(plan, c.address)));
      if (first !== undefined) parts.push(`${st.bold(groupTitle(g.group))}\n${first}`, ...rest);
    }
    const hidden = [...seen]
      .filter(([, n]) => n > shown)
      .map(([key, n]) => {
        const [type = "", action = ""] = key.split("\u0000");
        const [one, many] = ACTION_NOUN[action] ?? [action, `${action}s`];
        const more = n - shown;
        return `… and ${thousands(more)} more ${clean(type)} ${more === 1 ? one : many} like these`;
      });
    if (hidden.length > 0) {
      parts.push(
        `${hidden.join("\n")}\n(the full list: --full, or --json, or save the plan with --out and run popdock show --full)`,
      );
    }
  }
  if (ages) parts.push(ages);
  if (changes.length > 0 || moves.length > 0) {
    parts.push(`${st.bold("Plan:")} ${formatSummaryLine(plan.summary, importCount(plan))}`);
  }
  if (outputs.length > 0) {
    parts.push(outputsSection(outputs, st));
    if (changes.length === 0) {
      parts.push(
        "You can apply this plan to save these new output values to the popdock-iac state, " +
          "without changing any Popdock API users.",
      );
    }
  }
  return `${parts.join("\n\n")}\n`;
}

/** `popdock_api_token.ledger["nightly"] (previous, retires 2027-03-08)` for a previous generation. */
export function displayAddress(c: Pick<ResourceChange, "address" | "previous_of" | "before">): string {
  if (c.previous_of === undefined) return c.address;
  const retires = c.before?.retires_at;
  return typeof retires === "string" ? `${c.previous_of} ${previousLabel(retires)}` : c.address;
}

/** The ages of the plan's tokens, by Popdock's clock: one line each. */
function tokenAges(plan: Plan): string | undefined {
  const rows = plan.changes.filter((c) => c.token !== undefined);
  if (rows.length === 0) return undefined;
  const when = plan.server_time === undefined ? "" : ` (Popdock's clock: ${plan.server_time})`;
  return [
    `Tokens${when}:`,
    ...rows.map(
      (c) => `  ${clean(displayAddress(c))}: ${describeTiming(c.token as NonNullable<typeof c.token>)}`,
    ),
  ].join("\n");
}
