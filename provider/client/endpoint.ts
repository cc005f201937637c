/**
 * Parsing and vetting of the Popdock endpoint URL the caller gives: https anywhere, plain http
 * only on loopback, no credentials in the URL, trailing slashes stripped, a path prefix kept.
 */
import { UsageError } from "../model/errors.js";
import { isLoopbackHost } from "../model/loopback.js";
import { PopdockInsecureEndpointError } from "./errors.js";

/** The API's base path under the endpoint. */
export const API_BASE_PATH = "/api/v1/security";

export interface ParsedEndpoint {
  /** The endpoint as normalised: origin plus path prefix, no trailing slash. */
  endpoint: string;
  /** `https://host:port` */
  origin: string;
  /** Path prefix before `/api/v1/security`, e.g. `/popdock`, or `""`. */
  prefix: string;
}

/**
 * Validates and normalises an endpoint. Throws `UsageError` for something that is not an
 * http(s) URL or that carries credentials, a query or a fragment, and
 * `PopdockInsecureEndpointError` for plain http to a non-loopback host. An endpoint that already
 * ends in `/api/v1/security` is accepted: that suffix is dropped, since the client adds it.
 */
export function parseEndpoint(raw: string): ParsedEndpoint {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    // Not echoed: a mistyped setting could hold the API key.
    throw new UsageError("the Popdock endpoint is not a URL", {
      hint: "give the endpoint as https://host[:port][/prefix], e.g. https://popdock.example.com",
    });
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new UsageError(`the Popdock endpoint must be an https:// URL, not ${url.protocol}//`, {
      hint: "give the endpoint as https://host[:port][/prefix]",
    });
  }
  if (url.username !== "" || url.password !== "") {
    throw new UsageError("the Popdock endpoint must not contain a user name or password", {
      hint: "remove the credentials from the URL; the client authenticates with the API key",
    });
  }
  if (url.search !== "" || url.hash !== "") {
    throw new UsageError("the Popdock endpoint must not contain a query string or fragment", {
      hint: "give the endpoint as https://host[:port][/prefix]",
    });
  }
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname)) {
    throw new PopdockInsecureEndpointError(
      `refusing plain-http endpoint ${url.origin}: the API key would travel unencrypted`,
      {
        hint: `use https://${url.host}${url.pathname === "/" ? "" : url.pathname}; plain http is allowed only for loopback (localhost, 127.0.0.0/8, ::1)`,
      },
    );
  }
  let prefix = url.pathname.replace(/\/+$/, "");
  if (prefix.endsWith(API_BASE_PATH)) prefix = prefix.slice(0, -API_BASE_PATH.length);
  return { endpoint: `${url.origin}${prefix}`, origin: url.origin, prefix };
}
