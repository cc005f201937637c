/**
 * The shapes a policy rule sees and returns: the typed planned change, the read-only context
 * (the whole plan and the refresh snapshot, without secrets), and the rule definition that
 * `definePolicy` checks. Shared by the built-in rules (./builtin.ts) and users' own modules.
 */
import type { z } from "zod";
import type { PolicyLevel } from "../../schema/policy.js";

export type { PolicyLevel, PolicyResult } from "../../schema/policy.js";

/** Terraform's `actions` list: a replace is two actions in the order they run. */
export type PolicyAction = "create" | "update" | "delete" | "no-op";

/** One planned change as a rule sees it. `before`/`after` hold non-secret attributes only. */
export interface PolicyChange {
  readonly address: string;
  /** `popdock_api_user`, `popdock_api_user_grant`, `popdock_api_token`, `null_resource`, … */
  readonly type: string;
  readonly name: string;
  /** The address index (`powerbi`, `team:Finance`), undefined when the address has none. */
  readonly index: string | undefined;
  readonly actions: readonly PolicyAction[];
  /** The object as it is (null for a create). */
  readonly before: Readonly<Record<string, unknown>> | null;
  /** The object as it will be (null for a delete). */
  readonly after: Readonly<Record<string, unknown>> | null;
  /** The owning API user's address, for grants and tokens (undefined for users). */
  readonly parent: string | undefined;
  /** Addresses this change depends on (a token's rotation keeper `null_resource`, …). */
  readonly depends_on: readonly string[];
  /**
   * A token's rotation policy (the `rotation` block with `overlap`), in seconds, and its schedule
   * by Popdock's clock; undefined for other types and for tokens without one.
   */
  readonly rotation:
    | Readonly<{ every_seconds?: number | undefined; overlap_seconds: number; due_at?: string | undefined }>
    | undefined;
}

/** A live token as policies see it: metadata only (no Token ID, not even its last characters). */
export interface PolicyLiveToken {
  readonly id: string;
  readonly api_user_id: string;
  readonly name: string;
  readonly created_at: string;
  readonly last_used_at: string | null;
}

export interface PolicyLiveUser {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly created_at: string;
  readonly updated_at: string;
  readonly grants: readonly Readonly<Record<string, unknown>>[];
  readonly tokens: readonly PolicyLiveToken[];
}

/** What refresh read of Popdock, without secrets. */
export interface PolicyLive {
  readonly users: readonly PolicyLiveUser[];
  readonly teams: readonly Readonly<{ id: string; name: string }>[];
  readonly roles: readonly Readonly<{ id: string; name: string; scope: string }>[];
  readonly connectors: readonly Readonly<{
    id: string;
    name: string;
    companies: readonly string[];
    lists: readonly string[];
    actions: readonly string[];
    details: readonly string[];
  }>[];
}

/** The read-only context every `check` gets. */
export interface PolicyContext {
  /** Every planned change (noops included), in address order. */
  readonly changes: readonly PolicyChange[];
  /** The plan's own metadata. */
  readonly plan: Readonly<{
    mode: "normal" | "destroy";
    endpoint: string;
    created_at: string;
    summary: Readonly<{ add: number; change: number; destroy: number; tokens_to_create: number }>;
  }>;
  /** The refresh snapshot; undefined when evaluating a saved plan offline (`policy check`). */
  readonly live: PolicyLive | undefined;
  /** The live token behind an existing token change, when refresh saw it. */
  liveToken(change: PolicyChange): PolicyLiveToken | undefined;
  /** The clock rules measure ages against (Popdock's clock when the snapshot has one). */
  readonly now: Date;
  /** The rule's settings from the policy configuration (built-in rules: checked parameters). */
  readonly params: Readonly<Record<string, unknown>>;
}

/** What `check` returns: nothing to pass, a message or several to report. */
export type PolicyCheckResult = undefined | string | readonly string[];

/** A rule: `definePolicy({ id, level, check })`. */
export interface PolicyDefinition {
  /** Stable id, lower-case words joined by `-` (`no-wildcard-lists`). */
  readonly id: string;
  /** Level when the configuration does not set one (default `advisory`). */
  readonly level?: Exclude<PolicyLevel, "off">;
  /** One line for `popdock policy list`. */
  readonly description?: string;
  /** Resource types the rule looks at (all when absent). */
  readonly types?: readonly string[];
  /** Called once per change (of `types`); reports against the change's address. */
  check(change: PolicyChange, ctx: PolicyContext): PolicyCheckResult;
}

/** A built-in rule: a definition with a parameter schema and a README example. */
export interface BuiltinPolicy extends PolicyDefinition {
  readonly level: Exclude<PolicyLevel, "off">;
  readonly description: string;
  /** The rule's parameters (the keys beside `level` in its settings). */
  readonly params: z.ZodType<Record<string, unknown>>;
  /**
   * Whole-plan rules report against other addresses than the change's (max-tokens-per-user
   * reports on the user): `checkPlan` replaces `check` then.
   */
  checkPlan?(ctx: PolicyContext): readonly { address: string; message: string }[];
}
