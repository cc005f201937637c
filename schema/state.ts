/**
 * The state file (`.popdock/state.json`): what popdock-iac manages and the Popdock IDs and
 * versions it last saw. Versioned JSON with a `lineage` (one per state's life) and a `serial`
 * (bumped on every write). It never holds a token ID: only IDs, non-secret attributes,
 * versions and pending steps.
 */
import { z } from "zod";

export const STATE_FORMAT_VERSION = 1;

export const StateResource = z.strictObject({
  /**
   * Resource type name (`popdock_api_user`, …). Any name parses here (schema/ cannot know the
   * registry in provider/resources); the engine refuses a type it does not know, naming it.
   */
  type: z.string().min(1),
  /** Popdock object id (`usr_…`, `grt_…`, `tok_…`); for null_resource a generated id. */
  id: z.string(),
  /** Owning API user's Popdock id, for grants and tokens. */
  parent_id: z.string().optional(),
  /** Address of the owning API user, for grants and tokens. */
  parent: z.string().optional(),
  /** Remote object version last seen (after our last write or refresh). */
  version: z.number().int().nonnegative(),
  /** Non-secret attributes as last seen remotely (names and resolved ids). */
  attributes: z.record(z.string(), z.unknown()),
  /** Addresses this resource depends on (for ordering deletes). */
  dependencies: z.array(z.string()).default([]),
  /**
   * Protected when last applied. Kept in state so that removing a protected resource from the
   * configuration is refused too (Terraform loses the protection with the block).
   */
  prevent_destroy: z.boolean().optional(),
  /**
   * A rotating token's previous generation (the entry itself is the current one): still valid in
   * Popdock until `retires_at`, then deleted by a plan once nobody uses it. Absent in older states.
   */
  previous: z
    .strictObject({
      id: z.string(),
      version: z.number().int().nonnegative(),
      /** Non-secret attributes as last seen (name, token_id_hint, created_at). */
      attributes: z.record(z.string(), z.unknown()),
      /** When its overlap ends (Popdock's clock): its successor's creation + `overlap`. */
      retires_at: z.string(),
    })
    .optional(),
});
export type StateResource = z.infer<typeof StateResource>;

/** A mutating step recorded before its call, cleared after it. Survives a crash. */
export const PendingStep = z.strictObject({
  address: z.string(),
  action: z.enum(["create", "update", "delete"]),
  type: z.string(),
  /** The Idempotency-Key sent with a create; replaying it resolves the outcome. */
  idempotency_key: z.string().optional(),
  /** Popdock id of the parent user (grants, tokens) or of the object (update/delete). */
  parent_id: z.string().optional(),
  object_id: z.string().optional(),
  /** The create request body (no secrets), to replay or to find the object by name. */
  request: z.record(z.string(), z.unknown()).optional(),
  /** For a create-before-destroy replacement: the object being replaced. */
  replaces_id: z.string().optional(),
  /**
   * For a token rotation: the overlap, in seconds. The object `replaces_id` names becomes the
   * entry's `previous` generation (retiring `overlap_seconds` after the new one's creation)
   * instead of being deposed.
   */
  overlap_seconds: z.number().int().positive().optional(),
  started_at: z.string(),
});
export type PendingStep = z.infer<typeof PendingStep>;

export const StateOutput = z.strictObject({
  sensitive: z.boolean(),
  /** Present for non-sensitive outputs only. */
  value: z.string().optional(),
  /** The references the output is built from, to evaluate sensitive ones live. */
  parts: z.array(z.union([z.string(), z.strictObject({ address: z.string(), attr: z.string() })])),
  description: z.string().optional(),
});
export type StateOutput = z.infer<typeof StateOutput>;

/** An object replaced create-before-destroy whose delete has not completed yet. */
export const DeposedObject = z.strictObject({
  address: z.string(),
  type: StateResource.shape.type,
  id: z.string(),
  parent_id: z.string().optional(),
  version: z.number().int().nonnegative(),
});
export type DeposedObject = z.infer<typeof DeposedObject>;

/** A policy override an apply used (provider/cli/policy.ts): kept in the state, so in its history. */
export const PolicyOverrideRecord = z.strictObject({
  time: z.string(),
  event: z.literal("policy_override"),
  command: z.string(),
  user: z.string().nullable(),
  endpoint: z.string(),
  state_lineage: z.string(),
  state_serial: z.number().int(),
  config_digest: z.string(),
  policy_overrides: z.array(
    z.strictObject({
      rule: z.string(),
      reason: z.string(),
      level: z.string(),
      addresses: z.array(z.string()),
    }),
  ),
});
export type PolicyOverrideRecord = z.infer<typeof PolicyOverrideRecord>;

export const StateFile = z.strictObject({
  format_version: z.literal(STATE_FORMAT_VERSION),
  /** Tool that wrote it: guards against foreign files. */
  tool: z.literal("popdock-iac"),
  lineage: z.uuid(),
  serial: z.number().int().nonnegative(),
  /** Endpoint the state belongs to (`local` for the embedded sandbox). */
  endpoint: z.string().optional(),
  resources: z.record(z.string(), StateResource),
  pending: z.array(PendingStep).default([]),
  deposed: z.array(DeposedObject).default([]),
  outputs: z.record(z.string(), StateOutput).default({}),
  /** The last policy overrides applies used (newest last), with their reasons. */
  policy_overrides: z.array(PolicyOverrideRecord).optional(),
});
export type StateFile = z.infer<typeof StateFile>;
