/**
 * Apply: the one place with side effects. Turns a Plan into steps, runs them in dependency order
 * with bounded parallelism, and records state after every step:
 *
 *   record the step as pending (with its Idempotency-Key) → durable → call → record the result → durable
 *
 * Each record is a small journal append (./state-journal.ts), O(change) not O(state); a full
 * snapshot is written at the start, every few hundred records and at the end. So a run that dies
 * at any point leaves a state the next run can continue from
 * (provider/engine/recover.ts resolves pending steps). A failed step stops its dependents and lets
 * independent steps finish. Aborting the signal (first SIGINT) starts no new step; in-flight
 * ones finish and are recorded.
 */
import { randomUUID } from "node:crypto";
import type { Plan, ResourceChange } from "../../schema/plan.js";
import type { PendingStep, StateFile, StateResource } from "../../schema/state.js";
import type { StateBackend, StateDelta } from "../backends/types.js";
import { isIndeterminate, isNotFound } from "../client/errors.js";
import type { PopdockApi } from "../client/types.js";
import { InternalError } from "../model/errors.js";
import { sameValue } from "../model/values.js";
import { resourceTypeFor } from "../resources/index.js";
import type { LiveObject, ResourceType, Written } from "../resources/types.js";
import { applyStateActions } from "./moves.js";
import { evaluateOutputs } from "./outputs.js";
import { deposedRecord, stateEntryOf } from "./recover.js";
import { rotationPending, withoutPrevious, withPrevious } from "./rotation.js";
import { type JournalOptions, StateJournal } from "./state-journal.js";
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
  /** Where state is stored (under its lock), and the stored serial `state` was loaded at (-1: none). */
  backend: Pick<StateBackend, "append" | "write">;
  serial: number;
  /** When to take snapshots (see state-journal.ts). */
  journal?: JournalOptions;
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
  if (!ch.remote) throw new InternalError(`${ch.address}: no remote object recorded in the plan`);
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

/** What the step runners share during one apply: the state, how to record changes, and what was made. */
interface ApplyRun {
  api: PopdockApi;
  state: StateFile;
  /** Applies changes to `state` and makes them durable. */
  record: (deltas: StateDelta[]) => Promise<void>;
  now: () => Date;
  /** Token IDs created in this run, by address (in memory only). */
  secrets: Map<string, string>;
  /** In-flight calls finish even after an interrupt: they get a signal that never aborts. */
  callSignal: AbortSignal;
}

/** Records a step as pending (replacing an older record of the same step), durably. */
function setPending(run: ApplyRun, p: PendingStep): Promise<void> {
  return run.record([{ op: "pending", step: p }]);
}

function clearPending(address: string, action: PendingStep["action"]): StateDelta {
  return { op: "clear_pending", address, action };
}

/** Runs one step; resolves to the id of the object it wrote, if any. */
async function runStep(run: ApplyRun, step: Step): Promise<string | undefined> {
  const h = resourceTypeFor(step.change.type, step.address);
  switch (step.kind) {
    case "create":
      return runCreate(run, h, step.change);
    case "update":
      return runUpdate(run, h, step.change);
    case "delete":
      return runDelete(run, h, step);
    case "forget":
      await run.record(forget(run.state, h, step));
      return undefined;
  }
}

/** Create (or the create half of a replacement): pending with its Idempotency-Key → call → state. */
async function runCreate(run: ApplyRun, h: ResourceType, ch: ResourceChange): Promise<string> {
  const { state } = run;
  const started = run.now().toISOString();
  const parentId = ch.parent ? state.resources[ch.parent]?.id : undefined;
  if (ch.parent && parentId === undefined)
    throw new InternalError(`${ch.address}: its parent ${ch.parent} is not in state`);
  const key = randomUUID();
  const prior = state.resources[ch.address];
  const replacesFirst =
    prior !== undefined && ch.action === "replace" && ch.replace_order === "create_before_destroy";
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
    if (replacesFirst) p.replaces_id = prior.id;
    await setPending(run, rotationPending(ch, p));
  }
  let w: Written;
  try {
    w = await h.create(
      { api: run.api, signal: run.callSignal, idempotencyKey: key },
      ch.after ?? {},
      parentId,
    );
  } catch (err) {
    if (!outcomeUnknown(err)) await run.record([clearPending(ch.address, "create")]);
    throw err;
  }
  if (w.secret !== undefined) run.secrets.set(ch.address, w.secret);
  const entry = stateEntry(ch, w, state);
  // A token's next generation: the current one stays, as its previous generation.
  const resource =
    ch.rotation !== undefined && prior?.id === ch.rotation.previous_id
      ? withPrevious(entry, prior, ch.rotation.overlap_seconds, run.now())
      : entry;
  await run.record([
    // The replaced object stays deposed until its delete step removes it.
    ...(replacesFirst ? [{ op: "depose", object: deposedRecord(ch.address, prior) } as const] : []),
    { op: "put", address: ch.address, resource },
    clearPending(ch.address, "create"),
  ]);
  return w.id;
}

