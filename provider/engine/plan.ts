/**
 * The planner: a pure function of (desired configuration, state, live snapshot) → Plan.
 *
 * - Drift: state vs live — changes made in Popdock since the last apply, shown first.
 * - Changes: desired vs live — create / update / replace / delete, per the resource type's rules.
 * - Deleting a user deletes its grants and tokens with it: they are marked `deleted_with` and
 *   apply sends no call for them.
 * - Objects in Popdock that are not in state are never touched; creating over one is an error
 *   that names the `popdock import` command.
 *
 * Everything about a type (order, parent, compared attributes, create-before-destroy, wording)
 * comes from the resource registry. `makePlan` runs the phases below in order over one
 * `PlanContext`; each phase is a function of its own.
 */
import type { Action, Attrs, DriftChange, Plan, ResourceChange } from "../../schema/plan.js";
import { PLAN_FORMAT_VERSION } from "../../schema/plan.js";
import type { StateFile, StateResource } from "../../schema/state.js";
import type { AnyDesiredResource, PlannedConfig } from "../model/desired.js";
import { parseAddress } from "../model/desired.js";
import { type Diagnostic, locate } from "../model/diagnostics.js";
import type { LiveSnapshot } from "../model/live.js";
import { compareStrings, sameValue } from "../model/values.js";
import { compareTypes, parentAddressOf, resourceTypeFor } from "../resources/index.js";
import type { LiveObject, ResourceType } from "../resources/types.js";
import { destroyAllProblem } from "./guards.js";
import { planStateActions, type UnconfiguredImport } from "./moves.js";
import { planOutputs } from "./plan-outputs.js";
import { planReplaceRequests } from "./replace.js";
import { planRotations } from "./rotation.js";
import { findStepCycle } from "./steps.js";
import { summarizeChanges } from "./summary.js";

export { sameValue } from "../model/values.js";

export interface PlanInput {
  /** A `DesiredConfig` from a frontend; resources may be of any registered type. */
  config: PlannedConfig;
  state: StateFile;
  live: LiveSnapshot;
  /** Endpoint identity recorded in the plan (`local` for the embedded sandbox). */
  endpoint: string;
  mode?: "normal" | "destroy";
  now?: Date;
  /** `--allow-destroy-all`: a normal plan may delete every object the state manages. */
  allowDestroyAll?: boolean;
  /** How messages name the state (`.popdock/state.json`, a workspace…). */
  stateName?: string;
  /** The workspace the state belongs to, for the destroy-all message. */
  workspace?: string;
  /** `-replace ADDR`: replace these (rotate a token with a rotation policy). */
  replace?: readonly string[];
  /** `--force-retire ADDR`: delete these tokens' previous generations now. */
  forceRetire?: readonly string[];
  /** `--generate-config-out`: import blocks without configuration are collected here, not refused. */
  unconfiguredImports?: UnconfiguredImport[];
}

export interface PlanResult {
  plan?: Plan;
  diagnostics: Diagnostic[];
}

/** What the phases share: the inputs, indexed, and what earlier phases found. */
interface PlanContext {
  input: PlanInput;
  state: StateFile;
  live: LiveSnapshot;
  /** The resources to have (none in destroy mode). */
  desired: readonly AnyDesiredResource[];
  desiredByAddr: ReadonlyMap<string, AnyDesiredResource>;
  /** Every configured resource, also in destroy mode: its lifecycle still protects it. */
  configByAddr: ReadonlyMap<string, AnyDesiredResource>;
  /** Where each state entry stands in Popdock now (undefined: gone). */
  current: Map<string, LiveObject | undefined>;
  /** Desired attributes with names resolved to ids. */
  afterByAddr: Map<string, Attrs>;
  changes: Map<string, ResourceChange>;
  diagnostics: Diagnostic[];
}

