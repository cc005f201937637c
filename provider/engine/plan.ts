/**
 * The planner: a pure function of (desired configuration, state, live snapshot) → Plan.
 *
 * - Drift: state vs live — changes made in Popdock since the last apply, shown first.
 * - Changes: desired vs live — create / update / replace / delete, per the resource type's rules.
 * - Deleting a user deletes its grants and tokens with it: they are marked `deleted_with` and
 *   apply sends no call for them.
 * - Objects in Popdock that are not in state are never touched; creating over one is an error
 *   that names the `popdock import` command.
 */
import type { Action, Attrs, DriftChange, OutputChange, Plan, ResourceChange } from "../../schema/plan.js";
import { PLAN_FORMAT_VERSION } from "../../schema/plan.js";
import type { StateFile, StateResource } from "../../schema/state.js";
import type { DesiredConfig, DesiredResource, TemplatePart } from "../model/desired.js";
import { parseAddress } from "../model/desired.js";
import { type Diagnostic, locate } from "../model/diagnostics.js";
import type { LiveSnapshot } from "../model/live.js";
import { sameValue } from "../model/values.js";
import { handlerFor } from "../resources/index.js";
import type { LiveObject, ResourceHandler } from "../resources/types.js";
import { findStepCycle } from "./steps.js";

export { sameValue } from "../model/values.js";

import { summarizeChanges } from "./summary.js";

export interface PlanInput {
  config: DesiredConfig;
  state: StateFile;
  live: LiveSnapshot;
  /** Endpoint identity recorded in the plan (`local` for the embedded sandbox). */
  endpoint: string;
  mode?: "normal" | "destroy";
  now?: Date;
}

export interface PlanResult {
  plan?: Plan;
  diagnostics: Diagnostic[];
}

/** Attributes among `compared` whose values differ. */
export function changedAttrs(
  h: ResourceHandler,
  before: Attrs,
  after: Attrs,
  ignore: readonly string[] = [],
): string[] {
  return h.compared.filter(
    (k) =>
      !ignore.includes(k) &&
      (k in before || k in after) &&
      !sameValue(before[k], after[k], h.sets.includes(k)),
  );
}

function pick(attrs: Attrs, keys: readonly string[]): Attrs {
  const out: Attrs = {};
  for (const k of keys) if (k in attrs) out[k] = attrs[k];
  return out;
}

/** The address of a resource referenced by `address` or `address.attr`. */
export function refTarget(ref: string, known: (addr: string) => boolean): string {
  if (known(ref)) return ref;
  const dot = ref.lastIndexOf(".");
  return dot > 0 && known(ref.slice(0, dot)) ? ref.slice(0, dot) : ref;
}

function groupOf(res: { type: string; address: string; user?: string }): string {
  return res.user ?? res.address;
}

function configParent(res: DesiredResource | undefined): string | undefined {
  return res ? parentOf(res) : undefined;
}

function parentOf(res: DesiredResource): string | undefined {
  return res.type === "popdock_api_user_grant" || res.type === "popdock_api_token" ? res.user : undefined;
}

function identity(address: string): { name: string; index?: string } {
  const p = parseAddress(address);
  if (!p) return { name: address };
  return p.index === undefined ? { name: p.name } : { name: p.name, index: p.index };
}

