/**
 * Evaluating the active rules over a plan: builds each rule's read-only view (the typed changes,
 * the snapshot without secrets, the clock), runs the rules, and turns what they return (or
 * throw) into `PolicyResult`s. Pure apart from the rules' own code; never sees a Token ID, because
 * neither the plan nor the snapshot holds one, and the views leave out even the token hint.
 */
import type { Plan, ResourceChange } from "../../schema/plan.js";
import type { PolicyLevel, PolicyResult } from "../../schema/policy.js";
import type { LiveSnapshot } from "../model/live.js";
import type {
  BuiltinPolicy,
  PolicyAction,
  PolicyChange,
  PolicyContext,
  PolicyDefinition,
  PolicyLive,
  PolicyLiveToken,
} from "./types.js";

/** A rule as configured: its definition, level (not off), parameters and where it came from. */
export interface ActiveRule {
  def: PolicyDefinition | BuiltinPolicy;
  level: Exclude<PolicyLevel, "off">;
  params: Readonly<Record<string, unknown>>;
  /** `built-in`, or the module file a custom rule came from. */
  source: string;
}

/** Attributes no rule is shown (a token's last four characters narrow a guess). */
const HIDDEN = new Set(["token_id", "token_id_hint"]);

/** A frozen copy of plain data (the values plans and snapshots hold: JSON-like). */
function frozenCopy(v: unknown): unknown {
  if (typeof v !== "object" || v === null) return v;
  if (Array.isArray(v)) return Object.freeze(v.map(frozenCopy));
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) out[k] = frozenCopy((v as Record<string, unknown>)[k]);
  return Object.freeze(out);
}

