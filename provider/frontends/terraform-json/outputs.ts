/**
 * Stage 6, outputs: `output` blocks → draft outputs. References become attribute references, or
 * literals for arguments known now. Whether an output that refers to a secret is sensitive is the
 * semantic pass's check (../semantic.ts); the origin keeps each reference's expression for it.
 *   in: OutputBlock   out: DraftOutput<TfOutputOrigin>
 */
import { RESOURCE_KEY } from "../../../schema/config.js";
import type { AttrRef, DesiredOutput, TemplatePart } from "../../model/desired.js";
import { referenceableAttrs } from "../resource-config.js";
import { compactParts } from "../template.js";
import type { DraftOutput } from "../types.js";
import type { OutputBlock, ReadContext } from "./context.js";
import { parseTemplate, parseWholeReference, refText, type TfRef } from "./expressions.js";
import { allAttrs, staticAttr, targetOf, unknownAttribute } from "./references.js";
import { describeValue } from "./schema.js";
import type { DiagOptions, DocPath } from "./source.js";

/** Where a Terraform JSON output comes from, for the semantic pass's diagnostics (phrasing.ts). */
export interface TfOutputOrigin {
  block: OutputBlock;
  /** The expression each attribute reference was written as (`address.attr` → `${…}`), the first one. */
  exprs: Map<string, string>;
}

export function toOutput(ctx: ReadContext, o: OutputBlock): DraftOutput<TfOutputOrigin> | undefined {
  const { src, name, body, path, constructPath: cp } = o;
  const diag = (code: string, message: string, p: DocPath, opts: DiagOptions = {}) =>
    ctx.diag(src, code, message, p, { constructPath: cp, ...opts });
  if (!RESOURCE_KEY.test(name)) {
    diag("TF_JSON_INVALID_NAME", `output name "${name}" is not a valid identifier`, path, { at: "key" });
    return undefined;
  }
  let ok = true;
  for (const key of Object.keys(body)) {
    if (["//", "value", "sensitive", "description", "depends_on"].includes(key)) continue;
    ok = false;
    if (key === "precondition") {
      diag("TF_JSON_UNSUPPORTED_ARGUMENT", "output preconditions are not supported", [...path, key], {
        at: "key",
      });
    } else {
      diag("CONFIG_UNKNOWN_KEY", `unknown output argument "${key}"`, [...path, key], {
        at: "key",
        hint: "arguments: value, sensitive, description, depends_on",
      });
    }
  }
  // JSON null is "unset", as in Terraform.
  const sensitive = body.sensitive ?? false;
  if (typeof sensitive !== "boolean") {
    diag("CONFIG_INVALID_TYPE", `expected true or false, got ${describeValue(sensitive)}`, [
      ...path,
      "sensitive",
    ]);
    ok = false;
  }
  const description = body.description ?? undefined;
  if (description !== undefined && typeof description !== "string") {
    diag("CONFIG_INVALID_TYPE", `expected a string, got ${describeValue(description)}`, [
      ...path,
      "description",
    ]);
    ok = false;
  }
  if (Array.isArray(body.depends_on)) {
    body.depends_on.forEach((item: unknown, i: number) => {
      const p: DocPath = [...path, "depends_on", i];
      const r = typeof item === "string" ? parseWholeReference(item) : undefined;
      if (r?.ok) targetOf(ctx, o, r.ref, p);
      else {
        diag("CONFIG_INVALID_VALUE", `expected a resource reference, got ${describeValue(item)}`, p);
        ok = false;
      }
    });
  }
  const vpath: DocPath = [...path, "value"];
  const value = body.value ?? undefined;
  let parts: TemplatePart[] | undefined;
  const exprs = new Map<string, string>();
  if (value === undefined) {
    diag("CONFIG_MISSING_KEY", `output "${name}" has no value`, path, { at: "key" });
  } else if (typeof value === "number" || typeof value === "boolean") {
    parts = [String(value)];
  } else if (typeof value !== "string") {
    diag("TF_JSON_UNSUPPORTED_EXPRESSION", `output values must be text, got ${describeValue(value)}`, vpath);
  } else {
    const t = parseTemplate(value, ctx.workspace);
    if (!t.ok) diag(t.error.code, t.error.message, vpath, { hint: t.error.hint });
    else {
      const out: TemplatePart[] = [];
      let good = true;
      for (const piece of t.pieces) {
        if (piece.kind === "text") {
          out.push(piece.text);
          continue;
        }
        const r = outputRef(ctx, o, piece.ref, vpath);
        if (r === undefined) good = false;
        else {
          out.push(r);
          const k = typeof r === "string" ? undefined : `${r.address}.${r.attr}`;
          if (k !== undefined && !exprs.has(k)) exprs.set(k, `\${${piece.expr}}`);
        }
      }
      if (good) parts = compactParts(out);
    }
  }
  if (parts === undefined || !ok || typeof sensitive !== "boolean") return undefined;
  const d: DesiredOutput = { name, parts, sensitive, source: src.sourceRef(path, cp) };
  if (typeof description === "string" && description !== "") d.description = description;
  return { output: d, origin: { block: o, exprs } };
}

/** A reference in an output: an attribute reference, or a literal for an argument known now. */
export function outputRef(
  ctx: ReadContext,
  o: OutputBlock,
  ref: TfRef,
  path: DocPath,
): AttrRef | string | undefined {
  const target = targetOf(ctx, o, ref, path);
  if (target === undefined || target.broken || target.address === undefined) return undefined;
  const attr = ref.attr;
  if (attr === undefined) {
    ctx.diag(
      o.src,
      "REF_UNKNOWN_ATTRIBUTE",
      `"\${${refText(ref)}}" refers to a whole resource; name an attribute`,
      path,
      {
        constructPath: o.constructPath,
        hint: `attributes: ${allAttrs(target).join(", ")}`,
      },
    );
    return undefined;
  }
  if (referenceableAttrs(target.type)?.includes(attr) === true) return { address: target.address, attr };
  if (attr === target.tf.parentArgument) {
    const user = target.user === undefined ? undefined : ctx.blocks.get(target.user)?.address;
    return user === undefined ? undefined : { address: user, attr: "id" };
  }
  if (target.tf.known.includes(attr)) {
    const v = staticAttr(target, attr);
    if (v !== undefined) return v;
    ctx.diag(o.src, "REF_UNKNOWN_ATTRIBUTE", `${refText(ref)} is not set`, path, {
      constructPath: o.constructPath,
    });
    return undefined;
  }
  unknownAttribute(ctx, o.src, target, ref, path, o.constructPath);
  return undefined;
}
