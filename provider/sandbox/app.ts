/**
 * The sandbox's HTTP application over web-standard Request/Response: the routes table
 * (routes.ts) behind a chain of small middleware (middleware/), plus request statistics.
 * `handle()` never throws and never touches the network; server.ts adapts it to node:http.
 *
 * Order of checks on `/api/v1`: auth (401) → body read (413 too large, 408 too slow) → route
 * (404, 405 with Allow) → rate limit (429) → latency → injected error (500/503) → body parse
 * (415 not JSON Content-Type, 400 not JSON or too deep, 422 missing) → If-Match →
 * Idempotency-Key replay → parent (404) → query and body schemas (422) → the operation →
 * persist → fail-after-commit (500 or dropped connection). The data API (`/api/v2`) goes
 * through the same chain; only its auth differs (a token's Token ID, never the admin key).
 * Every response's `Date` header is the sandbox clock's (clock.ts).
 */
import type { SandboxStats } from "../../schema/api.js";
import type { FaultInjector } from "./faults.js";
import { HttpError } from "./http-error.js";
import { auth, isDataPath, keyDigest } from "./middleware/auth.js";
import { parseBodyStep, readBodyStep } from "./middleware/body.js";
import { commit, track } from "./middleware/commit.js";
import { ifMatch } from "./middleware/etag.js";
import { faultsBefore } from "./middleware/faults.js";
import { idempotency } from "./middleware/idempotency.js";
import { validate } from "./middleware/validate.js";
import {
  type Ctx,
  compose,
  type Middleware,
  newContext,
  type RequestMeta,
  thrownResponse,
} from "./pipeline.js";
import { DEFAULT_BODY_TIMEOUT_MS, MAX_BODY_BYTES } from "./read-body.js";
import { Router } from "./router.js";
import { API_PREFIX, sandboxRoutes } from "./routes.js";
import type { SandboxStore } from "./store.js";

export { isDropResponse } from "./middleware/commit.js";
export { API_PREFIX, HOOKS_PREFIX } from "./routes.js";

export interface AppOptions {
  apiKey: string;
  store: SandboxStore;
  faults: FaultInjector;
  /** Makes the store's current state durable; resolves when it is. */
  persist?: () => Promise<void>;
  /** Largest request body, in bytes; default MAX_BODY_BYTES (1 MiB). */
  maxBodyBytes?: number;
  /** How long a request body may take to arrive before a 408; default 10 s. */
  bodyTimeoutMs?: number;
}

/** 404 for an unknown path, 405 with `Allow` for a known path and another method. */
const routeFound: Middleware = (ctx, next) => {
  if (!ctx.route) {
    if (ctx.allowed.length > 0) {
      const allow = ctx.allowed.join(", ");
      throw new HttpError(
        405,
        "not_found",
        `${ctx.method} is not supported on ${ctx.url.pathname}; allowed: ${allow}`,
        undefined,
        { allow },
      );
    }
    throw new HttpError(404, "not_found", `no such route: ${ctx.method} ${ctx.url.pathname}`);
  }
  return next();
};

/** The sandbox application. */
export class SandboxApp {
  private readonly now: () => Date;
  private readonly router: Router;
  private readonly pipeline: (ctx: Ctx) => Promise<Response>;
  private stats!: SandboxStats;
  /** The body size and time limits, also applied by the HTTP server as it reads. */
  readonly bodyLimits: { maxBytes: number; timeoutMs: number };

  constructor(opts: AppOptions) {
    const { digest, scope } = keyDigest(opts.apiKey);
    this.now = () => opts.store.clock.now();
    this.router = new Router(
      sandboxRoutes({
        store: opts.store,
        faults: opts.faults,
        stats: { get: () => this.getStats(), reset: () => this.resetStats() },
      }),
    );
    const limits = {
      maxBytes: opts.maxBodyBytes ?? MAX_BODY_BYTES,
      timeoutMs: opts.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS,
    };
    this.bodyLimits = limits;
    this.pipeline = compose(
      [
        auth(digest, (secret) => opts.store.tokenBySecret(secret)),
        readBodyStep(limits),
        routeFound,
        faultsBefore(opts.faults),
        parseBodyStep,
        commit(opts.faults, opts.persist),
      ],
      [track(opts.store), ifMatch, idempotency(opts.store, scope), validate],
      (ctx) => {
        if (!ctx.route) throw new HttpError(500, "internal", "no route at the end of the pipeline");
        return ctx.route.run({
          url: ctx.url,
          params: ctx.params,
          input: ctx.input,
          query: ctx.query,
          ifMatch: ctx.ifMatch,
          caller: ctx.caller,
        });
      },
    );
    this.resetStats();
  }

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

  /**
   * Answers one request. Never throws. `meta` comes from the HTTP server: the method as sent
   * (TRACE cannot be a web Request's method) and the body as it was read.
   */
  async handle(req: Request, meta: RequestMeta = {}): Promise<Response> {
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      return thrownResponse(new HttpError(404, "not_found", "malformed request URL"));
    }
    const method = (meta.method ?? req.method).toUpperCase();
    const counted =
      url.pathname === API_PREFIX || url.pathname.startsWith(`${API_PREFIX}/`) || isDataPath(url.pathname);
    const { template, route: matched, params, allowed } = this.router.match(method, url.pathname);
    const ctx = newContext(req, url, method, meta, {
      ...(matched ? { route: matched } : {}),
      params,
      allowed,
    });
    let res: Response;
    try {
      res = await this.pipeline(ctx);
    } catch (err) {
      res = thrownResponse(err);
    }
    if (counted) this.count(`${method} ${template ?? "(unmatched)"}`, res.status);
    // The sandbox clock, not the host's, dates every answer (node:http keeps a Date it is given).
    res.headers.set("date", this.now().toUTCString());
    return res;
  }
}
