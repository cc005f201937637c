/**
 * Apply: the one place with side effects. Turns a Plan into steps, runs them in dependency order
 * with bounded parallelism, and writes state after every step:
 *
 *   record the step as pending (with its Idempotency-Key) → persist → call → record the result → persist
 *
 * so a run that dies at any point leaves a state the next run can continue from
 * (provider/engine/recover.ts resolves pending steps). A failed step stops its dependents and lets
 * independent steps finish. Aborting the signal (first SIGINT) starts no new step; in-flight
 * ones finish and are recorded.
 */
import { randomUUID } from "node:crypto";
import type { Plan, ResourceChange } from "../../schema/plan.js";
import type { PendingStep, StateFile, StateResource } from "../../schema/state.js";
import { isIndeterminate, isNotFound } from "../client/errors.js";
import type { PopdockApi } from "../client/types.js";
import { sameValue } from "../model/values.js";
import { handlerFor } from "../resources/index.js";
import type { LiveObject, Written } from "../resources/types.js";
import { evaluateOutputs } from "./outputs.js";
import { depose, stateEntryOf } from "./recover.js";
import { planSteps, type Step } from "./steps.js";

export { planSteps, type Step, type StepKind } from "./steps.js";

export type StepOutcome = "ok" | "failed" | "skipped" | "not_started";

export type ApplyEvent =
  | { type: "start"; step: Step }
  | { type: "done"; step: Step; ms: number; id?: string }
  | { type: "failed"; step: Step; ms: number; error: unknown }
  | { type: "skipped"; step: Step; because: string };

export interface ApplyOptions {
  plan: Plan;
  api: PopdockApi;
  /** Current state (already reconciled); mutated as steps complete. */
  state: StateFile;
  /** Persists the state; called after every step. Serialized by the store. */
  persist: (state: StateFile) => Promise<unknown>;
  parallelism?: number;
  /** Aborted: start no new step. */
  signal?: AbortSignal;
  onEvent?: (ev: ApplyEvent) => void;
  /** Called once with the number of steps, before any runs. */
  onPlanned?: (steps: number) => void;
  now?: () => Date;
}

export interface ApplyResult {
  outcomes: Map<string, StepOutcome>;
  errors: { step: Step; error: unknown }[];
  /** Token IDs of tokens created in this run, by token address. In memory only. */
  secrets: Map<string, string>;
  interrupted: boolean;
  ok: boolean;
  steps: Step[];
}

function stateEntry(ch: ResourceChange, w: Written, state: StateFile): StateResource {
  const parentId = ch.parent ? state.resources[ch.parent]?.id : undefined;
  return stateEntryOf(ch.type, w, {
    dependencies: ch.depends_on,
    ...(ch.parent !== undefined ? { parent: ch.parent } : {}),
    ...(parentId !== undefined ? { parentId } : {}),
    ...(ch.prevent_destroy ? { preventDestroy: true } : {}),
  });
}

function remoteFor(ch: ResourceChange): LiveObject {
  if (!ch.remote) throw new Error(`${ch.address}: no remote object recorded in the plan`);
  return {
    id: ch.remote.id,
    version: ch.remote.version,
    attrs: ch.before ?? {},
    ...(ch.remote.parent_id !== undefined ? { parentId: ch.remote.parent_id } : {}),
  };
}

/** Errors after which the outcome of a create is unknown: keep its pending record for recovery. */
function outcomeUnknown(err: unknown): boolean {
  return isIndeterminate(err);
}

/**
 * Brings the state entries of unchanged resources up to date with what the plan saw: live
 * attributes and version (drift the configuration agrees with), lifecycle protection and
 * dependencies. Returns whether anything differed. Pure apart from mutating `state`.
 */
