/**
 * `popdock_api_user_grant`: one permission of an API user — a team membership, a system role, or
 * access to a connector narrowed to companies, lists, actions and details. Team and role grants
 * have nothing to update (create/delete); a connector grant's roles and scopes update in place;
 * a different target forces replacement. Import id: `USER_ID/GRANT_ID`.
 */
import { z } from "zod";
import type { Grant, GrantCreate } from "../../../schema/api.js";
import type { DesiredGrant } from "../../model/desired.js";
import { InternalError, UsageError } from "../../model/errors.js";
import type { LiveSnapshot } from "../../model/live.js";
import { defineResourceType } from "../define.js";
import type { LiveObject } from "../types.js";
import { apiUserGrantConfig } from "./config.js";
import { resolveGrant } from "./resolve.js";

const SCOPES = ["roles", "companies", "lists", "actions", "details"] as const;

/** A grant's attributes: names for people, ids for the API (as `resolveGrant` builds them). */
const GrantAttrs = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("team"), team: z.string(), team_id: z.string() }),
  z.object({ kind: z.literal("role"), role: z.string(), role_id: z.string() }),
  z.object({
    kind: z.literal("connector"),
    connector: z.string(),
    connector_id: z.string(),
    roles: z.array(z.string()),
    companies: z.array(z.string()),
    lists: z.array(z.string()),
    actions: z.array(z.string()),
    details: z.array(z.string()),
  }),
]);
export type GrantAttrs = z.infer<typeof GrantAttrs>;

function nameOf<T extends { id: string; name: string }>(items: readonly T[], id: string): string {
  return items.find((i) => i.id === id)?.name ?? id;
}

/** Live grant → plan attributes (names looked up from the reference data, for people). */
export function grantAttrs(g: Grant, live: Pick<LiveSnapshot, "teams" | "roles" | "connectors">): GrantAttrs {
  switch (g.type) {
    case "team":
      return { kind: "team", team: nameOf(live.teams, g.team_id), team_id: g.team_id };
    case "role":
      return { kind: "role", role: nameOf(live.roles, g.role_id), role_id: g.role_id };
    case "connector":
      return {
        kind: "connector",
        connector: nameOf(live.connectors, g.connector_id),
        connector_id: g.connector_id,
        roles: [...g.roles].sort(),
        companies: [...g.companies].sort(),
        lists: [...g.lists].sort(),
        actions: [...g.actions].sort(),
        details: [...g.details].sort(),
      };
  }
}

/** The name of what a grant grants: the team, role or connector. */
function targetName(a: GrantAttrs): string {
  switch (a.kind) {
    case "team":
      return a.team;
    case "role":
      return a.role;
    case "connector":
      return a.connector;
  }
}

/** The address index of a grant from its attributes: `team:Finance`, `connector:GP Production`. */
export function grantKeyOfAttrs(a: GrantAttrs): string {
  return `${a.kind}:${targetName(a)}`;
}

function targetOf(a: GrantAttrs): string {
  switch (a.kind) {
    case "team":
      return `team:${a.team_id}`;
    case "role":
      return `role:${a.role_id}`;
    case "connector":
      return `connector:${a.connector_id}`;
  }
}

function toLive(
  g: Grant,
  live: Pick<LiveSnapshot, "teams" | "roles" | "connectors">,
): LiveObject<GrantAttrs> {
  return {
    id: g.id,
    parentId: g.api_user_id,
    version: g.version,
    attrs: grantAttrs(g, live),
    createdAt: g.created_at,
  };
}

function createBody(a: GrantAttrs): GrantCreate {
  switch (a.kind) {
    case "team":
      return { type: "team", team_id: a.team_id };
    case "role":
      return { type: "role", role_id: a.role_id };
    case "connector":
      return {
        type: "connector",
        connector_id: a.connector_id,
        roles: [...a.roles],
        companies: [...a.companies],
        lists: [...a.lists],
        actions: [...a.actions],
        details: [...a.details],
      };
  }
}

/** The scopes an in-place update sends: only connector grants have any (others send empty lists). */
function scopesOf(a: GrantAttrs): Record<(typeof SCOPES)[number], string[]> {
  const of = (k: (typeof SCOPES)[number]) => (a.kind === "connector" ? [...a[k]] : []);
  return {
    roles: of("roles"),
    companies: of("companies"),
    lists: of("lists"),
    actions: of("actions"),
    details: of("details"),
  };
}

