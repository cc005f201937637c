/** `popdock_api_user`: an API user. Name and description update in place. */
import type { ApiUser } from "../../../schema/api.js";
import type { DesiredApiUser } from "../../model/desired.js";
import type { LiveObject, ResourceHandler } from "../types.js";

function attrsOf(u: ApiUser) {
  return { name: u.name, description: u.description };
}

function toLive(u: ApiUser): LiveObject {
  return { id: u.id, version: u.version, attrs: attrsOf(u), createdAt: u.created_at };
}

export const apiUser: ResourceHandler<DesiredApiUser> = {
  type: "popdock_api_user",
  sensitive: [],
  compared: ["name", "description"],
  updatable: ["name", "description"],
  computed: ["id"],
  sets: [],
  importIdFormat: "USER_ID (e.g. usr_8f2c…)",

  desired: (res) => ({
    attrs: { name: res.attrs.name, description: res.attrs.description },
    diagnostics: [],
  }),

  read(live, entry) {
    const u = live.userById.get(entry.id);
    return u ? toLive(u) : undefined;
  },

  conflict(live, _parentId, after) {
    const u = live.userByName.get(String(after.name).toLowerCase());
    return u ? toLive(u) : undefined;
  },

  async create(ctx, after) {
    const u = await ctx.api.createApiUser(
      { name: String(after.name), description: String(after.description ?? "") },
      { signal: ctx.signal, ...(ctx.idempotencyKey ? { idempotencyKey: ctx.idempotencyKey } : {}) },
    );
    return { id: u.id, version: u.version, attrs: attrsOf(u) };
  },

  async update(ctx, remote, after) {
    const patch: { name?: string; description?: string } = {};
    if (after.name !== remote.attrs.name) patch.name = String(after.name);
    if (after.description !== remote.attrs.description) patch.description = String(after.description ?? "");
    const u = await ctx.api.updateApiUser(remote.id, patch, {
      signal: ctx.signal,
      ifMatchVersion: remote.version,
    });
    return { id: u.id, version: u.version, attrs: attrsOf(u) };
  },

  async delete(ctx, remote) {
    await ctx.api.deleteApiUser(remote.id, { signal: ctx.signal, ifMatchVersion: remote.version });
  },

  async import(ctx, importId) {
    const u = await ctx.api.getApiUser(importId, { signal: ctx.signal });
    return { id: u.id, version: u.version, attrs: attrsOf(u) };
  },
};