export function syncUnchanged(plan: Plan, state: StateFile): boolean {
  let changed = false;
  for (const ch of plan.changes) {
    if (ch.action !== "noop") continue;
    const entry = state.resources[ch.address];
    if (!entry) continue;
    const next: StateResource = { ...entry, dependencies: [...ch.depends_on] };
    if (ch.prevent_destroy) next.prevent_destroy = true;
    else delete next.prevent_destroy;
    if (ch.remote && ch.before) {
      const { id: _id, ...attrs } = ch.before;
      next.attributes = attrs;
      next.version = ch.remote.version;
    }
    if (!sameValue(next, entry)) {
      state.resources[ch.address] = next;
      changed = true;
    }
  }
  return changed;
}

export async function applyPlan(opts: ApplyOptions): Promise<ApplyResult> {
  const { plan, api, state } = opts;
  const now = opts.now ?? (() => new Date());
  const parallelism = Math.max(1, opts.parallelism ?? 10);
  const steps = planSteps(plan);
  opts.onPlanned?.(steps.length);
  syncUnchanged(plan, state);
  const byId = new Map(steps.map((s) => [s.id, s]));
  const outcomes = new Map<string, StepOutcome>(steps.map((s) => [s.id, "not_started"]));
  const errors: ApplyResult["errors"] = [];
  const secrets = new Map<string, string>();
  const signal = opts.signal ?? new AbortController().signal;
  const emit = opts.onEvent ?? (() => {});
  const callSignal = new AbortController().signal; // in-flight calls finish even after an interrupt

  const persist = () => opts.persist(state);

  const setPending = async (p: PendingStep) => {
    state.pending = [...state.pending.filter((x) => x.address !== p.address || x.action !== p.action), p];
    await persist();
  };
  const clearPending = (address: string, action: PendingStep["action"]) => {
    state.pending = state.pending.filter((x) => x.address !== address || x.action !== action);
  };

  async function run(step: Step): Promise<string | undefined> {
    const ch = step.change;
    const h = handlerFor(ch.type);
    const started = now().toISOString();
    switch (step.kind) {
      case "create": {
        const parentId = ch.parent ? state.resources[ch.parent]?.id : undefined;
        if (ch.parent && parentId === undefined)
          throw new Error(`${ch.address}: its API user ${ch.parent} is not in state`);
        const key = randomUUID();
        const prior = state.resources[ch.address];
        if (!h.local) {
          const p: PendingStep = {
            address: ch.address,
            action: "create",
            type: ch.type,
            idempotency_key: key,
            request: { ...(ch.after ?? {}) },
            started_at: started,
          };
          if (parentId !== undefined) p.parent_id = parentId;
          if (prior && ch.action === "replace" && ch.replace_order === "create_before_destroy")
            p.replaces_id = prior.id;
          await setPending(p);
        }
        let w: Written;
        try {
          w = await h.create({ api, signal: callSignal, idempotencyKey: key }, ch.after ?? {}, parentId);
        } catch (err) {
          if (!outcomeUnknown(err)) {
            clearPending(ch.address, "create");
            await persist();
          }
          throw err;
        }
        if (w.secret !== undefined) secrets.set(ch.address, w.secret);
        if (prior && ch.action === "replace" && ch.replace_order === "create_before_destroy") {
          depose(state, ch.address, prior); // until its delete step removes it
        }
        state.resources[ch.address] = stateEntry(ch, w, state);
        clearPending(ch.address, "create");
        await persist();
        return w.id;
      }
      case "update": {
        const remote = remoteFor(ch);
        await setPending({
          address: ch.address,
          action: "update",
          type: ch.type,
          object_id: remote.id,
          ...(remote.parentId !== undefined ? { parent_id: remote.parentId } : {}),
          started_at: started,
        });
        let w: Written;
        try {
          w = await h.update({ api, signal: callSignal }, remote, ch.after ?? {});
        } finally {
          clearPending(ch.address, "update");
        }
        state.resources[ch.address] = stateEntry(ch, w, state);
        await persist();
        return w.id;
      }
      case "delete": {
        if (!h.local && ch.remote) {
          const remote = remoteFor(ch);
          await setPending({
            address: ch.address,
            action: "delete",
            type: ch.type,
            object_id: remote.id,
            ...(remote.parentId !== undefined ? { parent_id: remote.parentId } : {}),
            started_at: started,
          });
          try {
            await h.delete({ api, signal: callSignal }, remote);
          } catch (err) {
            // Already gone (deleted outside, or with its user): that is what we wanted.
            const gone = isNotFound(err);
            if (!gone && !outcomeUnknown(err)) {
              clearPending(ch.address, "delete");
              await persist();
            }
            if (!gone) throw err;
          }
          clearPending(ch.address, "delete");
        }
        forget(step);
        await persist();
        return undefined;
      }
      case "forget": {
        forget(step);
        await persist();
        return undefined;
      }
    }
  }

  function forget(step: Step): void {
    const ch = step.change;
    const oldId = ch.remote?.id;
    if (ch.deposed_of !== undefined) {
      state.deposed = (state.deposed ?? []).filter((d) => d.id !== oldId);
      return;
    }
    if (step.deposed) {
      state.deposed = (state.deposed ?? []).filter((d) => !(d.address === ch.address && d.id === oldId));
      // Delete-first replacement: the entry still points at the old object until the create.
      if (ch.replace_order === "delete_before_create" && state.resources[ch.address]?.id === oldId) {
        delete state.resources[ch.address];
      }
      return;
    }
    if (ch.remote === undefined || state.resources[ch.address]?.id === oldId || ch.type === "null_resource") {
      delete state.resources[ch.address];
    }
  }

  // Scheduler: start every ready step up to `parallelism`; a failure skips its dependents.
  const pending = new Set(steps.map((s) => s.id));
  const running = new Map<string, Promise<void>>();
  let interrupted = false;

  const depState = (s: Step): "ready" | "wait" | "blocked" => {
    for (const d of s.deps) {
      const o = outcomes.get(d);
      if (o === "failed" || o === "skipped") return "blocked";
      if (o !== "ok") return "wait";
    }
    return "ready";
  };

  const aborted = abortPromise(signal);
  while (pending.size > 0 || running.size > 0) {
    if (signal.aborted) interrupted = true;
    let progressed = false;
    for (const id of [...pending]) {
      const s = byId.get(id);
      if (!s) continue;
      const ds = depState(s);
      if (ds === "blocked") {
        pending.delete(id);
        outcomes.set(id, "skipped");
        const because = s.deps.find((d) => ["failed", "skipped"].includes(outcomes.get(d) ?? "")) ?? "";
        emit({ type: "skipped", step: s, because });
        progressed = true;
        continue;
      }
      if (ds !== "ready" || interrupted || running.size >= parallelism) continue;
      pending.delete(id);
      progressed = true;
      const t0 = performance.now();
      emit({ type: "start", step: s });
      running.set(
        id,
        run(s).then(
          (objectId) => {
            outcomes.set(id, "ok");
            emit({
              type: "done",
              step: s,
              ms: performance.now() - t0,
              ...(objectId ? { id: objectId } : {}),
            });
            running.delete(id);
          },
          (error: unknown) => {
            outcomes.set(id, "failed");
            errors.push({ step: s, error });
            emit({ type: "failed", step: s, ms: performance.now() - t0, error });
            running.delete(id);
          },
        ),
      );
    }
    if (interrupted && running.size === 0) break;
    if (running.size > 0) {
      // Once interrupted, `aborted` is settled: racing it again would return at once and spin
      // this loop on microtasks, starving the very calls we are waiting for.
      await Promise.race(interrupted ? [...running.values()] : [...running.values(), aborted]);
    } else if (!progressed) {
      break; // nothing runnable: a dependency cycle would land here
    }
  }

  state.outputs = evaluateOutputs(plan.outputs, state);
  await persist();
  const ok = errors.length === 0 && !interrupted && [...outcomes.values()].every((o) => o === "ok");
  return { outcomes, errors, secrets, interrupted, ok, steps };
}

function abortPromise(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return new Promise(() => {});
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}
