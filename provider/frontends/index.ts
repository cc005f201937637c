/**
 * The one place that picks a frontend and loads a configuration with it:
 *
 *   paths ─► detect (each frontend's cheap `detect`) ─► frontend.load (its syntax only)
 *         ─► analyze (semantic.ts, shared) ─► DesiredConfig + diagnostics
 *
 * Frontends are loaded lazily, so that a command reading YAML never loads the Terraform JSON
 * reader (nor the other way round).
 */
import { basename } from "node:path";
import type { Diagnostic } from "../model/diagnostics.js";
import { analyze } from "./semantic.js";
import { detectTerraformJson } from "./terraform-json/detect.js";
import type { Frontend, FrontendName, LoadOptions, LoadResult } from "./types.js";
import { detectYaml } from "./yaml/detect.js";

export type { Frontend, FrontendName, LoadOptions, LoadResult } from "./types.js";

export const terraformJsonFrontend: Frontend = {
  name: "terraform-json",
  detect: detectTerraformJson,
  load: async (opts) => (await import("./terraform-json/index.js")).readTerraformConfig(opts),
};

export const yamlFrontend: Frontend = {
  name: "yaml",
  detect: detectYaml,
  load: async (opts) =>
    (await import("./yaml/index.js")).readYamlConfig({
      paths: opts.paths,
      cwd: opts.cwd,
      vars: opts.vars ?? {},
      env: opts.env,
      ...(opts.workspace !== undefined ? { workspace: opts.workspace } : {}),
    }),
};

/**
 * The frontend for `paths` (absolute): Terraform JSON for what it owns or a directory of
 * `*.tf.json` files, YAML otherwise. A mix of formats is an error diagnostic: a directory with
 * both `*.tf.json` and YAML files, or YAML paths next to Terraform JSON ones.
 */
export async function detectFrontend(
  paths: readonly string[],
): Promise<{ frontend: Frontend; diagnostics: Diagnostic[] }> {
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
  return { frontend: tf.length > 0 ? terraformJsonFrontend : yamlFrontend, diagnostics };
}

/** Reads the configuration at `opts.paths` (absolute) with the frontend they call for. */
export async function loadConfiguration(opts: LoadOptions): Promise<LoadResult> {
  const detected = await detectFrontend(opts.paths);
  if (detected.diagnostics.length > 0) return { diagnostics: detected.diagnostics };
  return analyze(await detected.frontend.load(opts));
}

/** What one path is; for a directory holding both formats, one file of each, for the message. */
interface PathFormat {
  format: FrontendName;
  mixed?: { tf: string; yaml: string };
}

async function pathFormat(abs: string): Promise<PathFormat> {
  const tf = await terraformJsonFrontend.detect(abs);
  if (tf.kind === "owns") return { format: "terraform-json" };
  if (tf.kind === "none") return { format: "yaml" };
  const yaml = await yamlFrontend.detect(abs);
  return yaml.kind === "contains"
    ? { format: "yaml", mixed: { tf: tf.example, yaml: yaml.example } }
    : { format: "terraform-json" };
}
