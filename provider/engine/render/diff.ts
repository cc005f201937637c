/**
 * Attribute-level differences of one resource change, and the ordering and escaping rules every
 * renderer shares. Internal to provider/engine/render: the text and markdown renderers turn the
 * entries computed here into lines.
 *
 * Defence in depth: a sensitive attribute (listed in the change, or by its type in the resource
 * registry) never carries a value out of here, even if a faulty planner put one in the plan.
 */
import type { DriftChange, ResourceChange } from "../../../schema/plan.js";
import { parseAddress } from "../../model/desired.js";
import { canonicalJson, compareStrings, sameValue } from "../../model/values.js";
import { compareTypes, findResourceType } from "../../resources/index.js";

/** How a whole object changes: `update` covers in-place updates, replacements and drift. */
export type BlockKind = "create" | "delete" | "update";

/** How one attribute changes inside its object. */
export type AttrOp = "create" | "delete" | "update" | "same";

export interface AttrEntry {
  name: string;
  op: AttrOp;
  /** The old value; undefined when absent or sensitive. */
  before: unknown;
  /** The new value; undefined when absent, unknown or sensitive. */
  after: unknown;
  sensitive: boolean;
  /** The new value is known only after apply. */
  unknown: boolean;
  /** A change to this attribute forces the object's replacement. */
  forces: boolean;
  /** Shown even though unchanged, to identify the object (`id`, `name`), as Terraform does. */
  identifying: boolean;
}

export interface BlockInput {
  type: string;
  kind: BlockKind;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  afterUnknown: readonly string[];
  sensitive: readonly string[];
  changed: readonly string[];
  /** Mark the `changed` attributes as forcing replacement (for `replace` changes). */
  replacing: boolean;
}

export interface BlockDiff {
  /** Entries to show, in display order. */
  shown: AttrEntry[];
  /** Number of unchanged attributes not shown. */
  hidden: number;
}

const IDENTIFYING = new Set(["id", "name"]);

/** Code-unit string order: the same on every machine and locale (unlike localeCompare). */

/** Attribute display order: the type's `render.attributeOrder`, then others alphabetically. */
function compareAttrNames(order: readonly string[], a: string, b: string): number {
  const ia = order.indexOf(a);
  const ib = order.indexOf(b);
  if (ia !== -1 || ib !== -1) {
    if (ia === -1) return 1;
    if (ib === -1) return -1;
    return ia - ib;
  }
  return compareStrings(a, b);
}

/** The sensitive attribute names of a change: its own list plus its type's. */
export function sensitiveNames(type: string, listed: readonly string[] = []): Set<string> {
  return new Set([...listed, ...(findResourceType(type)?.sensitive ?? [])]);
}

/**
 * Escapes characters that could fool a terminal or a reader when untrusted text (names,
 * descriptions, addresses) is printed: C0/C1 controls (ANSI escapes), DEL, line and paragraph
 * separators and bidirectional overrides ("trojan source").
 */
