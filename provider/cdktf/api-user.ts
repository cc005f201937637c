/**
 * `PopdockApiUser`: a `popdock_api_user` resource, written the way prebuilt CDKTF bindings are
 * (`@cdktf/provider-null`'s `NullResource`).
 *
 * Its popdock address is `popdock_api_user.<logical id>`, and grants and tokens take their
 * addresses from it (`popdock_api_user_grant.<logical id>["team:Finance"]`). So that the address
 * is the one you would write in YAML, the construct sets its logical id to `key`, or to its
 * construct id when that is a valid key: `new PopdockApiUser(stack, "reporting_bot", …)`
 * synthesizes `popdock_api_user.reporting_bot` wherever the construct sits in the tree.
 */
import type { TerraformProvider } from "cdktf";
import type { Construct } from "constructs";
import type { z } from "zod";
import { RESOURCE_KEY } from "../../schema/config.js";
import { type ApiUserArgs, checkArgs, PROVIDER_NAME, USER_TYPE } from "../frontends/terraform-json/schema.js";
import {
  checkLiterals,
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

const { stringToHclTerraform, stringToTerraform, TerraformResource, TerraformStack } = cdk;
type TerraformStack = InstanceType<typeof cdk.TerraformStack>;

export type PopdockApiUserConfig = PopdockMetaArguments &
  Readonly<z.input<typeof ApiUserArgs>> & {
    /**
     * The stable key in the address `popdock_api_user.<key>` (letters, digits, `_`, `-`; not
     * starting with a digit or `-`). Defaults to the construct id when that is a valid key.
     * Never sent to Popdock.
     */
    readonly key?: string;
  };

/** Logical ids of API users per stack, so that two users never share an address. */
const keysByStack = new WeakMap<TerraformStack, Map<string, string>>();

/** A Popdock API user: an identity without web login, consuming data through widgets and API calls. */
export class PopdockApiUser extends TerraformResource {
  static readonly tfResourceType = USER_TYPE;

  /**
   * As in prebuilt bindings, but popdock-iac does not import on plan or apply: this records the
   * import in the stack's metadata only (see `PopdockImport`). Declare the resource, then run
   * `popdock import ADDRESS ID` once.
   * @param importFromId the API user's Popdock ID
   */
  static generateConfigForImport(
    scope: Construct,
    importToId: string,
    importFromId: string,
    provider?: TerraformProvider,
  ): PopdockImport {
    return importable(USER_TYPE, scope, importToId, importFromId, provider);
  }

  private readonly _name: string;
  private readonly _description: string | undefined;

  constructor(scope: Construct, id: string, config: PopdockApiUserConfig) {
    super(scope, id, {
      terraformResourceType: USER_TYPE,
      terraformGeneratorMetadata: { providerName: PROVIDER_NAME },
      ...metaArguments("PopdockApiUser", scope, id, config),
    });
    const args = orThrow(
      "PopdockApiUser",
      this,
      checkArgs(USER_TYPE, snakeArgs({ ...config, key: undefined })),
    ) as z.infer<typeof ApiUserArgs>;
    checkLiterals("PopdockApiUser", this, USER_TYPE, args);
    this._name = args.name;
    this._description = args.description;

    const path = this.node.path;
    if (config.key !== undefined && !RESOURCE_KEY.test(config.key)) {
      throw new PopdockConstructError(
        path,
        `PopdockApiUser ${path}: key ${JSON.stringify(config.key)} is not a valid key`,
        "keys start with a letter or _ and contain only letters, digits, _ and -",
      );
    }
    const key = config.key ?? (RESOURCE_KEY.test(id) ? id : undefined);
    if (key !== undefined) {
      const stack = TerraformStack.of(this);
      const keys = keysByStack.get(stack) ?? new Map<string, string>();
      keysByStack.set(stack, keys);
      const other = keys.get(key);
      if (other !== undefined) {
        throw new PopdockConstructError(
          path,
          `PopdockApiUser ${path}: the address popdock_api_user.${key} is already used by ${other}`,
          'give one of them a different construct id or "key"',
        );
      }
      keys.set(key, path);
      this.overrideLogicalId(key);
    }
  }

  /** The API user's Popdock ID (known after apply). */
  get id(): string {
    return this.getStringAttribute("id");
  }

  /** The API user's name in Popdock. */
  get name(): string {
    return this.getStringAttribute("name");
  }

  get description(): string {
    return this.getStringAttribute("description");
  }

  get nameInput(): string {
    return this._name;
  }

  get descriptionInput(): string | undefined {
    return this._description;
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return {
      name: stringToTerraform(this._name),
      description: stringToTerraform(this._description),
    };
  }

  protected override synthesizeHclAttributes(): Record<string, unknown> {
    return dropUndefined({
      name: {
        value: stringToHclTerraform(this._name),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      description: {
        value: stringToHclTerraform(this._description),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
    });
  }
}
