/**
 * The sandbox's HTTP application: routing, authentication, request parsing, idempotency,
 * ETag/If-Match, fault injection and request statistics, over web-standard Request/Response.
 * `handle()` never throws and never touches the network; server.ts adapts it to node:http.
 *
 * Order of checks on `/api/v1`: auth (401) → route (404/405) → rate limit (429) → latency →
 * injected error (500/503) → body (422) → Idempotency-Key replay → the operation → persist →
 * fail-after-commit (500 or dropped connection).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import {
  ApiUserCreate,
  ApiUserPatch,
  Expand,
  GrantCreate,
  GrantPatch,
  SandboxFaults,
  type SandboxStats,
  TokenCreate,
} from "../../schema/api.js";
import type { FaultInjector } from "./faults.js";
import { HttpError, invalid, parseBody } from "./http-error.js";
import { fingerprint, type IfMatch, MAX_PAGE_LIMIT, parseIfMatch, type SandboxStore } from "./store.js";

export const API_PREFIX = "/api/v1";
export const HOOKS_PREFIX = "/__sandbox";

const dropped = new WeakSet<Response>();

/**
 * True for a response the server must not send: it destroys the connection instead (the
 * `fail_after_commit_mode: drop` fault). In-process callers see it as a 500.
 */
export function isDropResponse(res: Response): boolean {
  return dropped.has(res);
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

interface Ctx {
  url: URL;
  params: Record<string, string>;
  body: unknown;
  ifMatch: IfMatch | undefined;
}

interface Route {
  method: string;
  template: string;
  regex: RegExp;
  keys: string[];
  /** Sandbox hooks are not counted in stats and not subject to faults. */
  hook: boolean;
  body: "none" | "required" | "optional";
  run(ctx: Ctx): Reply | Promise<Reply>;
}

/** Set by the HTTP server (server.ts) on a request whose body was over its size limit. */
export const OVERSIZED_HEADER = "x-popdock-sandbox-oversized";

export interface AppOptions {
  apiKey: string;
  store: SandboxStore;
  faults: FaultInjector;
  /** Makes the store's current state durable; resolves when it is. */
  persist?: () => Promise<void>;
  now?: () => Date;
}

const sha256 = (s: string) => createHash("sha256").update(s).digest();

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Reply => ({
  status,
  body,
  headers,
});

/** A single object: carries `ETag: "<version>"`. */
const one = (status: number, obj: { version: number }, headers: Record<string, string> = {}): Reply =>
  json(status, obj, { etag: `"${obj.version}"`, ...headers });

function errorResponse(err: HttpError): Response {
  return new Response(JSON.stringify(err.body()), {
    status: err.status,
    headers: { "content-type": "application/json; charset=utf-8", ...err.headers },
  });
}

function toResponse(reply: Reply): Response {
  const headers = new Headers(reply.headers);
  if (reply.body === undefined) return new Response(null, { status: reply.status, headers });
  headers.set("content-type", "application/json; charset=utf-8");
  return new Response(JSON.stringify(reply.body), { status: reply.status, headers });
}

function parseExpand(url: URL): Expand[] {
  const out = new Set<Expand>();
  const raw = url.searchParams.getAll("expand").flatMap((v) => v.split(","));
  for (const item of raw.map((s) => s.trim()).filter((s) => s !== "")) {
    const parsed = Expand.safeParse(item);
    if (!parsed.success) {
      throw invalid("query parameter expand is invalid", [
        { path: "expand", message: `unknown expansion "${item}"; use grants, tokens or both` },
      ]);
    }
    out.add(parsed.data);
  }
  return [...out];
}

function parseLimit(url: URL): number | undefined {
  const raw = url.searchParams.get("limit");
  if (raw === null) return undefined;
  const n = /^\d{1,6}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(n >= 1 && n <= MAX_PAGE_LIMIT)) {
    throw invalid("query parameter limit is invalid", [
      { path: "limit", message: `limit must be an integer from 1 to ${MAX_PAGE_LIMIT}, got "${raw}"` },
    ]);
  }
  return n;
}

const ResetBody = z.strictObject({ data: z.boolean().optional() });

/** The sandbox application. */
export class SandboxApp {
  private readonly keyDigest: Buffer;
  private readonly keyScope: string;
  private readonly now: () => Date;
  private readonly routes: Route[];
  private stats!: SandboxStats;

  constructor(private readonly opts: AppOptions) {
    this.keyDigest = sha256(opts.apiKey);
    this.keyScope = this.keyDigest.toString("hex").slice(0, 16);
    this.now = opts.now ?? (() => new Date());
    this.routes = this.buildRoutes();
    this.resetStats();
  }

