/**
 * Variable values: a declared variable's default, overridden by `POPDOCK_VAR_<name>`, overridden by
 * `--var name=value`; a `--var` for an undeclared variable is an error. Maps are read by own
 * property only, so that a variable named `constructor` is just a variable.
 */

import type { Variable } from "../../../schema/config.js";
import { didYouMean } from "../../model/diagnostics.js";
import type { ExpandOptions } from "./expand.js";
import { type Interpolator, own } from "./interpolation.js";
import type { Entry } from "./merge.js";

export function resolveVariables(
  ip: Interpolator,
  opts: ExpandOptions,
  variables: readonly Entry<Variable>[],
): void {
  for (const { src, key, value } of variables) {
    let v: string | undefined;
    if (value.default !== undefined) {
      v = ip.defaultValue(src, ["variables", key, "default"], value.default);
      if (v === undefined) {
        ip.broken("variables").add(key); // reported; its uses are not reported again
        continue;
      }
    }
    const fromEnv = own(opts.env, `POPDOCK_VAR_${key}`);
    if (fromEnv !== undefined) v = fromEnv;
    const fromCli = own(opts.vars, key);
    if (fromCli !== undefined) v = fromCli;
    ip.vars.set(key, { value: v, sensitive: value.sensitive ?? false });
  }
  const declared = [...ip.vars.keys()];
  for (const name of Object.keys(opts.vars)) {
    if (ip.vars.has(name) || ip.isBroken("variables", name)) continue;
    const guess = didYouMean(name, declared);
    ip.diags.push({
      code: "VAR_UNDECLARED",
      severity: "error",
      message: `--var ${name}=… sets a variable that no file declares`,
      hint: guess !== undefined ? `did you mean "${guess}"?` : `declare it under "variables:"`,
    });
  }
}
