/**
 * Which frontend a set of `-c` paths calls for, decided by the same rules `loadTerraformConfig`
 * reads paths by (index.ts), so that anything it accepts is routed to it:
 *
 * - a path to `cdktf.json`, or a directory holding one: a CDKTF app;
 * - a `manifest.json`, or a directory holding one (`cdktf.out`): a CDKTF output directory;
 * - a `*.tf.json` file (a synthesized `cdk.tf.json` too);
 * - a directory of `*.tf.json` files (and no YAML files).
 *
 * Everything else is YAML. Cheap on purpose: only `stat` and `readdir`, no parser, no cdktf.
 */
import { readdir, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import type { Diagnostic } from "../../model/diagnostics.js";

export type ConfigFormat = "terraform-json" | "yaml";

/** What one path is; for a directory holding both formats, one file of each, for the message. */
interface PathFormat {
  format: ConfigFormat;
  /** A directory holding both `*.tf.json` and YAML files, and no cdktf.json or manifest.json. */
  mixed?: { tf: string; yaml: string };
}

/**
 * The frontend for `paths` (absolute). A mix of formats is an error diagnostic: a directory with
 * both `*.tf.json` and YAML files, or YAML paths next to Terraform JSON ones. Paths that do not
 * exist are classified by name; the chosen loader reports them.
 */
export async function detectConfigFormat(
  paths: readonly string[],
): Promise<{ format: ConfigFormat; diagnostics: Diagnostic[] }> {
  const diagnostics: Diagnostic[] = [];
  const formats = await Promise.all(paths.map(pathFormat));
  formats.forEach((f, i) => {
    if (f.mixed === undefined) return;
    diagnostics.push({
      code: "CONFIG_MIXED_FORMATS",
      severity: "error",
      message: `directory holds both Terraform JSON (${f.mixed.tf}) and YAML (${f.mixed.yaml}) configuration`,
      file: paths[i] as string,
      hint: "pass the files of one format with -c, or keep the formats in separate directories",
    });
  });
  const tf = paths.filter((_, i) => formats[i]?.format === "terraform-json");
  const yaml = paths.filter((_, i) => formats[i]?.format === "yaml" && formats[i]?.mixed === undefined);
  if (tf.length > 0 && yaml.length > 0) {
    diagnostics.push({
      code: "CONFIG_MIXED_FORMATS",
      severity: "error",
      message: `cannot combine YAML (${basename(yaml[0] as string)}) and Terraform JSON (${basename(tf[0] as string)}) configuration`,
      hint: "pass paths of one format; a configuration is either popdock.yaml files or Terraform JSON / a CDKTF app",
    });
  }
  return { format: tf.length > 0 ? "terraform-json" : "yaml", diagnostics };
}

async function pathFormat(abs: string): Promise<PathFormat> {
  const name = basename(abs);
  if (name === "cdktf.json") return { format: "terraform-json" };
  const st = await stat(abs).catch(() => undefined);
  if (st === undefined || !st.isDirectory()) {
    return { format: name === "manifest.json" || name.endsWith(".tf.json") ? "terraform-json" : "yaml" };
  }
  if ((await isFile(join(abs, "cdktf.json"))) || (await isFile(join(abs, "manifest.json")))) {
    return { format: "terraform-json" };
  }
  const names = (await readdir(abs).catch(() => [] as string[])).sort();
  const tf = await firstFile(abs, names, (n) => n.endsWith(".tf.json"));
  if (tf === undefined) return { format: "yaml" };
  const yaml = await firstFile(abs, names, (n) => /\.ya?ml$/i.test(n));
  return yaml === undefined ? { format: "terraform-json" } : { format: "yaml", mixed: { tf, yaml } };
}

async function firstFile(dir: string, names: readonly string[], pick: (n: string) => boolean) {
  for (const n of names) if (pick(n) && (await isFile(join(dir, n)))) return n;
  return undefined;
}

async function isFile(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isFile(),
    () => false,
  );
}