export function clean(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (ch) => {
    return `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
}

/** Arrays compare as sets (grant scopes are sets); everything else structurally. */
export function valuesEqual(a: unknown, b: unknown): boolean {
  return sameValue(a, b, true);
}

/** A value on one line: strings JSON-quoted, lists and maps as compact JSON, all escaped. */
export function formatScalar(value: unknown): string {
  if (value === undefined) return "null";
  const json = typeof value === "string" ? JSON.stringify(value) : canonicalJson(value);
  return clean(json ?? "null");
}

export interface SetDiff {
  added: unknown[];
  removed: unknown[];
  unchanged: number;
}

/** Element-wise difference of two lists treated as sets, in their own orders. */
export function diffSet(before: readonly unknown[], after: readonly unknown[]): SetDiff {
  const b = new Set(before.map(canonicalJson));
  const a = new Set(after.map(canonicalJson));
  return {
    added: after.filter((v) => !b.has(canonicalJson(v))),
    removed: before.filter((v) => !a.has(canonicalJson(v))),
    unchanged: after.filter((v) => b.has(canonicalJson(v))).length,
  };
}

export interface MapEntryDiff {
  key: string;
  op: Exclude<AttrOp, "same">;
  before: unknown;
  after: unknown;
}

/** Key-wise difference of two maps, keys sorted; unchanged keys are only counted. */
export function diffMap(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): { entries: MapEntryDiff[]; unchanged: number } {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort(compareStrings);
  const entries: MapEntryDiff[] = [];
  let unchanged = 0;
  for (const key of keys) {
    const inB = Object.hasOwn(before, key);
    const inA = Object.hasOwn(after, key);
    if (inB && inA) {
      if (valuesEqual(before[key], after[key])) unchanged++;
      else entries.push({ key, op: "update", before: before[key], after: after[key] });
    } else if (inA) {
      entries.push({ key, op: "create", before: undefined, after: after[key] });
    } else {
      entries.push({ key, op: "delete", before: before[key], after: undefined });
    }
  }
  return { entries, unchanged };
}

/**
 * The attributes of one object and how each changes. For `update`, an attribute is changed when
 * it is listed in `changed` or its values differ; attributes only in `before` that are not listed
 * are computed ones carried over (ids, hints) and count as unchanged.
 */
export function diffBlock(input: BlockInput): BlockDiff {
  const before = input.before ?? {};
  const after = input.after ?? {};
  const sensitive = sensitiveNames(input.type, input.sensitive);
  const unknown = new Set(input.kind === "delete" ? [] : input.afterUnknown);
  const changed = new Set(input.changed);
  const names = new Set<string>();
  if (input.kind !== "create") for (const k of Object.keys(before)) names.add(k);
  if (input.kind !== "delete") {
    for (const k of Object.keys(after)) names.add(k);
    for (const k of unknown) names.add(k);
  }
  for (const k of sensitive) names.add(k);

  const entries: AttrEntry[] = [];
  const order = findResourceType(input.type)?.render.attributeOrder ?? [];
  for (const name of [...names].sort((a, b) => compareAttrNames(order, a, b))) {
    const isSensitive = sensitive.has(name);
    const isUnknown = unknown.has(name);
    const inB = Object.hasOwn(before, name);
    const inA = Object.hasOwn(after, name);
    let op: AttrOp;
    if (input.kind === "create") op = "create";
    else if (input.kind === "delete") op = "delete";
    else if (isSensitive) op = isUnknown || changed.has(name) ? "update" : "same";
    else if (isUnknown) op = inB ? "update" : "create";
    else if (inA && inB)
      op = changed.has(name) || !valuesEqual(before[name], after[name]) ? "update" : "same";
    else if (inA) op = "create";
    else op = changed.has(name) ? "delete" : "same";
    entries.push({
      name,
      op,
      before: isSensitive || !inB ? undefined : before[name],
      after: isSensitive || isUnknown || !inA ? undefined : after[name],
      sensitive: isSensitive,
      unknown: isUnknown,
      forces: input.replacing && changed.has(name),
      identifying: op === "same" && IDENTIFYING.has(name) && !isSensitive && (inA || inB),
    });
  }
  const shown = entries.filter((e) => e.op !== "same" || e.identifying);
  for (const e of shown) if (e.identifying && e.after === undefined) e.after = e.before;
  return { shown, hidden: entries.length - shown.length };
}

/** The attribute diff of a planned change (noop changes diff as updates with nothing changed). */
export function diffChange(c: ResourceChange): BlockDiff {
  return diffBlock({
    type: c.type,
    kind: c.action === "create" ? "create" : c.action === "delete" ? "delete" : "update",
    before: c.before,
    after: c.after,
    afterUnknown: c.after_unknown,
    sensitive: c.sensitive,
    changed: c.changed,
    replacing: c.action === "replace",
  });
}

/** The attribute diff of a change made outside popdock-iac. */
export function diffDrift(d: DriftChange): BlockDiff {
  return diffBlock({
    type: d.type,
    kind: d.action === "delete" ? "delete" : "update",
    before: d.before,
    after: d.after,
    afterUnknown: [],
    sensitive: [],
    changed: d.changed,
    replacing: false,
  });
}

/** Orders changes for display: by group, then type order (the registry's), then address. */
export function compareForDisplay(
  a: { group: string; type: string; address: string },
  b: { group: string; type: string; address: string },
): number {
  return (
    compareStrings(a.group, b.group) || compareTypes(a.type, b.type) || compareStrings(a.address, b.address)
  );
}

/** Changes grouped by `group`, groups in address order, each group in display order. */
export function groupChanges<T extends { group: string; type: string; address: string }>(
  changes: readonly T[],
): { group: string; changes: T[] }[] {
  const groups = new Map<string, T[]>();
  for (const c of [...changes].sort(compareForDisplay)) {
    const list = groups.get(c.group);
    if (list) list.push(c);
    else groups.set(c.group, [c]);
  }
  return [...groups].map(([group, list]) => ({ group, changes: list }));
}

/** The title word of a group headed by `group` (`API user`), from its type's render hints. */
export function groupTitleOf(group: string): string | undefined {
  const type = parseAddress(group)?.type;
  return type === undefined ? undefined : findResourceType(type)?.render.groupTitle;
}

/** `+/-` for create-before-destroy; otherwise `-/+`, delete first (Terraform's default). */
export function replaceMark(c: Pick<ResourceChange, "replace_order">): "+/-" | "-/+" {
  return c.replace_order === "create_before_destroy" ? "+/-" : "-/+";
}
