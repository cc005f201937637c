/**
 * Idempotency-Key on POST (API routes, not hooks): the first successful answer is recorded in the
 * store; the same key and body replays it with `Idempotent-Replayed: true`, another body is 422.
 * Synchronous: look-up, operation and recording happen in one turn (see pipeline.ts).
 */
import { invalid } from "../http-error.js";
import { fingerprint } from "../keys.js";
import type { SyncMiddleware } from "../pipeline.js";
import type { SandboxStore } from "../store.js";

/** Marks a reply that is a replay; the commit step neither persists nor fails it. */
export const REPLAYED_HEADER = "idempotent-replayed";

export function idempotency(store: SandboxStore, keyScope: string): SyncMiddleware {
  return (ctx, next) => {
    const key =
      ctx.method === "POST" && ctx.route?.hook === false ? ctx.req.headers.get("idempotency-key") : null;
    if (key === null) return next();
    if (key.length < 1 || key.length > 255) {
      throw invalid("Idempotency-Key is invalid", [
        { path: "Idempotency-Key", message: "must be 1 to 255 characters" },
      ]);
    }
    const scope = `${keyScope} ${ctx.method} ${ctx.url.pathname}`;
    const bodyPrint = fingerprint(ctx.body ?? null);
    const prior = store.findIdempotent(scope, key);
    if (prior) {
      if (prior.fingerprint !== bodyPrint) {
        throw invalid("Idempotency-Key was already used with a different request body", [
          {
            path: "Idempotency-Key",
            message: `key "${key}" was first used with another body on ${ctx.url.pathname}; use a new key`,
          },
        ]);
      }
      return {
        status: prior.status,
        ...(prior.body === null ? {} : { body: JSON.parse(prior.body) as unknown }),
        headers: { ...prior.headers, [REPLAYED_HEADER]: "true" },
      };
    }
    const reply = next();
    if (reply.status >= 200 && reply.status < 300) {
      store.putIdempotent({
        scope,
        key,
        fingerprint: bodyPrint,
        status: reply.status,
        headers: recordedHeaders(reply),
        body: reply.body === undefined ? null : JSON.stringify(reply.body),
      });
    }
    return reply;
  };
}

/** The headers the response will have (as toResponse writes them), lower-cased. */
function recordedHeaders(reply: {
  body?: unknown;
  headers?: Record<string, string>;
}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(reply.headers ?? {})) out[k.toLowerCase()] = v;
  if (reply.body !== undefined) out["content-type"] = "application/json; charset=utf-8";
  return out;
}
