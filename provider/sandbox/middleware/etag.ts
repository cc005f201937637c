/**
 * ETag and If-Match: single objects answer with `ETag: "<version>"` (`one`), and PATCH/DELETE
 * get the parsed `If-Match` (the store compares versions and answers 412).
 */

import { parseIfMatch } from "../if-match.js";
import type { Reply, SyncMiddleware } from "../pipeline.js";

/** A reply with a single object: carries `ETag: "<version>"`. */
export const one = (
  status: number,
  obj: { version: number },
  headers: Record<string, string> = {},
): Reply => ({
  status,
  body: obj,
  headers: { etag: `"${obj.version}"`, ...headers },
});

export const ifMatch: SyncMiddleware = (ctx, next) => {
  ctx.ifMatch = parseIfMatch(ctx.req.headers.get("if-match"));
  return next();
};
