/**
 * Reference targets, used by every stage that follows references: the block a `${type.name…}`
 * reference names (reporting undeclared ones once), the "no such attribute" diagnostic, and the
 * value of an argument known now (the type's `knownValue`).
 */
import { didYouMean } from "../../model/diagnostics.js";
import { configuredTypeNames, referenceableAttrs } from "../resource-config.js";
import type { Block, OutputBlock, ReadContext } from "./context.js";
import { refKey, refText, type TfRef } from "./expressions.js";
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
  const supported = configuredTypeNames();
  if (!supported.includes(ref.type)) {
    const guess = didYouMean(ref.type, supported);
    ctx.diag(
      src,
      "REF_UNKNOWN_RESOURCE",
      `unknown resource type "${ref.type}" in "\${${refText(ref)}}"`,
      path,
      {
        constructPath: cp,
        hint: guess !== undefined ? `did you mean "${guess}"?` : `types: ${supported.join(", ")}`,
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
  target: Block,
  ref: TfRef,
  path: DocPath,
  cp: string | undefined,
): void {
  const attrs = allAttrs(target);
  const guess = didYouMean(ref.attr ?? "", attrs);
  ctx.diag(src, "REF_UNKNOWN_ATTRIBUTE", `${target.type} has no attribute "${ref.attr}"`, path, {
    constructPath: cp,
    hint: guess !== undefined ? `did you mean "${guess}"?` : `attributes: ${attrs.join(", ")}`,
  });
}

/** Every attribute a reference to `target` may name: referenceable, known now, or known after apply. */
export function allAttrs(target: Block): string[] {
  const { known, computed } = target.tf;
  return [...new Set([...(referenceableAttrs(target.type) ?? []), ...known, ...computed])];
}

/** The value of an argument of `b` known now (`b.tf.known`), for a reference; undefined when unset. */
export function staticAttr(b: Block, attr: string): string | undefined {
  return b.tf.knownValue(b.values, b.name, attr);
}