/** In-place update: pending → call (If-Match) → state. */
async function runUpdate(run: ApplyRun, h: ResourceType, ch: ResourceChange): Promise<string> {
  const remote = remoteFor(ch);
  await setPending(run, {
    address: ch.address,
    action: "update",
    type: ch.type,
    object_id: remote.id,
    ...(remote.parentId !== undefined ? { parent_id: remote.parentId } : {}),
    started_at: run.now().toISOString(),
  });
  let w: Written;
  try {
    w = await h.update({ api: run.api, signal: run.callSignal }, remote, ch.after ?? {});
  } catch (err) {
    await run.record([clearPending(ch.address, "update")]);
    throw err;
  }
  await run.record([
    { op: "put", address: ch.address, resource: stateEntry(ch, w, run.state) },
    clearPending(ch.address, "update"),
  ]);
  return w.id;
}

/** Delete (or the delete half of a replacement): pending → call (If-Match) → forget. */
async function runDelete(run: ApplyRun, h: ResourceType, step: Step): Promise<undefined> {
  const ch = step.change;
  if (!h.local && ch.remote) {
    const remote = remoteFor(ch);
    await setPending(run, {
      address: ch.address,
      action: "delete",
      type: ch.type,
      object_id: remote.id,
      ...(remote.parentId !== undefined ? { parent_id: remote.parentId } : {}),
      started_at: run.now().toISOString(),
    });
    try {
      await h.delete({ api: run.api, signal: run.callSignal }, remote);
    } catch (err) {
      // Already gone (deleted outside, or with its user): that is what we wanted.
      const gone = isNotFound(err);
      if (!gone && !outcomeUnknown(err)) await run.record([clearPending(ch.address, "delete")]);
      if (!gone) throw err;
    }
    await run.record([clearPending(ch.address, "delete"), ...forget(run.state, h, step)]);
    return undefined;
  }
  await run.record(forget(run.state, h, step));
  return undefined;
}

/** What a delete or forget step removes from state (entry or deposed record), as records. */
function forget(state: StateFile, h: ResourceType, step: Step): StateDelta[] {
  const ch = step.change;
  const oldId = ch.remote?.id;
  if (ch.previous_of !== undefined) {
    const entry = withoutPrevious(state, ch.previous_of, oldId);
    return entry === undefined ? [] : [{ op: "put", address: ch.previous_of, resource: entry }];
  }
  if (ch.deposed_of !== undefined) return oldId === undefined ? [] : [{ op: "undepose", id: oldId }];
  if (step.deposed) {
    const out: StateDelta[] = oldId === undefined ? [] : [{ op: "undepose", id: oldId }];
    // Delete-first replacement: the entry still points at the old object until the create.
    if (ch.replace_order === "delete_before_create" && state.resources[ch.address]?.id === oldId) {
      out.push({ op: "remove", address: ch.address });
    }
    return out;
  }
  // A local object (null_resource) has no remote id to match: its entry simply goes.
  if (ch.remote === undefined || state.resources[ch.address]?.id === oldId || h.local) {
    return [{ op: "remove", address: ch.address }];
  }
  return [];
}

export async function applyPlan(opts: ApplyOptions): Promise<ApplyResult> {
  const { plan, state } = opts;
  const steps = planSteps(plan);
  opts.onPlanned?.(steps.length);
  // Moves, removals and imports change the state alone, before any step (no call to Popdock);
  // the snapshot below records them before the first step runs.
  if ((plan.state_actions?.length ?? 0) > 0) applyStateActions(state, plan.state_actions ?? []);
  syncUnchanged(plan, state);
  const journal = new StateJournal(opts.backend, state, opts.serial, opts.journal);
  // The reconciled state (recovery, drift the configuration agrees with) as one snapshot first;
  // a checkpoint: `state history` lists the states runs ended with.
  await journal.snapshot({ checkpoint: true });
  const run: ApplyRun = {
    api: opts.api,
    state,
    record: (deltas) => journal.record(deltas),
    now: opts.now ?? (() => new Date()),
    secrets: new Map(),
    callSignal: new AbortController().signal,
  };
  const { outcomes, errors, interrupted } = await schedule(steps, (s) => runStep(run, s), {
    parallelism: Math.max(1, opts.parallelism ?? 10),
    signal: opts.signal ?? new AbortController().signal,
    emit: opts.onEvent ?? (() => {}),
  });
  await journal.record([{ op: "outputs", outputs: evaluateOutputs(plan.outputs, state) }]);
  await journal.snapshot();
  const ok = errors.length === 0 && !interrupted && [...outcomes.values()].every((o) => o === "ok");
  return { outcomes, errors, secrets: run.secrets, interrupted, ok, steps };
}

