/**
 * Stage 2, evaluate references: checks each block's arguments against its type's schema and
 * resolves references to other resources' arguments known now (a user's `name`), depth-first;
 * the type's parent argument (`api_user_id`) becomes the owner's key. Reports references to what is known only after apply,
 * and reference cycles.
 *   in: Block (body)   out: Block (values, user, refs, broken)
 */
import { isRecord } from "../../model/values.js";
import { findResourceType } from "../../resources/index.js";
import type { Block, ReadContext } from "./context.js";
import { exactReference, parseTemplate, refText, type TemplatePiece, type TfRef } from "./expressions.js";
import { allAttrs, staticAttr, targetOf, unknownAttribute } from "./references.js";
import type { DocPath } from "./source.js";

export const META_ARGUMENTS = new Set([
  "//",
  "count",
  "for_each",
  "provider",
  "depends_on",
  "lifecycle",
  "provisioner",
  "connection",
]);

/** Validates and resolves a resource's arguments (depth-first through references). */
export function resolve(ctx: ReadContext, b: Block): void {
  if (b.state !== "pending" || b.broken) return;
  b.state = "resolving";
  ctx.resolving.push(b.key);
  // JSON null is "unset", as in Terraform; a misspelt argument is reported all the same.
  const args: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(b.body)) {
    if (META_ARGUMENTS.has(k) || (v === null && b.tf.arguments.includes(k))) continue;
    args[k] = v;
  }
  const checked = b.tf.check(args);
  if (!checked.ok) {
    for (const issue of checked.issues) {
      const missing = issue.code === "CONFIG_MISSING_KEY";
      const at =
        missing || issue.code === "CONFIG_UNKNOWN_KEY" || issue.code === "CONFIG_GRANT_SHAPE"
          ? "key"
          : "value";
      const path = [...b.path, ...(missing ? issue.path.slice(0, -1) : issue.path)];
      ctx.blockDiag(b, issue.code, issue.message, path, { at, hint: issue.hint });
    }
    b.broken = true;
  } else {
    const values: Record<string, unknown> = {};
    let ok = true;
    for (const [k, v] of Object.entries(checked.value)) {
      if (v === undefined) continue;
      const path: DocPath = [...b.path, k];
      if (k === b.tf.parentArgument && typeof v === "string") {
        // Kept as written (the schema checks it); the owner is `b.user`.
        values[k] = v;
        const user = userRef(ctx, b, v, path);
        if (user === undefined) ok = false;
        else b.user = user;
        continue;
      }
      const r = resolveValue(ctx, b, v, path);
      if (r === undefined) ok = false;
      else values[k] = r;
    }
    b.values = values;
    if (!ok || !recheck(ctx, b, args, values)) b.broken = true;
  }
  ctx.resolving.pop();
  b.state = "done";
}

/**
 * The resolved values checked again — a reference may resolve to "" — and as Popdock will store
 * them (the type's `checkStored`; a token without `name` is named after its key). Reports and
 * returns false when something is wrong.
 */
export function recheck(
  ctx: ReadContext,
  b: Block,
  raw: Record<string, unknown>,
  values: Record<string, unknown>,
): boolean {
  const resolved = values;
  const checked = b.tf.check(resolved);
  const issues = checked.ok ? b.tf.checkStored(checked.value, b.name) : checked.issues;
  for (const issue of issues) {
    const from = valueAt(raw, issue.path);
    const now = valueAt(resolved, issue.path);
    const message =
      typeof from === "string" && from !== now
        ? `${issue.message} (the value of ${JSON.stringify(from)})`
        : issue.message;
    ctx.blockDiag(b, issue.code, message, [...b.path, ...issue.path], {
      at: issue.path.length === 0 ? "key" : "value",
      hint: issue.hint,
    });
  }
  return issues.length === 0;
}

export function resolveValue(ctx: ReadContext, b: Block, v: unknown, path: DocPath): unknown {
  if (typeof v === "string") return resolveString(ctx, b, v, path);
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    let ok = true;
    v.forEach((item, i) => {
      const r = resolveValue(ctx, b, item, [...path, i]);
      if (r === undefined) ok = false;
      out.push(r);
    });
    return ok ? out : undefined;
  }
  if (isRecord(v)) {
    const out: Record<string, unknown> = {};
    let ok = true;
    for (const [k, item] of Object.entries(v)) {
      const r = resolveValue(ctx, b, item, [...path, k]);
      if (r === undefined) ok = false;
      out[k] = r;
    }
    return ok ? out : undefined;
  }
  return v;
}

