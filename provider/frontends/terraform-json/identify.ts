/**
 * Stage 3, identify: a block's popdock address — `popdock_api_user.<name>`, or for grants and
 * tokens `<type>.<user name>["<grant key | token key>"]` — as in the YAML format.
 *   in: Block (values, user)   out: Block (address, index)
 */
import { formatAddress, grantKey } from "../../model/desired.js";
import type { Block, ReadContext } from "./context.js";
import { grantSpec } from "./resource-types.js";
import { type ApiTokenArgs, GRANT_TYPE, type GrantArgs, NULL_TYPE, TOKEN_TYPE, USER_TYPE } from "./schema.js";

export function identify(ctx: ReadContext, b: Block): void {
  if (b.broken) return;
  switch (b.type) {
    case USER_TYPE:
    case NULL_TYPE:
      b.address = formatAddress(b.type, b.name);
      return;
    case GRANT_TYPE:
    case TOKEN_TYPE: {
      const user = b.user === undefined ? undefined : ctx.blocks.get(b.user);
      if (user === undefined || user.broken) {
        b.broken = true;
        return;
      }
      if (b.type === GRANT_TYPE) {
        b.index = grantKey(grantSpec(b.values as GrantArgs));
      } else {
        b.index = (b.values as Partial<ApiTokenArgs>).key ?? b.name;
      }
      b.address = formatAddress(b.type, user.name, b.index);
    }
  }
}
