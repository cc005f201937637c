/**
 * `PopdockProvider`: the `provider "popdock"` block, written the way prebuilt CDKTF provider
 * bindings are (`@cdktf/provider-null`'s `NullProvider`). CDKTF requires a provider construct in
 * every stack that has resources of its type.
 */

import type { Construct } from "constructs";
import type { z } from "zod";
import { PROVIDER_NAME, ProviderArgs, parseWith } from "../frontends/terraform-json/schema.js";
import { importable, orThrow, type PopdockImport, PROVIDER_SOURCE } from "./common.js";
import { cdk } from "./lib.js";

const { stringToHclTerraform, stringToTerraform, TerraformProvider } = cdk;
type TerraformProvider = InstanceType<typeof cdk.TerraformProvider>;

/** The provider's arguments (the YAML format's `provider:` block). */
export type PopdockProviderConfig = Readonly<z.input<typeof ProviderArgs>>;

/** The Popdock provider. `endpoint` defaults to `POPDOCK_ENDPOINT` or the CLI's `--endpoint`. */
export class PopdockProvider extends TerraformProvider {
  static readonly tfResourceType = PROVIDER_NAME;

  /** As in prebuilt bindings; a provider has nothing to import (see `PopdockImport`). */
  static generateConfigForImport(
    scope: Construct,
    importToId: string,
    importFromId: string,
    provider?: TerraformProvider,
  ): PopdockImport {
    return importable(PROVIDER_NAME, scope, importToId, importFromId, provider);
  }

  private _endpoint: string | undefined;

  constructor(scope: Construct, id: string, config: PopdockProviderConfig = {}) {
    super(scope, id, {
      terraformResourceType: PROVIDER_NAME,
      terraformGeneratorMetadata: { providerName: PROVIDER_NAME },
      terraformProviderSource: PROVIDER_SOURCE,
    });
    orThrow("PopdockProvider", this, parseWith(ProviderArgs, config));
    this._endpoint = config.endpoint;
  }

  /** The endpoint as configured (a provider's arguments are not references). */
  get endpoint(): string | undefined {
    return this._endpoint;
  }
  set endpoint(value: string | undefined) {
    this._endpoint = value;
  }
  resetEndpoint(): void {
    this._endpoint = undefined;
  }
  get endpointInput(): string | undefined {
    return this._endpoint;
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return { endpoint: stringToTerraform(this._endpoint) };
  }

  protected override synthesizeHclAttributes(): Record<string, unknown> {
    return dropUndefined({
      endpoint: {
        value: stringToHclTerraform(this._endpoint),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
    });
  }
}

/** Drops HCL attributes without a value, as generated bindings do. */
export function dropUndefined(
  attrs: Record<string, { value: unknown; [k: string]: unknown }>,
): Record<string, unknown> {
  return Object.fromEntries(Object.entries(attrs).filter(([, v]) => v.value !== undefined));
}