/**
 * The scheduler: starts every ready step up to `parallelism`, in plan order (lowest index first);
 * a failure skips its dependents; once `signal` aborts no new step starts and in-flight ones
 * finish. Event-driven: each step's unfinished dependencies are counted, and a step becomes
 * ready when its count reaches zero, so a run costs O(steps + dependencies), not a scan of
 * every waiting step per completion (quadratic at tens of thousands of steps).
 */
async function schedule(
  steps: readonly Step[],
  runOne: (s: Step) => Promise<string | undefined>,
  opts: { parallelism: number; signal: AbortSignal; emit: (ev: ApplyEvent) => void },
): Promise<Pick<ApplyResult, "outcomes" | "errors" | "interrupted">> {
  const { parallelism, signal, emit } = opts;
  const index = new Map(steps.map((s, i) => [s.id, i]));
  const outcomes = new Map<string, StepOutcome>(steps.map((s) => [s.id, "not_started"]));
  const errors: ApplyResult["errors"] = [];
  const running = new Map<string, Promise<void>>();
  // Unfinished dependencies per step (dependencies outside the plan count as done), and who waits.
  const waiting = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  const ready = new MinHeap();
  for (const [i, s] of steps.entries()) {
    let n = 0;
    for (const d of s.deps) {
      if (!index.has(d)) continue;
      n++;
      const list = dependents.get(d);
      if (list) list.push(s.id);
      else dependents.set(d, [s.id]);
    }
    waiting.set(s.id, n);
    if (n === 0) ready.push(i);
  }
  let interrupted = false;

  // A step that failed or was skipped takes every step that waits for it (transitively) with it.
  const skipDependents = (id: string) => {
    const stack = [id];
    while (stack.length > 0) {
      const from = stack.pop() as string;
      for (const dep of dependents.get(from) ?? []) {
        if (outcomes.get(dep) !== "not_started" || running.has(dep)) continue;
        outcomes.set(dep, "skipped");
        emit({ type: "skipped", step: steps[index.get(dep) as number] as Step, because: from });
        stack.push(dep);
      }
    }
  };
  const done = (id: string) => {
    for (const dep of dependents.get(id) ?? []) {
      const n = (waiting.get(dep) ?? 0) - 1;
      waiting.set(dep, n);
      if (n === 0 && outcomes.get(dep) === "not_started") ready.push(index.get(dep) as number);
    }
  };

  const start = (s: Step) => {
    const t0 = performance.now();
    emit({ type: "start", step: s });
    running.set(
      s.id,
      runOne(s).then(
        (objectId) => {
          outcomes.set(s.id, "ok");
          emit({ type: "done", step: s, ms: performance.now() - t0, ...(objectId ? { id: objectId } : {}) });
          running.delete(s.id);
          done(s.id);
        },
        (error: unknown) => {
          outcomes.set(s.id, "failed");
          errors.push({ step: s, error });
          emit({ type: "failed", step: s, ms: performance.now() - t0, error });
          running.delete(s.id);
          skipDependents(s.id);
        },
      ),
    );
  };

  const aborted = abortPromise(signal);
  for (;;) {
    if (signal.aborted) interrupted = true;
    while (!interrupted && running.size < parallelism && ready.size > 0) {
      const s = steps[ready.pop()] as Step;
      if (outcomes.get(s.id) === "not_started") start(s);
    }
    if (running.size === 0) break; // done, interrupted, or nothing runnable (a cycle would land here)
    // Once interrupted, `aborted` is settled: racing it again would return at once and spin
    // this loop on microtasks, starving the very calls we are waiting for.
    await Promise.race(interrupted ? [...running.values()] : [...running.values(), aborted]);
  }
  return { outcomes, errors, interrupted };
}

/** A binary min-heap of step indexes: ready steps start in plan order. */
class MinHeap {
  readonly #a: number[] = [];

  get size(): number {
    return this.#a.length;
  }

  push(v: number): void {
    const a = this.#a;
    a.push(v);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if ((a[p] as number) <= v) break;
      a[i] = a[p] as number;
      i = p;
    }
    a[i] = v;
  }

  pop(): number {
    const a = this.#a;
    const top = a[0] as number;
    const last = a.pop() as number;
    if (a.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= a.length) break;
        const r = l + 1;
        const c = r < a.length && (a[r] as number) < (a[l] as number) ? r : l;
        if ((a[c] as number) >= last) break;
        a[i] = a[c] as number;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}

function abortPromise(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return new Promise(() => {});
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}
