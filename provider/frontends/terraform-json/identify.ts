/**
 * Stage 3, identify: a block's popdock address — `<type>.<name>`, or for a child type (one with a
 * parent argument: grants, tokens) `<type>.<parent name>["<index>"]`, the index from the type's
 * configuration (grant key, token key) — as in the YAML format.
 *   in: Block (values, user)   out: Block (address, index)
 */
import { formatAddress } from "../../model/desired.js";
import type { Block, ReadContext } from "./context.js";

export function identify(ctx: ReadContext, b: Block): void {
  if (b.broken) return;
  if (b.tf.parentArgument === undefined) {
    b.address = formatAddress(b.type, b.name);
    return;
  }
  const user = b.user === undefined ? undefined : ctx.blocks.get(b.user);
  if (user === undefined || user.broken) {
    b.broken = true;
    return;
  }
  const index = b.tf.index(b.values, b.name);
  if (index !== undefined) b.index = index;
  b.address = formatAddress(b.type, user.name, index);
}
