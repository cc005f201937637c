/**
 * The clock token ages are measured against: Popdock's (the refresh snapshot's server time, from
 * the `Date` header of its responses), so a runner with a skewed clock judges the same; the
 * local clock only when the snapshot has none (offline checks of a saved plan).
 */
import type { LiveSnapshot } from "../model/live.js";

export function policyNow(live: LiveSnapshot | undefined, localNow: () => Date = () => new Date()): Date {
  const t = live?.serverTime === undefined ? Number.NaN : Date.parse(live.serverTime);
  return Number.isNaN(t) ? localNow() : new Date(t);
}
