/**
 * `PopdockApiToken`: a `popdock_api_token` resource. Its Token ID is the credential: `tokenId`
 * is sensitive, and a `TerraformOutput` that uses it must set `sensitive: true` (popdock-iac
 * refuses the configuration otherwise, as Terraform would).
 *
 * Its popdock address is `popdock_api_token.<user key>["<key>"]`, `key` defaulting to the
 * resource's logical id; every token also gets the automatic sensitive output `<user key>.<key>`.
 * With `rotation: { every, overlap, retireWhenUnused, triggers }` the token rotates by generations,
 * without downtime (see the README). Without it, tokens are replaced create-before-destroy. To rotate one on a trigger, give it
 * `lifecycle: { replaceTriggeredBy: [keeper] }` with a `NullResource` keeper whose `triggers`
 * you change (`{ quarter: "2026-Q4" }`).
 */
import type * as Cdk from "cdktf";
import type { Construct } from "constructs";
import type { z } from "zod";
import {
  type ApiTokenArgs,
  checkArgs,
  PROVIDER_NAME,
  TOKEN_TYPE,
} from "../frontends/terraform-json/schema.js";
import { requireUserReference } from "./api-user-grant.js";
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

const {
  stringToHclTerraform,
  stringToTerraform,
  TerraformProvider,
  TerraformResource,
  TerraformStack,
  Token,
} = cdk;

/**
 * Generations without downtime (as YAML's `rotation`): rotate once the current token is `every`
 * old, keep the previous one valid for `overlap`, and, with `retireWhenUnused`, until it has not
 * been used for that long. Durations: a whole number and a unit, s m h d or w (`"90d"`). Without
 * `overlap`, `triggers` alone replace the token through a keeper (no generations).
 */
export interface PopdockTokenRotation {
  readonly every?: string;
  readonly overlap?: string;
  readonly retireWhenUnused?: string;
  /** A change of any value rotates the token now (through the overlap, when there is one). */
  readonly triggers?: Readonly<Record<string, string | number | boolean>>;
}

export type PopdockApiTokenConfig = PopdockMetaArguments & {
  /** The owning API user: `user.id` of a `PopdockApiUser` in the same stack. */
  readonly apiUserId: string;
  /**
   * Rotation. With `overlap` (and usually `every`): generations without downtime, as YAML's
   * `rotation` (Terraform JSON `rotation` block; works with cdktf and CDK Terrain alike). With
   * `triggers` only: changing any trigger replaces the token (new one first) through a keeper
   * `null_resource.<id>_rotation` the construct adds itself — no null provider package needed.
   */
  readonly rotation?: PopdockTokenRotation;
} & Readonly<Omit<z.input<typeof ApiTokenArgs>, "api_user_id" | "rotation">>;

/** `rotation` as Terraform JSON spells it (generations: with `overlap`). */
function rotationArgs(r: PopdockTokenRotation): Record<string, unknown> {
  return {
    ...(r.every !== undefined ? { every: r.every } : {}),
    overlap: r.overlap,
    ...(r.retireWhenUnused !== undefined ? { retire_when_unused: r.retireWhenUnused } : {}),
    ...(r.triggers !== undefined ? { triggers: { ...r.triggers } } : {}),
  };
}

/** An API token of an API user. */
export class PopdockApiToken extends TerraformResource {
  static readonly tfResourceType = TOKEN_TYPE;

  /**
   * As in prebuilt bindings, but popdock-iac does not import on plan or apply: this records the
   * import in the stack's metadata only (see `PopdockImport`). Declare the resource, then run
   * `popdock import ADDRESS ID` once.
   * @param importFromId `<api user id>/<token id>`, as `popdock import` takes it
   */
  static generateConfigForImport(
    scope: Construct,
    importToId: string,
    importFromId: string,
    provider?: Cdk.TerraformProvider,
  ): PopdockImport {
    return importable(TOKEN_TYPE, scope, importToId, importFromId, provider);
  }

  private readonly _args: z.infer<typeof ApiTokenArgs>;