  // -------------------------------------------------------------- stats

  getStats(): SandboxStats {
    return structuredClone(this.stats);
  }

  resetStats(): void {
    this.stats = { since: this.now().toISOString(), total: 0, by_route: {}, by_status: {} };
  }

  private count(routeKey: string, status: number): void {
    this.stats.total += 1;
    this.stats.by_route[routeKey] = (this.stats.by_route[routeKey] ?? 0) + 1;
    const s = String(status);
    this.stats.by_status[s] = (this.stats.by_status[s] ?? 0) + 1;
  }

  // -------------------------------------------------------------- routes

  private buildRoutes(): Route[] {
    const { store, faults } = this.opts;
    const S = `${API_PREFIX}/security`;
    const U = `${S}/api-users/{userId}`;
    const routes: Omit<Route, "regex" | "keys">[] = [
      {
        method: "GET",
        template: `${S}/teams`,
        hook: false,
        body: "none",
        run: () => json(200, { data: store.teams() }),
      },
      {
        method: "GET",
        template: `${S}/roles`,
        hook: false,
        body: "none",
        run: () => json(200, { data: store.roles() }),
      },
      {
        method: "GET",
        template: `${S}/connectors`,
        hook: false,
        body: "none",
        run: () => json(200, { data: store.connectors() }),
      },
      {
        method: "GET",
        template: `${S}/api-users`,
        hook: false,
        body: "none",
        run: ({ url }) => {
          const limit = parseLimit(url);
          const expand = parseExpand(url);
          const cursor = url.searchParams.get("cursor");
          return json(
            200,
            store.listUsers({
              expand,
              ...(limit === undefined ? {} : { limit }),
              ...(cursor === null || cursor === "" ? {} : { cursor }),
            }),
          );
        },
      },
      {
        method: "POST",
        template: `${S}/api-users`,
        hook: false,
        body: "required",
        run: ({ body }) => {
          const user = store.createUser(parseBody(ApiUserCreate, body, "API user"));
          return one(201, user, { location: `${S}/api-users/${user.id}` });
        },
      },
      {
        method: "GET",
        template: U,
        hook: false,
        body: "none",
        run: ({ params, url }) => one(200, store.getUser(params.userId ?? "", parseExpand(url))),
      },
      {
        method: "PATCH",
        template: U,
        hook: false,
        body: "required",
        run: ({ params, body, ifMatch }) =>
          one(
            200,
            store.updateUser(params.userId ?? "", parseBody(ApiUserPatch, body, "API user patch"), ifMatch),
          ),
      },
      {
        method: "DELETE",
        template: U,
        hook: false,
        body: "none",
        run: ({ params, ifMatch }) => {
          store.deleteUser(params.userId ?? "", ifMatch);
          return { status: 204 };
        },
      },
      {
        method: "GET",
        template: `${U}/grants`,
        hook: false,
        body: "none",
        run: ({ params }) => json(200, { data: store.listGrants(params.userId ?? "") }),
      },
      {
        method: "POST",
        template: `${U}/grants`,
        hook: false,
        body: "required",
        run: ({ params, body }) => {
          const userId = params.userId ?? "";
          // 404 for a missing user comes before the body's 422.
          store.listGrants(userId);
          const grant = store.createGrant(userId, parseBody(GrantCreate, body, "grant"));
          return one(201, grant, { location: `${S}/api-users/${userId}/grants/${grant.id}` });
        },
      },
      {
        method: "PATCH",
        template: `${U}/grants/{grantId}`,
        hook: false,
        body: "required",
        run: ({ params, body, ifMatch }) =>
          one(
            200,
            store.updateGrant(
              params.userId ?? "",
              params.grantId ?? "",
              parseBody(GrantPatch, body, "grant patch"),
              ifMatch,
            ),
          ),
      },
      {
        method: "DELETE",
        template: `${U}/grants/{grantId}`,
        hook: false,
        body: "none",
        run: ({ params, ifMatch }) => {
          store.deleteGrant(params.userId ?? "", params.grantId ?? "", ifMatch);
          return { status: 204 };
        },
      },
      {
        method: "GET",
        template: `${U}/tokens`,
        hook: false,
        body: "none",
        run: ({ params }) => json(200, { data: store.listTokens(params.userId ?? "") }),
      },
      {
        method: "POST",
        template: `${U}/tokens`,
        hook: false,
        body: "required",
        run: ({ params, body }) => {
          const userId = params.userId ?? "";
          store.listTokens(userId);
          const token = store.createToken(userId, parseBody(TokenCreate, body, "token"));
          return one(201, token, {
            location: `${S}/api-users/${userId}/tokens/${token.id}`,
            "cache-control": "no-store",
          });
        },
      },
      {
        method: "GET",
        template: `${U}/tokens/{tokenId}`,
        hook: false,
        body: "none",
        run: ({ params }) =>
          one(200, store.getToken(params.userId ?? "", params.tokenId ?? ""), {
            "cache-control": "no-store",
          }),
      },
      {
        method: "DELETE",
        template: `${U}/tokens/{tokenId}`,
        hook: false,
        body: "none",
        run: ({ params, ifMatch }) => {
          store.deleteToken(params.userId ?? "", params.tokenId ?? "", ifMatch);
          return { status: 204 };
        },
      },
      // ------------------------------------------------------------ sandbox hooks
      {
        method: "GET",
        template: `${HOOKS_PREFIX}/stats`,
        hook: true,
        body: "none",
        run: () => json(200, this.getStats()),
      },
      {
        method: "POST",
        template: `${HOOKS_PREFIX}/reset`,
        hook: true,
        body: "optional",
        run: ({ url, body }) => {
          const opts = parseBody(ResetBody, body ?? {}, "reset options");
          const q = url.searchParams.get("data");
          const data = opts.data === true || q === "true" || q === "1";
          this.resetStats();
          if (data) store.resetData();
          return { status: 204 };
        },
      },
      {
        method: "GET",
        template: `${HOOKS_PREFIX}/faults`,
        hook: true,
        body: "none",
        run: () => json(200, faults.config),
      },
      {
        method: "PUT",
        template: `${HOOKS_PREFIX}/faults`,
        hook: true,
        body: "required",
        run: ({ body }) => json(200, faults.set(parseBody(SandboxFaults, body, "faults"))),
      },
    ];
    return routes.map((r) => {
      const keys: string[] = [];
      const pattern = r.template
        .split("/")
        .map((seg) => {
          const m = /^\{(\w+)\}$/.exec(seg);
          if (!m?.[1]) return seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
          keys.push(m[1]);
          return "([^/]+)";
        })
        .join("/");
      return { ...r, keys, regex: new RegExp(`^${pattern}$`) };
    });
  }