export const apiUserGrant = defineResourceType<DesiredGrant, GrantAttrs>({
  type: "popdock_api_user_grant",
  order: 10,
  parent: { type: "popdock_api_user", address: (res) => res.user },
  createBeforeDestroy: false,
  uniqueName: true,
  referenceable: ["id"],
  sensitive: [],
  compared: ["kind", "team_id", "role_id", "connector_id", ...SCOPES],
  updatable: [...SCOPES],
  computed: ["id"],
  sets: [...SCOPES],
  attrs: GrantAttrs,
  config: apiUserGrantConfig,
  render: {
    noun: "grant",
    describe: (a) => `a ${a.kind} grant for "${targetName(a)}" on this API user`,
    attributeOrder: [
      "kind",
      "team",
      "team_id",
      "role",
      "role_id",
      "connector",
      "connector_id",
      ...SCOPES,
      "id",
    ],
    displayNames: ["team", "role", "connector"],
    informational: [],
    dotShape: 'shape = "ellipse"',
    mermaidShape: ["([", "])"],
  },
  import: {
    format: "USER_ID/GRANT_ID",
    parse(importId) {
      const [userId, grantId, extra] = importId.split("/");
      if (!userId || !grantId || extra !== undefined) {
        throw new UsageError(`grant import id "${importId}" is not USER_ID/GRANT_ID`);
      }
      return { id: grantId, parentId: userId };
    },
    addressIndex: grantKeyOfAttrs,
  },

  desired(res, live) {
    const r = resolveGrant(res, live);
    return r.attrs ? { attrs: r.attrs, diagnostics: r.diagnostics } : { diagnostics: r.diagnostics };
  },

  read(live, entry) {
    const g = live.grantById.get(entry.id);
    return g ? toLive(g, live) : undefined;
  },

  conflict(live, parentId, after) {
    if (parentId === undefined) return undefined;
    const user = live.userById.get(parentId);
    const want = targetOf(after);
    const g = user?.grants?.find((x) => targetOf(grantAttrs(x, live)) === want);
    return g ? toLive(g, live) : undefined;
  },

  async create(ctx, after, parentId) {
    if (parentId === undefined) throw new InternalError("grant create without a parent user id");
    const g = await ctx.api.createGrant(parentId, createBody(after), {
      signal: ctx.signal,
      ...(ctx.idempotencyKey ? { idempotencyKey: ctx.idempotencyKey } : {}),
    });
    return { id: g.id, parentId: g.api_user_id, version: g.version, attrs: { ...after } };
  },

  async update(ctx, remote, after) {
    if (remote.parentId === undefined) throw new InternalError("grant update without a parent user id");
    const g = await ctx.api.updateGrant(remote.parentId, remote.id, scopesOf(after), {
      signal: ctx.signal,
      ifMatchVersion: remote.version,
    });
    return { id: g.id, parentId: g.api_user_id, version: g.version, attrs: { ...after } };
  },

  async delete(ctx, remote) {
    if (remote.parentId === undefined) throw new InternalError("grant delete without a parent user id");
    await ctx.api.deleteGrant(remote.parentId, remote.id, {
      signal: ctx.signal,
      ifMatchVersion: remote.version,
    });
  },

  async importRead(ctx, { id: grantId, parentId: userId }) {
    if (userId === undefined) throw new InternalError("grant import without a parent user id");
    const [grants, teams, roles, connectors] = await Promise.all([
      ctx.api.listGrants(userId, { signal: ctx.signal }),
      ctx.api.listTeams({ signal: ctx.signal }),
      ctx.api.listRoles({ signal: ctx.signal }),
      ctx.api.listConnectors({ signal: ctx.signal }),
    ]);
    const g = grants.find((x) => x.id === grantId);
    if (!g)
      throw new UsageError(`API user ${userId} has no grant ${grantId}`, {
        hint: "list them with the Popdock UI or GET .../grants",
      });
    return {
      id: g.id,
      parentId: userId,
      version: g.version,
      attrs: grantAttrs(g, { teams, roles, connectors }),
    };
  },
});
