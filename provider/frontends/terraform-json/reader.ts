/**
 * From Terraform JSON documents (hand-written `*.tf.json` or CDKTF's `cdk.tf.json`) to the
 * drafts for the shared semantic pass. Pure: parsed documents in, resources, outputs and
 * diagnostics out. A pipeline of stages over typed blocks (context.ts):
 *
 *   collect.ts → evaluate.ts → identify.ts → convert.ts → cycles.ts → outputs.ts
 *   (blocks)     (references)   (addresses)   (resources)  (cycles)    (outputs)
 *
 * with references.ts (reference targets); all per-type knowledge is the type's configuration
 * (`provider/resources/<type>/config.ts`), found through the registry. What
 * convert reports about a block, and the cycle check, run only for blocks the semantic pass keeps
 * (a duplicate is reported once, as a duplicate): convert's diagnostics travel with each draft,
 * and cycles run in `afterDuplicates`.
 *
 * Addresses (the same as the YAML format's, so that a configuration can move between formats):
 * - `popdock_api_user.N`                                → `popdock_api_user.N`
 * - `popdock_api_user_grant.G` with `api_user_id = "${popdock_api_user.U.id}"`
 *                                                       → `popdock_api_user_grant.U["team:Finance"]` (`grantKey`)
 * - `popdock_api_token.T` with `api_user_id = "${popdock_api_user.U.id}"`
 *                                                       → `popdock_api_token.U["<key>"]`, key = its `key` argument, else T
 * - `null_resource.N`                                   → `null_resource.N`
 * Every token also gets the automatic sensitive output `U.<key>` with its token_id, as in YAML
 * (added by ../semantic.ts, which also checks duplicates).
 *
 * References (`${type.name.attr}`, whole strings or inside strings and maps) to a resource's own
 * arguments (a user's `name`) are resolved when the configuration is read; references to what only
 * exists after apply (`id`, `token_id`) are allowed only in outputs and `api_user_id`. Every
 * reference, `depends_on` and `replace_triggered_by` entry is a dependency, as in Terraform; a
 * cycle is an error. Anything the reader cannot honour is an error naming the file, the JSON path
 * and the CDKTF construct path.
 */
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
import { resolveStateBlocks } from "./state-blocks.js";

export type { Block } from "./context.js";
export { terraformPhrasing } from "./phrasing.js";

export type ReadConfig = Pick<
  FrontendOutput<Block, TfOutputOrigin>,
  "provider" | "resources" | "outputs" | "moved" | "removed" | "imports"
>;

/**
 * Reads the documents (in order, as one Terraform module) into drafts for the semantic pass.
 * Diagnostics are not sorted.
 */
export function readTerraformJson(
  sources: readonly JsonSource[],
  workspace = "default",
): {
  config: ReadConfig;
  diagnostics: Diagnostic[];
  /** Dependency cycles among the blocks the semantic pass keeps (for `FrontendOutput.afterDuplicates`). */
  afterDuplicates: (kept: readonly DraftResource<Block>[]) => Diagnostic[];
} {
  const ctx = new ReadContext(workspace);
  for (const src of sources) collect(ctx, src);
  for (const b of ctx.blocks.values()) resolve(ctx, b);
  for (const b of ctx.blocks.values()) identify(ctx, b);
  const live = [...ctx.blocks.values()].filter((b) => !b.broken);
  const resources: DraftResource<Block>[] = [];
  for (const b of live) {
    // What converting reports about a block matters only if the semantic pass keeps it.
    const before = ctx.diags.length;
    const resource = toResource(ctx, b);
    const diagnostics = ctx.diags.splice(before);
    if (resource !== undefined) resources.push({ resource, origin: b, diagnostics });
    else ctx.diags.push(...diagnostics);
  }
  const outputs: DraftOutput<TfOutputOrigin>[] = [];
  for (const o of ctx.outputs) {
    const out = toOutput(ctx, o);
    if (out) outputs.push(out);
  }
  const afterDuplicates = (kept: readonly DraftResource<Block>[]): Diagnostic[] => {
    const before = ctx.diags.length;
    checkCycles(
      ctx,
      kept.map((d) => d.origin),
    );
    return ctx.diags.splice(before);
  };
  const blocks = resolveStateBlocks(ctx.stateBlocks, (key) => ctx.blocks.get(key)?.address);
  return {
    config: { provider: ctx.provider, resources, outputs, ...blocks },
    diagnostics: ctx.diags,
    afterDuplicates,
  };
}
