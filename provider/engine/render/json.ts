/**
 * The machine-readable plan, in the shape of `terraform show -json PLANFILE` (format 1.2), so
 * policy tools written for Terraform plans (OPA, conftest, Sentinel-like checks) read it as is.
 *
 * One deliberate difference: Terraform puts sensitive values in its JSON and only marks them;
 * this output leaves every sensitive value out (`null`, or the key absent) and keeps the marks
 * (`before_sensitive` / `after_sensitive` / `sensitive_values`).
 */
import type { DriftChange, OutputChange, Plan, ResourceChange, TokenTiming } from "../../../schema/plan.js";
import { parseAddress } from "../../model/desired.js";
import { compareStrings } from "../../model/values.js";
import { planHasChanges } from "../moves.js";
import { sensitiveNames } from "./diff.js";

export { POPDOCK_IAC_VERSION } from "../../model/version.js";

import { PROVIDER_ADDRESS } from "../../model/provider.js";
import { POPDOCK_IAC_VERSION } from "../../model/version.js";

export type JsonAction = "create" | "update" | "delete" | "no-op";
type Values = Record<string, unknown>;

export interface JsonChange {
  actions: JsonAction[];
  before: Values | null;
  after: Values | null;
  /** `{ attr: true }` for each attribute known only after apply. */
  after_unknown: Record<string, true>;
  /** `{ attr: true }` for each sensitive attribute; `false` when there is no object on that side. */
  before_sensitive: Record<string, true> | false;
  after_sensitive: Record<string, true> | false;
  /** An `import` block adopts the object: its import id (Terraform's `importing`). */
  importing?: { id: string };
}

export interface JsonResourceChange {
  address: string;
  mode: "managed";
  type: string;
  name: string;
  /** The raw `for_each` key (`powerbi`, `team:Finance`), when the address has one. */
  index?: string;
  provider_name: string;
  change: JsonChange;
  action_reason?: "replace_because_cannot_update" | "replace_by_triggers";
  /** popdock-iac's own: a token's ages and rotation schedule, by Popdock's clock (see schema/plan.ts). */
  token?: TokenTiming;
  /** popdock-iac's own: for the change of a rotating token's previous generation, the token's address. */
  previous_of?: string;
  /** The address a `moved` block (or its user's) moved it from (Terraform's `previous_address`). */
  previous_address?: string;
}

export interface JsonPlannedResource {
  address: string;
  mode: "managed";
  type: string;
  name: string;
  index?: string;
  provider_name: string;
  schema_version: 0;
  /** Known, non-sensitive values after apply. */
  values: Values;
  sensitive_values: Record<string, true>;
}

export interface JsonOutputChange {
  actions: JsonAction[];
  /** The value, or null when sensitive, absent or unknown. */
  before: string | null;
  after: string | null;
  after_unknown: boolean;
  before_sensitive: boolean;
  after_sensitive: boolean;
}

export interface JsonPlan {
  format_version: "1.2";
  popdock_iac_version: string;
  planned_values: {
    outputs: Record<string, { sensitive: boolean; value?: string }>;
    root_module: { resources: JsonPlannedResource[] };
  };
  resource_drift: JsonResourceChange[];
  resource_changes: JsonResourceChange[];
  output_changes: Record<string, JsonOutputChange>;
  /** What the policy rules reported (provider/policy), when a policy was evaluated. */
  policy_results?: NonNullable<Plan["policy_results"]>;
  timestamp: string;
  applyable: boolean;
  complete: true;
  errored: false;
  /** popdock-iac's own plan metadata (Terraform tools ignore unknown keys). */
  popdock: {
    endpoint: string;
    mode: Plan["mode"];
    state_lineage: string;
    state_serial: number;
    config_digest: string;
    config_files: string[];
    summary: Plan["summary"];
    /** Popdock's clock when the plan read Popdock (token ages are measured by it). */
    server_time?: string;
    /** Moves, removals from state and imports (engine/moves.ts); absent when none. */
    state_actions?: NonNullable<Plan["state_actions"]>;
  };
}

const ACTIONS: Record<ResourceChange["action"], (c: ResourceChange) => JsonAction[]> = {
  create: () => ["create"],
  update: () => ["update"],
  delete: () => ["delete"],
  noop: () => ["no-op"],
  replace: (c) => (c.replace_order === "create_before_destroy" ? ["create", "delete"] : ["delete", "create"]),
};

/** Terraform's `actions` list for a change: a replace is two actions, in the order they run. */
export function jsonActions(c: ResourceChange): JsonAction[] {
  return ACTIONS[c.action](c);
}

function trueMap(names: Iterable<string>): Record<string, true> {
  const out: Record<string, true> = {};
  for (const n of [...names].sort(compareStrings)) out[n] = true;
  return out;
}

/** A copy of the values without sensitive or unknown attributes. */
function known(values: Values, leaveOut: ReadonlySet<string>): Values {
  const out: Values = {};
  for (const [k, v] of Object.entries(values)) if (!leaveOut.has(k)) out[k] = structuredClone(v);
  return out;
}

function addressParts(address: string, type: string): { type: string; name: string; index?: string } {
  const parts = parseAddress(address);
  return parts ?? { type, name: address };
}

function identity(address: string, type: string, name: string, index: string | undefined) {
  return {
    address,
    mode: "managed" as const,
    type,
    name,
    ...(index === undefined ? {} : { index }),
    provider_name: PROVIDER_ADDRESS,
  };
}

/**
 * The object after apply, as far as it is known. Updates keep the computed attributes of the
 * existing object (its id, a token's hint), as Terraform's planned state does.
 */
