/**
 * The live snapshot: what refresh read of Popdock, indexed for the pure planner. Immutable once
 * built; `engine/refresh.ts` fills it from the API.
 */
import type { ApiUser, Connector, Grant, Role, Team, TokenMeta } from "../../schema/api.js";

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
  /**
   * Popdock's clock when the snapshot was read (ISO 8601, from the responses' `Date` header), if
   * known. Token ages and rotation decisions are measured from it, never from this machine's clock.
   */
  serverTime?: string;
}

export function buildSnapshot(parts: {
  teams: Team[];
  roles: Role[];
  connectors: Connector[];
  users: ApiUser[];
  serverTime?: string;
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
