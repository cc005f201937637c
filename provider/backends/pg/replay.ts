/**
 * The journal's meaning: `applyDeltas(snapshot, deltas)` is the state a run had after its last
 * recorded step. Pure; the pg backend's `load()` uses it on the rows after the last snapshot.
 * And the secrets guard: nothing holding a `token_id` key is ever written.
 */
import type { StateFile } from "../../../schema/state.js";
import { InternalError } from "../../model/errors.js";
import type { StateDelta } from "../types.js";

/** `state` with `deltas` applied in order (a new object; `state` is not modified). */
export function applyDeltas(state: StateFile, deltas: readonly StateDelta[]): StateFile {
  const out: StateFile = {
    ...state,
    resources: { ...state.resources },
    pending: [...state.pending],
    deposed: [...state.deposed],
    outputs: { ...state.outputs },
  };
  for (const d of deltas) {
    switch (d.op) {
      case "pending":
        out.pending = out.pending.filter(
          (p) => !(p.address === d.step.address && p.action === d.step.action),
        );
        out.pending.push(d.step);
        break;
      case "clear_pending":
        out.pending = out.pending.filter((p) => !(p.address === d.address && p.action === d.action));
        break;
      case "put":
        out.resources[d.address] = d.resource;
        break;
      case "remove":
        delete out.resources[d.address];
        break;
      case "depose":
        out.deposed = out.deposed.filter((o) => o.id !== d.object.id);
        out.deposed.push(d.object);
        break;
      case "undepose":
        out.deposed = out.deposed.filter((o) => o.id !== d.id);
        break;
      case "outputs":
        out.outputs = { ...d.outputs };
        break;
      default: {
        const never: never = d;
        throw new InternalError(
          `unknown state journal record ${JSON.stringify((never as { op?: unknown }).op)}`,
        );
      }
    }
  }
  return out;
}

/**
 * Throws (naming the key's path, never its value) if a key that names a token ID (`token_id`,
 * `tokenId`, `token-id`, any case) appears anywhere in `value`. `what` says what was refused.
 */
export function refuseTokenIds(value: unknown, what: string): void {
  const visit = (v: unknown, at: string): void => {
    if (v === null || typeof v !== "object") return;
    if (Array.isArray(v)) {
      for (const [i, item] of v.entries()) visit(item, `${at}[${i}]`);
      return;
    }
    for (const [key, child] of Object.entries(v)) {
      const keyPath = `${at}${/^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`}`;
      if (key.toLowerCase().replace(/[-_]/g, "") === "tokenid") {
        throw new InternalError(
          `refusing to write ${what}: it would contain a token ID at ${keyPath.replace(/^\./, "")}; nothing was written`,
        );
      }
      visit(child, keyPath);
    }
  };
  visit(value, "");
}
