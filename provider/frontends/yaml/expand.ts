/**
 * From validated YAML files to the DesiredConfig: merges the files (a key may be defined in only
 * one), resolves variables, expands API users into resources with addresses from natural keys,
 * and checks what the schema cannot: duplicate names, references in outputs, what Popdock would
 * refuse or change (names it trims, values over its length limits), and where sensitive variables go.
 *
 * Modules: config-file.ts (the file's schema, from the registry) → merge.ts (files → entries) →
 * variables.ts (values) → provider.ts, resource-types.ts (API users and their children, and the
 * `resources` section → resources) → outputs.ts; interpolation.ts holds the
 * variables and the diagnostics. Duplicates and the automatic token outputs are the shared
 * semantic pass's (../semantic.ts); the wording of its findings for YAML is phrasing.ts.
 *
 * Addresses:
 * - `api_users.<user>`               → `popdock_api_user.<user>`
 * - `grants[*]`                      → `popdock_api_user_grant.<user>["team:Finance"]` (see `grantKey`)
 * - `tokens.<token>`                 → `popdock_api_token.<user>["<token>"]`
 * - `tokens.<token>.rotation`        → `null_resource.<user>__<token>_rotation`, with the
 *   interpolated triggers; the token gets `replaceTriggeredBy` and `dependsOn` on it and
 *   `createBeforeDestroy`, so changing a trigger creates a new token before deleting the old one.
 * - every token also gets an automatic sensitive output `<user>.<token>` with its token_id
 *   (user-written output names cannot contain a dot, so they never collide).
 *
 * Sensitive variables: a value that uses one may appear only in the value of a `sensitive: true`
 * output. Anywhere else it would be sent to Popdock or stored in state and plan files (which are
 * shown in PR comments), so it is an error, and the value is not checked further, nor quoted in
 * any other diagnostic.
 *
 * Entries that failed schema validation are left out, and references to them are not reported
 * again, so that one mistake gives one diagnostic.
 *
 * Maps read here (variables, `--var`, the environment, attribute tables) are looked up by own
 * property only, so that a variable named `constructor` or `toString` is just a variable.
 */
import type { Diagnostic } from "../../model/diagnostics.js";
import type { FrontendOutput } from "../types.js";
import { Interpolator } from "./interpolation.js";
import { mergeFiles } from "./merge.js";
import { expandOutput } from "./outputs.js";
import type { ParsedFile } from "./parse.js";
import type { YamlOrigin, YamlOutputOrigin } from "./phrasing.js";
import { expandProvider } from "./provider.js";
import { expandResource, expandUser } from "./resource-types.js";
import { resolveVariables } from "./variables.js";

export { type YamlOrigin, yamlPhrasing } from "./phrasing.js";

export interface ExpandOptions {
  /** `--var name=value`, highest precedence. */
  vars: Readonly<Record<string, string>>;
  /** Environment; `POPDOCK_VAR_<name>` sets a variable. */
  env: Readonly<Record<string, string | undefined>>;
  /** The state workspace, for `${workspace}` (default `default`). */
  workspace?: string;
}

export type ExpandedConfig = Pick<
  FrontendOutput<YamlOrigin, YamlOutputOrigin>,
  "provider" | "resources" | "outputs" | "variables"
>;

/** Merges and expands `files` (in order). Diagnostics are not sorted. */
export function expandFiles(
  files: readonly ParsedFile[],
  opts: ExpandOptions,
): { config: ExpandedConfig; diagnostics: Diagnostic[] } {
  const ip = new Interpolator();
  if (opts.workspace !== undefined) ip.workspace = opts.workspace;
  const { variables, users, resources, outputs, brokenEntries, provider } = mergeFiles(ip, files);
  resolveVariables(ip, opts, variables);
  const config: ExpandedConfig = {
    provider: {},
    resources: [],
    outputs: [],
    variables: [...ip.vars].map(([name, v]) => ({ name, sensitive: v.sensitive })),
  };
  if (provider) config.provider = expandProvider(ip, provider);
  for (const u of users) expandUser(ip, config, u);
  for (const r of resources) expandResource(ip, config, r);
  for (const o of outputs) expandOutput(ip, config, o);
  for (const { src, key, value } of brokenEntries) {
    if (value.section === "variables") ip.checkBrokenVariable(src, key, value.raw);
    else ip.checkStrings(src, value.path, value.raw);
  }
  return { config, diagnostics: ip.diags };
}