/** The pieces of a `${…}` template in a block's argument, or undefined after reporting why not. */
export function templatePieces(
  ctx: ReadContext,
  b: Block,
  s: string,
  path: DocPath,
): TemplatePiece[] | undefined {
  const t = parseTemplate(s, ctx.workspace);
  if (t.ok) return t.pieces;
  ctx.blockDiag(b, t.error.code, t.error.message, path, { hint: t.error.hint });
  return undefined;
}

/** A string argument with its references to other resources' arguments replaced by their values. */
export function resolveString(ctx: ReadContext, b: Block, s: string, path: DocPath): string | undefined {
  const pieces = templatePieces(ctx, b, s, path);
  if (pieces === undefined) return undefined;
  let out = "";
  for (const piece of pieces) {
    if (piece.kind === "text") {
      out += piece.text;
      continue;
    }
    const value = staticValue(ctx, b, piece.ref, path);
    if (value === undefined) return undefined;
    out += value;
  }
  return out;
}

/** The value of `ref` when it is known now; otherwise reports why not. */
export function staticValue(ctx: ReadContext, b: Block, ref: TfRef, path: DocPath): string | undefined {
  const target = targetOf(ctx, b, ref, path);
  if (target === undefined) return undefined;
  const attr = ref.attr;
  if (attr === undefined) {
    ctx.blockDiag(
      b,
      "REF_UNKNOWN_ATTRIBUTE",
      `"\${${refText(ref)}}" refers to a whole resource; name an attribute`,
      path,
      {
        hint: `attributes: ${allAttrs(target).join(", ")}`,
      },
    );
    return undefined;
  }
  if (target.tf.known.includes(attr)) {
    if (target.state === "resolving") {
      const chain = [...ctx.resolving.slice(ctx.resolving.indexOf(target.key)), target.key];
      ctx.blockDiag(b, "TF_JSON_CYCLE", `reference cycle: ${chain.join(" → ")}`, path, {
        hint: "break the cycle: write one of the values out",
      });
      return undefined;
    }
    resolve(ctx, target);
    if (target.broken) return undefined;
    b.refs.add(target.key);
    const value = staticAttr(target, attr);
    if (value === undefined) {
      ctx.blockDiag(b, "REF_UNKNOWN_ATTRIBUTE", `${refText(ref)} is not set`, path);
      return undefined;
    }
    return value;
  }
  if (target.tf.computed.includes(attr)) {
    ctx.blockDiag(
      b,
      "REF_COMPUTED",
      `${refText(ref)} is known only after apply; popdock-iac needs argument values when it reads the configuration`,
      path,
      { hint: "references to ids and token IDs are allowed in outputs and in api_user_id" },
    );
    return undefined;
  }
  unknownAttribute(ctx, b.src, target, ref, path, b.constructPath);
  return undefined;
}

/** The parent argument (`api_user_id`) must be `${popdock_api_user.<name>.id}`; returns the owner's Terraform key. */
export function userRef(ctx: ReadContext, b: Block, s: string, path: DocPath): string | undefined {
  const pieces = templatePieces(ctx, b, s, path);
  if (pieces === undefined) return undefined;
  const ref = exactReference(pieces);
  const parentType = findResourceType(b.type)?.parent?.type;
  if (ref === undefined || ref.type !== parentType || ref.attr !== "id") {
    ctx.blockDiag(
      b,
      "TF_JSON_INVALID_USER_REF",
      `api_user_id must be a reference to an API user's id in this configuration, like "\${popdock_api_user.reporting_bot.id}"; got ${JSON.stringify(s)}`,
      path,
      { hint: "in CDKTF: apiUserId: user.id" },
    );
    return undefined;
  }
  const target = targetOf(ctx, b, ref, path);
  if (target === undefined) return undefined;
  if (target.broken) return undefined;
  return target.key;
}

/** The value at `path` inside `data`, if any. */
export function valueAt(data: unknown, path: readonly (string | number)[]): unknown {
  let cur = data;
  for (const seg of path) {
    if (typeof cur !== "object" || cur === null) return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}
