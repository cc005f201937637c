/**
 * The steps `plan`, `apply` and `destroy` share, over a loaded state and a connection:
 * refresh → recover pending steps → plan; and the staleness check of a saved plan.
 */
import type { Plan } from "../../schema/plan.js";
import type { StateFile } from "../../schema/state.js";
import type { PopdockApi } from "../client/types.js";
import type { DesiredConfig } from "../model/desired.js";
import type { Diagnostic } from "../model/diagnostics.js";
import { PopdockError } from "../model/errors.js";
import type { LiveSnapshot } from "../model/live.js";
import { compareTypes, resourceTypeFor } from "../resources/index.js";
import { applyStateActions, type UnconfiguredImport } from "./moves.js";
import { makePlan } from "./plan.js";
import { adopt, recoverPending } from "./recover.js";
import { refresh } from "./refresh.js";

export class PlanStaleError extends PopdockError {
  readonly code = "POPDOCK_PLAN_STALE";
}

export interface Prepared {
  live: LiveSnapshot;
  /** State after recovering pending steps (not yet written). */
  state: StateFile;
  /** What recovery did. */
  notes: string[];
  /** Requests the refresh took. */
  requests: number;
}

export async function refreshAndRecover(
  api: PopdockApi,
  loaded: StateFile,
  signal?: AbortSignal,
): Promise<Prepared> {
  const before = api.stats().attempts;
  const live = await refresh(api, signal ? { signal } : {});
  const requests = api.stats().attempts - before;
  const { state, notes } = recoverPending(loaded, live);
  return { live, state, notes, requests };
}

/**
 * Apply only (it may create): resolves pending creates by replaying their Idempotency-Key.
 * Popdock answers a replay with what the first attempt made, or makes it now if that attempt
 * never arrived; either way the object is ours, and it goes into state. A replay Popdock refuses
 * (the key expired, the name was taken meanwhile) is left to name-based recovery.
 */
export async function replayPendingCreates(
  api: PopdockApi,
  loaded: StateFile,
  signal?: AbortSignal,
): Promise<{ state: StateFile; notes: string[] }> {
  const state: StateFile = structuredClone(loaded);
  const notes: string[] = [];
  // Parents before children: a child's replay needs its parent adopted first.
  const creates = loaded.pending
    .filter((p) => p.action === "create" && p.idempotency_key !== undefined && p.request !== undefined)
    .sort((a, b) => compareTypes(a.type, b.type));
  for (const p of creates) {
    const h = resourceTypeFor(p.type, `pending create of ${p.address}`);
    if (h.local) continue;
    let w: Awaited<ReturnType<typeof h.create>>;
    try {
      const ctx = {
        api,
        signal: signal ?? new AbortController().signal,
        idempotencyKey: p.idempotency_key as string,
      };
      w = await h.create(ctx, p.request ?? {}, p.parent_id);
    } catch {
      continue; // refused: recoverPending decides by name
    }
    adopt(state, p, w);
    state.pending = state.pending.filter(
      (x) => x !== p && !(x.address === p.address && x.action === "create"),
    );
    notes.push(`${p.address}: resolved an earlier create by replaying its Idempotency-Key (id ${w.id})`);
  }
  return { state, notes };
}

export interface ComputedPlan extends Prepared {
  plan?: Plan;
  diagnostics: Diagnostic[];
}

