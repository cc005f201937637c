/**
 * `popdock-iac/policy`: what a custom policy module imports.
 *
 * ```ts
 * import { definePolicy } from "popdock-iac/policy";
 * export default definePolicy({
 *   id: "no-wildcard-lists",
 *   level: "mandatory",
 *   types: ["popdock_api_user_grant"],
 *   check: (change) =>
 *     change.after?.kind === "connector" && (change.after.lists as string[]).length === 0
 *       ? "a connector grant must list the lists it reads"
 *       : undefined,
 * });
 * ```
 */
export { definePolicy } from "./define.js";
export type {
  PolicyAction,
  PolicyChange,
  PolicyCheckResult,
  PolicyContext,
  PolicyDefinition,
  PolicyLevel,
  PolicyLive,
  PolicyLiveToken,
  PolicyLiveUser,
  PolicyResult,
} from "./types.js";
