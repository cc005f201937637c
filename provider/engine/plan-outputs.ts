/**
 * Output values after a plan (pure): literal text and attributes known now (names, ids of
 * objects that stay) are computed; anything created or replaced is known after apply;
 * sensitive outputs never carry a value.
 */
import type { OutputChange, ResourceChange } from "../../schema/plan.js";
import type { StateFile } from "../../schema/state.js";
import type { PlannedConfig, TemplatePart } from "../model/desired.js";
import { sameValue } from "../model/values.js";

export function planOutputs(
  input: { config: Pick<PlannedConfig, "outputs">; state: StateFile; mode?: "normal" | "destroy" },
  changes: Map<string, ResourceChange>,
): OutputChange[] {
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
