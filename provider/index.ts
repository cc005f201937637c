/**
 * popdock-iac's public API: the pieces a program needs to plan and apply Popdock API users as
 * code without the CLI. Internals stay unexported; the sandbox and CDKTF constructs have their
 * own entry points (`popdock-iac/sandbox`, `popdock-iac/cdktf`).
 */

export type { Plan, ResourceChange } from "../schema/plan.js";
export type { StateFile } from "../schema/state.js";
export { LocalBackend } from "./backends/file/index.js";
export { acquireLock, forceUnlock } from "./backends/file/lock.js";
export { StateStore } from "./backends/file/state-store.js";
export { emptyState } from "./backends/state-codec.js";
export type { BackendIdentity, StateBackend, StateDelta } from "./backends/types.js";
export { PopdockClient, type PopdockClientOptions } from "./client/client.js";
export { PopdockApiError } from "./client/errors.js";
export type { PopdockApi, RequestStats } from "./client/types.js";
export { type ApplyOptions, type ApplyResult, applyPlan } from "./engine/apply.js";
export { makePlan, type PlanInput, type PlanResult } from "./engine/plan.js";
export { recoverPending } from "./engine/recover.js";
export { refresh } from "./engine/refresh.js";
export { renderPlanJson } from "./engine/render/json.js";
export { renderPlanMarkdown } from "./engine/render/markdown.js";
export { renderPlanText } from "./engine/render/text.js";
export { loadYamlConfig } from "./frontends/yaml/index.js";
export type { DesiredConfig, DesiredOutput, DesiredResource } from "./model/desired.js";
export { type Diagnostic, formatDiagnostic, hasErrors } from "./model/diagnostics.js";
export { ConfigError, PopdockError, type PopdockErrorCode, UsageError } from "./model/errors.js";
export type { LiveSnapshot } from "./model/live.js";
export {
  defineResourceType,
  type ResourceType,
  type ResourceTypeDef,
  registerResourceType,
  resourceTypes,
} from "./resources/index.js";
