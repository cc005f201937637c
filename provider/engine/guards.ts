/**
 * Guards on a finished plan: refusals that protect against a plan that is valid but almost
 * certainly not what anybody meant. Pure; the planner's caller turns them into diagnostics.
 */
import type { Plan } from "../../schema/plan.js";
import type { StateFile } from "../../schema/state.js";
import type { Diagnostic } from "../model/diagnostics.js";

export interface DestroyAllOptions {
  /** The user said so: `--allow-destroy-all` (or `--allow-empty`). */
  allowed: boolean;
  /** The configuration declares emptiness on purpose (`api_users: {}`). */
  declaredEmpty: boolean;
  /** How many resources the configuration declares. */
  declared: number;
  /** Where the state lives, for the message (`.popdock/state.json`, a workspace…). */
  stateName: string;
  /** The workspace of that state, when there are workspaces (the CLI always says). */
  workspace?: string;
}

/**
 * A normal plan that deletes every object the state manages — an empty file, a `{}`, the wrong
 * `-c` or variables that rename every key — needs `popdock destroy` or an explicit flag. Returns
 * the error diagnostic, or undefined when the plan may go ahead.
 */
export function destroyAllProblem(
  plan: Plan,
  state: StateFile,
  opts: DestroyAllOptions,
): Diagnostic | undefined {
  if (plan.mode !== "normal" || opts.allowed) return undefined;
  const managed = Object.keys(state.resources);
  if (managed.length === 0) return undefined;
  const deleted = new Set(plan.changes.filter((c) => c.action === "delete").map((c) => c.address));
  if (!managed.every((a) => deleted.has(a))) return undefined;
  const n = managed.length;
  const objects = `${n} object${n === 1 ? "" : "s"}`;
  const where =
    opts.workspace === undefined
      ? `the state ${opts.stateName}`
      : `workspace ${opts.workspace} (${opts.stateName})`;
  const other = opts.workspace === undefined ? "state" : "workspace";
  if (opts.declared === 0) {
    if (opts.declaredEmpty) return undefined;
    return {
      code: "PLAN_EMPTY_CONFIG",
      severity: "error",
      message: `the configuration declares no API users, but ${where} manages ${objects}: this plan would destroy all of them`,
      hint: "to destroy everything, run `popdock destroy`; to mean an empty configuration, write `api_users: {}` (YAML) or pass --allow-destroy-all",
    };
  }
  return {
    code: "PLAN_DESTROYS_ALL",
    severity: "error",
    message: `this plan destroys all ${objects} in ${where}${plan.summary.add > 0 ? ` and creates ${plan.summary.add} new` : ""}: did you mean another ${other}, configuration or set of variables?`,
    hint: "if this is what you mean, pass --allow-destroy-all; to destroy everything, run `popdock destroy`",
  };
}
