/**
 * `${...}` templates, shared by the frontends: in YAML strings `${var.name}` anywhere a string is
 * and `${<address>.<attribute>}` references in output values; in Terraform JSON the same scanner
 * splits `${…}` expressions (terraform-json/expressions.ts). `$${` is a literal `${`.
 *
 * Scanning is separate from resolving so that the frontend decides what each place allows and
 * reports unknown variables and references where they are used.
 */
import type { AttrRef } from "../model/desired.js";

/** A piece of a template: literal text or the inside of one `${...}`. */
export type Segment = { kind: "text"; text: string } | { kind: "expr"; expr: string };

export type ScanResult = { ok: true; segments: Segment[] } | { ok: false; message: string };

/** Splits `s` into text and `${...}` expressions. Quoted strings inside an expression may contain `}`. */
export function scanTemplate(s: string): ScanResult {
  const segments: Segment[] = [];
  let text = "";
  let i = 0;
  while (i < s.length) {
    if (s.startsWith("$${", i)) {
      text += "${";
      i += 3;
      continue;
    }
    if (!s.startsWith("${", i)) {
      text += s[i];
      i++;
      continue;
    }
    const start = i + 2;
    let j = start;
    let inQuote = false;
    while (j < s.length) {
      const c = s[j];
      if (inQuote) {
        if (c === "\\") j++;
        else if (c === '"') inQuote = false;
      } else if (c === '"') {
        inQuote = true;
      } else if (c === "}") {
        break;
      }
      j++;
    }
    if (j >= s.length) {
      return { ok: false, message: `unterminated "\${" in ${JSON.stringify(s)}` };
    }
    if (text !== "") segments.push({ kind: "text", text });
    text = "";
    segments.push({ kind: "expr", expr: s.slice(start, j).trim() });
    i = j + 1;
  }
  if (text !== "") segments.push({ kind: "text", text });
  return { ok: true, segments };
}

const VAR_EXPR = /^var\.([A-Za-z_][A-Za-z0-9_]*)$/;
const REF_EXPR =
  /^([a-z][a-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_-]*)(?:\[\s*("(?:[^"\\]|\\.)*")\s*\])?\.([A-Za-z_][A-Za-z0-9_]*)$/;

export type Expr =
  | { kind: "var"; name: string }
  /** `${workspace}`: the state workspace's name. */
  | { kind: "workspace" }
  | { kind: "ref"; type: string; name: string; index?: string; attr: string }
  | { kind: "invalid" };

/** Classifies the inside of one `${...}`. */
export function parseExpr(expr: string): Expr {
  if (expr === "workspace") return { kind: "workspace" };
  const v = VAR_EXPR.exec(expr);
  if (v?.[1] !== undefined) return { kind: "var", name: v[1] };
  const r = REF_EXPR.exec(expr);
  if (r) {
    const [, type, name, idx, attr] = r;
    if (type === undefined || name === undefined || attr === undefined) return { kind: "invalid" };
    if (idx === undefined) return { kind: "ref", type, name, attr };
    let index: unknown;
    try {
      index = JSON.parse(idx);
    } catch {
      return { kind: "invalid" };
    }
    if (typeof index !== "string") return { kind: "invalid" };
    return { kind: "ref", type, name, index, attr };
  }
  return { kind: "invalid" };
}

/** Joins adjacent text parts; drops empty ones. */
export function compactParts(parts: readonly (string | AttrRef)[]): (string | AttrRef)[] {
  const out: (string | AttrRef)[] = [];
  for (const p of parts) {
    if (typeof p === "string") {
      if (p === "") continue;
      const last = out[out.length - 1];
      if (typeof last === "string") out[out.length - 1] = last + p;
      else out.push(p);
    } else {
      out.push(p);
    }
  }
  return out;
}
