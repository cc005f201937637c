/**
 * Refresh: reads everything popdock-iac needs to know about Popdock in the fewest requests the
 * contract allows — the three reference lists and the paged directory of API users with
 * `expand=grants,tokens` — never one GET per resource. The result is an immutable snapshot the
 * pure planner works from.
 */
import type { PopdockApi } from "../client/types.js";
import { buildSnapshot, type LiveSnapshot } from "../model/live.js";

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
  const serverTime = api.serverTime?.();
  return buildSnapshot({
    teams,
    roles,
    connectors,
    users,
    ...(serverTime !== undefined ? { serverTime: serverTime.toISOString() } : {}),
  });
}
