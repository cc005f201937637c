/**
 * What the Popdock constructs share: the meta-arguments they accept (and the ones the reader
 * cannot honour, refused at construct time), argument checks against the same zod schemas the
 * reader uses, and the error they throw, which names the construct path.
 */
import type { TerraformMetaArguments, TerraformProvider, TerraformResourceConfig } from "cdktf";
import type { Construct } from "constructs";
import {
  type ArgIssue,
  type ArgsResult,
  checkStoredValues,
  type SupportedType,
} from "../frontends/terraform-json/schema.js";
import { PopdockError } from "../model/errors.js";
import { cdk } from "./lib.js";

const { TerraformElement, Token } = cdk;

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

/**
 * Throws when a literal argument would not survive Popdock's trimming and limits
 * (`checkStoredValues`); arguments that are references are checked when popdock-iac reads the
 * synthesized stack.
 */
export function checkLiterals(
  kind: string,
  construct: Construct,
  type: SupportedType,
  args: Readonly<Record<string, unknown>>,
): void {
  const literal: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) if (!Token.isUnresolved(v)) literal[k] = v;
  const issues = checkStoredValues(type, literal);
  if (issues.length > 0) orThrow(kind, construct, { ok: false, issues });
}

/**
 * What `generateConfigForImport` returns: a note in the synthesized stack, not a Terraform
 * `import` block (to import on plan and apply, call `importFrom(id)` on the declared resource,
 * which synthesizes one; or adopt once with `popdock import ADDRESS ID`). The note goes into the
 * stack's `"//"` metadata —
 * `"//": { "import": { "popdock_api_user.bot": { "id": "usr_123", … } } }` — which popdock-iac
 * and Terraform ignore, so a stack using it reads without diagnostics.
 */
export class PopdockImport extends TerraformElement {
  constructor(
    scope: Construct,
    id: string,
    /** The resource type and the id to import (as `popdock import` takes it). */
    readonly config: { terraformResourceType: string; importId: string; provider?: TerraformProvider },
  ) {
    super(scope, id, config.terraformResourceType);
  }

  /** The Terraform address of the resource to import into: `<type>.<logical id>`. */
  get importTo(): string {
    return `${this.config.terraformResourceType}.${this.friendlyUniqueId}`;
  }

  override toTerraform(): Record<string, unknown> {
    return {
      "//": {
        import: {
          [this.importTo]: {
            id: this.config.importId,
            note: "popdock-iac does not import on plan or apply: run `popdock import ADDRESS ID` with the resource's popdock address (`popdock plan` shows it)",
          },
        },
      },
    };
  }

  override toHclTerraform(): Record<string, unknown> {
    return {};
  }

  override toMetadata(): Record<string, unknown> {
    return {};
  }
}

/** `generateConfigForImport` of every Popdock construct (see `PopdockImport`). */
export function importable(
  terraformResourceType: string,
  scope: Construct,
  importToId: string,
  importFromId: string,
  provider?: TerraformProvider,
): PopdockImport {
  return new PopdockImport(scope, importToId, {
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
    if (META.has(k) || v == null) continue;
    out[k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = v;
  }
  return out;
}

/** `api_user_id` → `apiUserId`. */
export function camel(s: string): string {
  return s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}
