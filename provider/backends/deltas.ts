/**
 * Applying journal records (`StateDelta`, ./types.ts) to a state in memory: what `load()` does
 * on replay and what an apply does as it records each step. Every delta is idempotent (applying
 * it twice leaves what applying it once did), so a record replayed on a snapshot that already
 * holds it cannot corrupt the state.
 */
import type { StateFile } from "../../schema/state.js";
import type { StateDelta } from "./types.js";

/** Applies `deltas` in order, mutating `state`. Costs O(size of the deltas), plus pending's length. */
export function applyDeltas(state: StateFile, deltas: readonly StateDelta[]): void {
  for (const d of deltas) applyDelta(state, d);
}

function applyDelta(state: StateFile, d: StateDelta): void {
  switch (d.op) {
    case "pending":
      state.pending = [
        ...state.pending.filter((x) => x.address !== d.step.address || x.action !== d.step.action),
        d.step,
      ];
      return;
    case "clear_pending":
      state.pending = state.pending.filter((x) => x.address !== d.address || x.action !== d.action);
      return;
    case "put":
      state.resources[d.address] = d.resource;
      return;
    case "remove":
      delete state.resources[d.address];
      return;
    case "depose":
      if (!state.deposed.some((x) => x.id === d.object.id && x.address === d.object.address)) {
        state.deposed = [...state.deposed, d.object];
      }
      return;
    case "undepose":
      state.deposed = state.deposed.filter((x) => x.id !== d.id);
      return;
    case "outputs":
      state.outputs = d.outputs;
      return;
  }
}
