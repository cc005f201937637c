import type { Diagnostic } from "../../model/diagnostics.js";
import type { DraftOutput, DraftResource, FrontendOutput } from "../types.js";
import { collect } from "./collect.js";
import { type Block, ReadContext } from "./context.js";
import { toResource } from "./convert.js";
import { checkCycles } from "./cycles.js";
import { resolve } from "./evaluate.js";
import { identify } from "./identify.js";
import { type TfOutputOrigin, toOutput } from "./outputs.js";
import type { JsonSource } from "./source.js";

export type { Block } from "./context.js";
export { terraformPhrasing } from "./phrasing.js";

export type ReadConfig = Pick<FrontendOutput<Block, TfOutputOrigin>, "provider" | "resources" | "outputs">;

/**
 * Reads the documents (in order, as one Terraform module) into drafts for the semantic pass.
 * Diagnostics are not sorted.
 */
export function readTerraformJson(sources: readonly JsonSource[]): {
  config: ReadConfig;
  diagnostics: Diagnostic[];
} {
  const ctx = new ReadContext();
  for (const src of sources) collect(ctx, src);
  for (const b of ctx.blocks.values()) resolve(ctx, b);
  for (const b of ctx.blocks.values()) identify(ctx, b);
  const live = [...ctx.blocks.values()].filter((b) => !b.broken);
  const resources: DraftResource<Block>[] = [];
  for (const b of live) {
    const resource = toResource(ctx, b);
    if (resource !== undefined) resources.push({ resource, origin: b });
  }
  checkCycles(ctx, live);
  const outputs: DraftOutput<TfOutputOrigin>[] = [];
  for (const o of ctx.outputs) {
    const out = toOutput(ctx, o);
    if (out) outputs.push(out);
  }
  return { config: { provider: ctx.provider, resources, outputs }, diagnostics: ctx.diags };
}