  /** The route template for a path, and the route for the method if there is one. */
  private match(
    method: string,
    path: string,
  ): { template?: string; route?: Route; params: Record<string, string>; allowed: string[] } {
    let template: string | undefined;
    const allowed: string[] = [];
    for (const r of this.routes) {
      const m = r.regex.exec(path);
      if (!m) continue;
      template = r.template;
      allowed.push(r.method);
      if (r.method !== method) continue;
      const params: Record<string, string> = {};
      try {
        r.keys.forEach((k, i) => {
          params[k] = decodeURIComponent(m[i + 1] ?? "");
        });
      } catch {
        return { params: {}, allowed: [] };
      }
      return { template, route: r, params, allowed };
    }
    return { ...(template === undefined ? {} : { template }), params: {}, allowed };
  }

  // -------------------------------------------------------------- handling

  private authorized(req: Request): HttpError | undefined {
    const header = req.headers.get("authorization");
    const challenge = { "www-authenticate": 'Bearer realm="popdock"' };
    if (!header) {
      return new HttpError(
        401,
        "unauthorized",
        "missing Authorization header; send `Authorization: Bearer <admin API key>`",
        undefined,
        challenge,
      );
    }
    const m = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (!m?.[1] || !timingSafeEqual(sha256(m[1].trim()), this.keyDigest)) {
      return new HttpError(
        401,
        "unauthorized",
        "the API key is not valid for this server",
        undefined,
        challenge,
      );
    }
    return undefined;
  }

