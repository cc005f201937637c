/**
 * What the Terraform JSON frontend makes of a path, by the same rules `loadTerraformConfig` reads
 * paths by (index.ts), so that anything it accepts is routed to it:
 *
 * - a path to `cdktf.json`, or a directory holding one: a CDKTF app;
 * - a `manifest.json`, or a directory holding one (`cdktf.out`): a CDKTF output directory;
 * - a `*.tf.json` file (a synthesized `cdk.tf.json` too);
 * - a directory of `*.tf.json` files (`contains`: a directory holding YAML files too is mixed).
 *
 * Paths that do not exist are classified by name; the loader reports them. Cheap on purpose:
 * only `stat` and `readdir`, no parser, no cdktf.
 */
import { basename, join } from "node:path";
import { firstFileIn, isDirectory, isFile } from "../detect.js";
import type { Detection } from "../types.js";

export async function detectTerraformJson(path: string): Promise<Detection> {
  const name = basename(path);
  if (name === "cdktf.json") return { kind: "owns" };
  if (!(await isDirectory(path))) {
    return name === "manifest.json" || name.endsWith(".tf.json") ? { kind: "owns" } : { kind: "none" };
  }
  if ((await isFile(join(path, "cdktf.json"))) || (await isFile(join(path, "manifest.json")))) {
    return { kind: "owns" };
  }
  const example = await firstFileIn(path, (n) => n.endsWith(".tf.json"));
  return example === undefined ? { kind: "none" } : { kind: "contains", example };
}
