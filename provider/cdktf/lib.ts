/**
 * Which CDK the constructs build on: CDK for Terraform (`cdktf` 0.21, archived upstream in Dec
 * 2025) or its community successor CDK Terrain (`cdktn` 0.24), the same API under another name.
 * Both are optional peer dependencies; the constructs extend the classes of the one the app uses:
 *
 * 1. `POPDOCK_CDK_FLAVOUR=cdktf|cdktn`, which popdock-iac's synth runner sets from the app
 *    (frontends/terraform-json/synth.ts: `detectCdkFlavour`);
 * 2. else the one the app's package.json (in the working directory) depends on, when only one;
 * 3. else whichever is installed, `cdktf` first.
 *
 * The two keep the same construct symbols (`Symbol.for("cdktf/TerraformStack")`, …), so a stack
 * of one accepts elements of the other; loading the app's own keeps tokens in one registry.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type * as Cdk from "cdktf";

export type CdkFlavour = "cdktf" | "cdktn";
export const CDK_FLAVOUR_ENV = "POPDOCK_CDK_FLAVOUR";

const require = createRequire(import.meta.url);

function fromPackageJson(dir: string): CdkFlavour | undefined {
  try {
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Record<string, unknown>;
    const deps = new Set<string>();
    for (const k of ["dependencies", "devDependencies", "peerDependencies"]) {
      const d = pkg[k];
      if (d && typeof d === "object") for (const name of Object.keys(d)) deps.add(name);
    }
    if (deps.has("cdktn") && !deps.has("cdktf")) return "cdktn";
    if (deps.has("cdktf") && !deps.has("cdktn")) return "cdktf";
  } catch {
    // no package.json there: decide by what is installed
  }
  return undefined;
}

function load(): { flavour: CdkFlavour; lib: typeof Cdk } {
  const env = process.env[CDK_FLAVOUR_ENV];
  const wanted: CdkFlavour | undefined =
    env === "cdktf" || env === "cdktn" ? env : fromPackageJson(process.cwd());
  const order: CdkFlavour[] = wanted === "cdktn" ? ["cdktn", "cdktf"] : ["cdktf", "cdktn"];
  for (const flavour of order) {
    try {
      return { flavour, lib: require(flavour) as typeof Cdk };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "MODULE_NOT_FOUND") throw err;
    }
  }
  throw new Error(
    "popdock-iac/cdktf needs CDK Terrain or CDK for Terraform: npm install cdktn@0.24 constructs (or cdktf@0.21)",
  );
}

const loaded = load();

/** The CDK in use (see above). */
export const cdkFlavour: CdkFlavour = loaded.flavour;
/** Its module: `cdk.TerraformResource`, `cdk.Token`, … */
export const cdk: typeof Cdk = loaded.lib;
