/**
 * What the Popdock constructs share: the meta-arguments they accept (and the ones the reader
 * cannot honour, refused at construct time), argument checks against the same zod schemas the
 * reader uses, and the error they throw, which names the construct path.
 */
import {
  ImportableResource,
  type TerraformMetaArguments,
  type TerraformProvider,
  type TerraformResourceConfig,
} from "cdktf";
import type { Construct } from "constructs";
import { PopdockError } from "../errors.js";
import type { ArgIssue, ArgsResult } from "../frontends/terraform-json/schema.js";

/** The provider source recorded in `terraform.required_providers` (the JSON is read by popdock-iac, not Terraform). */
export const PROVIDER_SOURCE = "popdock/popdock";

/**
 * The meta-arguments popdock-iac honours. `count`, `forEach`, `provisioners` and `connection`
 * are not supported (create constructs in a loop instead).
 */
export type PopdockMetaArguments = Pick<TerraformMetaArguments, "dependsOn" | "lifecycle" | "provider">;

/** A construct was given a configuration popdock-iac cannot use. Thrown at construct (synth) time. */
export class PopdockConstructError extends PopdockError {
  readonly code = "POPDOCK_CDKTF_INVALID_CONFIG";
  constructor(
    /** The construct path, e.g. `popdock/reporting_bot_finance`. */
    readonly constructPath: string,
    message: string,
    hint?: string,
  ) {
    super(hint === undefined ? message : `${message}\n  hint: ${hint}`, hint === undefined ? {} : { hint });
  }
}

const UNSUPPORTED_META = ["count", "forEach", "provisioners", "connection"] as const;

/** The meta-arguments for `TerraformResource`'s config; unsupported ones throw. */
export function metaArguments(
  kind: string,
  scope: Construct,
  id: string,
  config: PopdockMetaArguments,
): Pick<TerraformResourceConfig, "dependsOn" | "lifecycle" | "provider"> {
  const raw = config as Record<string, unknown>;
  for (const key of UNSUPPORTED_META) {
    if (raw[key] !== undefined) {
      throw new PopdockConstructError(
        pathOf(scope, id),
        `${kind} ${pathOf(scope, id)}: ${key} is not supported by popdock-iac`,
        "create one construct per resource, in a loop in your program",
      );
    }
  }
  return {
    ...(config.dependsOn !== undefined ? { dependsOn: config.dependsOn } : {}),
    ...(config.lifecycle !== undefined ? { lifecycle: config.lifecycle } : {}),
    ...(config.provider !== undefined ? { provider: config.provider } : {}),
  };
}

/** Throws the first issue of a failed check, naming the construct and the (camelCase) argument. */
export function orThrow<T>(kind: string, construct: Construct, result: ArgsResult<T>): T {
  if (result.ok) return result.value;
  const path = construct.node.path;
  const lines = result.issues.map((i: ArgIssue) => {
    const at =
      i.path.length > 0
        ? ` (at ${i.path
            .map((p) => (typeof p === "number" ? `[${p}]` : camel(p)))
            .join(".")
            .replace(/\.\[/g, "[")})`
        : "";
    return `${i.message}${at}`;
  });
  const hint = result.issues.find((i) => i.hint !== undefined)?.hint;
  throw new PopdockConstructError(path, `${kind} ${path}: ${lines.join("; ")}`, hint);
}

/** `generateConfigForImport` of every Popdock construct, as in prebuilt provider bindings. */
export function importable(
  terraformResourceType: string,
  scope: Construct,
  importToId: string,
  importFromId: string,
  provider?: TerraformProvider,
): ImportableResource {
  return new ImportableResource(scope, importToId, {
    terraformResourceType,
    importId: importFromId,
    ...(provider !== undefined ? { provider } : {}),
  });
}

function pathOf(scope: Construct, id: string): string {
  return scope.node.path === "" ? id : `${scope.node.path}/${id}`;
}

const META = new Set(["dependsOn", "lifecycle", "provider", ...UNSUPPORTED_META]);

/** A construct config's arguments in Terraform's spelling (`apiUserId` → `api_user_id`); meta-arguments left out. */
export function snakeArgs(config: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) {
    if (META.has(k) || v === undefined) continue;
    out[k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = v;
  }
  return out;
}

/** `api_user_id` → `apiUserId`. */
export function camel(s: string): string {
  return s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}
