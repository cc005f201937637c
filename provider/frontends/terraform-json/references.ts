/**
 * Reference targets, used by every stage that follows references: the block a `${type.name…}`
 * reference names (reporting undeclared ones once), and the "no such attribute" diagnostic.
 */
import { didYouMean } from "../../model/diagnostics.js";
import { REFERENCEABLE_ATTRS } from "../attributes.js";
import type { Block, OutputBlock, ReadContext } from "./context.js";
import { refKey, refText, type TfRef } from "./expressions.js";
import { COMPUTED_ATTRS, STATIC_ATTRS } from "./resource-types.js";
import { SUPPORTED_TYPES, type SupportedType } from "./schema.js";
import type { DocPath, JsonSource } from "./source.js";

/** The block `ref` names; reports unknown ones (unless declared with an unsupported type). */
export function targetOf(
  ctx: ReadContext,
  b: Block | OutputBlock,
  ref: TfRef,
  path: DocPath,
): Block | undefined {
  const key = refKey(ref);
  const target = ctx.blocks.get(key);
  if (target !== undefined) return target.broken && target.state === "done" ? undefined : target;
  if (ctx.foreign.has(key)) return undefined;
  const src = b.src;
  const cp = b.constructPath;
  if (!(SUPPORTED_TYPES as readonly string[]).includes(ref.type)) {
    const guess = didYouMean(ref.type, SUPPORTED_TYPES);
    ctx.diag(
      src,
      "REF_UNKNOWN_RESOURCE",
      `unknown resource type "${ref.type}" in "\${${refText(ref)}}"`,
      path,
      {
        constructPath: cp,
        hint: guess !== undefined ? `did you mean "${guess}"?` : `types: ${SUPPORTED_TYPES.join(", ")}`,
      },
    );
    return undefined;
  }
  const guess = didYouMean(key, [...ctx.blocks.keys()]);
  ctx.diag(src, "REF_UNKNOWN_RESOURCE", `reference to undeclared resource ${key}`, path, {
    constructPath: cp,
    hint: guess !== undefined ? `did you mean ${guess}?` : undefined,
  });
  return undefined;
}

export function unknownAttribute(
  ctx: ReadContext,
  src: JsonSource,
  type: SupportedType,
  ref: TfRef,
  path: DocPath,
  cp: string | undefined,
): void {
  const attrs = allAttrs(type);
  const guess = didYouMean(ref.attr ?? "", attrs);
  ctx.diag(src, "REF_UNKNOWN_ATTRIBUTE", `${type} has no attribute "${ref.attr}"`, path, {
    constructPath: cp,
    hint: guess !== undefined ? `did you mean "${guess}"?` : `attributes: ${attrs.join(", ")}`,
  });
}

export function allAttrs(type: SupportedType): string[] {
  return [...new Set([...REFERENCEABLE_ATTRS[type], ...STATIC_ATTRS[type], ...COMPUTED_ATTRS[type]])];
}
