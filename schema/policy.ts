/**
 * Policy results as a plan carries them (`policy_results` in the plan file and `plan --json`):
 * one per rule that reported something about one address. Evaluated by `provider/policy/`.
 */
import { z } from "zod";

/** How a rule is enforced: Sentinel's advisory / soft-mandatory / hard-mandatory, and off. */
export const PolicyLevel = z.enum(["advisory", "mandatory", "hard", "off"]);
export type PolicyLevel = z.infer<typeof PolicyLevel>;

export const PolicyResult = z.strictObject({
  /** The rule's stable id (`no-admin-role`, or a custom rule's id). */
  rule: z.string(),
  /** The resource address the result is about (`plan` for a result about the whole plan). */
  address: z.string(),
  message: z.string(),
  /** Never `off`: an off rule is not evaluated. */
  level: z.enum(["advisory", "mandatory", "hard"]),
  /** The rule threw: a policy error, never a pass. */
  error: z.boolean().optional(),
});
export type PolicyResult = z.infer<typeof PolicyResult>;