  constructor(scope: Construct, id: string, config: PopdockApiTokenConfig) {
    const { rotation, ...rest } = config;
    const generations = rotation?.overlap !== undefined;
    const keeper =
      rotation === undefined || generations ? undefined : rotationKeeper(scope, id, rotation.triggers ?? {});
    const meta = metaArguments("PopdockApiToken", scope, id, rest);
    super(scope, id, {
      terraformResourceType: TOKEN_TYPE,
      terraformGeneratorMetadata: { providerName: PROVIDER_NAME },
      ...meta,
      ...(keeper
        ? {
            lifecycle: {
              ...meta.lifecycle,
              replaceTriggeredBy: [...(meta.lifecycle?.replaceTriggeredBy ?? []), keeper],
            },
          }
        : {}),
    });
    if (rest.key !== undefined && Token.isUnresolved(rest.key)) {
      throw new PopdockConstructError(
        this.node.path,
        `PopdockApiToken ${this.node.path}: key must be a literal string`,
      );
    }
    const snake = snakeArgs(rest);
    if (rotation !== undefined && generations)
      snake.rotation = rotationArgs({ ...rotation, overlap: rotation.overlap as string });
    const args = orThrow("PopdockApiToken", this, checkArgs(TOKEN_TYPE, snake));
    this._args = args as z.infer<typeof ApiTokenArgs>;
    checkLiterals("PopdockApiToken", this, TOKEN_TYPE, this._args);
    requireUserReference("PopdockApiToken", this, config.apiUserId);
  }

  /** The token's Popdock record ID (known after apply; not a secret). */
  get id(): string {
    return this.getStringAttribute("id");
  }

  /** The token's name in Popdock. */
  get name(): string {
    return this.getStringAttribute("name");
  }

  /** The owning API user's ID. */
  get apiUserId(): string {
    return this.getStringAttribute("api_user_id");
  }

  /**
   * The Token ID — the credential. Sensitive: use it only in a `TerraformOutput` with
   * `sensitive: true`; read it with `popdock output <name>`.
   */
  get tokenId(): string {
    return this.getStringAttribute("token_id");
  }

  get nameInput(): string | undefined {
    return this._args.name;
  }

  get keyInput(): string | undefined {
    return this._args.key;
  }

  get rotationInput(): Readonly<Record<string, unknown>> | undefined {
    return this._args.rotation;
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return {
      api_user_id: stringToTerraform(this._args.api_user_id),
      name: stringToTerraform(this._args.name),
      key: stringToTerraform(this._args.key),
      ...(this._args.rotation !== undefined ? { rotation: structuredClone(this._args.rotation) } : {}),
    };
  }

  protected override synthesizeHclAttributes(): Record<string, unknown> {
    const simple = (v: string | undefined) => ({
      value: stringToHclTerraform(v),
      isBlock: false,
      type: "simple",
      storageClassType: "string",
    });
    const attrs = dropUndefined({
      api_user_id: simple(this._args.api_user_id),
      name: simple(this._args.name),
      key: simple(this._args.key),
    });
    if (this._args.rotation === undefined) return attrs;
    const rotation = structuredClone(this._args.rotation);
    return {
      ...attrs,
      rotation: { value: rotation, isBlock: false, type: "map", storageClassType: "anyMap" },
    };
  }
}

/** The keeper of a token's `rotation`: a `null_resource` whose triggers replace the token. */
function rotationKeeper(
  scope: Construct,
  id: string,
  triggers: Readonly<Record<string, string | number | boolean>>,
): InstanceType<typeof TerraformResource> {
  ensureNullProvider(scope);
  const keeper = new TerraformResource(scope, `${id}_rotation`, {
    terraformResourceType: "null_resource",
    terraformGeneratorMetadata: { providerName: "null" },
  });
  if (Object.keys(triggers).length === 0) {
    throw new PopdockConstructError(
      keeper.node.path,
      `PopdockApiToken ${id}: rotation has neither overlap (generations) nor triggers`,
      'give it overlap (and every), e.g. { every: "90d", overlap: "7d" }, or at least one trigger, e.g. { triggers: { quarter: "2026-Q4" } }',
    );
  }
  keeper.addOverride(
    "triggers",
    Object.fromEntries(Object.entries(triggers).map(([k, v]) => [k, String(v)])),
  );
  return keeper;
}

/**
 * The `null` provider block a keeper needs (the CDK validates that every resource has one), unless
 * the stack already has one (e.g. `@cdktf/provider-null`'s `NullProvider`).
 */
function ensureNullProvider(scope: Construct): void {
  const stack = TerraformStack.of(scope);
  const has = stack.node
    .findAll()
    .some((c) => (c as { terraformResourceType?: unknown }).terraformResourceType === "null" && c !== stack);
  if (has) return;
  new NullProviderBlock(stack, "popdock_null_provider");
}

/** A bare `provider "null" {}` with `hashicorp/null` as its source. */
class NullProviderBlock extends TerraformProvider {
  constructor(scope: Construct, id: string) {
    super(scope, id, {
      terraformResourceType: "null",
      terraformGeneratorMetadata: { providerName: "null" },
      terraformProviderSource: "hashicorp/null",
    });
  }
  protected override synthesizeAttributes(): Record<string, unknown> {
    return {};
  }
}
