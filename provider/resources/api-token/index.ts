/**
 * `popdock_api_token`: a named API token of an API user. Its `token_id` is the credential:
 * returned by create (and by an administrator's GET), handed to outputs in memory, never written
 * to state or plans. A new name forces replacement, new token created before the old is deleted.
 * Import id: `USER_ID/TOKEN_ID`.
 */
import { z } from "zod";
import type { TokenMeta } from "../../../schema/api.js";
import type { DesiredToken } from "../../model/desired.js";
import { InternalError, UsageError } from "../../model/errors.js";
import { defineResourceType } from "../define.js";
import type { LiveObject } from "../types.js";
import { apiTokenConfig } from "./config.js";

const TokenAttrs = z.object({
  name: z.string(),
  /** Known once the token exists (read from Popdock); never part of what is sent. */
  token_id_hint: z.string().optional(),
  created_at: z.string().optional(),
  /** A rotating token's triggers as last applied (never sent to Popdock): a change rotates it. */
  rotation_triggers: z.record(z.string(), z.string()).optional(),
});
export type TokenAttrs = z.infer<typeof TokenAttrs>;

function toLive(t: TokenMeta): LiveObject<TokenAttrs> {
  return {
    id: t.id,
    parentId: t.api_user_id,
    version: t.version,
    attrs: { name: t.name, token_id_hint: t.token_id_hint, created_at: t.created_at },
    createdAt: t.created_at,
  };
}

export const apiToken = defineResourceType<DesiredToken, TokenAttrs>({
  type: "popdock_api_token",
  order: 20,
  parent: { type: "popdock_api_user", address: (res) => res.user },
  // A token's dependants (the keeper it follows) must not lose it before the new token exists.
  createBeforeDestroy: true,
  uniqueName: true,
  referenceable: ["id", "name", "token_id"],
  sensitive: ["token_id"],
  compared: ["name"],
  updatable: [],
  computed: ["id", "token_id", "token_id_hint", "created_at"],
  sets: [],
  createsSecret: true,
  attrs: TokenAttrs,
  config: apiTokenConfig,
  render: {
    noun: "token",
    describe: (a) => `a token named "${a.name}" of this API user`,
    attributeOrder: ["name", "id", "token_id_hint", "token_id"],
    displayNames: [],
    informational: ["token_id_hint", "created_at"],
    dotShape: 'shape = "note"',
    mermaidShape: ["[/", "/]"],
  },
  import: {
    format: "USER_ID/TOKEN_ID",
    parse(importId) {
      const [userId, tokenId, extra] = importId.split("/");
      if (!userId || !tokenId || extra !== undefined) {
        throw new UsageError(`token import id "${importId}" is not USER_ID/TOKEN_ID`);
      }
      return { id: tokenId, parentId: userId };
    },
  },

  desired: (res) => ({ attrs: { name: res.attrs.name }, diagnostics: [] }),

  read(live, entry) {
    const t = live.tokenById.get(entry.id);
    return t ? toLive(t) : undefined;
  },

  conflict(live, parentId, after) {
    if (parentId === undefined) return undefined;
    const want = after.name.toLowerCase();
    const t = live.userById.get(parentId)?.tokens?.find((x) => x.name.toLowerCase() === want);
    return t ? toLive(t) : undefined;
  },

  async create(ctx, after, parentId) {
    if (parentId === undefined) throw new InternalError("token create without a parent user id");
    const t = await ctx.api.createToken(
      parentId,
      { name: after.name },
      { signal: ctx.signal, ...(ctx.idempotencyKey ? { idempotencyKey: ctx.idempotencyKey } : {}) },
    );
    const { token_id, ...meta } = t;
    const live = toLive(meta);
    // Kept in state with the token, so that a later change of a trigger is seen.
    if (after.rotation_triggers !== undefined) live.attrs.rotation_triggers = after.rotation_triggers;
    return { ...live, secret: token_id };
  },

  update() {
    return Promise.reject(new InternalError("popdock_api_token has no in-place updates"));
  },

  async delete(ctx, remote) {
    if (remote.parentId === undefined) throw new InternalError("token delete without a parent user id");
    await ctx.api.deleteToken(remote.parentId, remote.id, {
      signal: ctx.signal,
      ifMatchVersion: remote.version,
    });
  },

  async readSecret(ctx, entry) {
    if (entry.parent_id === undefined) throw new InternalError("token read without a parent user id");
    const t = await ctx.api.getToken(entry.parent_id, entry.id, { signal: ctx.signal });
    return t.token_id;
  },

  async importRead(ctx, { id, parentId }) {
    if (parentId === undefined) throw new InternalError("token import without a parent user id");
    const t = await ctx.api.getToken(parentId, id, { signal: ctx.signal });
    const { token_id, ...meta } = t;
    return { ...toLive(meta), secret: token_id };
  },
});
