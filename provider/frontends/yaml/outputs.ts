/**
 * Outputs: the value's template with `${var.x}` and `${<address>.<attr>}` references. The
 * references and secrets are checked by the shared semantic pass (../semantic.ts); references to
 * API users left out because they were invalid are not reported again (`refersToBroken`).
 */
import type { Output } from "../../../schema/config.js";
import type { DesiredOutput } from "../../model/desired.js";
import type { DocPath } from "../source.js";
import type { DraftOutput } from "../types.js";
import type { Interpolator } from "./interpolation.js";
import type { Entry } from "./merge.js";
import type { YamlOutputOrigin } from "./phrasing.js";

export function expandOutput(
  ip: Interpolator,
  into: { outputs: DraftOutput<YamlOutputOrigin>[] },
  { src, key, value: o }: Entry<Output>,
): void {
  const path: DocPath = ["outputs", key, "value"];
  const t = ip.template(src, path, o.value, true);
  const description =
    o.description === undefined
      ? undefined
      : ip.interpolate(src, ["outputs", key, "description"], o.description, "state");
  if (t === undefined) return;
  const sensitive = o.sensitive ?? false;
  const out: DesiredOutput = {
    name: key,
    parts: t.parts,
    sensitive,
    source: src.sourceRef(["outputs", key]),
  };
  if (description !== undefined && description !== "") out.description = description;
  const draft: DraftOutput<YamlOutputOrigin> = {
    output: out,
    origin: { src, key, brokenUsers: ip.broken("api_users") },
  };
  if (t.sensitiveVars[0] !== undefined) draft.sensitiveVariable = t.sensitiveVars[0];
  into.outputs.push(draft);
}

/** Whether `address` may belong to an API user left out because it was invalid (`brokenUsers`). */
export function refersToBroken(brokenUsers: ReadonlySet<string>, address: string): boolean {
  if (brokenUsers.size === 0) return false;
  if (brokenUsers.has("*") || address.startsWith("null_resource.")) return true;
  const name = /^[a-z_]+\.([A-Za-z0-9_-]+)/.exec(address)?.[1];
  return name !== undefined && brokenUsers.has(name);
}