function afterValues(c: ResourceChange, sensitive: ReadonlySet<string>): Values | null {
  if (c.after === null) return null;
  const unknown = new Set(c.after_unknown);
  const leaveOut = new Set([...sensitive, ...unknown]);
  const after = known(c.after, leaveOut);
  if ((c.action === "update" || c.action === "noop") && c.before !== null) {
    for (const [k, v] of Object.entries(c.before)) {
      if (!(k in after) && !leaveOut.has(k)) after[k] = structuredClone(v);
    }
  }
  return after;
}

function resourceChange(c: ResourceChange): JsonResourceChange {
  const sensitive = sensitiveNames(c.type, c.sensitive);
  const out: JsonResourceChange = {
    ...identity(c.address, c.type, c.name, c.index),
    change: {
      actions: jsonActions(c),
      before: c.before === null ? null : known(c.before, sensitive),
      after: afterValues(c, sensitive),
      after_unknown: c.action === "delete" ? {} : trueMap(c.after_unknown),
      before_sensitive: c.before === null ? false : trueMap(sensitive),
      after_sensitive: c.after === null ? false : trueMap(sensitive),
    },
  };
  if (c.token !== undefined) out.token = structuredClone(c.token);
  if (c.previous_of !== undefined) out.previous_of = c.previous_of;
  if (c.action === "replace") {
    const triggered = c.changed.length === 0 && c.reasons.some((r) => r.includes("replace_triggered_by"));
    out.action_reason = triggered ? "replace_by_triggers" : "replace_because_cannot_update";
  }
  return out;
}

/** Terraform's marks of a moved or imported resource, from the plan's state actions. */
function withStateAction(plan: Plan, out: JsonResourceChange): JsonResourceChange {
  for (const a of plan.state_actions ?? []) {
    if (a.kind === "move" && a.to === out.address) out.previous_address = a.from;
    if (a.kind === "import" && a.address === out.address) out.change.importing = { id: a.id };
  }
  return out;
}

function driftChange(d: DriftChange): JsonResourceChange {
  const sensitive = sensitiveNames(d.type);
  const { type, name, index } = addressParts(d.address, d.type);
  return {
    ...identity(d.address, type, name, index),
    change: {
      actions: [d.action],
      before: d.before === null ? null : known(d.before, sensitive),
      after: d.after === null ? null : known(d.after, sensitive),
      after_unknown: {},
      before_sensitive: d.before === null ? false : trueMap(sensitive),
      after_sensitive: d.after === null ? false : trueMap(sensitive),
    },
  };
}

function outputChange(o: OutputChange): JsonOutputChange {
  const hasBefore = o.action !== "create";
  const hasAfter = o.action !== "delete";
  return {
    actions: [o.action === "noop" ? "no-op" : o.action],
    before: o.sensitive || !hasBefore ? null : (o.before ?? null),
    after: o.sensitive || !hasAfter || o.after_unknown ? null : (o.after ?? null),
    after_unknown: hasAfter && o.after_unknown,
    before_sensitive: o.sensitive && hasBefore,
    after_sensitive: o.sensitive && hasAfter,
  };
}

const byAddress = (a: { address: string }, b: { address: string }) => compareStrings(a.address, b.address);

/**
 * The plan as a `terraform show -json`-shaped object (serialize it with JSON.stringify).
 * Every change is listed, noops as `["no-op"]`; a create-before-destroy replace is
 * `["create", "delete"]`, a delete-first one `["delete", "create"]`. No sensitive value appears.
 */
export function renderPlanJson(plan: Plan): JsonPlan {
  const changes = [...plan.changes].sort(byAddress);
  const outputs = [...plan.outputs].sort((a, b) => compareStrings(a.name, b.name));

  const planned: JsonPlannedResource[] = [];
  for (const c of changes) {
    if (c.action === "delete") continue;
    const sensitive = sensitiveNames(c.type, c.sensitive);
    planned.push({
      ...identity(c.address, c.type, c.name, c.index),
      schema_version: 0,
      values: afterValues(c, sensitive) ?? {},
      sensitive_values: trueMap(sensitive),
    });
  }

  const plannedOutputs: JsonPlan["planned_values"]["outputs"] = {};
  const outputChanges: JsonPlan["output_changes"] = {};
  for (const o of outputs) {
    outputChanges[o.name] = outputChange(o);
    if (o.action === "delete") continue;
    const value = o.sensitive || o.after_unknown ? undefined : o.after;
    plannedOutputs[o.name] = { sensitive: o.sensitive, ...(value === undefined ? {} : { value }) };
  }

  return {
    format_version: "1.2",
    popdock_iac_version: POPDOCK_IAC_VERSION,
    planned_values: { outputs: plannedOutputs, root_module: { resources: planned } },
    resource_drift: [...plan.drift].sort(byAddress).map(driftChange),
    resource_changes: changes.map((c) => withStateAction(plan, resourceChange(c))),
    output_changes: outputChanges,
    ...(plan.policy_results !== undefined ? { policy_results: structuredClone(plan.policy_results) } : {}),
    timestamp: plan.created_at,
    applyable: planHasChanges(plan),
    complete: true,
    errored: false,
    popdock: {
      endpoint: plan.endpoint,
      mode: plan.mode,
      state_lineage: plan.state_lineage,
      state_serial: plan.state_serial,
      config_digest: plan.config_digest,
      config_files: [...plan.config_files],
      summary: { ...plan.summary },
      ...(plan.server_time !== undefined ? { server_time: plan.server_time } : {}),
      ...(plan.state_actions?.length ? { state_actions: structuredClone(plan.state_actions) } : {}),
    },
  };
}
