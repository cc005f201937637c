/**
 * Terraform's planning modes over a computed plan (pure): `-target ADDR` keeps only the changes
 * of the targeted resources and what they depend on, and `-refresh-only` keeps none, so that
 * applying it records in the state what changed in Popdock without changing Popdock.
 */
import type { OutputChange, Plan, ResourceChange } from "../../schema/plan.js";
import type { StateFile } from "../../schema/state.js";
import { type Diagnostic, didYouMean } from "../model/diagnostics.js";
import { summarizeChanges } from "./summary.js";

/** Terraform's warning, in our words: targeting is for exceptional use. */
export const TARGET_WARNING: Diagnostic = {
  code: "PLAN_TARGETED",
  severity: "warning",
  message: "Resource targeting is in effect: this plan may not hold every change the configuration asks for",
  hint: "-target is for exceptional situations, such as recovering from a mistake or an error that names it; run a plan without -target afterwards to see what remains",
};

/** Does `target` name `address` (exactly, or every instance of `type.name` without an index)? */
function names(target: string, address: string): boolean {
  return address === target || (!target.includes("[") && address.startsWith(`${target}[`));
}

/**
 * The plan restricted to `targets` and their dependencies: the objects they depend on (a grant
 * or token's API user, anything named in `depends_on` or waited for), and the children a
 * targeted API user's delete removes with it. Unknown targets are errors.
 */
export function targetPlan(
  plan: Plan,
  targets: readonly string[],
): { plan?: Plan; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const addresses = plan.changes.map((c) => c.address);
  const selected = new Set<string>();
  for (const t of targets) {
    const hits = addresses.filter((a) => names(t, a));
    if (hits.length === 0) {
      const guess = didYouMean(t, addresses);
      diagnostics.push({
        code: "PLAN_TARGET_UNKNOWN",
        severity: "error",
        message: `-target ${t} names nothing in the configuration or the state`,
        ...(guess ? { hint: `did you mean ${guess}?` } : {}),
      });
    }
    for (const h of hits) selected.add(h);
  }
  if (diagnostics.length > 0) return { diagnostics };
  const byAddress = new Map(plan.changes.map((c) => [c.address, c] as const));
  const queue = [...selected];
  while (queue.length > 0) {
    const c = byAddress.get(queue.pop() as string);
    if (!c) continue;
    const deps = [...c.depends_on, ...c.waits_for, ...(c.parent !== undefined ? [c.parent] : [])];
    if (c.action === "delete" || c.action === "replace") {
      // Deleted with a targeted user: its children go in the same call.
      for (const other of plan.changes) if (other.deleted_with === c.address) deps.push(other.address);
    }
    for (const d of deps) {
      if (!selected.has(d) && byAddress.has(d)) {
        selected.add(d);
        queue.push(d);
      }
    }
  }
  const changes = plan.changes.filter((c) => selected.has(c.address));
  return {
    plan: { ...plan, changes, summary: summarizeChanges(changes) },
    diagnostics: [TARGET_WARNING],
  };
}

/** The state's outputs as unchanged plan outputs (a refresh-only apply keeps them). */
function keptOutputs(state: StateFile): OutputChange[] {
  return Object.entries(state.outputs).map(([name, o]) => ({
    name,
    action: "noop",
    sensitive: o.sensitive,
    ...(o.value !== undefined ? { before: o.value, after: o.value } : {}),
    after_unknown: false,
    automatic: false,
    ...(o.description !== undefined ? { description: o.description } : {}),
    parts: o.parts.map((p) => (typeof p === "string" ? p : { ...p })),
  }));
}

/**
 * `-refresh-only`: a plan with no action. Every object in the state becomes a no-op carrying what
 * Popdock has now (applying it records that in the state, as `syncUnchanged` does), and the state
 * to apply it to forgets the objects deleted in Popdock (with their children). The drift is kept
 * for display; `accepted` counts it.
 */
export function refreshOnlyPlan(
  plan: Plan,
  state: StateFile,
): { plan: Plan; state: StateFile; accepted: number } {
  const gone = new Set(plan.drift.filter((d) => d.action === "delete").map((d) => d.address));
  for (const [address, r] of Object.entries(state.resources)) {
    if (r.parent !== undefined && gone.has(r.parent)) gone.add(address);
  }
  const changes: ResourceChange[] = plan.changes
    .filter((c) => state.resources[c.address] !== undefined && !gone.has(c.address) && c.remote !== undefined)
    .map((c) => ({ ...c, action: "noop", after: c.before, changed: [], reasons: [] }));
  const next: StateFile = structuredClone(state);
  for (const a of gone) delete next.resources[a];
  next.pending = next.pending.filter((p) => !gone.has(p.address));
  next.deposed = next.deposed.filter((d) => !gone.has(d.address));
  return {
    plan: { ...plan, changes, outputs: keptOutputs(state), summary: summarizeChanges(changes) },
    state: next,
    accepted: plan.drift.length,
  };
}