export function makePlan(input: PlanInput): PlanResult {
  const { config, state, live } = input;
  const mode = input.mode ?? "normal";
  const diagnostics: Diagnostic[] = [];
  const desired = mode === "destroy" ? [] : config.resources;
  const desiredByAddr = new Map(desired.map((r) => [r.address, r]));
  // Config lifecycle also protects in destroy mode.
  const configByAddr = new Map(config.resources.map((r) => [r.address, r]));

  // 1. Where each state entry stands in Popdock now; drift against what we last wrote.
  const current = new Map<string, LiveObject | undefined>();
  const drift: DriftChange[] = [];
  for (const [address, entry] of sortedEntries(state)) {
    const h = handlerFor(entry.type);
    const cur = h.read(live, entry);
    current.set(address, cur);
    if (h.local) continue;
    const group = entry.parent ?? address;
    if (!cur) {
      drift.push({
        address,
        type: entry.type,
        group,
        action: "delete",
        before: pick(entry.attributes, h.compared),
        after: null,
        changed: [],
      });
      continue;
    }
    const changed = changedAttrs(h, entry.attributes, cur.attrs);
    if (changed.length > 0) {
      drift.push({
        address,
        type: entry.type,
        group,
        action: "update",
        before: pick(entry.attributes, h.compared),
        after: pick(cur.attrs, h.compared),
        changed,
      });
    }
  }

  // 2. Desired attributes with names resolved to ids.
  const afterByAddr = new Map<string, Attrs>();
  for (const res of desired) {
    const r = handlerFor(res.type).desired(res as never, live);
    diagnostics.push(...r.diagnostics);
    if (r.attrs) afterByAddr.set(res.address, r.attrs);
  }

  // 3. One change per desired resource.
  const changes = new Map<string, ResourceChange>();
  for (const res of desired) {
    const after = afterByAddr.get(res.address);
    if (!after) continue;
    const h = handlerFor(res.type);
    const entry = state.resources[res.address];
    const cur = current.get(res.address);
    const parent = parentOf(res);
    const deps = [
      ...(parent ? [parent] : []),
      ...res.dependsOn,
      ...res.lifecycle.replaceTriggeredBy.map((r) =>
        refTarget(r, (a) => desiredByAddr.has(a) || a in state.resources),
      ),
    ];
    const base = {
      address: res.address,
      type: res.type,
      ...identity(res.address),
      group: groupOf({ type: res.type, address: res.address, ...(parent ? { user: parent } : {}) }),
      ...(parent ? { parent } : {}),
      depends_on: [...new Set(deps)],
      waits_for: [],
      sensitive: [...h.sensitive],
      ...(res.lifecycle.preventDestroy ? { prevent_destroy: true } : {}),
    };
    if (entry && cur) {
      // ignore_changes: the live value stands, in the diff and in what an update sends.
      for (const k of res.lifecycle.ignoreChanges) if (k in cur.attrs) after[k] = cur.attrs[k];
      const changed = changedAttrs(h, cur.attrs, after, res.lifecycle.ignoreChanges);
      const forcing = changed.filter((k) => !h.updatable.includes(k));
      const action: Action = forcing.length > 0 ? "replace" : changed.length > 0 ? "update" : "noop";
      changes.set(res.address, {
        ...base,
        action,
        reasons: forcing.map((k) => `${k} forces replacement`),
        before: {
          id: cur.id,
          ...pick(cur.attrs, [...h.compared, "token_id_hint", "created_at"]),
          ...displayNames(cur.attrs),
        },
        after: { ...after },
        after_unknown: action === "replace" ? [...h.computed] : [],
        changed,
        remote: remoteOf(cur),
      });
    } else {
      const reasons = entry ? ["deleted outside popdock-iac; it will be created again"] : [];
      changes.set(res.address, {
        ...base,
        action: "create",
        reasons,
        before: null,
        after: { ...after },
        after_unknown: [...h.computed],
        changed: [],
      });
    }
  }

  // 4. replace_triggered_by and parents that are replaced, to a fixed point.
  let moved = true;
  while (moved) {
    moved = false;
    for (const res of desired) {
      const ch = changes.get(res.address);
      if (!ch) continue;
      // A replaced user takes its grants and tokens with it: they are re-created under the new one.
      const parent = parentOf(res);
      const pc = parent ? changes.get(parent) : undefined;
      if (parent && pc?.action === "replace" && ch.action !== "create" && ch.deleted_with === undefined) {
        if (ch.action !== "replace") toReplace(ch, handlerFor(res.type), `${parent} is replaced`);
        ch.deleted_with = parent;
        moved = true;
      }
      if (ch.action !== "noop" && ch.action !== "update") continue;
      for (const ref of res.lifecycle.replaceTriggeredBy) {
        const target = refTarget(ref, (a) => changes.has(a) || a in state.resources);
        const t = changes.get(target);
        if (t && (t.action === "replace" || t.action === "update")) {
          toReplace(ch, handlerFor(res.type), `replace_triggered_by ${ref}`);
          moved = true;
          break;
        }
      }
    }
  }

  // 5. Replacement order: create-before-destroy where the type or lifecycle asks for it and the
  //    old and new objects can coexist (token names are unique per user).
  for (const res of desired) {
    const ch = changes.get(res.address);
    if (ch?.action !== "replace") continue;
    // Tokens and keepers default to create-before-destroy: a keeper has no remote object, and a
    // token's dependants (the keeper it follows) must not be deleted before the new token exists.
    const cbd =
      res.lifecycle.createBeforeDestroy ?? (res.type === "popdock_api_token" || res.type === "null_resource");
    const sameName =
      res.type !== "null_resource" &&
      typeof ch.before?.name === "string" &&
      String(ch.before.name).toLowerCase() === String(ch.after?.name ?? "").toLowerCase();
    if (cbd && sameName && !ch.deleted_with) {
      ch.replace_order = "delete_before_create";
      ch.reasons.push(
        `the new ${res.type === "popdock_api_token" ? "token" : "object"} keeps the name "${String(ch.after?.name)}", which Popdock allows only once per API user, so the old one is deleted first; put the rotation trigger in the name for a create-before-destroy rotation`,
      );
    } else {
      ch.replace_order = cbd && !ch.deleted_with ? "create_before_destroy" : "delete_before_create";
    }
  }

  // 6. Deletes: in state, not desired.
  for (const [address, entry] of sortedEntries(state)) {
    if (desiredByAddr.has(address)) continue;
    const h = handlerFor(entry.type);
    const cur = current.get(address);
    const parentDeleted =
      entry.parent !== undefined && !desiredByAddr.has(entry.parent) && entry.parent in state.resources;
    changes.set(address, {
      address,
      type: entry.type,
      ...identity(address),
      group: entry.parent ?? address,
      ...(entry.parent ? { parent: entry.parent } : {}),
      action: "delete",
      reasons: cur || h.local ? [] : ["already deleted outside popdock-iac; it is removed from state"],
      before: cur
        ? {
            id: cur.id,
            ...pick(cur.attrs, [...h.compared, "token_id_hint", "created_at"]),
            ...displayNames(cur.attrs),
          }
        : { ...entry.attributes },
      after: null,
      after_unknown: [],
      sensitive: [...h.sensitive],
      changed: [],
      depends_on: [...entry.dependencies],
      waits_for: [],
      ...(cur && !h.local ? { remote: remoteOf(cur) } : {}),
      ...(parentDeleted ? { deleted_with: entry.parent } : {}),
    });
  }

  // 6b. Objects deposed by an interrupted create-before-destroy replacement: delete them.
  for (const d of state.deposed ?? []) {
    const h = handlerFor(d.type);
    const cur = h.read(live, {
      type: d.type,
      id: d.id,
      version: d.version,
      attributes: {},
      dependencies: [],
    });
    if (!cur) continue;
    const address = `${d.address} (deposed object ${d.id})`;
    const parent = state.resources[d.address]?.parent ?? configParent(configByAddr.get(d.address));
    const pc = parent ? changes.get(parent) : undefined;
    const goesWithParent = pc !== undefined && (pc.action === "delete" || pc.action === "replace");
    changes.set(address, {
      address,
      type: d.type,
      ...identity(d.address),
      ...(parent ? { parent } : {}),
      ...(goesWithParent ? { deleted_with: parent } : {}),
      group: parent ?? d.address,
      action: "delete",
      reasons: ["left over from an interrupted create-before-destroy replacement"],
      before: { ...pick(cur.attrs, [...h.compared, "token_id_hint"]) },
      after: null,
      after_unknown: [],
      sensitive: [...h.sensitive],
      changed: [],
      depends_on: [],
      waits_for: [],
      remote: remoteOf(cur),
      deposed_of: d.address,
    });
  }

  // 7. Names. Popdock keeps API user names unique, and token names unique per user. A new or
  //    renamed object whose name is held by an object not managed here is an error naming the
  //    import command; one held by a managed object that is deleted, replaced or renamed in
  //    this plan waits for that change (`waits_for`); a name that stays where it is, or names
  //    that would have to swap, are errors.
  const managedIds = new Map<string, string>();
  for (const [address, entry] of Object.entries(state.resources)) managedIds.set(entry.id, address);
  for (const ch of changes.values()) {
    const renames = ch.action === "update" && ch.changed.includes("name");
    if (ch.action !== "create" && ch.action !== "replace" && !renames) continue;
    const h = handlerFor(ch.type);
    if (h.local || !ch.after) continue;
    const parentCh = ch.parent ? changes.get(ch.parent) : undefined;
    if (parentCh && (parentCh.action === "create" || parentCh.action === "replace")) continue;
    const parentId = ch.parent ? current.get(ch.parent)?.id : undefined;
    if (ch.parent && parentId === undefined) continue;
    const clash = h.conflict(live, parentId, ch.after);
    if (!clash || (clash.id === ch.remote?.id && ch.action !== "replace")) continue;
    if (clash.id === ch.remote?.id) continue; // a replacement keeping its name: handled in step 5
    const owner = managedIds.get(clash.id);
    const ownerCh = owner ? changes.get(owner) : undefined;
    const ownerLetsGo =
      ownerCh !== undefined &&
      (ownerCh.action === "delete" ||
        ownerCh.action === "replace" ||
        (ownerCh.action === "update" &&
          String(ownerCh.after?.name ?? "").toLowerCase() !== String(ch.after.name).toLowerCase()));
    if (owner && ownerLetsGo) {
      ch.waits_for.push(owner);
      if (
        ownerCh?.action === "replace" &&
        ch.action === "replace" &&
        ch.replace_order === "create_before_destroy"
      ) {
        // Both old objects must go before either new one can take the other's name.
        ch.replace_order = "delete_before_create";
        ch.reasons.push(
          `its new name is held by ${owner}, which is replaced too, so the old objects are deleted first`,
        );
      }
      continue;
    }
    const src = configByAddr.get(ch.address)?.source;
    const importId = clash.parentId ? `${clash.parentId}/${clash.id}` : clash.id;
    diagnostics.push({
      code: owner ? "PLAN_NAME_IN_USE" : "PLAN_ALREADY_EXISTS",
      severity: "error",
      message: owner
        ? `${ch.address} would take the name "${String(ch.after.name)}" of ${owner}, which keeps it`
        : renames
          ? `${ch.address}: another API user named "${String(ch.after.name)}" exists in Popdock (id ${clash.id}) and is not managed by popdock-iac`
          : `${ch.address}: ${describe(ch)} already exists in Popdock (id ${clash.id}) and is not managed by popdock-iac`,
      ...(src ? locate(src) : {}),
      hint: owner
        ? "give one of them another name"
        : renames
          ? "choose another name, or delete or rename that user in Popdock first"
          : `adopt it with \`popdock import '${ch.address}' ${importId}\`, or choose another name`,
    });
  }

  // 8. prevent_destroy.
  for (const ch of changes.values()) {
    if (ch.action !== "delete" && ch.action !== "replace") continue;
    const res = configByAddr.get(ch.address);
    const protectedNow =
      res?.lifecycle.preventDestroy ?? state.resources[ch.address]?.prevent_destroy ?? false;
    if (!protectedNow) continue;
    diagnostics.push({
      code: "PLAN_PREVENT_DESTROY",
      severity: "error",
      message: `${ch.address} has prevent_destroy set, but the plan would ${ch.action === "delete" ? "destroy" : "replace"} it`,
      ...(res ? locate(res.source) : {}),
      hint: res
        ? "remove prevent_destroy (and apply) first if you really mean to destroy it"
        : "it was protected when last applied: put it back in the configuration, or remove prevent_destroy, apply, then remove it",
    });
  }

  // A keeper is shown with the API user whose token it rotates.
  for (const res of desired) {
    const parent = parentOf(res);
    if (!parent) continue;
    for (const ref of res.lifecycle.replaceTriggeredBy) {
      const keeper = changes.get(refTarget(ref, (a) => changes.has(a)));
      if (keeper?.type === "null_resource" && keeper.group === keeper.address) keeper.group = parent;
    }
  }

  const ordered = [...changes.values()].sort(byGroupThenType);
  const outputs = planOutputs(input, changes);
  if (!diagnostics.some((d) => d.severity === "error")) {
    const cycle = findStepCycle(ordered);
    if (cycle) {
      diagnostics.push({
        code: "PLAN_ORDER_CYCLE",
        severity: "error",
        message: `these changes wait for each other and cannot be applied in one run: ${cycle.join(" → ")}`,
        hint: "names that swap between objects need two applies: first rename one to a temporary name and apply, then apply the rest",
      });
    }
  }
  if (diagnostics.some((d) => d.severity === "error")) return { diagnostics };
  const plan: Plan = {
    format_version: PLAN_FORMAT_VERSION,
    tool: "popdock-iac",
    created_at: (input.now ?? new Date()).toISOString(),
    endpoint: input.endpoint,
    config_digest: config.digest,
    config_files: [...config.files],
    state_lineage: state.lineage,
    state_serial: state.serial,
    mode,
    changes: ordered,
    drift,
    outputs,
    summary: summarizeChanges(ordered),
  };
  return { plan, diagnostics };
}

