/**
 * The clock token ages are measured against.
 *
 * MERGE SEAM (branch `tokens`): that branch records Popdock's server time in the refresh
 * snapshot. Until then `serverTime` is undefined and the local clock is used; at merge, the one
 * line below reads the snapshot's field (e.g. `live.server_time`).
 */
import type { LiveSnapshot } from "../model/live.js";

export function policyNow(live: LiveSnapshot | undefined, localNow: () => Date = () => new Date()): Date {
  const serverTime: string | undefined = (live as { server_time?: string } | undefined)?.server_time; // ← the seam
  const t = serverTime === undefined ? Number.NaN : Date.parse(serverTime);
  return Number.isNaN(t) ? localNow() : new Date(t);
}
