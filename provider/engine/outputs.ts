/**
 * Outputs: evaluated from state after apply (non-sensitive values are stored), and on demand by
 * `popdock output` — where a token ID is read live from Popdock, never from a file.
 */
import type { OutputChange } from "../../schema/plan.js";
import type { StateFile, StateOutput } from "../../schema/state.js";
import type { PopdockApi } from "../client/types.js";
import { parseAddress } from "../model/desired.js";
import { UsageError } from "../model/errors.js";
import { findResourceType } from "../resources/index.js";

type Part = OutputChange["parts"][number];

/** Whether a reference names a sensitive attribute (`token_id`) of its resource's type. */
export function isSensitiveRef(ref: { address: string; attr: string }): boolean {
  const type = parseAddress(ref.address)?.type;
  return type !== undefined && (findResourceType(type)?.sensitive.includes(ref.attr) ?? false);
}

/** The value of a reference from state, or undefined when it is unknown there (or secret). */
export function stateValue(state: StateFile, ref: { address: string; attr: string }): string | undefined {
  const entry = state.resources[ref.address];
  if (!entry) return undefined;
  if (ref.attr === "id") return entry.id;
  if (isSensitiveRef(ref)) return undefined;
  const v = entry.attributes[ref.attr];
  if (v === undefined) return undefined;
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** Outputs to record in state after apply: values for non-sensitive ones, the parts for all. */
export function evaluateOutputs(
  outputs: readonly OutputChange[],
  state: StateFile,
): Record<string, StateOutput> {
  const out: Record<string, StateOutput> = {};
  for (const o of outputs) {
    if (o.action === "delete") continue;
    const rec: StateOutput = {
      sensitive: o.sensitive,
      parts: o.parts.map((p) => (typeof p === "string" ? p : { ...p })),
    };
    if (o.description !== undefined) rec.description = o.description;
    if (!o.sensitive) {
      let text = "";
      let known = true;
      for (const p of o.parts) {
        if (typeof p === "string") text += p;
        else {
          const v = stateValue(state, p);
          if (v === undefined) known = false;
          else text += v;
        }
      }
      if (known) rec.value = text;
    }
    out[o.name] = rec;
  }
  return out;
}

/**
 * Evaluates an output now. Sensitive parts (a token's `token_id`) are taken from `known` (tokens
 * created in this run) or read live from Popdock — the administrator's GET returns the Token ID.
 */
export async function resolveOutput(
  name: string,
  state: StateFile,
  api: PopdockApi | undefined,
  known: ReadonlyMap<string, string> = new Map(),
): Promise<string> {
  const o = state.outputs[name];
  if (!o) {
    const names = Object.keys(state.outputs);
    throw new UsageError(`no output named "${name}" in state`, {
      hint: names.length > 0 ? `outputs: ${names.join(", ")}` : "run `popdock apply` first",
    });
  }
  let text = "";
  for (const p of o.parts as Part[]) {
    if (typeof p === "string") {
      text += p;
      continue;
    }
    if (isSensitiveRef(p)) {
      const secret = known.get(p.address) ?? (await liveSecret(state, p, api));
      text += secret;
      continue;
    }
    const v = stateValue(state, p);
    if (v === undefined)
      throw new UsageError(`output "${name}": ${p.address}.${p.attr} is not known yet`, {
        hint: "run `popdock apply`",
      });
    text += v;
  }
  return text;
}

/** A sensitive attribute read live by the resource's type (a token's ID: the administrator's GET). */
async function liveSecret(
  state: StateFile,
  ref: { address: string; attr: string },
  api: PopdockApi | undefined,
): Promise<string> {
  const { address } = ref;
  const entry = state.resources[address];
  const type = entry ? findResourceType(entry.type) : undefined;
  const read = type?.readSecret;
  // A child whose parent id is not recorded cannot be read either.
  if (!entry || !read || (type?.parent && entry.parent_id === undefined)) {
    throw new UsageError(`${address} is not in state`, { hint: "run `popdock apply` first" });
  }
  if (!api) throw new UsageError(`reading ${address}'s token ID needs a connection to Popdock`);
  return read({ api, signal: new AbortController().signal }, entry, ref.attr);
}
