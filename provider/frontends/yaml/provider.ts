/** The `provider` block: its endpoint, interpolated, must be an http(s) URL or `local` (the embedded sandbox). */
import type { ProviderBlock } from "../../../schema/config.js";
import type { DesiredConfig } from "../../model/desired.js";
import { LOCAL_ENDPOINT } from "../../model/provider.js";
import type { Interpolator } from "./interpolation.js";
import type { Entry } from "./merge.js";

export function expandProvider(
  ip: Interpolator,
  { src, value }: Entry<ProviderBlock>,
): DesiredConfig["provider"] {
  if (value.endpoint === undefined) return {};
  const path = ["provider", "endpoint"];
  const endpoint = ip.interpolate(src, path, value.endpoint, "state");
  if (endpoint === undefined) return {};
  if (endpoint === LOCAL_ENDPOINT) return { endpoint };
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== "https:" && url.protocol !== "http:")) {
    ip.diags.push(
      src.diag("CONFIG_INVALID_VALUE", `endpoint ${JSON.stringify(endpoint)} is not an http(s) URL`, path, {
        hint: 'e.g. https://example.popdock.com, or "local" for the embedded sandbox',
      }),
    );
    return {};
  }
  return { endpoint };
}
