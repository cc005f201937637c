/**
 * `definePolicy`: the one way a custom rule is declared (`import { definePolicy } from
 * "popdock-iac/policy"`). It checks the definition's shape at once so that a typo is reported
 * when the module loads, naming the module, rather than when a plan is evaluated.
 */
import type { PolicyDefinition } from "./types.js";

export const RULE_ID = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
const LEVELS = new Set(["advisory", "mandatory", "hard"]);

/** Marks what `definePolicy` returned, so loaders can tell a rule from any other export. */
export const POLICY_MARK: unique symbol = Symbol.for("popdock-iac.policy");

export type DefinedPolicy = PolicyDefinition & { readonly [POLICY_MARK]: true };

/** Why `def` is not a usable rule definition, or undefined when it is. */
export function definitionProblem(def: unknown): string | undefined {
  if (typeof def !== "object" || def === null) return "a policy must be an object { id, check }";
  const d = def as Record<string, unknown>;
  if (typeof d.id !== "string" || !RULE_ID.test(d.id))
    return `a policy id must be lower-case words joined by "-" (e.g. "no-wildcard-lists"), not ${JSON.stringify(d.id)}`;
  if (typeof d.check !== "function") return `policy "${d.id}" has no check(change, ctx) function`;
  if (d.level !== undefined && !LEVELS.has(d.level as string))
    return `policy "${d.id}": level must be advisory, mandatory or hard, not ${JSON.stringify(d.level)}`;
  if (d.types !== undefined && !(Array.isArray(d.types) && d.types.every((t) => typeof t === "string")))
    return `policy "${d.id}": types must be a list of resource type names`;
  return undefined;
}

/**
 * Declares a policy rule. `check(change, ctx)` returns `undefined` to pass, or a message (or a
 * list of messages) to report against `change.address`. A rule that throws is reported as a
 * policy error naming it, and fails the plan's policy check.
 *
 * @throws TypeError when the definition is malformed (bad id, no `check`, unknown level).
 */
export function definePolicy(def: PolicyDefinition): DefinedPolicy {
  const problem = definitionProblem(def);
  if (problem !== undefined) throw new TypeError(problem);
  return Object.freeze({ ...def, [POLICY_MARK]: true as const });
}
