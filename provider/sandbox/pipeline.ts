/**
 * The sandbox's request pipeline: the context a request carries through the middleware, the
 * two kinds of middleware, and how replies become web Responses.
 *
 * Outer middleware is async (auth, body reading, routing, faults, body parsing, validation,
 * commit). The inner part — If-Match, Idempotency-Key and the operation — is synchronous on
 * purpose: the idempotency look-up, the mutation and recording the key happen in one turn, so a
 * concurrent retry with the same key sees either nothing or the recorded answer.
 */
import type { z } from "zod";
import { HttpError } from "./http-error.js";
import type { IfMatch } from "./if-match.js";
import type { BodyRead } from "./read-body.js";
import type { TokenCaller } from "./store.js";

/** What a route's operation answers. */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** The request body a route takes: its zod schema (from schema/api.ts) and whether it is required. */
export interface BodySpec {
  schema: z.ZodType;
  /** Names the body in messages: "API user", "grant patch". */
  what: string;
  required: boolean;
}

/** Arguments of a route's operation: path parameters and the validated body and query. */
export interface RouteArgs {
  url: URL;
  params: Record<string, string>;
  /** The body after its schema (defaults applied); undefined for routes without one. */
  input: unknown;
  /** The query after the route's query schema; `{}` without one. */
  query: unknown;
  ifMatch: IfMatch | undefined;
  /** On the data API (`/api/v2`): the token the request authenticated with. */
  caller: TokenCaller | undefined;
}

/** One row of the routes table. */
export interface RouteDef {
  method: string;
  /** `/api/v1/security/api-users/{userId}`: `{name}` matches one path segment. */
  template: string;
  /** Sandbox hooks are not counted in stats, not subject to faults and take no Idempotency-Key. */
  hook: boolean;
  body?: BodySpec;
  /** Schema of the query, given `{ name: value[] }` of every parameter. */
  query?: z.ZodType;
  /** Throws (404) when the parent object is missing; runs before the body is validated. */
  parent?: (params: Record<string, string>) => void;
  run(args: RouteArgs): Reply;
}

/** How the HTTP server tells the app what only it knows about a request. */
export interface RequestMeta {
  /** The method as sent, for methods a web Request cannot carry (TRACE, CONNECT, TRACK). */
  method?: string;
  /** The body as the server read it (instead of reading `req.body`). */
  body?: BodyRead;
}

export interface Ctx {
  readonly req: Request;
  readonly url: URL;
  readonly method: string;
  readonly meta: RequestMeta;
  route?: RouteDef;
  params: Record<string, string>;
  /** Methods the path allows (for 405), set by routing. */
  allowed: string[];
  /** Raw body bytes, once read. */
  raw?: Uint8Array;
  /** Parsed JSON body; undefined when none was sent. */
  body: unknown;
  input: unknown;
  query: unknown;
  ifMatch: IfMatch | undefined;
  /** Set by auth on the data API (`/api/v2`). */
  caller: TokenCaller | undefined;
  /** Whether the operation changed the store (set by `track`). */
  committed: boolean;
}

/** A request's context before any middleware ran: the one place its starting values are set. */
export function newContext(
  req: Request,
  url: URL,
  method: string,
  meta: RequestMeta = {},
  routing: { route?: RouteDef; params?: Record<string, string>; allowed?: string[] } = {},
): Ctx {
  return {
    req,
    url,
    method,
    meta,
    ...(routing.route ? { route: routing.route } : {}),
    params: routing.params ?? {},
    allowed: routing.allowed ?? [],
    body: undefined,
    input: undefined,
    query: {},
    ifMatch: undefined,
    caller: undefined,
    committed: false,
  };
}

export type Next = () => Promise<Response>;
export type Middleware = (ctx: Ctx, next: Next) => Promise<Response>;
export type SyncNext = () => Reply;
export type SyncMiddleware = (ctx: Ctx, next: SyncNext) => Reply;

/** Runs `outer` in order, then `inner` (synchronously), then `terminal`; replies become Responses. */
export function compose(outer: Middleware[], inner: SyncMiddleware[], terminal: (ctx: Ctx) => Reply) {
  const runInner = (ctx: Ctx, i: number): Reply => {
    const mw = inner[i];
    return mw ? mw(ctx, () => runInner(ctx, i + 1)) : terminal(ctx);
  };
  const runOuter = (ctx: Ctx, i: number): Promise<Response> => {
    const mw = outer[i];
    if (mw) return mw(ctx, () => runOuter(ctx, i + 1));
    return Promise.resolve(toResponse(runInner(ctx, 0)));
  };
  // async: a middleware that throws synchronously still gives a rejected promise.
  return async (ctx: Ctx): Promise<Response> => runOuter(ctx, 0);
}

export function errorResponse(err: HttpError): Response {
  return new Response(JSON.stringify(err.body()), {
    status: err.status,
    headers: { "content-type": "application/json; charset=utf-8", ...err.headers },
  });
}

/** Any thrown value as an error Response: HttpErrors as they are, anything else a 500. */
export function thrownResponse(err: unknown): Response {
  if (err instanceof HttpError) return errorResponse(err);
  return errorResponse(new HttpError(500, "internal", `sandbox failure: ${(err as Error)?.message ?? err}`));
}

export function toResponse(reply: Reply): Response {
  const headers = new Headers(reply.headers);
  if (reply.body === undefined) return new Response(null, { status: reply.status, headers });
  headers.set("content-type", "application/json; charset=utf-8");
  return new Response(JSON.stringify(reply.body), { status: reply.status, headers });
}

export const json = (status: number, body: unknown, headers: Record<string, string> = {}): Reply => ({
  status,
  body,
  headers,
});