export async function computePlan(opts: {
  api: PopdockApi;
  config: DesiredConfig;
  loaded: StateFile;
  identity: string;
  mode?: "normal" | "destroy";
  signal?: AbortSignal;
  /** Resolve pending creates by replaying their keys first (apply, not plan: it may create). */
  replay?: boolean;
  /** `--allow-destroy-all`, and how messages name the state (see `makePlan`). */
  allowDestroyAll?: boolean;
  stateName?: string;
  workspace?: string;
  /** `-replace` and `--force-retire` addresses (see `makePlan`). */
  replace?: readonly string[];
  forceRetire?: readonly string[];
  /** `--generate-config-out`: import blocks without configuration are collected here. */
  unconfiguredImports?: UnconfiguredImport[];
}): Promise<ComputedPlan> {
  const replayed = opts.replay
    ? await replayPendingCreates(opts.api, opts.loaded, opts.signal)
    : { state: opts.loaded, notes: [] };
  const prepared = await refreshAndRecover(opts.api, replayed.state, opts.signal);
  prepared.notes.unshift(...replayed.notes);
  // A saved plan refers to the state as it is on disk: recovery is redone at apply.
  const stateForPlan = { ...prepared.state, serial: opts.loaded.serial };
  const r = makePlan({
    config: opts.config,
    state: stateForPlan,
    live: prepared.live,
    endpoint: opts.identity,
    mode: opts.mode ?? "normal",
    ...(opts.allowDestroyAll !== undefined ? { allowDestroyAll: opts.allowDestroyAll } : {}),
    ...(opts.stateName !== undefined ? { stateName: opts.stateName } : {}),
    ...(opts.workspace !== undefined ? { workspace: opts.workspace } : {}),
    ...(opts.replace !== undefined ? { replace: opts.replace } : {}),
    ...(opts.forceRetire !== undefined ? { forceRetire: opts.forceRetire } : {}),
    ...(opts.unconfiguredImports ? { unconfiguredImports: opts.unconfiguredImports } : {}),
  });
  return { ...prepared, ...r };
}

/**
 * Why a saved plan can no longer be applied exactly: the state moved, or an object it touches
 * changed (or appeared) in Popdock since the plan. Empty when it is still good.
 */
export function staleReasons(plan: Plan, onDisk: StateFile, identity: string, live: LiveSnapshot): string[] {
  const reasons: string[] = [];
  // The changes name the addresses the plan's moves and imports give: look them up after those.
  let loaded = onDisk;
  if ((plan.state_actions?.length ?? 0) > 0) {
    try {
      loaded = structuredClone(onDisk);
      applyStateActions(loaded, plan.state_actions ?? []);
    } catch {
      loaded = onDisk; // the state moved: the serial check below says so
    }
  }
  if (plan.endpoint !== identity) reasons.push(`the plan was made against ${plan.endpoint}, not ${identity}`);
  // A plan made before any state file existed (serial 0) carries a lineage no file ever held:
  // loading a missing state gives a fresh lineage every time. Only its serial can be compared.
  if (plan.state_serial > 0 && plan.state_lineage !== loaded.lineage) {
    reasons.push(
      `the plan was made from another state (lineage ${plan.state_lineage}, now ${loaded.lineage})`,
    );
  } else if (plan.state_serial !== loaded.serial) {
    reasons.push(`state moved since the plan (serial ${plan.state_serial} → ${loaded.serial})`);
  }
  for (const ch of plan.changes) {
    if (ch.action === "noop" || ch.deleted_with !== undefined) continue;
    const h = resourceTypeFor(ch.type, ch.address);
    if (h.local) continue;
    if (ch.remote) {
      const cur = h.read(live, {
        type: ch.type,
        id: ch.remote.id,
        version: ch.remote.version,
        attributes: {},
        dependencies: [],
      });
      if (!cur) reasons.push(`${ch.address} was deleted in Popdock since the plan`);
      else if (cur.version !== ch.remote.version) {
        reasons.push(
          `${ch.address} changed in Popdock since the plan (version ${ch.remote.version} → ${cur.version})`,
        );
      }
    } else if (
      ch.action === "create" &&
      ch.after &&
      (ch.parent === undefined || loaded.resources[ch.parent])
    ) {
      const parentId = ch.parent ? loaded.resources[ch.parent]?.id : undefined;
      const clash = h.conflict(live, parentId, ch.after);
      const managed = Object.values(loaded.resources).some((r) => r.id === clash?.id);
      if (clash && !managed)
        reasons.push(
          `${ch.address}: an object with the same name appeared in Popdock since the plan (id ${clash.id})`,
        );
    }
  }
  return reasons;
}
