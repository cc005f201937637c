/**
 * Request validation in one place: the route's query schema and body schema (zod, from
 * schema/api.ts) applied to the query and the parsed body; 422 with one detail per issue.
 * A route's `parent` check (404) runs first. It runs after the Idempotency-Key look-up (a replay
 * answers what the first request got), in the same synchronous turn as the operation.
 */
import { invalid, parseBody, zodDetails } from "../http-error.js";
import type { SyncMiddleware } from "../pipeline.js";

function queryRecord(url: URL): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const key of new Set(url.searchParams.keys())) out[key] = url.searchParams.getAll(key);
  return out;
}

export const validate: SyncMiddleware = (ctx, next) => {
  const route = ctx.route;
  if (!route) return next();
  route.parent?.(ctx.params);
  if (route.query) {
    const result = route.query.safeParse(queryRecord(ctx.url));
    if (!result.success) {
      const details = zodDetails(result.error);
      const first = details[0]?.path?.split(/[.[]/)[0];
      throw invalid(first ? `query parameter ${first} is invalid` : "query is invalid", details);
    }
    ctx.query = result.data;
  }
  if (route.body) {
    const given = ctx.body === undefined && !route.body.required ? {} : ctx.body;
    ctx.input = parseBody(route.body.schema, given, route.body.what);
  }
  return next();
};
