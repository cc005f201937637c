/**
 * Crash recovery: resolves the pending steps a dead run left in state, against a fresh live
 * snapshot (pure). A pending create is found by its natural key (user name, grant target, token
 * name under its user) and adopted, or dropped when it never happened — so nothing is
 * duplicated or orphaned. A pending delete is settled by whether the object still exists.
 * Objects deposed by a create-before-destroy replacement stay in `deposed` until deleted.
 */
import type { DeposedObject, PendingStep, StateFile, StateResource } from "../../schema/state.js";
import type { LiveSnapshot } from "../model/live.js";
import { findResourceType, resourceTypeFor } from "../resources/index.js";

export interface Recovery {
  state: StateFile;
  /** What was done, for the user: one line per pending step. */
  notes: string[];
}

export function recoverPending(input: StateFile, live: LiveSnapshot): Recovery {
  const state: StateFile = structuredClone(input);
  const notes: string[] = [];
  const managed = new Set(Object.values(state.resources).map((r) => r.id));
  for (const d of state.deposed ?? []) managed.add(d.id);

  for (const p of input.pending) {
    const h = resourceTypeFor(p.type, `pending ${p.action} of ${p.address}`);
    if (p.action === "create") {
      const found = h.conflict(live, p.parent_id, p.request ?? {});
      if (found && !managed.has(found.id) && createdBefore(found.createdAt, p.started_at)) {
        notes.push(
          `${p.address}: an object with its name exists (id ${found.id}) but predates the interrupted create, so it is not ours; the plan will say how to import it`,
        );
        continue;
      }
      if (!found || managed.has(found.id)) {
        notes.push(
          `${p.address}: an earlier create (interrupted, or unanswered) did not reach Popdock; it will be planned again`,
        );
        continue;
      }
      adopt(state, p, found);
      managed.add(found.id);
      notes.push(
        `${p.address}: an earlier create (interrupted, or unanswered) had reached Popdock (id ${found.id}); adopted into state`,
      );
    } else if (p.action === "delete") {
      const entry = state.resources[p.address];
      const id = p.object_id;
      const stillThere = id !== undefined && liveHas(live, p.type, id);
      if (!stillThere) {
        if (entry && entry.id === id) delete state.resources[p.address];
        state.deposed = (state.deposed ?? []).filter((d) => d.id !== id);
        notes.push(`${p.address}: the interrupted delete had completed; removed from state`);
      } else {
        notes.push(`${p.address}: the interrupted delete did not complete; it will be planned again`);
      }
    } else {
      notes.push(`${p.address}: an update was interrupted; the plan compares against Popdock as it is now`);
    }
  }
  state.pending = [];
  // Deposed objects that are gone already need no delete.
  state.deposed = (state.deposed ?? []).filter((d) => liveHas(live, d.type, d.id));
  return { state, notes };
}

/** A state entry for a remote object (as created, imported, adopted or replayed). */
export function stateEntryOf(
  type: string,
  obj: { id: string; parentId?: string; version: number; attrs: Record<string, unknown> },
  opts: { parent?: string; parentId?: string; dependencies: readonly string[]; preventDestroy?: boolean },
): StateResource {
  const entry: StateResource = {
    type,
    id: obj.id,
    version: obj.version,
    attributes: { ...obj.attrs },
    dependencies: [...opts.dependencies],
  };
  const parentId = obj.parentId ?? opts.parentId;
  if (parentId !== undefined) entry.parent_id = parentId;
  if (opts.parent !== undefined) entry.parent = opts.parent;
  if (opts.preventDestroy) entry.prevent_destroy = true;
  return entry;
}

/**
 * Records `obj`, now known to be what the pending create `p` made, at its address: a prior
 * entry it replaced (create-before-destroy) is deposed, its user found by id.
 */
export function adopt(
  state: StateFile,
  p: PendingStep,
  obj: { id: string; parentId?: string; version: number; attrs: Record<string, unknown> },
): void {
  const prior = state.resources[p.address];
  if (prior && p.replaces_id === prior.id) depose(state, p.address, prior);
  const parentType = findResourceType(p.type)?.parent?.type;
  const parent =
    p.parent_id === undefined
      ? undefined
      : Object.entries(state.resources).find(([, r]) => r.id === p.parent_id && r.type === parentType)?.[0];
  state.resources[p.address] = stateEntryOf(p.type, obj, {
    dependencies: parent ? [parent] : [],
    ...(parent !== undefined ? { parent } : {}),
    ...(prior?.prevent_destroy ? { preventDestroy: true } : {}),
  });
}

/**
 * Moves the object `entry` at `address` to `state.deposed`: it was replaced create-before-destroy
 * and stays recorded until its delete completes, so a crash in between orphans nothing.
 */
export function depose(state: StateFile, address: string, entry: StateResource): void {
  state.deposed = [...(state.deposed ?? []), deposedRecord(address, entry)];
}

/** The deposed record of a state entry replaced create-before-destroy. */
export function deposedRecord(address: string, entry: StateResource): DeposedObject {
  return {
    address,
    type: entry.type,
    id: entry.id,
    version: entry.version,
    ...(entry.parent_id !== undefined ? { parent_id: entry.parent_id } : {}),
  };
}

/**
 * Clock skew allowed between this machine (started_at) and Popdock (created_at): an object
 * created more than this long before our attempt cannot be the one we created.
 */
export const RECOVERY_CLOCK_SKEW_MS = 5 * 60_000;

function createdBefore(createdAt: string | undefined, startedAt: string): boolean {
  if (createdAt === undefined) return false;
  const c = Date.parse(createdAt);
  const s = Date.parse(startedAt);
  return Number.isFinite(c) && Number.isFinite(s) && c < s - RECOVERY_CLOCK_SKEW_MS;
}

/** Whether Popdock has the object: the type reads it from the snapshot; local types have none. */
function liveHas(live: LiveSnapshot, type: string, id: string): boolean {
  const t = findResourceType(type);
  if (!t || t.local) return false;
  return t.read(live, { type, id, version: 0, attributes: {}, dependencies: [] }) !== undefined;
}
