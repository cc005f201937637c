/**
 * `popdock_api_token`: a named API token of an API user. Its `token_id` is the credential:
 * returned by create (and by an administrator's GET), handed to outputs in memory, never written
 * to state or plans. A new name forces replacement, new token created before the old is deleted.
 * Import id: `USER_ID/TOKEN_ID`.
 */
import type { TokenMeta } from "../../../schema/api.js";
import type { DesiredToken } from "../../model/desired.js";
import { UsageError } from "../../model/errors.js";
import type { LiveObject, ResourceHandler } from "../types.js";

function toLive(t: TokenMeta): LiveObject {
  return {
    id: t.id,
    parentId: t.api_user_id,
    version: t.version,
    attrs: { name: t.name, token_id_hint: t.token_id_hint, created_at: t.created_at },
    createdAt: t.created_at,
  };
}

export const apiToken: ResourceHandler<DesiredToken> = {
  type: "popdock_api_token",
  sensitive: ["token_id"],
  compared: ["name"],
  updatable: [],
  computed: ["id", "token_id", "token_id_hint", "created_at"],
  sets: [],
  importIdFormat: "USER_ID/TOKEN_ID",

  desired: (res) => ({ attrs: { name: res.attrs.name }, diagnostics: [] }),

  read(live, entry) {
    const t = live.tokenById.get(entry.id);
    return t ? toLive(t) : undefined;
  },

  conflict(live, parentId, after) {
    if (parentId === undefined) return undefined;
    const want = String(after.name).toLowerCase();
    const t = live.userById.get(parentId)?.tokens?.find((x) => x.name.toLowerCase() === want);
    return t ? toLive(t) : undefined;
  },

  async create(ctx, after, parentId) {
    if (parentId === undefined) throw new Error("token create without a parent user id");
    const t = await ctx.api.createToken(
      parentId,
      { name: String(after.name) },
      { signal: ctx.signal, ...(ctx.idempotencyKey ? { idempotencyKey: ctx.idempotencyKey } : {}) },
    );
    const { token_id, ...meta } = t;
    return { ...toLive(meta), secret: token_id };
  },

  update() {
    return Promise.reject(new Error("popdock_api_token has no in-place updates"));
  },

  async delete(ctx, remote) {
    if (remote.parentId === undefined) throw new Error("token delete without a parent user id");
    await ctx.api.deleteToken(remote.parentId, remote.id, {
      signal: ctx.signal,
      ifMatchVersion: remote.version,
    });
  },

  async import(ctx, importId) {
    const [userId, tokenId, extra] = importId.split("/");
    if (!userId || !tokenId || extra !== undefined) {
      throw new UsageError(`token import id "${importId}" is not USER_ID/TOKEN_ID`);
    }
    const t = await ctx.api.getToken(userId, tokenId, { signal: ctx.signal });
    const { token_id, ...meta } = t;
    return { ...toLive(meta), secret: token_id };
  },
};