function toReplace(ch: ResourceChange, h: ResourceHandler, reason: string): void {
  ch.action = "replace";
  ch.reasons.push(reason);
  ch.after_unknown = [...h.computed];
}

function remoteOf(cur: LiveObject): { id: string; parent_id?: string; version: number } {
  return cur.parentId !== undefined
    ? { id: cur.id, parent_id: cur.parentId, version: cur.version }
    : { id: cur.id, version: cur.version };
}

/** Names that make ids readable (team, role, connector) — display-only, not compared. */
function displayNames(attrs: Attrs): Attrs {
  const out: Attrs = {};
  for (const k of ["team", "role", "connector"]) if (k in attrs) out[k] = attrs[k];
  return out;
}

function describe(ch: ResourceChange): string {
  const a = ch.after ?? {};
  switch (ch.type) {
    case "popdock_api_user":
      return `an API user named "${String(a.name)}"`;
    case "popdock_api_token":
      return `a token named "${String(a.name)}" of this API user`;
    case "popdock_api_user_grant":
      return `a ${String(a.kind)} grant for "${String(a.team ?? a.role ?? a.connector)}" on this API user`;
    default:
      return "an object";
  }
}

const TYPE_ORDER = ["popdock_api_user", "popdock_api_user_grant", "popdock_api_token", "null_resource"];

