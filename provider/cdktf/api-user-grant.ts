/**
 * `PopdockApiUserGrant`: a `popdock_api_user_grant` resource — one team, one system role, or
 * access to one connector narrowed to its companies, lists, actions and details.
 *
 * Its popdock address comes from its user and what it grants, not from its construct id:
 * `popdock_api_user_grant.<user key>["team:Finance"]`, `…["role:Contributor"]`,
 * `…["connector:GP Production"]` (the same address the YAML format gives it).
 */
import type { TerraformProvider } from "cdktf";
import type { Construct } from "constructs";
import type { z } from "zod";
import {
  type ConnectorGrantArgs,
  checkGrantArgs,
  GRANT_TYPE,
  type GrantArgs,
  PROVIDER_NAME,
  type RoleGrantArgs,
  type TeamGrantArgs,
} from "../frontends/terraform-json/schema.js";
import {
  importable,
  metaArguments,
  orThrow,
  PopdockConstructError,
  type PopdockImport,
  type PopdockMetaArguments,
  snakeArgs,
} from "./common.js";
import { cdk } from "./lib.js";
import { dropUndefined } from "./provider.js";

const { listMapper, listMapperHcl, stringToHclTerraform, stringToTerraform, TerraformResource, Token } = cdk;

type Scope = "roles" | "companies" | "lists" | "actions" | "details";
type NoneOf<K extends string> = { readonly [P in K]?: never };
type Without<T> = Readonly<Omit<T, "api_user_id">>;

/** Exactly one of `team`, `role` or `connector` (with its scope lists). */
export type PopdockGrantTarget =
  | (Without<z.input<typeof TeamGrantArgs>> & NoneOf<"role" | "connector" | Scope>)
  | (Without<z.input<typeof RoleGrantArgs>> & NoneOf<"team" | "connector" | Scope>)
  | (Without<z.input<typeof ConnectorGrantArgs>> & NoneOf<"team" | "role">);

export type PopdockApiUserGrantConfig = PopdockMetaArguments & {
  /** The owning API user: `user.id` of a `PopdockApiUser` in the same stack. */
  readonly apiUserId: string;
} & PopdockGrantTarget;

/** One permission of an API user. */
export class PopdockApiUserGrant extends TerraformResource {
  static readonly tfResourceType = GRANT_TYPE;

  /**
   * As in prebuilt bindings, but popdock-iac does not import on plan or apply: this records the
   * import in the stack's metadata only (see `PopdockImport`). Declare the resource, then run
   * `popdock import ADDRESS ID` once.
   * @param importFromId `<api user id>/<grant id>`, as `popdock import` takes it
   */
  static generateConfigForImport(
    scope: Construct,
    importToId: string,
    importFromId: string,
    provider?: TerraformProvider,
  ): PopdockImport {
    return importable(GRANT_TYPE, scope, importToId, importFromId, provider);
  }

  private readonly _args: GrantArgs;

  constructor(scope: Construct, id: string, config: PopdockApiUserGrantConfig) {
    super(scope, id, {
      terraformResourceType: GRANT_TYPE,
      terraformGeneratorMetadata: { providerName: PROVIDER_NAME },
      ...metaArguments("PopdockApiUserGrant", scope, id, config),
    });
    this._args = orThrow("PopdockApiUserGrant", this, checkGrantArgs(snakeArgs(config)));
    requireUserReference("PopdockApiUserGrant", this, config.apiUserId);
  }

  /** The grant's ID (known after apply). */
  get id(): string {
    return this.getStringAttribute("id");
  }

  /** The owning API user's ID. */
  get apiUserId(): string {
    return this.getStringAttribute("api_user_id");
  }

  /** The grant's arguments as configured (snake_case, as synthesized). */
  get argsInput(): GrantArgs {
    return this._args;
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    const a = this._args as Partial<TeamGrantArgs & RoleGrantArgs & ConnectorGrantArgs>;
    const list = listMapper(stringToTerraform, false);
    return {
      api_user_id: stringToTerraform(a.api_user_id),
      team: stringToTerraform(a.team),
      role: stringToTerraform(a.role),
      connector: stringToTerraform(a.connector),
      roles: list(a.roles),
      companies: list(a.companies),
      lists: list(a.lists),
      actions: list(a.actions),
      details: list(a.details),
    };
  }

  protected override synthesizeHclAttributes(): Record<string, unknown> {
    const a = this._args as Partial<TeamGrantArgs & RoleGrantArgs & ConnectorGrantArgs>;
    const simple = (v: string | undefined) => ({
      value: stringToHclTerraform(v),
      isBlock: false,
      type: "simple",
      storageClassType: "string",
    });
    const set = (v: string[] | undefined) => ({
      value: listMapperHcl(stringToHclTerraform, false)(v),
      isBlock: false,
      type: "set",
      storageClassType: "stringList",
    });
    return dropUndefined({
      api_user_id: simple(a.api_user_id),
      team: simple(a.team),
      role: simple(a.role),
      connector: simple(a.connector),
      roles: set(a.roles),
      companies: set(a.companies),
      lists: set(a.lists),
      actions: set(a.actions),
      details: set(a.details),
    });
  }
}

/** `apiUserId` must be a reference (`user.id`): popdock-iac resolves the owning user from it. */
export function requireUserReference(kind: string, construct: Construct, apiUserId: string): void {
  if (Token.isUnresolved(apiUserId)) return;
  const path = construct.node.path;
  throw new PopdockConstructError(
    path,
    `${kind} ${path}: apiUserId must be the id of a PopdockApiUser in this stack, got ${JSON.stringify(apiUserId)}`,
    "pass apiUserId: user.id",
  );
}
