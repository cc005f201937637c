/**
 * The request body, in two steps at two places in the order of checks:
 * - `readBodyStep` right after auth: the bytes, within a size limit (413) and a time limit
 *   (408: a Content-Length larger than what arrives);
 * - `parseBodyStep` after routing and faults, for routes that take a body: its Content-Type
 *   must be JSON (415), and it must parse as JSON nested at most MAX_JSON_DEPTH deep (400).
 */
import { HttpError, invalid } from "../http-error.js";
import { isJsonContentType, MAX_JSON_DEPTH, parseJsonBounded } from "../json-body.js";
import type { Middleware } from "../pipeline.js";
import { type BodyLimits, type BodyRead, readBody } from "../read-body.js";

const NO_BODY = new Uint8Array(0);

function failure(read: Exclude<BodyRead, { kind: "ok" }>): HttpError {
  if (read.kind === "too-large") {
    return new HttpError(413, "validation_failed", `request body exceeds ${read.maxBytes} bytes`);
  }
  return new HttpError(
    408,
    "validation_failed",
    `request body did not arrive within ${read.timeoutMs} ms (is Content-Length larger than the body?)`,
  );
}

/** Reads the body (or takes what the HTTP server read): 413 when too large, 408 when too slow. */
export function readBodyStep(limits: BodyLimits): Middleware {
  return async (ctx, next) => {
    let read: BodyRead;
    if (ctx.meta.body !== undefined) read = ctx.meta.body;
    else if (ctx.req.body === null) read = { kind: "ok", bytes: NO_BODY };
    else read = await readBody(ctx.req.body, limits);
    if (read.kind !== "ok") throw failure(read);
    ctx.raw = read.bytes;
    return next();
  };
}

/** For routes that take a body: 415 for a non-JSON Content-Type, 400 for a body that is not JSON. */
export const parseBodyStep: Middleware = (ctx, next) => {
  const spec = ctx.route?.body;
  if (spec === undefined) return next();
  const text = new TextDecoder().decode(ctx.raw ?? NO_BODY);
  if (text.trim() === "") {
    if (spec.required) throw invalid("a JSON request body is required");
    return next();
  }
  const type = ctx.req.headers.get("content-type");
  if (type !== null && !isJsonContentType(type)) {
    throw new HttpError(
      415,
      "validation_failed",
      `request body must be application/json, got Content-Type ${JSON.stringify(type)}`,
    );
  }
  const parsed = parseJsonBounded(text, MAX_JSON_DEPTH);
  if (!parsed.ok) {
    throw new HttpError(400, "validation_failed", "request body is not valid JSON", [
      { message: parsed.reason },
    ]);
  }
  ctx.body = parsed.value;
  return next();
};