/** Attributes among `compared` whose values differ. */
export function changedAttrs(
  h: Pick<ResourceType, "compared" | "sets">,
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

function identity(address: string): { name: string; index?: string } {
  const p = parseAddress(address);
  if (!p) return { name: address };
  return p.index === undefined ? { name: p.name } : { name: p.name, index: p.index };
}

export function makePlan(given: PlanInput): PlanResult {
  // moved / removed / import blocks first: the changes are planned against the state they leave.
  const moves = planStateActions(given.config, given.state, given.live, {
    destroy: given.mode === "destroy",
    ...(given.unconfiguredImports ? { collectUnconfigured: given.unconfiguredImports } : {}),
  });
  const input = { ...given, state: moves.state };
  const ctx = planContext(input);
  ctx.diagnostics.push(...moves.diagnostics);
  planDrift(ctx); // also fills ctx.current
  const drift = driftChanges(ctx);
  resolveDesired(ctx);
  planChanges(ctx);
  planReplaceRequests(ctx);
  propagateReplacements(ctx);
  chooseReplaceOrder(ctx);
  planDeletes(ctx);
  planDeposed(ctx);
  planRotations(ctx, drift); // tokens with a rotation policy: generations instead of replacements
  checkNames(ctx);
  checkPreventDestroy(ctx);
  groupKeepers(ctx);

  const ordered = [...ctx.changes.values()].sort(byGroupThenType);
  const outputs = planOutputs(input, ctx.changes);
  checkOrder(ctx, ordered);
  if (ctx.diagnostics.some((d) => d.severity === "error")) return { diagnostics: ctx.diagnostics };
  const { config, state } = input;
  const plan: Plan = {
    format_version: PLAN_FORMAT_VERSION,
    tool: "popdock-iac",
    created_at: (input.now ?? new Date()).toISOString(),
    endpoint: input.endpoint,
    config_digest: config.digest,
    config_files: [...config.files],
    state_lineage: state.lineage,
    state_serial: state.serial,
    mode: input.mode ?? "normal",
    ...(input.live.serverTime !== undefined ? { server_time: input.live.serverTime } : {}),
    ...(moves.actions.length > 0 ? { state_actions: moves.actions } : {}),
    changes: ordered,
    drift,
    outputs,
    summary: summarizeChanges(ordered),
  };
  const destroysAll = destroyAllProblem(plan, state, {
    allowed: input.allowDestroyAll ?? false,
    declaredEmpty: config.declaredEmpty ?? false,
    declared: config.resources.length,
    stateName: input.stateName ?? "state",
    ...(input.workspace !== undefined ? { workspace: input.workspace } : {}),
  });
  if (destroysAll) return { diagnostics: [...ctx.diagnostics, destroysAll] };
  return { plan, diagnostics: ctx.diagnostics };
}

function planContext(input: PlanInput): PlanContext {
  const desired = (input.mode ?? "normal") === "destroy" ? [] : input.config.resources;
  return {
    input,
    state: input.state,
    live: input.live,
    desired,
    desiredByAddr: new Map(desired.map((r) => [r.address, r])),
    configByAddr: new Map(input.config.resources.map((r) => [r.address, r])),
    current: new Map(),
    afterByAddr: new Map(),
    changes: new Map(),
    diagnostics: [],
  };
}

/** The type of a state entry; an unknown one is refused, naming it and its address. */
function typeOfEntry(address: string, entry: { type: string }): ResourceType {
  return resourceTypeFor(entry.type, `state entry ${address}`);
}

/** 1. Where each state entry stands in Popdock now (ctx.current). */
function planDrift(ctx: PlanContext): void {
  for (const [address, entry] of sortedEntries(ctx.state)) {
    ctx.current.set(address, typeOfEntry(address, entry).read(ctx.live, entry));
  }
}

/** 1b. Drift against what we last wrote: objects changed or deleted outside popdock-iac. */
function driftChanges(ctx: PlanContext): DriftChange[] {
  const drift: DriftChange[] = [];
  for (const [address, entry] of sortedEntries(ctx.state)) {
    const h = typeOfEntry(address, entry);
    if (h.local) continue;
    const cur = ctx.current.get(address);
    const group = entry.parent ?? address;
    const before = pick(entry.attributes, h.compared);
    if (!cur) {
      drift.push({ address, type: entry.type, group, action: "delete", before, after: null, changed: [] });
      continue;
    }
    const changed = changedAttrs(h, entry.attributes, cur.attrs);
    if (changed.length > 0) {
      drift.push({
        address,
        type: entry.type,
        group,
        action: "update",
        before,
        after: pick(cur.attrs, h.compared),
        changed,
      });
    }
  }
  return drift;
}

/** 2. Desired attributes with names resolved to ids (ctx.afterByAddr), or diagnostics. */
function resolveDesired(ctx: PlanContext): void {
  for (const res of ctx.desired) {
    const r = resourceTypeFor(res.type, res.address).desired(res, ctx.live);
    ctx.diagnostics.push(...r.diagnostics);
    if (r.attrs) ctx.afterByAddr.set(res.address, r.attrs);
  }
}

/** What a plan shows of a live object before its change: compared, informational and display names. */
function beforeOf(h: ResourceType, cur: LiveObject): Attrs {
  return {
    id: cur.id,
    ...pick(cur.attrs, [...h.compared, ...h.render.informational]),
    ...pick(cur.attrs, h.render.displayNames),
  };
}

/** 3. One change per desired resource: create, or update / replace / noop against live. */
function planChanges(ctx: PlanContext): void {
  const { state } = ctx;
  for (const res of ctx.desired) {
    const after = ctx.afterByAddr.get(res.address);
    if (!after) continue;
    const h = resourceTypeFor(res.type, res.address);
    const entry = state.resources[res.address];
    const cur = ctx.current.get(res.address);
    const parent = parentAddressOf(res);
    const deps = [
      ...(parent ? [parent] : []),
      ...res.dependsOn,
      ...res.lifecycle.replaceTriggeredBy.map((r) =>
        refTarget(r, (a) => ctx.desiredByAddr.has(a) || a in state.resources),
      ),
    ];
    const base = {
      address: res.address,
      type: res.type,
      ...identity(res.address),
      group: parent ?? res.address,
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
      ctx.changes.set(res.address, {
        ...base,
        action,
        reasons: forcing.map((k) => `${k} forces replacement`),
        before: beforeOf(h, cur),
        after: { ...after },
        after_unknown: action === "replace" ? [...h.computed] : [],
        changed,
        remote: remoteOf(cur),
      });
    } else {
      const reasons = entry ? ["deleted outside popdock-iac; it will be created again"] : [];
      ctx.changes.set(res.address, {
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
}

/** 4. Replacement triggers: replaced parents and `replace_triggered_by`, to a fixed point. */
function propagateReplacements(ctx: PlanContext): void {
  const { changes, state } = ctx;
  let moved = true;
  while (moved) {
    moved = false;
    for (const res of ctx.desired) {
      const ch = changes.get(res.address);
      if (!ch) continue;
      // A replaced parent takes its children with it: they are re-created under the new one.
      const parent = parentAddressOf(res);
      const pc = parent ? changes.get(parent) : undefined;
      if (parent && pc?.action === "replace" && ch.action !== "create" && ch.deleted_with === undefined) {
        if (ch.action !== "replace") toReplace(ch, resourceTypeFor(res.type), `${parent} is replaced`);
        ch.deleted_with = parent;
        moved = true;
      }
      if (ch.action !== "noop" && ch.action !== "update") continue;
      for (const ref of res.lifecycle.replaceTriggeredBy) {
        const target = refTarget(ref, (a) => changes.has(a) || a in state.resources);
        const t = changes.get(target);
        if (t && (t.action === "replace" || t.action === "update")) {
          toReplace(ch, resourceTypeFor(res.type), `replace_triggered_by ${ref}`);
          moved = true;
          break;
        }
      }
    }
  }
}

/**
 * 5. Replacement order: create-before-destroy where the type or lifecycle asks for it and the
 *    old and new objects can coexist (a name unique in Popdock cannot be held twice).
 */
function chooseReplaceOrder(ctx: PlanContext): void {
  for (const res of ctx.desired) {
    const ch = ctx.changes.get(res.address);
    if (ch?.action !== "replace") continue;
    const h = resourceTypeFor(res.type, res.address);
    const cbd = res.lifecycle.createBeforeDestroy ?? h.createBeforeDestroy;
    const sameName =
      h.uniqueName &&
      typeof ch.before?.name === "string" &&
      String(ch.before.name).toLowerCase() === String(ch.after?.name ?? "").toLowerCase();
    if (cbd && sameName && !ch.deleted_with) {
      ch.replace_order = "delete_before_create";
      const per = h.parent ? ` per ${resourceTypeFor(h.parent.type).render.noun}` : "";
      ch.reasons.push(
        `the new ${h.render.noun} keeps the name "${String(ch.after?.name)}", which Popdock allows only once${per}, so the old one is deleted first; put the rotation trigger in the name for a create-before-destroy rotation`,
      );
    } else {
      ch.replace_order = cbd && !ch.deleted_with ? "create_before_destroy" : "delete_before_create";
    }
  }
}

/** 6. Deletes: in state, not desired. Children of a deleted parent go with it. */
function planDeletes(ctx: PlanContext): void {
  const { state, desiredByAddr } = ctx;
  for (const [address, entry] of sortedEntries(state)) {
    if (desiredByAddr.has(address)) continue;
    const h = typeOfEntry(address, entry);
    const cur = ctx.current.get(address);
    const parentDeleted =
      entry.parent !== undefined && !desiredByAddr.has(entry.parent) && entry.parent in state.resources;
    ctx.changes.set(address, {
      address,
      type: entry.type,
      ...identity(address),
      group: entry.parent ?? address,
      ...(entry.parent ? { parent: entry.parent } : {}),
      action: "delete",
      reasons: cur || h.local ? [] : ["already deleted outside popdock-iac; it is removed from state"],
      before: cur ? beforeOf(h, cur) : { ...entry.attributes },
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
}

/** 6b. Objects deposed by an interrupted create-before-destroy replacement: delete them. */
function planDeposed(ctx: PlanContext): void {
  const { state, changes } = ctx;
  for (const d of state.deposed ?? []) {
    const h = typeOfEntry(d.address, d);
    const cur = h.read(ctx.live, {
      type: d.type,
      id: d.id,
      version: d.version,
      attributes: {},
      dependencies: [],
    });
    if (!cur) continue;
    const address = `${d.address} (deposed object ${d.id})`;
    const configured = ctx.configByAddr.get(d.address);
    const parent =
      state.resources[d.address]?.parent ?? (configured ? parentAddressOf(configured) : undefined);
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
      // A deposed object is shown without its creation time: it is on its way out.
      before: {
        ...pick(cur.attrs, [...h.compared, ...h.render.informational.filter((k) => k !== "created_at")]),
      },
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
}

/**
 * 7. Names. Popdock keeps API user names unique, and token names unique per user. A new or
 *    renamed object whose name is held by an object not managed here is an error naming the
 *    import command; one held by a managed object that is deleted, replaced or renamed in
 *    this plan waits for that change (`waits_for`); a name that stays where it is, or names
 *    that would have to swap, are errors.
 */
function checkNames(ctx: PlanContext): void {
  const { changes } = ctx;
  const managedIds = new Map<string, string>();
  for (const [address, entry] of Object.entries(ctx.state.resources)) managedIds.set(entry.id, address);
  for (const ch of changes.values()) {
    const renames = ch.action === "update" && ch.changed.includes("name");
    if (ch.action !== "create" && ch.action !== "replace" && !renames) continue;
    const h = resourceTypeFor(ch.type, ch.address);
    if (h.local || !ch.after) continue;
    const parentCh = ch.parent ? changes.get(ch.parent) : undefined;
    if (parentCh && (parentCh.action === "create" || parentCh.action === "replace")) continue;
    const parentId = ch.parent ? ctx.current.get(ch.parent)?.id : undefined;
    if (ch.parent && parentId === undefined) continue;
    const clash = h.conflict(ctx.live, parentId, ch.after);
    if (!clash || (clash.id === ch.remote?.id && ch.action !== "replace")) continue;
    if (clash.id === ch.remote?.id) continue; // a replacement keeping its name: handled in phase 5
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
    const src = ctx.configByAddr.get(ch.address)?.source;
    const importId = clash.parentId ? `${clash.parentId}/${clash.id}` : clash.id;
    ctx.diagnostics.push({
      code: owner ? "PLAN_NAME_IN_USE" : "PLAN_ALREADY_EXISTS",
      severity: "error",
      message: owner
        ? `${ch.address} would take the name "${String(ch.after.name)}" of ${owner}, which keeps it`
        : renames
          ? `${ch.address}: another ${h.render.noun} named "${String(ch.after.name)}" exists in Popdock (id ${clash.id}) and is not managed by popdock-iac`
          : `${ch.address}: ${h.render.describe(ch.after)} already exists in Popdock (id ${clash.id}) and is not managed by popdock-iac`,
      ...(src ? locate(src) : {}),
      hint: owner
        ? "give one of them another name"
        : renames
          ? `choose another name, or delete or rename that ${h.render.noun} in Popdock first`
          : `adopt it with \`popdock import '${ch.address}' ${importId}\`, or choose another name`,
    });
  }
}

/** 8. prevent_destroy: refuse deleting or replacing a protected resource (configured or in state). */
function checkPreventDestroy(ctx: PlanContext): void {
  for (const ch of ctx.changes.values()) {
    if (ch.action !== "delete" && ch.action !== "replace") continue;
    const res = ctx.configByAddr.get(ch.address);
    const protectedNow =
      res?.lifecycle.preventDestroy ?? ctx.state.resources[ch.address]?.prevent_destroy ?? false;
    if (!protectedNow) continue;
    ctx.diagnostics.push({
      code: "PLAN_PREVENT_DESTROY",
      severity: "error",
      message: `${ch.address} has prevent_destroy set, but the plan would ${ch.action === "delete" ? "destroy" : "replace"} it`,
      ...(res ? locate(res.source) : {}),
      hint: res
        ? "remove prevent_destroy (and apply) first if you really mean to destroy it"
        : "it was protected when last applied: put it back in the configuration, or remove prevent_destroy, apply, then remove it",
    });
  }
}

/** 9. A keeper (a local resource without a parent) is shown with the parent of what it rotates. */
function groupKeepers(ctx: PlanContext): void {
  const { changes } = ctx;
  for (const res of ctx.desired) {
    const parent = parentAddressOf(res);
    if (!parent) continue;
    for (const ref of res.lifecycle.replaceTriggeredBy) {
      const keeper = changes.get(refTarget(ref, (a) => changes.has(a)));
      if (!keeper || keeper.group !== keeper.address) continue;
      const kt = resourceTypeFor(keeper.type, keeper.address);
      if (kt.local && !kt.parent) keeper.group = parent;
    }
  }
}

/** 10. Changes that wait for each other cannot be applied in one run. */
function checkOrder(ctx: PlanContext, ordered: readonly ResourceChange[]): void {
  if (ctx.diagnostics.some((d) => d.severity === "error")) return;
  const cycle = findStepCycle(ordered);
  if (!cycle) return;
  ctx.diagnostics.push({
    code: "PLAN_ORDER_CYCLE",
    severity: "error",
    message: `these changes wait for each other and cannot be applied in one run: ${cycle.join(" → ")}`,
    hint: "names that swap between objects need two applies: first rename one to a temporary name and apply, then apply the rest",
  });
}

function toReplace(ch: ResourceChange, h: ResourceType, reason: string): void {
  ch.action = "replace";
  ch.reasons.push(reason);
  ch.after_unknown = [...h.computed];
}

function remoteOf(cur: LiveObject): { id: string; parent_id?: string; version: number } {
  return cur.parentId !== undefined
    ? { id: cur.id, parent_id: cur.parentId, version: cur.version }
    : { id: cur.id, version: cur.version };
}

/** Plan order: by group, then type order (from the registry), then address. */
function byGroupThenType(a: ResourceChange, b: ResourceChange): number {
  if (a.group !== b.group) return a.group < b.group ? -1 : 1;
  return compareTypes(a.type, b.type) || compareStrings(a.address, b.address);
}

function sortedEntries(state: StateFile): [string, StateResource][] {
  return Object.entries(state.resources).sort(([a], [b]) => compareStrings(a, b));
}
