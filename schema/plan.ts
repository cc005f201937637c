/**
 * The plan: what `popdock plan` computes (pure, in provider/engine/plan.ts), renders, saves with
 * `--out FILE` and `popdock apply FILE` executes exactly. It holds no secret: attribute values
 * are the non-secret ones only; sensitive attributes are listed by name.
 */
import { z } from "zod";
import { PolicyResult } from "./policy.js";

export const PLAN_FORMAT_VERSION = 1;

export const Action = z.enum(["create", "update", "delete", "replace", "noop"]);
export type Action = z.infer<typeof Action>;

export const Attrs = z.record(z.string(), z.unknown());
export type Attrs = z.infer<typeof Attrs>;

/**
 * What a plan knows of a token's time (from Popdock's clock): its age, its last use and, for a
 * rotating token, when its rotation is due and what the plan decided. On every token change
 * (noops too) and on the changes of previous generations. Policies read these fields.
 */
export const TokenTiming = z.strictObject({
  /** `current`: the token at the address; `previous`: its predecessor, in its overlap. */
  generation: z.enum(["current", "previous"]),
  /** The token's Popdock name. */
  name: z.string(),
  /** Popdock's clock when the plan read Popdock. */
  server_time: z.string(),
  created_at: z.string(),
  age_seconds: z.number().int(),
  last_used_at: z.string().nullable(),
  last_used_seconds_ago: z.number().int().nullable(),
  rotation: z
    .strictObject({
      every_seconds: z.number().int().optional(),
      overlap_seconds: z.number().int(),
      retire_when_unused_seconds: z.number().int().optional(),
      /** The current generation: when it is due (created_at + every), and in how long (negative: overdue). */
      due_at: z.string().optional(),
      due_in_seconds: z.number().int().optional(),
      /** A previous generation: when its overlap ends. */
      retires_at: z.string().optional(),
      /**
       * `rotate`: a new generation is created; `retire`: this previous generation is deleted;
       * `keep`: its overlap has passed but it was used within `retire_when_unused`; `wait`: nothing
       * is due; `blocked`: due, but the previous generation has not retired yet.
       */
      decision: z.enum(["rotate", "retire", "keep", "wait", "blocked"]),
    })
    .optional(),
});
export type TokenTiming = z.infer<typeof TokenTiming>;

export const ResourceChange = z.strictObject({
  address: z.string(),
  type: z.string(),
  name: z.string(),
  index: z.string().optional(),
  /** Address of the owning API user (grants, tokens) or the user itself: used to group output. */
  group: z.string(),
  action: Action,
  /** For `replace`: create the new object before deleting the old one, or delete first. */
  replace_order: z.enum(["create_before_destroy", "delete_before_create"]).optional(),
  /** Human reasons, e.g. `name forces replacement`, `replace_triggered_by null_resource.x`. */
  reasons: z.array(z.string()).default([]),
  /** Non-secret attributes before (live, or state when live is unknown) and after. */
  before: Attrs.nullable(),
  after: Attrs.nullable(),
  /** Attribute names known only after apply (ids, versions, a new token's token_id). */
  after_unknown: z.array(z.string()).default([]),
  /** Sensitive attribute names (their values are never in a plan). */
  sensitive: z.array(z.string()).default([]),
  /** Attribute names that differ (update) or force replacement (replace). */
  changed: z.array(z.string()).default([]),
  /** The existing remote object, for update/delete/replace. */
  remote: z
    .strictObject({
      id: z.string(),
      parent_id: z.string().optional(),
      version: z.number().int(),
    })
    .optional(),
  /** For children of a deleted user: the user's delete removes them; no call is sent. */
  deleted_with: z.string().optional(),
  /** Owning user's address, for grants and tokens. */
  parent: z.string().optional(),
  /** lifecycle.prevent_destroy, carried into state. */
  prevent_destroy: z.boolean().optional(),
  /** For the delete of an object deposed by an interrupted create-before-destroy: its address. */
  deposed_of: z.string().optional(),
  /** For a change of a rotating token's previous generation: the token's address. */
  previous_of: z.string().optional(),
  /**
   * For the create of a token's next generation: the current generation (`remote`) becomes the
   * previous one, valid `overlap_seconds` after the new one's creation.
   */
  rotation: z.strictObject({ previous_id: z.string(), overlap_seconds: z.number().int() }).optional(),
  /** A token's ages and rotation schedule, from Popdock's clock. */
  token: TokenTiming.optional(),
  /** Addresses this change waits for (creates/updates) or that wait for it (deletes reverse this). */
  depends_on: z.array(z.string()).default([]),
  /**
   * Addresses whose delete, replacement or rename must complete before this change, because it
   * frees a name this change takes. Ordering only: not a dependency that deletes reverse.
   */
  waits_for: z.array(z.string()).default([]),
});
export type ResourceChange = z.infer<typeof ResourceChange>;

