/**
 * API-key authentication: `Authorization: Bearer <admin API key>`, compared in constant time.
 * Runs first, on every path (unknown routes included): 401 before anything else.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { HttpError } from "../http-error.js";
import type { Middleware } from "../pipeline.js";

const sha256 = (s: string) => createHash("sha256").update(s).digest();
const CHALLENGE = { "www-authenticate": 'Bearer realm="popdock"' };

/** The digest of an API key, and a short scope that tells keys apart without revealing them. */
export function keyDigest(apiKey: string): { digest: Buffer; scope: string } {
  const digest = sha256(apiKey);
  return { digest, scope: digest.toString("hex").slice(0, 16) };
}

export function auth(digest: Buffer): Middleware {
  return (ctx, next) => {
    const header = ctx.req.headers.get("authorization");
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
