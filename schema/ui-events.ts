/**
 * The machine-readable UI: what `plan --json`, `apply --json` and `destroy --json` print, one
 * JSON object per line, in the shape of Terraform's machine-readable UI (`terraform apply -json`:
 * `@level`, `@message`, `@module`, `@timestamp`, `type` and one payload key), so tooling written
 * for Terraform's stream reads ours. `@module` is `popdock.ui`; the `version` message carries
 * `popdock` (Terraform's carries `terraform`) and `ui` (the format's version, "1.0").
 *
 * Compatibility as Terraform promises it: a minor `ui` version adds messages or keys (ignore
 * those you do not know); a major one changes them.
 */
import { z } from "zod";
import { PolicyResult } from "./policy.js";

export const UI_VERSION = "1.0";

const Base = {
  "@level": z.enum(["trace", "debug", "info", "warn", "error"]),
  "@message": z.string(),
  "@module": z.literal("popdock.ui"),
  "@timestamp": z.iso.datetime({ offset: true }),
};

export const UiResource = z.strictObject({
  addr: z.string(),
  module: z.literal(""),
  resource: z.string(),
  implied_provider: z.string(),
  resource_type: z.string(),
  resource_name: z.string(),
  resource_key: z.string().nullable(),
});
export type UiResource = z.infer<typeof UiResource>;

/** Terraform's change actions (`forget`: removed from state only, as a `removed` block does). */
export const UiChangeAction = z.enum(["noop", "create", "read", "update", "replace", "delete", "forget"]);
export const UiHookAction = z.enum(["create", "read", "update", "delete", "forget"]);

const Hook = {
  resource: UiResource,
  action: UiHookAction,
};

export const UiPos = z.strictObject({
  line: z.number().int(),
  column: z.number().int(),
  byte: z.number().int(),
});

export const UiDiagnostic = z.strictObject({
  severity: z.enum(["error", "warning"]),
  summary: z.string(),
  detail: z.string(),
  /** popdock-iac's stable code (a diagnostic code or a POPDOCK_* error code). */
  code: z.string().optional(),
  address: z.string().optional(),
  range: z.strictObject({ filename: z.string(), start: UiPos, end: UiPos }).optional(),
});

export const UiEvent = z.discriminatedUnion("type", [
  z.strictObject({ ...Base, type: z.literal("version"), popdock: z.string(), ui: z.literal(UI_VERSION) }),
  z.strictObject({
    ...Base,
    type: z.literal("planned_change"),
    change: z.strictObject({
      resource: UiResource,
      action: UiChangeAction,
      reason: z.string().optional(),
    }),
  }),
  z.strictObject({
    ...Base,
    type: z.literal("resource_drift"),
    change: z.strictObject({ resource: UiResource, action: z.enum(["update", "delete"]) }),
  }),
  z.strictObject({
    ...Base,
    type: z.literal("apply_start"),
    hook: z.strictObject({ ...Hook, id_key: z.string().optional(), id_value: z.string().optional() }),
  }),
  z.strictObject({
    ...Base,
    type: z.literal("apply_progress"),
    hook: z.strictObject({ ...Hook, elapsed_seconds: z.number().int() }),
  }),
  z.strictObject({
    ...Base,
    type: z.literal("apply_complete"),
    hook: z.strictObject({
      ...Hook,
      id_key: z.string().optional(),
      id_value: z.string().optional(),
      elapsed_seconds: z.number().int(),
    }),
  }),
  z.strictObject({
    ...Base,
    type: z.literal("apply_errored"),
    hook: z.strictObject({ ...Hook, elapsed_seconds: z.number().int() }),
  }),
  z.strictObject({
    ...Base,
    type: z.literal("change_summary"),
    changes: z.strictObject({
      add: z.number().int(),
      change: z.number().int(),
      import: z.number().int(),
      remove: z.number().int(),
      operation: z.enum(["plan", "apply", "destroy"]),
    }),
  }),
  z.strictObject({
    ...Base,
    type: z.literal("outputs"),
    /** A sensitive output has no `value`: read it by name with `popdock output NAME --raw`. */
    outputs: z.record(
      z.string(),
      z.strictObject({
        sensitive: z.boolean(),
        type: z.literal("string"),
        value: z.string().optional(),
        /** Planned action, on `plan --json` only. */
        action: z.enum(["create", "update", "delete", "noop"]).optional(),
      }),
    ),
  }),
  z.strictObject({ ...Base, type: z.literal("diagnostic"), diagnostic: UiDiagnostic }),
  z.strictObject({ ...Base, type: z.literal("log") }),
  /** popdock-iac's own: the policy results of the plan (rule, address, message, level). */
  z.strictObject({ ...Base, type: z.literal("policy_results"), policy_results: z.array(PolicyResult) }),
]);
export type UiEvent = z.infer<typeof UiEvent>;