/** A difference between state and Popdock made outside popdock-iac since the last apply. */
export const DriftChange = z.strictObject({
  address: z.string(),
  type: z.string(),
  group: z.string(),
  /** `update`: attributes changed in Popdock; `delete`: deleted in Popdock. */
  action: z.enum(["update", "delete"]),
  before: Attrs.nullable(),
  after: Attrs.nullable(),
  changed: z.array(z.string()).default([]),
});
export type DriftChange = z.infer<typeof DriftChange>;

export const OutputChange = z.strictObject({
  name: z.string(),
  action: z.enum(["create", "update", "delete", "noop"]),
  sensitive: z.boolean(),
  /** Non-sensitive values only; absent when sensitive or unknown until apply. */
  before: z.string().optional(),
  after: z.string().optional(),
  after_unknown: z.boolean().default(false),
  automatic: z.boolean().default(false),
  description: z.string().optional(),
  parts: z.array(z.union([z.string(), z.strictObject({ address: z.string(), attr: z.string() })])),
});
export type OutputChange = z.infer<typeof OutputChange>;

/**
 * A change to the state alone, made before the resource changes at apply (engine/moves.ts): an
 * address moved (a `moved` block, or a child of a moved user), an entry forgotten (`removed`
 * with `destroy = false`), or an object adopted (`import`). No call to Popdock.
 */
export const StateAction = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("move"),
    type: z.string(),
    from: z.string(),
    to: z.string(),
    /** For a child moved with its user: the user's new address. */
    with: z.string().optional(),
  }),
  z.strictObject({
    kind: z.literal("remove"),
    type: z.string(),
    address: z.string(),
    id: z.string(),
    /** For a child forgotten with its user: the user's address. */
    with: z.string().optional(),
  }),
  z.strictObject({
    kind: z.literal("import"),
    type: z.string(),
    address: z.string(),
    id: z.string(),
    parent_id: z.string().optional(),
    parent: z.string().optional(),
    version: z.number().int().nonnegative(),
    /** Non-secret attributes as read from Popdock: the state entry's. */
    attributes: Attrs,
  }),
]);
export type StateAction = z.infer<typeof StateAction>;

export const PlanFile = z.strictObject({
  format_version: z.literal(PLAN_FORMAT_VERSION),
  tool: z.literal("popdock-iac"),
  created_at: z.string(),
  /** Endpoint the plan was made against (`local` for the embedded sandbox). */
  endpoint: z.string(),
  config_digest: z.string(),
  config_files: z.array(z.string()),
  /**
   * The state backend the plan was made from, without secrets: `kind` (`local`, `pg`), a stable
   * location (the local state file's absolute path; `postgres://user@host:port/db?schema=…`, no
   * password) and the workspace. `apply FILE` uses it from any directory, unless -c, --state or
   * --workspace say otherwise.
   */
  backend: z
    .strictObject({ kind: z.enum(["local", "pg"]), location: z.string(), workspace: z.string() })
    .optional(),
  /** The state the plan was made from; a saved plan applies only to exactly that state. */
  state_lineage: z.string(),
  state_serial: z.number().int(),
  /** Destroy plans delete everything in state. */
  mode: z.enum(["normal", "destroy"]).default("normal"),
  /** Popdock's clock when the plan read Popdock (the `Date` header), if known. */
  server_time: z.string().optional(),
  /** State-only changes (moves, removals, imports), applied before `changes`; absent when none. */
  state_actions: z.array(StateAction).optional(),
  changes: z.array(ResourceChange),
  drift: z.array(DriftChange).default([]),
  outputs: z.array(OutputChange).default([]),
  summary: z.strictObject({
    add: z.number().int(),
    change: z.number().int(),
    destroy: z.number().int(),
    tokens_to_create: z.number().int(),
  }),
  /** What the policy rules reported (provider/policy); absent when no policy was evaluated. */
  policy_results: z.array(PolicyResult).optional(),
  /**
   * A saved plan's seal (engine/plan-seal.ts): sha256 over the canonical JSON of everything
   * else, and an HMAC-SHA256 with POPDOCK_PLAN_SIGNING_KEY when that was set.
   */
  integrity: z.strictObject({ sha256: z.string(), hmac_sha256: z.string().optional() }).optional(),
});
export type PlanFile = z.infer<typeof PlanFile>;
export type Plan = PlanFile;
