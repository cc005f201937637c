/**
 * `-replace ADDR` (plan and apply, repeatable, as Terraform's): the planner forces a replacement
 * of each named object that would otherwise be kept or updated. A token with a rotation policy is
 * not replaced here: it rotates through its overlap (provider/engine/rotation.ts). An address
 * neither configured nor in state is an error.
 */
import type { ResourceChange } from "../../schema/plan.js";
import type { StateFile } from "../../schema/state.js";
import type { AnyDesiredResource, RotationPolicy } from "../model/desired.js";
import type { Diagnostic } from "../model/diagnostics.js";
import { resourceTypeFor } from "../resources/index.js";

export interface ReplaceContext {
  input: { replace?: readonly string[]; mode?: "normal" | "destroy" };
  state: StateFile;
  desiredByAddr: ReadonlyMap<string, AnyDesiredResource>;
  changes: Map<string, ResourceChange>;
  diagnostics: Diagnostic[];
}

/** Whether a configured resource is a token that rotates by generations. */
export function rotatesByGenerations(res: AnyDesiredResource | undefined): boolean {
  if (res?.type !== "popdock_api_token") return false;
  return (res.attrs as { rotation?: RotationPolicy }).rotation?.overlap_seconds !== undefined;
}

export function planReplaceRequests(ctx: ReplaceContext): void {
  for (const addr of new Set(ctx.input.replace ?? [])) {
    const res = ctx.desiredByAddr.get(addr);
    const ch = ctx.changes.get(addr);
    if (res === undefined || ch === undefined) {
      const inState = addr in ctx.state.resources;
      ctx.diagnostics.push({
        code: "PLAN_REPLACE_UNKNOWN",
        severity: "error",
        message: inState
          ? `-replace ${addr}: it is no longer in the configuration, so it is deleted, not replaced`
          : `-replace ${addr}: no such resource in the configuration`,
        hint: "name a configured resource by its address, as `popdock state list` or the plan shows it",
      });
      continue;
    }
    if (rotatesByGenerations(res)) continue; // rotation.ts rotates it through its overlap
    if (ch.action === "create" || ch.action === "replace") continue; // made new anyway
    const h = resourceTypeFor(ch.type, ch.address);
    ch.action = "replace";
    ch.reasons.push("requested with -replace");
    ch.after_unknown = [...h.computed];
  }
}
