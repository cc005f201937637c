/**
 * Terraform JSON expressions, the small part popdock-iac understands: string templates whose
 * interpolations are resource references (`"${popdock_api_user.bot.id}"`,
 * `"Token of ${popdock_api_user.bot.name}"`), and bare references in `depends_on`,
 * `replace_triggered_by` (`"null_resource.keeper"`). Everything else — functions, variables,
 * locals, `count.index`, template directives — is classified so the reader can say precisely
 * what is not supported.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: "${type.name.attr}" is Terraform's own reference syntax, quoted on purpose.
import { scanTemplate } from "../template.js";

/** `type.name` or `type.name.attr`, in Terraform's names (not popdock addresses). */
export interface TfRef {
  type: string;
  name: string;
  attr?: string;
}

export type TemplatePiece = { kind: "text"; text: string } | { kind: "ref"; ref: TfRef; expr: string };

export interface ExprError {
  code: string;
  message: string;
  hint?: string;
}

export type TemplateResult = { ok: true; pieces: TemplatePiece[] } | { ok: false; error: ExprError };

const REF = /^([a-z][a-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_-]*)(?:\.([A-Za-z_][A-Za-z0-9_]*))?$/;
const FUNCTION_CALL = /^([A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z0-9_:]+)?)\s*\(/;

/** `tfKey` of a reference: `popdock_api_user.bot`. */
export function refKey(ref: { type: string; name: string }): string {
  return `${ref.type}.${ref.name}`;
}

export function refText(ref: TfRef): string {
  return ref.attr === undefined ? refKey(ref) : `${refKey(ref)}.${ref.attr}`;
}

/**
 * Splits a string into literal text and references; `$${` and `%%{` are literal.
 * `${terraform.workspace}` is text: `workspace` (the state workspace), when given.
 */
export function parseTemplate(s: string, workspace?: string): TemplateResult {
  const scan = scanTemplate(s);
  if (!scan.ok) {
    return {
      ok: false,
      error: {
        code: "TF_JSON_INVALID_EXPRESSION",
        message: scan.message,
        hint: 'write "$${" for a literal "${"',
      },
    };
  }
  const pieces: TemplatePiece[] = [];
  for (const seg of scan.segments) {
    if (seg.kind === "text") {
      if (/(^|[^%])%\{/.test(seg.text)) {
        return {
          ok: false,
          error: {
            code: "TF_JSON_UNSUPPORTED_EXPRESSION",
            message: `template directives ("%{ … }") are not supported in ${JSON.stringify(s)}`,
            hint: 'write "%%{" for a literal "%{"',
          },
        };
      }
      const text = seg.text.replaceAll("%%{", "%{");
      const last = pieces.at(-1);
      if (last?.kind === "text") last.text += text;
      else pieces.push({ kind: "text", text });
      continue;
    }
    if (seg.expr === "terraform.workspace" && workspace !== undefined) {
      const last = pieces.at(-1);
      if (last?.kind === "text") last.text += workspace;
      else pieces.push({ kind: "text", text: workspace });
      continue;
    }
    const r = classifyExpression(seg.expr);
    if (!r.ok) return r;
    pieces.push({ kind: "ref", ref: r.ref, expr: seg.expr });
  }
  return { ok: true, pieces };
}

/** The inside of one `${…}`: a reference, or what kind of unsupported expression it is. */
export function classifyExpression(expr: string): { ok: true; ref: TfRef } | { ok: false; error: ExprError } {
  const m = REF.exec(expr);
  const shown = `"\${${expr}}"`;
  const unsupported = (message: string, hint?: string): { ok: false; error: ExprError } => ({
    ok: false,
    error: { code: "TF_JSON_UNSUPPORTED_EXPRESSION", message, ...(hint !== undefined ? { hint } : {}) },
  });
  const fn = FUNCTION_CALL.exec(expr);
  if (fn?.[1] !== undefined) {
    return unsupported(
      `Terraform functions are not supported: ${shown} calls ${fn[1]}()`,
      "compute the value in your program (CDKTF) or write it out; popdock-iac evaluates only resource references",
    );
  }
  const head = /^([A-Za-z_][A-Za-z0-9_]*)/.exec(expr)?.[1];
  switch (head) {
    case "var":
      return unsupported(
        `input variables are not supported: ${shown}`,
        "pass values into your CDKTF program (e.g. from process.env), or use the YAML format's variables",
      );
    case "local":
      return unsupported(`locals are not supported: ${shown}`, "write the value where it is used");
    case "data":
      return unsupported(`data sources are not supported: ${shown}`);
    case "module":
      return unsupported(`modules are not supported: ${shown}`);
    case "count":
    case "each":
      return unsupported(
        `${shown} needs count or for_each, which are not supported`,
        "declare each resource on its own",
      );
    case "self":
    case "path":
    case "terraform":
      return unsupported(`${shown} is not supported`);
  }
  if (m) {
    const [, type, name, attr] = m;
    if (type !== undefined && name !== undefined) {
      return { ok: true, ref: attr === undefined ? { type, name } : { type, name, attr } };
    }
  }
  if (/^[a-z][a-z0-9_]*\.[A-Za-z_][A-Za-z0-9_-]*\[/.test(expr)) {
    return unsupported(
      `indexed references are not supported: ${shown}`,
      "count and for_each are not supported",
    );
  }
  return unsupported(
    `unsupported expression ${shown}`,
    "popdock-iac evaluates only resource references like ${popdock_api_user.<name>.<attribute>}",
  );
}

/**
 * A reference written as a whole string: bare (`null_resource.keeper`, as `depends_on` takes it)
 * or interpolated (`${null_resource.keeper}`, as CDKTF writes `replace_triggered_by`).
 */
export function parseWholeReference(s: string): { ok: true; ref: TfRef } | { ok: false; error: ExprError } {
  const trimmed = s.trim();
  const inner = /^\$\{([^}]*)\}$/.exec(trimmed)?.[1];
  return classifyExpression((inner ?? trimmed).trim());
}

/** Whether the string is exactly one interpolation, e.g. `${popdock_api_user.bot.id}`. */
export function exactReference(pieces: readonly TemplatePiece[]): TfRef | undefined {
  const [only, extra] = pieces;
  return only?.kind === "ref" && extra === undefined ? only.ref : undefined;
}