function byGroupThenType(a: ResourceChange, b: ResourceChange): number {
  if (a.group !== b.group) return a.group < b.group ? -1 : 1;
  const t = TYPE_ORDER.indexOf(a.type) - TYPE_ORDER.indexOf(b.type);
  if (t !== 0) return t;
  return a.address < b.address ? -1 : a.address > b.address ? 1 : 0;
}

function sortedEntries(state: StateFile): [string, StateResource][] {
  return Object.entries(state.resources).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Output values after the plan: literal text and attributes known now (names, ids of objects
 * that stay) are computed; anything created or replaced is known after apply; sensitive outputs
 * never carry a value.
 */
function planOutputs(input: PlanInput, changes: Map<string, ResourceChange>): OutputChange[] {
  const { config, state } = input;
  const outs: OutputChange[] = [];
  const wanted = input.mode === "destroy" ? [] : config.outputs;
  for (const o of wanted) {
    const prior = state.outputs[o.name];
    let unknown = false;
    let text = "";
    if (!o.sensitive) {
      for (const p of o.parts) {
        if (typeof p === "string") {
          text += p;
          continue;
        }
        const v = knownValue(p, changes, state);
        if (v === undefined) unknown = true;
        else text += v;
      }
    }
    const after = o.sensitive || unknown ? undefined : text;
    const samePartsAsBefore =
      prior !== undefined && sameValue(prior.parts, o.parts) && prior.sensitive === o.sensitive;
    const refsChange = o.parts.some(
      (p) =>
        typeof p !== "string" && ["create", "replace"].includes(changes.get(p.address)?.action ?? "noop"),
    );
    const action: OutputChange["action"] = !prior
      ? "create"
      : samePartsAsBefore && !refsChange && (o.sensitive || prior.value === after)
        ? "noop"
        : "update";
    outs.push({
      name: o.name,
      action,
      sensitive: o.sensitive,
      ...(prior?.value !== undefined && !o.sensitive ? { before: prior.value } : {}),
      ...(after !== undefined ? { after } : {}),
      after_unknown: !o.sensitive && unknown,
      automatic: o.automatic ?? false,
      ...(o.description !== undefined ? { description: o.description } : {}),
      parts: o.parts.map((p: TemplatePart) =>
        typeof p === "string" ? p : { address: p.address, attr: p.attr },
      ),
    });
  }
  const names = new Set(wanted.map((o) => o.name));
  for (const [name, prior] of Object.entries(state.outputs)) {
    if (names.has(name)) continue;
    outs.push({
      name,
      action: "delete",
      sensitive: prior.sensitive,
      ...(prior.value !== undefined ? { before: prior.value } : {}),
      after_unknown: false,
      automatic: false,
      parts: prior.parts,
    });
  }
  return outs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function knownValue(
  ref: { address: string; attr: string },
  changes: Map<string, ResourceChange>,
  state: StateFile,
): string | undefined {
  const ch = changes.get(ref.address);
  if (!ch || ch.action === "delete") return undefined;
  if (ref.attr === "id") {
    if (ch.action === "create" || ch.action === "replace") return undefined;
    return state.resources[ref.address]?.id;
  }
  const v = ch.after?.[ref.attr];
  if (v === undefined || ch.after_unknown.includes(ref.attr)) return undefined;
  return typeof v === "string" ? v : JSON.stringify(v);
}