function deepFreeze<T>(v: T): T {
  if (typeof v === "object" && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

function visible(
  attrs: Record<string, unknown> | null,
  sensitive: readonly string[],
): Readonly<Record<string, unknown>> | null {
  if (attrs === null) return null;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(attrs))
    if (!HIDDEN.has(k) && !sensitive.includes(k)) out[k] = frozenCopy(attrs[k]);
  return Object.freeze(out);
}

function actionsOf(c: ResourceChange): PolicyAction[] {
  switch (c.action) {
    case "noop":
      return ["no-op"];
    case "replace":
      return c.replace_order === "create_before_destroy" ? ["create", "delete"] : ["delete", "create"];
    default:
      return [c.action];
  }
}

/** The plan's changes as rules see them (frozen), in the plan's order: by user, then type. */
export function policyChanges(plan: Plan): readonly PolicyChange[] {
  // `map` gives a packed array (freezing a holey `new Array(n)` makes its elements slow), and
  // one object shape for every change (optional fields present as undefined).
  return Object.freeze(
    plan.changes.map(
      (c): PolicyChange =>
        Object.freeze({
          address: c.address,
          type: c.type,
          name: c.name,
          index: c.index,
          actions: actionsOf(c),
          before: visible(c.before, c.sensitive),
          after: visible(c.after, c.sensitive),
          parent: c.parent,
          depends_on: Object.freeze(c.depends_on.slice()),
          rotation: c.token?.rotation === undefined ? undefined : Object.freeze({ ...c.token.rotation }),
        }),
    ),
  );
}

/** The refresh snapshot without secrets: token metadata only. */
export function policyLive(live: LiveSnapshot): PolicyLive {
  return {
    users: live.users.map((u) => ({
      id: u.id,
      name: u.name,
      description: u.description,
      created_at: u.created_at,
      updated_at: u.updated_at,
      grants: (u.grants ?? []).map((g) => ({ ...g })),
      tokens: (u.tokens ?? []).map((t) => ({
        id: t.id,
        api_user_id: t.api_user_id,
        name: t.name,
        created_at: t.created_at,
        last_used_at: t.last_used_at,
      })),
    })),
    teams: live.teams.map((t) => ({ id: t.id, name: t.name })),
    roles: live.roles.map((r) => ({ id: r.id, name: r.name, scope: r.scope })),
    connectors: live.connectors.map((c) => ({
      id: c.id,
      name: c.name,
      companies: [...c.companies],
      lists: [...c.lists],
      actions: [...c.actions],
      details: [...c.details],
    })),
  };
}

export interface EvaluateInput {
  plan: Plan;
  /** The refresh snapshot; absent for an offline check of a saved plan. */
  live?: LiveSnapshot;
  rules: readonly ActiveRule[];
  now: Date;
}

function messages(r: unknown): string[] {
  if (r === undefined || r === null) return [];
  if (typeof r === "string") return [r];
  if (Array.isArray(r)) return r.filter((m): m is string => typeof m === "string");
  throw new TypeError(`check returned ${typeof r}; it must return undefined, a string or a list of strings`);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Every rule over every change. Results are sorted by rule, then address. A rule that throws (or
 * returns something else than a message) gives one result marked `error`, at least `mandatory`:
 * a broken guardrail fails closed.
 */
export function evaluatePolicies(input: EvaluateInput): PolicyResult[] {
  const changes = policyChanges(input.plan);
  const byType = new Map<string, PolicyChange[]>();
  for (const c of changes) {
    const list = byType.get(c.type);
    if (list === undefined) byType.set(c.type, [c]);
    else list.push(c);
  }
  const live = input.live === undefined ? undefined : deepFreeze(policyLive(input.live));
  const tokenById = new Map<string, PolicyLiveToken>();
  for (const u of live?.users ?? []) for (const t of u.tokens) tokenById.set(t.id, t);
  const remoteId = new Map(input.plan.changes.map((c) => [c.address, c.remote?.id]));
  const planMeta = deepFreeze({
    mode: input.plan.mode,
    endpoint: input.plan.endpoint,
    created_at: input.plan.created_at,
    summary: { ...input.plan.summary },
  });
  const liveToken = (c: PolicyChange): PolicyLiveToken | undefined => {
    const id = remoteId.get(c.address);
    return c.type === "popdock_api_token" && id !== undefined ? tokenById.get(id) : undefined;
  };
  const out: PolicyResult[] = [];
  const rules = [...input.rules].sort((a, b) => (a.def.id < b.def.id ? -1 : a.def.id > b.def.id ? 1 : 0));
  for (const rule of rules) {
    const ctx: PolicyContext = Object.freeze({
      changes,
      plan: planMeta,
      live,
      liveToken,
      now: new Date(input.now.getTime()),
      params: deepFreeze(structuredClone({ ...rule.params })),
    });
    const level = rule.level;
    const add = (address: string, message: string) =>
      out.push({ rule: rule.def.id, address, message, level });
    const fail = (address: string, err: unknown) =>
      out.push({
        rule: rule.def.id,
        address,
        message: `policy error: rule "${rule.def.id}" (${rule.source}) failed: ${errorText(err)}`,
        level: level === "advisory" ? "mandatory" : level,
        error: true,
      });
    const builtin = rule.def as BuiltinPolicy;
    if (typeof builtin.checkPlan === "function") {
      try {
        for (const r of builtin.checkPlan(ctx)) add(r.address, r.message);
      } catch (err) {
        fail("plan", err);
      }
      continue;
    }
    const types = rule.def.types;
    const lists = types === undefined ? [changes] : types.map((t) => byType.get(t) ?? []);
    let failed = false;
    for (const list of lists) {
      for (const c of list) {
        try {
          const r = rule.def.check(c, ctx);
          if (r !== undefined) for (const m of messages(r)) add(c.address, m);
        } catch (err) {
          fail(c.address, err);
          failed = true; // one error per rule: the rest would most likely throw alike
          break;
        }
      }
      if (failed) break;
    }
  }
  return out.sort((a, b) =>
    a.rule !== b.rule
      ? a.rule < b.rule
        ? -1
        : 1
      : a.address < b.address
        ? -1
        : a.address > b.address
          ? 1
          : 0,
  );
}

/** An override given to apply: `--override-policy RULE --reason TEXT`. */
export interface PolicyOverride {
  rule: string;
  reason: string;
}

export interface PolicyVerdict {
  /** Mandatory and hard results not overridden: the plan fails policy while any remain. */
  failing: PolicyResult[];
  /** Mandatory results an override lets through. */
  overridden: PolicyResult[];
  /** Overrides naming a hard rule: refused. */
  refusedOverrides: PolicyResult[];
  advisory: PolicyResult[];
}

export function verdict(
  results: readonly PolicyResult[],
  overrides: readonly PolicyOverride[] = [],
): PolicyVerdict {
  const ov = new Set(overrides.map((o) => o.rule));
  const v: PolicyVerdict = { failing: [], overridden: [], refusedOverrides: [], advisory: [] };
  for (const r of results) {
    if (r.level === "advisory") v.advisory.push(r);
    else if (r.level === "mandatory" && ov.has(r.rule)) v.overridden.push(r);
    else {
      v.failing.push(r);
      if (r.level === "hard" && ov.has(r.rule)) v.refusedOverrides.push(r);
    }
  }
  return v;
}
