/**
 * Source positions, shared by the frontends (a JSON file is parsed as YAML for its positions,
 * see terraform-json/source.ts): finds the node at a document path
 * (`["api_users", "bot", "grants", 2, "lists"]`) so that every diagnostic — from yaml itself,
 * from zod, or from the cross-checks — points at a file, line and column.
 */
import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type LineCounter,
  type Node,
  type Pair,
  type YAMLMap,
} from "yaml";
import type { SourceRef } from "../model/desired.js";
import type { Diagnostic, Severity } from "../model/diagnostics.js";
import { PROTOTYPE_KEYS } from "../model/input-guards.js";

export type PathSegment = string | number;
export type DocPath = readonly PathSegment[];

const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * A key no mapping may have: JavaScript gives `__proto__` a meaning of its own, and zod drops such
 * entries without checking them. Refused where it appears by `parse.ts`.
 */
export const RESERVED_KEY = "__proto__";

/**
 * Keys no mapping or object may have, in either format: the prototype keys (`__proto__`,
 * `constructor`, `prototype`). YAML refuses them in `parse.ts`; JSON in `input.ts`.
 */
export function isReservedKey(key: string): boolean {
  return PROTOTYPE_KEYS.has(key);
}

/** `api_users.reporting_bot.grants[2].lists`; keys that are not identifiers are quoted: `tokens["a b"]`. */
export function formatPath(path: DocPath): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (IDENT.test(seg)) out += out === "" ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

export interface Position {
  line: number;
  /** 1-based, in code points: an emoji is one column, as a person counts (not two, as UTF-16 does). */
  column: number;
}

/** One parsed YAML file: its display name, its document and what maps offsets to lines. */
export class SourceFile {
  constructor(
    /** The path as shown in diagnostics (relative to the working directory). */
    readonly file: string,
    /** The text that was parsed (without a byte order mark); offsets are into it. */
    readonly text: string,
    readonly doc: Document.Parsed,
    readonly lineCounter: LineCounter,
  ) {}

  position(offset: number): Position {
    const { line, col } = this.lineCounter.linePos(offset);
    const start = offset - (col - 1);
    return { line, column: codePoints(this.text, start, offset) + 1 };
  }

  /**
   * The position of the node at `path`. With `at: "key"` the key of the last map entry (for
   * unknown keys, bad keys, duplicates), else its value. When the path does not exist all the
   * way (a missing required key), the deepest entry that does exist.
   */
  locate(path: DocPath, at: "key" | "value" = "value"): Position {
    return this.position(this.offsetOf(path, at));
  }

  /** The source offset of the node at `path`; see `locate`. */
  offsetOf(path: DocPath, at: "key" | "value" = "value"): number {
    let node: unknown = this.doc.contents;
    let best: Node | undefined = isNode(node) ? node : undefined;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      if (isAlias(node)) node = node.resolve(this.doc);
      let keyNode: unknown;
      let next: unknown;
      if (isMap(node)) {
        const pair = this.pairIndex(node).get(String(seg));
        if (!pair) break;
        keyNode = pair.key;
        next = pair.value;
      } else if (isSeq(node) && typeof seg === "number") {
        next = node.items[seg];
        if (next === undefined) break;
      } else {
        break;
      }
      const last = i === path.length - 1;
      if (last && at === "key" && isNode(keyNode)) {
        best = keyNode;
      } else if (isNode(next)) {
        best = next;
      } else if (isNode(keyNode)) {
        best = keyNode; // `key:` with no value
      }
      node = next;
    }
    return best?.range?.[0] ?? 0;
  }

  /** Each mapping's entries by key text (the first of duplicates), built once: lookups stay O(1). */
  private readonly pairs = new WeakMap<object, Map<string, Pair>>();

  private pairIndex(map: YAMLMap): Map<string, Pair> {
    let index = this.pairs.get(map);
    if (index === undefined) {
      index = new Map();
      for (const p of map.items) {
        const k = isPair(p) ? keyText(p.key) : undefined;
        if (k !== undefined && !index.has(k)) index.set(k, p);
      }
      this.pairs.set(map, index);
    }
    return index;
  }

  /** A diagnostic at `path` in this file. */
  diag(
    code: string,
    message: string,
    path: DocPath,
    opts: { at?: "key" | "value"; severity?: Severity; hint?: string | undefined } = {},
  ): Diagnostic {
    return this.diagAt(code, message, this.offsetOf(path, opts.at ?? "value"), path, opts);
  }

  /** A diagnostic at a source offset (for problems found on the YAML nodes themselves). */
  diagAt(
    code: string,
    message: string,
    offset: number,
    path: DocPath,
    opts: { severity?: Severity; hint?: string | undefined } = {},
  ): Diagnostic {
    const pos = this.position(offset);
    const d: Diagnostic = {
      code,
      severity: opts.severity ?? "error",
      message,
      file: this.file,
      line: pos.line,
      column: pos.column,
    };
    if (path.length > 0) d.path = formatPath(path);
    if (opts.hint !== undefined) d.hint = opts.hint;
    return d;
  }

  /** Where a resource or output came from, for the DesiredConfig. */
  sourceRef(path: DocPath): SourceRef {
    const pos = this.locate(path, "key");
    return { file: this.file, line: pos.line, column: pos.column, path: formatPath(path) };
  }

  /** `file:line:column` of `path`, for "also defined at …" messages. */
  where(path: DocPath): string {
    const pos = this.locate(path, "key");
    return `${this.file}:${pos.line}:${pos.column}`;
  }
}

/** The number of code points in `text` from `start` to `end` (UTF-16 offsets). */
function codePoints(text: string, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    // A high surrogate followed by a low one is one code point; count it at the high one.
    const low = text.charCodeAt(i + 1);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < end && low >= 0xdc00 && low <= 0xdfff) i++;
    n++;
  }
  return n;
}

function isNode(x: unknown): x is Node {
  return typeof x === "object" && x !== null && "range" in x;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}