  /** Answers one request. Never throws. */
  async handle(req: Request): Promise<Response> {
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      return errorResponse(new HttpError(404, "not_found", "malformed request URL"));
    }
    const method = req.method.toUpperCase();
    const counted = url.pathname === API_PREFIX || url.pathname.startsWith(`${API_PREFIX}/`);
    const { template, route, params, allowed } = this.match(method, url.pathname);
    let res: Response;
    try {
      res = await this.dispatch(req, url, method, route, params, allowed);
    } catch (err) {
      res =
        err instanceof HttpError
          ? errorResponse(err)
          : errorResponse(
              new HttpError(500, "internal", `sandbox failure: ${(err as Error)?.message ?? err}`),
            );
    }
    if (counted) this.count(`${method} ${template ?? "(unmatched)"}`, res.status);
    return res;
  }

  private async dispatch(
    req: Request,
    url: URL,
    method: string,
    route: Route | undefined,
    params: Record<string, string>,
    allowed: string[],
  ): Promise<Response> {
    const authError = this.authorized(req);
    if (authError) throw authError;
    // The HTTP server stops reading a body over its limit and says so here, so that the key is
    // checked first (401 before anything else, as the contract says).
    const oversized = req.headers.get(OVERSIZED_HEADER);
    if (oversized !== null) {
      throw new HttpError(413, "validation_failed", `request body exceeds ${oversized} bytes`);
    }
    if (!route) {
      if (allowed.length > 0) {
        throw new HttpError(
          405,
          "not_found",
          `${method} is not supported on ${url.pathname}; allowed: ${allowed.join(", ")}`,
          undefined,
          { allow: allowed.join(", ") },
        );
      }
      throw new HttpError(404, "not_found", `no such route: ${method} ${url.pathname}`);
    }
    const { store, faults } = this.opts;

    if (!route.hook) {
      const retryAfter = faults.rateLimit();
      if (retryAfter > 0) {
        throw new HttpError(
          429,
          "rate_limited",
          `rate limit of ${faults.config.rate_limit_rps} requests/s exceeded; retry after ${retryAfter}s`,
          undefined,
          { "retry-after": String(retryAfter) },
        );
      }
      if (faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs));
      const injected = faults.errorBeforeWork();
      if (injected === 500)
        throw new HttpError(500, "internal", "injected fault: internal error (nothing was done)");
      if (injected === 503) {
        throw new HttpError(
          503,
          "internal",
          "injected fault: service unavailable (nothing was done)",
          undefined,
          {
            "retry-after": "1",
          },
        );
      }
    }

    let body: unknown;
    if (route.body !== "none") {
      const text = await req.text();
      if (text.trim() === "") {
        if (route.body === "required") throw invalid("a JSON request body is required");
      } else {
        try {
          body = JSON.parse(text);
        } catch (err) {
          throw invalid("request body is not valid JSON", [{ message: (err as Error).message }]);
        }
      }
    }

    // Idempotency-Key on POST: replay the first successful response, or refuse a different body.
    const idemKey = method === "POST" && !route.hook ? req.headers.get("idempotency-key") : null;
    const scope = `${this.keyScope} ${method} ${url.pathname}`;
    const bodyPrint = idemKey === null ? "" : fingerprint(body ?? null);
    if (idemKey !== null) {
      if (idemKey.length < 1 || idemKey.length > 255) {
        throw invalid("Idempotency-Key is invalid", [
          { path: "Idempotency-Key", message: "must be 1 to 255 characters" },
        ]);
      }
      const prior = store.findIdempotent(scope, idemKey);
      if (prior) {
        if (prior.fingerprint !== bodyPrint) {
          throw invalid("Idempotency-Key was already used with a different request body", [
            {
              path: "Idempotency-Key",
              message: `key "${idemKey}" was first used with another body on ${url.pathname}; use a new key`,
            },
          ]);
        }
        const headers = new Headers(prior.headers);
        headers.set("idempotent-replayed", "true");
        return new Response(prior.body, { status: prior.status, headers });
      }
    }

    const before = store.revision;
    // No await between the idempotency look-up, the mutation and recording the key (routes that
    // mutate answer synchronously): a concurrent request with the same key sees either nothing
    // or the recorded answer, never a half-done create.
    const ran = route.run({ url, params, body, ifMatch: parseIfMatch(req.headers.get("if-match")) });
    const reply = ran instanceof Promise ? await ran : ran;
    const res = toResponse(reply);
    if (idemKey !== null && reply.status >= 200 && reply.status < 300) {
      // Same turn as the mutation: a retry arriving during the write below already replays.
      store.putIdempotent({
        scope,
        key: idemKey,
        fingerprint: bodyPrint,
        status: reply.status,
        headers: Object.fromEntries(res.headers),
        body: reply.body === undefined ? null : JSON.stringify(reply.body),
      });
    }
    const committed = store.revision !== before;
    if (committed && this.opts.persist) await this.opts.persist();

    if (committed && !route.hook && method !== "GET" && reply.status < 300) {
      const mode = faults.failAfterCommit();
      if (mode) {
        const failed = errorResponse(
          new HttpError(
            500,
            "internal",
            mode === "drop"
              ? "injected fault: connection dropped after the change was committed"
              : "injected fault: internal error after the change was committed",
          ),
        );
        if (mode === "drop") dropped.add(failed);
        return failed;
      }
    }
    return res;
  }
}
