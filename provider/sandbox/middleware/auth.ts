/**
 * Authentication, first on every path (unknown routes included): 401 before anything else.
 * The admin API and the hooks take `Authorization: Bearer <admin API key>`; the data API
 * (`/api/v2/...`, what consumers call) takes `Authorization: Bearer <Token ID>` of a token, and
 * never the admin key. Both are compared in constant time.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { HttpError } from "../http-error.js";
import type { Middleware } from "../pipeline.js";
import type { TokenCaller } from "../store.js";

/** Paths under this prefix are the data API, authenticated with a token. */
export const DATA_PREFIX = "/api/v2";
export const isDataPath = (pathname: string): boolean =>
  pathname === DATA_PREFIX || pathname.startsWith(`${DATA_PREFIX}/`);

const sha256 = (s: string) => createHash("sha256").update(s).digest();
const CHALLENGE = { "www-authenticate": 'Bearer realm="popdock"' };

/** The digest of an API key, and a short scope that tells keys apart without revealing them. */
export function keyDigest(apiKey: string): { digest: Buffer; scope: string } {
  const digest = sha256(apiKey);
  return { digest, scope: digest.toString("hex").slice(0, 16) };
}

/** `tokenBySecret` finds the token a data-API Bearer credential belongs to. */
export function auth(digest: Buffer, tokenBySecret: (secret: string) => TokenCaller | undefined): Middleware {
  return (ctx, next) => {
    const header = ctx.req.headers.get("authorization");
    if (isDataPath(ctx.url.pathname)) {
      const secret = /^Bearer\s+(.+)$/i.exec(header?.trim() ?? "")?.[1]?.trim();
      const caller = secret === undefined ? undefined : tokenBySecret(secret);
      if (!caller) {
        const isAdmin = secret !== undefined && timingSafeEqual(sha256(secret), digest);
        throw new HttpError(
          401,
          "unauthorized",
          secret === undefined
            ? "missing Authorization header; send `Authorization: Bearer <Token ID>` of an API user's token"
            : isAdmin
              ? "the admin API key is not accepted on the data API; send the Token ID of an API user's token"
              : "the token is not valid for this server (unknown or deleted)",
          undefined,
          CHALLENGE,
        );
      }
      ctx.caller = caller;
      return next();
    }
    if (!header) {
      throw new HttpError(
        401,
        "unauthorized",
        "missing Authorization header; send `Authorization: Bearer <admin API key>`",
        undefined,
        CHALLENGE,
      );
    }
    const m = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (!m?.[1] || !timingSafeEqual(sha256(m[1].trim()), digest)) {
      throw new HttpError(
        401,
        "unauthorized",
        "the API key is not valid for this server",
        undefined,
        CHALLENGE,
      );
    }
    return next();
  };
}
