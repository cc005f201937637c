/**
 * The opaque strings the sandbox hands out or compares: object ids, token credentials, page
 * cursors and idempotency fingerprints.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { canonicalJson } from "../model/values.js";
import { invalid } from "./http-error.js";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** `pdk_` + 40 base62 characters from crypto.randomBytes (rejection sampling, no modulo bias). */
export function generateTokenId(): string {
  let out = "pdk_";
  while (out.length < 44) {
    for (const b of randomBytes(48)) {
      if (b < 248 && out.length < 44) out += BASE62[b % 62];
    }
  }
  return out;
}

/** `<prefix>_` + 16 hex characters. */
export const randomId = (prefix: string) => `${prefix}_${randomBytes(8).toString("hex")}`;

/** Opaque cursor: base64url of `{"v":1,"after":<seq>}`; stays valid while users come and go. */
export function encodeCursor(afterSeq: number): string {
  return Buffer.from(JSON.stringify({ v: 1, after: afterSeq })).toString("base64url");
}

export function decodeCursor(cursor: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    const after = (parsed as { v?: unknown; after?: unknown }).after;
    if ((parsed as { v?: unknown }).v === 1 && typeof after === "number" && Number.isSafeInteger(after)) {
      if (after >= 0) return after;
    }
  } catch {
    // fall through
  }
  throw invalid("cursor is invalid", [
    { path: "cursor", message: "not a cursor this server issued; start again without one" },
  ]);
}

/** sha256 of the canonical JSON (sorted keys) of a value: the idempotency fingerprint. */
export function fingerprint(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex");
}

/** Compares two secrets in constant time (over their sha256 digests, so lengths may differ). */
export function secretsEqual(a: string, b: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}
