/** `popdock_api_user`: an API user. Name and description update in place. Import id: `USER_ID`. */
import { z } from "zod";
import type { ApiUser } from "../../../schema/api.js";
import type { DesiredApiUser } from "../../model/desired.js";
import { defineResourceType } from "../define.js";
import type { LiveObject } from "../types.js";
import { apiUserConfig } from "./config.js";

const UserAttrs = z.object({ name: z.string(), description: z.string().default("") });
export type UserAttrs = z.infer<typeof UserAttrs>;

function attrsOf(u: ApiUser): UserAttrs {
  return { name: u.name, description: u.description };
}

function toLive(u: ApiUser): LiveObject<UserAttrs> {
  return { id: u.id, version: u.version, attrs: attrsOf(u), createdAt: u.created_at };
}

export const apiUser = defineResourceType<DesiredApiUser, UserAttrs>({
  type: "popdock_api_user",
  order: 0,
  createBeforeDestroy: false,
  uniqueName: true,
  referenceable: ["id", "name", "description"],
  sensitive: [],
  compared: ["name", "description"],
  updatable: ["name", "description"],
  computed: ["id"],
  sets: [],
  attrs: UserAttrs,
  config: apiUserConfig,
  render: {
    noun: "API user",
    describe: (a) => `an API user named "${a.name}"`,
    attributeOrder: ["name", "description", "id"],
    displayNames: [],
    informational: [],
    groupTitle: "API user",
    dotShape: 'shape = "box", style = "bold"',
    mermaidShape: ["[", "]"],
  },
  import: {
    format: "USER_ID (e.g. usr_8f2c…)",
    parse: (importId) => ({ id: importId }),
  },

  desired: (res) => ({
    attrs: { name: res.attrs.name, description: res.attrs.description },
    diagnostics: [],
  }),

  read(live, entry) {
    const u = live.userById.get(entry.id);
    return u ? toLive(u) : undefined;
  },

  conflict(live, _parentId, after) {
    const u = live.userByName.get(after.name.toLowerCase());
    return u ? toLive(u) : undefined;
  },

  async create(ctx, after) {
    const u = await ctx.api.createApiUser(
      { name: after.name, description: after.description },
      { signal: ctx.signal, ...(ctx.idempotencyKey ? { idempotencyKey: ctx.idempotencyKey } : {}) },
    );
    return { id: u.id, version: u.version, attrs: attrsOf(u) };
  },

  async update(ctx, remote, after) {
    const patch: { name?: string; description?: string } = {};
    if (after.name !== remote.attrs.name) patch.name = after.name;
    if (after.description !== remote.attrs.description) patch.description = after.description;
    const u = await ctx.api.updateApiUser(remote.id, patch, {
      signal: ctx.signal,
      ifMatchVersion: remote.version,
    });
    return { id: u.id, version: u.version, attrs: attrsOf(u) };
  },

  async delete(ctx, remote) {
    await ctx.api.deleteApiUser(remote.id, { signal: ctx.signal, ifMatchVersion: remote.version });
  },

  async importRead(ctx, { id }) {
    const u = await ctx.api.getApiUser(id, { signal: ctx.signal });
    return { id: u.id, version: u.version, attrs: attrsOf(u) };
  },
});
