/**
 * How a plan's state actions (moves, removals from state, imports: engine/moves.ts) read in the
 * text plan, in Terraform's words: `# popdock_api_user.old has moved to popdock_api_user.new`,
 * `# X will be removed from the state but not destroyed`, `# X will be imported`. An address
 * whose resource also changes is shown with its change, and a note of where it came from.
 */
import type { Plan, ResourceChange, StateAction } from "../../../schema/plan.js";
import { parseAddress } from "../../model/desired.js";
import { clean } from "./diff.js";

/** The headline of an action whose resource has no other change (one line, unstyled). */
export function stateActionHeadline(a: StateAction): string {
  switch (a.kind) {
    case "move":
      return `${clean(a.from)} has moved to ${clean(a.to)}`;
    case "remove":
      return `${clean(a.address)} will be removed from the state but not destroyed`;
    case "import":
      return `${clean(a.address)} will be imported`;
  }
}

/** The comment a change gets when its address was moved or imported in this plan (`moved from X`). */
export function stateActionNote(plan: Plan, address: string): string | undefined {
  for (const a of plan.state_actions ?? []) {
    if (a.kind === "move" && a.to === address) return `moved from ${a.from}`;
    if (a.kind === "import" && a.address === address) return `imported from "${a.id}"`;
  }
  return undefined;
}

/** The address an action leaves its object at (for moves and imports), or forgets. */
function addressOf(a: StateAction): string {
  return a.kind === "move" ? a.to : a.address;
}

/**
 * Blocks for the actions whose resource has no other change, each:
 *
 *     # popdock_api_user.old has moved to popdock_api_user.new
 *       resource "popdock_api_user" "new" {
 *           id = "usr_1"
 *       }
 */
export function stateActionBlocks(plan: Plan, bold: (s: string) => string): string[] {
  const changed = new Map<string, ResourceChange>();
  const ids = new Map<string, string>();
  for (const c of plan.changes) {
    if (c.action !== "noop") changed.set(c.address, c);
    else if (c.remote) ids.set(c.address, c.remote.id);
  }
  const out: string[] = [];
  for (const a of plan.state_actions ?? []) {
    const address = addressOf(a);
    if (a.kind !== "remove" && changed.has(address)) continue; // shown with its change
    const lines = [`  ${bold(`# ${stateActionHeadline(a)}`)}`];
    if (a.kind === "remove") {
      lines.push(
        a.with !== undefined
          ? `  # (with ${clean(a.with)}; it stays in Popdock)`
          : "  # (it stays in Popdock; popdock-iac no longer manages it)",
      );
    } else if (a.kind === "move" && a.with !== undefined) {
      lines.push(`  # (with ${clean(a.with)})`);
    }
    const p = parseAddress(address);
    const id = a.kind === "move" ? ids.get(address) : a.id;
    lines.push(
      `    resource ${clean(JSON.stringify(a.type))} ${clean(JSON.stringify(p?.name ?? address))} {`,
    );
    if (id !== undefined) lines.push(`        id = ${clean(JSON.stringify(id))}`);
    lines.push("    }");
    out.push(lines.join("\n"));
  }
  return out;
}

/** How many objects the plan imports (`Plan: 1 to import, …`). */
export function importCount(plan: Plan): number {
  return (plan.state_actions ?? []).filter((a) => a.kind === "import").length;
}
