/**
 * `popdock_api_user_grant`: one permission of an API user — a team membership, a system role, or
 * access to a connector narrowed to companies, lists, actions and details. Team and role grants
 * have nothing to update (create/delete); a connector grant's roles and scopes update in place;
 * a different target forces replacement. Import id: `USER_ID/GRANT_ID`.
 */
import type { Grant, GrantCreate } from "../../../schema/api.js";
import type { Attrs } from "../../../schema/plan.js";
import type { DesiredGrant } from "../../model/desired.js";
import { UsageError } from "../../model/errors.js";
import type { LiveSnapshot } from "../../model/live.js";
import type { LiveObject, ResourceHandler } from "../types.js";
import { resolveGrant } from "./resolve.js";

const SCOPES = ["roles", "companies", "lists", "actions", "details"] as const;

function nameOf<T extends { id: string; name: string }>(items: readonly T[], id: string): string {
  return items.find((i) => i.id === id)?.name ?? id;
}

/** Live grant → plan attributes (names looked up from the reference data, for people). */
export function grantAttrs(g: Grant, live: Pick<LiveSnapshot, "teams" | "roles" | "connectors">): Attrs {
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

/** The address index of a grant from its attributes: `team:Finance`, `connector:GP Production`. */
export function grantKeyOfAttrs(a: Attrs): string {
  return `${String(a.kind)}:${String(a.team ?? a.role ?? a.connector)}`;
}

function targetOf(a: Attrs): string {
  return `${String(a.kind)}:${String(a.team_id ?? a.role_id ?? a.connector_id)}`;
}

function toLive(g: Grant, live: Pick<LiveSnapshot, "teams" | "roles" | "connectors">): LiveObject {
  return {
    id: g.id,
    parentId: g.api_user_id,
    version: g.version,
    attrs: grantAttrs(g, live),
    createdAt: g.created_at,
  };
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : [];
}

function createBody(a: Attrs): GrantCreate {
  switch (a.kind) {
    case "team":
      return { type: "team", team_id: String(a.team_id) };
    case "role":
      return { type: "role", role_id: String(a.role_id) };
    default:
      return {
        type: "connector",
        connector_id: String(a.connector_id),
        roles: strings(a.roles),
        companies: strings(a.companies),
        lists: strings(a.lists),
        actions: strings(a.actions),
        details: strings(a.details),
      };
  }
}

export const apiUserGrant: ResourceHandler<DesiredGrant> = {
  type: "popdock_api_user_grant",
  sensitive: [],
  compared: ["kind", "team_id", "role_id", "connector_id", ...SCOPES],
  updatable: [...SCOPES],
  computed: ["id"],
  sets: [...SCOPES],
  importIdFormat: "USER_ID/GRANT_ID",

  desired(res, live) {
    const r = resolveGrant(res, live);
    return r.attrs
      ? { attrs: r.attrs as unknown as Attrs, diagnostics: r.diagnostics }
      : { diagnostics: r.diagnostics };
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
    if (parentId === undefined) throw new Error("grant create without a parent user id");
    const g = await ctx.api.createGrant(parentId, createBody(after), {
      signal: ctx.signal,
      ...(ctx.idempotencyKey ? { idempotencyKey: ctx.idempotencyKey } : {}),
    });
    return { id: g.id, parentId: g.api_user_id, version: g.version, attrs: { ...after } };
  },

  async update(ctx, remote, after) {
    if (remote.parentId === undefined) throw new Error("grant update without a parent user id");
    const patch = Object.fromEntries(SCOPES.map((k) => [k, strings(after[k])]));
    const g = await ctx.api.updateGrant(remote.parentId, remote.id, patch, {
      signal: ctx.signal,
      ifMatchVersion: remote.version,
    });
    return { id: g.id, parentId: g.api_user_id, version: g.version, attrs: { ...after } };
  },

  async delete(ctx, remote) {
    if (remote.parentId === undefined) throw new Error("grant delete without a parent user id");
    await ctx.api.deleteGrant(remote.parentId, remote.id, {
      signal: ctx.signal,
      ifMatchVersion: remote.version,
    });
  },

  async import(ctx, importId) {
    const [userId, grantId, extra] = importId.split("/");
    if (!userId || !grantId || extra !== undefined) {
      throw new UsageError(`grant import id "${importId}" is not USER_ID/GRANT_ID`);
    }
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
};
