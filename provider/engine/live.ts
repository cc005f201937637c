/**
 * Refresh: reads everything popdock-iac needs to know about Popdock in the fewest requests the
 * contract allows — the three reference lists and the paged directory of API users with
 * `expand=grants,tokens` — never one GET per resource. The result is an immutable snapshot the
 * pure planner works from.
 */
import type { ApiUser, Connector, Grant, Role, Team, TokenMeta } from "../../schema/api.js";
import type { PopdockApi } from "../client/types.js";

export interface LiveSnapshot {
  teams: Team[];
  roles: Role[];
  connectors: Connector[];
  users: ApiUser[];
  /** By Popdock id. */
  userById: ReadonlyMap<string, ApiUser>;
  /** By lower-cased name (Popdock names are unique case-insensitively). */
  userByName: ReadonlyMap<string, ApiUser>;
  /** Grants and tokens by id, with their user's id. */
  grantById: ReadonlyMap<string, Grant>;
  tokenById: ReadonlyMap<string, TokenMeta>;
}

export function buildSnapshot(parts: {
  teams: Team[];
  roles: Role[];
  connectors: Connector[];
  users: ApiUser[];
}): LiveSnapshot {
  const userById = new Map<string, ApiUser>();
  const userByName = new Map<string, ApiUser>();
  const grantById = new Map<string, Grant>();
  const tokenById = new Map<string, TokenMeta>();
  for (const u of parts.users) {
    userById.set(u.id, u);
    userByName.set(u.name.toLowerCase(), u);
    for (const g of u.grants ?? []) grantById.set(g.id, g);
    for (const t of u.tokens ?? []) tokenById.set(t.id, t);
  }
  return { ...parts, userById, userByName, grantById, tokenById };
}

/**
 * Only the reference data (teams, roles, connectors): enough to resolve names, 3 requests, no
 * user directory. For `validate --remote`.
 */
export async function refreshReference(
  api: PopdockApi,
  opts: { signal?: AbortSignal } = {},
): Promise<LiveSnapshot> {
  const signal = opts.signal ? { signal: opts.signal } : {};
  const [teams, roles, connectors] = await Promise.all([
    api.listTeams(signal),
    api.listRoles(signal),
    api.listConnectors(signal),
  ]);
  return buildSnapshot({ teams, roles, connectors, users: [] });
}

/** Reads the live snapshot: 3 reference requests + ceil(users / pageSize) directory pages, in parallel. */
export async function refresh(
  api: PopdockApi,
  opts: { pageSize?: number; signal?: AbortSignal } = {},
): Promise<LiveSnapshot> {
  const signal = opts.signal ? { signal: opts.signal } : {};
  const [teams, roles, connectors, users] = await Promise.all([
    api.listTeams(signal),
    api.listRoles(signal),
    api.listConnectors(signal),
    api.listAllApiUsers({ expand: ["grants", "tokens"], limit: opts.pageSize ?? 500, ...signal }),
  ]);
  return buildSnapshot({ teams, roles, connectors, users });
}
