/**
 * Steps: the calls a plan needs, with the order between them (pure). Creates and updates wait
 * for what they depend on; removals wait for their dependants (the reverse); a create-before-
 * destroy replacement deletes the old object after the new one exists; children of a deleted
 * user are only forgotten, after it; a change that takes a name waits for the change freeing it.
 */
import type { Plan, ResourceChange } from "../../schema/plan.js";
import { PopdockError } from "../model/errors.js";

export type StepKind = "create" | "update" | "delete" | "forget";

export interface Step {
  id: string;
  kind: StepKind;
  address: string;
  change: ResourceChange;
  /** For the delete half of a replacement: the old object. */
  deposed?: boolean;
  deps: string[];
}

/** Turns plan changes into steps with dependencies (pure). */
export function planSteps(plan: Pick<Plan, "changes">): Step[] {
  const steps = buildSteps(plan.changes);
  const cycle = cycleOf(steps);
  if (cycle) {
    throw new StepCycleError(`the apply steps form a cycle: ${cycle.join(" → ")}; nothing was changed`, {
      hint: "this is a popdock-iac bug: please report it with the plan (popdock plan --out FILE)",
    });
  }
  return steps;
}

/** The addresses on a cycle of the steps these changes need, or undefined when they can be ordered. */
export function findStepCycle(changes: readonly ResourceChange[]): string[] | undefined {
  const cycle = cycleOf(buildSteps(changes));
  return cycle?.map((id) => id.slice(id.indexOf(":") + 1));
}

function buildSteps(changes: readonly ResourceChange[]): Step[] {
  const steps: Step[] = [];
  const byAddr = new Map(changes.map((c) => [c.address, c]));
  const add = (s: Omit<Step, "id">) => {
    const id = `${s.kind}${s.deposed ? "-old" : ""}:${s.address}`;
    steps.push({ ...s, id });
    return id;
  };
  for (const ch of changes) {
    switch (ch.action) {
      case "noop":
        break;
      case "create":
        add({ kind: "create", address: ch.address, change: ch, deps: [] });
        break;
      case "update":
        add({ kind: "update", address: ch.address, change: ch, deps: [] });
        break;
      case "delete":
        add({ kind: ch.deleted_with ? "forget" : "delete", address: ch.address, change: ch, deps: [] });
        break;
      case "replace":
        add({ kind: "create", address: ch.address, change: ch, deps: [] });
        add({
          kind: ch.deleted_with ? "forget" : "delete",
          address: ch.address,
          change: ch,
          deposed: true,
          deps: [],
        });
        break;
    }
  }
  const ids = new Set(steps.map((s) => s.id));
  const has = (id: string) => ids.has(id);
  /** The step that removes the (old) object at `address`. */
  const removal = (address: string): string | undefined => {
    const c = byAddr.get(address);
    if (!c) return undefined;
    for (const id of [
      `delete:${address}`,
      `forget:${address}`,
      `delete-old:${address}`,
      `forget-old:${address}`,
    ]) {
      if (has(id)) return id;
    }
    return undefined;
  };
  const write = (address: string): string | undefined =>
    has(`create:${address}`)
      ? `create:${address}`
      : has(`update:${address}`)
        ? `update:${address}`
        : undefined;

  for (const s of steps) {
    const ch = s.change;
    const deps = new Set<string>();
    if (s.kind === "create" || s.kind === "update") {
      for (const d of ch.depends_on) {
        const w = write(d);
        if (w) deps.add(w);
        const dc = byAddr.get(d);
        if (dc && dc.action === "delete") {
          const r = removal(d);
          if (r) deps.add(r);
        }
      }
      // Names freed by another change: its delete/replacement, or its rename.
      for (const w of ch.waits_for) {
        const wc = byAddr.get(w);
        const r = wc && (wc.action === "delete" || wc.action === "replace") ? removal(w) : write(w);
        if (r) deps.add(r);
      }
      if (ch.action === "replace" && ch.replace_order === "delete_before_create") {
        const r = removal(ch.address);
        if (r) deps.add(r);
      }
    } else {
      // Removing an object: its dependents go first (reverse order); a deposed object goes after
      // its replacement exists (create-before-destroy); children of a deleted user go with it.
      if (ch.deleted_with) {
        const r = removal(ch.deleted_with);
        if (r) deps.add(r);
      }
      if (s.deposed && ch.replace_order === "create_before_destroy") deps.add(`create:${ch.address}`);
      for (const other of changes) {
        if (other.address === ch.address) continue;
        const dependsOnThis = other.depends_on.includes(ch.address) || other.parent === ch.address;
        if (!dependsOnThis || other.deleted_with === ch.address) continue;
        if (other.action === "delete" || other.action === "replace") {
          const r = removal(other.address);
          if (r) deps.add(r);
        }
      }
    }
    deps.delete(s.id);
    s.deps = [...deps];
  }
  return steps;
}

/** Thrown before any call when the steps cannot be ordered. */
export class StepCycleError extends PopdockError {
  readonly code = "POPDOCK_STEP_CYCLE";
}

function cycleOf(steps: readonly Step[]): string[] | undefined {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const mark = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    const m = mark.get(id);
    if (m === "done") return undefined;
    if (m === "visiting") return [...stack.slice(stack.indexOf(id)), id];
    mark.set(id, "visiting");
    stack.push(id);
    for (const d of byId.get(id)?.deps ?? []) {
      if (!byId.has(d)) continue;
      const c = visit(d);
      if (c) return c;
    }
    stack.pop();
    mark.set(id, "done");
    return undefined;
  };
  for (const s of steps) {
    const c = visit(s.id);
    if (c) return c;
  }
  return undefined;
}
