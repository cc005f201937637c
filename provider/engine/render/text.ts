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
}

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
  if (note !== undefined) comments.push(note);
  return resourceBlock(
    {
      headline: `${clean(c.address)} ${HEADLINE[c.action]}`,
      comments: [...comments, ...c.reasons],
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

  const moves = stateActionBlocks(plan, st.bold);
  if (changes.length === 0 && outputs.length === 0 && (plan.state_actions?.length ?? 0) === 0) {
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
    for (const g of groupChanges(changes)) {
      const [first, ...rest] = g.changes.map((c) => changeBlock(c, st, stateActionNote(plan, c.address)));
      parts.push(`${st.bold(groupTitle(g.group))}\n${first ?? ""}`, ...rest);
    }
  }
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
