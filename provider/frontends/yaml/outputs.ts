/**
 * Outputs: the value's template with `${var.x}` and `${<address>.<attr>}` references, checked
 * against the resources and their referenceable attributes; an output that uses a secret must be
 * sensitive. References to API users left out because they were invalid are not reported again.
 */
import type { Output } from "../../../schema/config.js";
import { type DesiredOutput, SENSITIVE_ATTRS } from "../../model/desired.js";
import { didYouMean } from "../../model/diagnostics.js";
import { REFERENCEABLE_ATTRS } from "../attributes.js";
import type { DocPath } from "../source.js";
import type { DraftResource } from "../types.js";
import type { Interpolator } from "./interpolation.js";
import { own } from "./interpolation.js";
import type { Entry } from "./merge.js";
import type { YamlOrigin } from "./phrasing.js";

export function expandOutput(
  ip: Interpolator,
  into: { resources: readonly DraftResource<YamlOrigin>[]; outputs: DesiredOutput[] },
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
  const addresses = into.resources.map((d) => d.resource.address);
  const known = new Set(addresses);
  let secret: string | undefined =
    t.sensitiveVars[0] !== undefined ? `variable "${t.sensitiveVars[0]}"` : undefined;
  for (const part of t.parts) {
    if (typeof part === "string") continue;
    const dot = part.address.indexOf(".");
    const type = part.address.slice(0, dot);
    const attrs = own<readonly string[]>(REFERENCEABLE_ATTRS, type);
    if (attrs === undefined) {
      const guess = didYouMean(type, Object.keys(REFERENCEABLE_ATTRS));
      ip.diags.push(
        src.diag("REF_UNKNOWN_RESOURCE", `unknown resource type "${type}"`, path, {
          hint:
            guess !== undefined
              ? `did you mean "${guess}"?`
              : `types: ${Object.keys(REFERENCEABLE_ATTRS).join(", ")}`,
        }),
      );
      continue;
    }
    if (secret === undefined && own(SENSITIVE_ATTRS, type)?.includes(part.attr)) secret = refText(part);
    if (!known.has(part.address)) {
      if (refersToBroken(ip, part.address)) continue;
      const guess = didYouMean(part.address, addresses);
      ip.diags.push(
        src.diag("REF_UNKNOWN_RESOURCE", `reference to undeclared resource ${part.address}`, path, {
          hint: guess !== undefined ? `did you mean ${guess}?` : undefined,
        }),
      );
      continue;
    }
    if (!attrs.includes(part.attr)) {
      const guess = didYouMean(part.attr, attrs);
      ip.diags.push(
        src.diag("REF_UNKNOWN_ATTRIBUTE", `${type} has no attribute "${part.attr}"`, path, {
          hint: guess !== undefined ? `did you mean "${guess}"?` : `attributes: ${attrs.join(", ")}`,
        }),
      );
    }
  }
  if (secret !== undefined && !sensitive) {
    ip.diags.push(
      src.diag(
        "OUTPUT_SENSITIVE_REQUIRED",
        `output "${key}" refers to ${secret}, which is sensitive`,
        ["outputs", key],
        { at: "key", hint: "add `sensitive: true` to the output" },
      ),
    );
  }
  const out: DesiredOutput = {
    name: key,
    parts: t.parts,
    sensitive,
    source: src.sourceRef(["outputs", key]),
  };
  if (description !== undefined && description !== "") out.description = description;
  into.outputs.push(out);
}

/** Whether `address` may belong to an API user left out because it was invalid. */
export function refersToBroken(ip: Interpolator, address: string): boolean {
  const broken = ip.broken.api_users;
  if (broken.size === 0) return false;
  if (broken.has("*") || address.startsWith("null_resource.")) return true;
  const name = /^[a-z_]+\.([A-Za-z0-9_-]+)/.exec(address)?.[1];
  return name !== undefined && broken.has(name);
}

function refText(ref: { address: string; attr: string }): string {
  return `${ref.address}.${ref.attr}`;
}
