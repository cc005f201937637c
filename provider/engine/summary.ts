/**
 * Plan counts, the way Terraform counts them: every resource instance counts once per side of
 * its action. The planner fills `plan.summary` with this; renderers print `plan.summary`.
 */
import type { Plan, ResourceChange } from "../../schema/plan.js";
import { findResourceType } from "../resources/index.js";

export type PlanSummary = Plan["summary"];

/**
 * Counts changes: create = 1 to add; update = 1 to change; delete = 1 to destroy (children
 * deleted together with their user count too: each is a destroyed resource); replace = 1 to
 * add + 1 to destroy; noop = nothing. `tokens_to_create` counts token creates and token
 * replaces: each mints a new token ID the user must pick up after apply.
 */
export function summarizeChanges(changes: readonly Pick<ResourceChange, "action" | "type">[]): PlanSummary {
  const summary: PlanSummary = { add: 0, change: 0, destroy: 0, tokens_to_create: 0 };
  for (const c of changes) {
    switch (c.action) {
      case "create":
        summary.add++;
        break;
      case "update":
        summary.change++;
        break;
      case "delete":
        summary.destroy++;
        break;
      case "replace":
        summary.add++;
        summary.destroy++;
        break;
      case "noop":
        break;
    }
    if ((c.action === "create" || c.action === "replace") && findResourceType(c.type)?.createsSecret) {
      summary.tokens_to_create++;
    }
  }
  return summary;
}
