/**
 * `PopdockClient`: the Popdock security API over undici, and the only code in the project that
 * does network I/O.
 *
 * - One pooled, keep-alive undici `Agent` per client (or a dispatcher the caller owns), the
 *   `request` API, a connect/headers/body timeout on every attempt.
 * - `Authorization: Bearer <key>` on every call; JSON bodies; every response validated with the
 *   zod schemas of `schema/api.ts`.
 * - Retries with full-jitter exponential backoff and `Retry-After`, bounded in attempts and in
 *   time per logical operation, only where a repeat is safe (see `retry.ts`). Every POST carries
 *   an `Idempotency-Key`, the same on each attempt.
 * - Failures are `PopdockApiError` subclasses (errors.ts); messages and debug lines go through
 *   `redact()`, so neither the API key nor a `token_id` ever appears in them.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleepFor } from "node:timers/promises";
import { Agent, type Dispatcher } from "undici";
import type { z } from "zod";
import {
  ApiUser,
  type ApiUserCreate,
  ApiUserPage,
  type ApiUserPatch,
  type Connector,
  ConnectorList,
  ErrorBody,
  type Expand,
  Grant,
  type GrantCreate,
  GrantList,
  type GrantPatch,
  type Role,
  RoleList,
  type Team,
  TeamList,
  Token,
  TokenList,
  type TokenMeta,
} from "../../schema/api.js";
import { UsageError } from "../model/errors.js";
import { API_BASE_PATH, parseEndpoint } from "./endpoint.js";
import {
  type ApiErrorInfo,
  PopdockAbortedError,
  PopdockApiError,
  PopdockConflictError,
  PopdockForbiddenError,
  PopdockInvalidResponseError,
  PopdockNotFoundError,
  PopdockPreconditionFailedError,
  PopdockRateLimitedError,
  PopdockTimeoutError,
  PopdockUnauthorizedError,
  PopdockUnavailableError,
  PopdockValidationError,
} from "./errors.js";
import { formatHeaders, redact } from "./redact.js";
import {
  backoffDelayMs,
  classifyNetworkError,
  DEFAULT_RETRY_POLICY,
  isRetrySafe,
  type NetworkFailure,
  parseRetryAfterMs,
  RETRYABLE_STATUSES,
  type RetryPolicy,
} from "./retry.js";
import type { ListOptions, MutationOptions, PopdockApi, RequestStats } from "./types.js";

/** Per-attempt deadlines, in milliseconds. */
/** Most pages `listAllApiUsers` walks (at up to 500 users a page: 5 million users). */
const MAX_PAGES = 10_000;

export interface ClientTimeouts {
  /** TCP + TLS connect. Default 10 s. */
  connectMs?: number | undefined;
  /** From sending the request to the end of the response headers. Default 30 s. */
  headersMs?: number | undefined;
  /** Longest pause between two chunks of the response body. Default 30 s. */
  bodyMs?: number | undefined;
}

type ResolvedTimeouts = { readonly [K in keyof ClientTimeouts]-?: number };

export const DEFAULT_TIMEOUTS: ResolvedTimeouts = Object.freeze({
  connectMs: 10_000,
  headersMs: 30_000,
  bodyMs: 30_000,
});

export interface PopdockClientOptions {
  /**
   * `https://host[:port][/prefix]`; plain `http://` only for loopback (localhost, 127.0.0.0/8,
   * ::1). Trailing slashes are stripped; the client appends `/api/v1/security/...`.
   */
  endpoint: string;
  /** Sent as `Authorization: Bearer <apiKey>`. Never logged, never in an error message. */
  apiKey: string;
  timeouts?: ClientTimeouts | undefined;
  /** Overrides of `DEFAULT_RETRY_POLICY`. `{ maxAttempts: 1 }` turns retries off. */
  retry?: Partial<RetryPolicy> | undefined;
  /** Most concurrent connections to the endpoint. Default 8. */
  connections?: number | undefined;
  /** Idle keep-alive connections are closed after this long. Default 10 s. */
  keepAliveTimeoutMs?: number | undefined;
  /**
   * An undici dispatcher to send through instead of the client's own `Agent` (a proxy agent, a
   * mock). The caller owns it: `close()` leaves it open.
   */
  dispatcher?: Dispatcher | undefined;
  /** Default `popdock-iac`. */
  userAgent?: string | undefined;
  /**
   * Log every attempt (method, path, status, duration, attempt number, redacted headers and
   * bodies) and every retry decision to `log`. The CLI sets it from `POPDOCK_LOG=debug`
   * (see `debugFromEnv`); the client itself never reads the environment.
   */
  debug?: boolean | undefined;
  /** Where debug lines go. Default: nowhere. Each line is already redacted. */
  log?: ((line: string) => void) | undefined;
  /** Uniform in [0, 1), for backoff jitter. Default `Math.random`. For tests. */
  random?: (() => number) | undefined;
  /** Waits between attempts. Default `timers/promises` setTimeout. For tests. */
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
  /** Milliseconds since the epoch, for durations, budgets and `Retry-After` dates. Default `Date.now`. */
  now?: (() => number) | undefined;
  /** Makes an `Idempotency-Key` for a POST that has none. Default `crypto.randomUUID`. */
  idempotencyKey?: (() => string) | undefined;
}

/** `POPDOCK_LOG=debug` turns on the client's debug log. For the CLI, which owns the environment. */
export function debugFromEnv(env: Readonly<Record<string, string | undefined>>): boolean {
  return env.POPDOCK_LOG?.toLowerCase() === "debug";
}

type Method = "GET" | "POST" | "PATCH" | "DELETE";

/** One logical request: one method call, or one page of a list. */
interface Call<T> {
  /** The client method, for messages: `listApiUsersPage`. */
  operation: string;
  method: Method;
  /** Route template under the base path: `/api-users/{userId}/tokens`. */
  route: string;
  params?: Record<string, string>;
  query?: string;
  body?: unknown;
  /** Schema of a 2xx body; absent when none is expected (DELETE → 204). */
  schema?: z.ZodType<T>;
  idempotencyKey?: string | undefined;
  ifMatchVersion?: number | undefined;
  signal?: AbortSignal | undefined;
}

/** The last thing that went wrong on an attempt that was followed by another. */
type Failure =
  | { kind: "status"; status: number; error: ErrorBody["error"] | undefined; requestId: string | undefined }
  | { kind: "network"; failure: NetworkFailure; cause: unknown };

const MAX_LOGGED_BODY = 2_000;

/** Implements `PopdockApi` over undici. See the module header for the behaviour. */
export class PopdockClient implements PopdockApi {
  readonly endpoint: string;
  readonly #origin: string;
  readonly #prefix: string;
  readonly #apiKey: string;
  /** Literals masked in every message and debug line: the API key, and each token_id seen. */
  readonly #secrets: string[];
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #timeouts: ResolvedTimeouts;
  readonly #policy: Readonly<RetryPolicy>;
  readonly #userAgent: string;
  readonly #log: ((line: string) => void) | undefined;
  readonly #random: () => number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #now: () => number;
  readonly #newIdempotencyKey: () => string;
  #stats: RequestStats = { byRoute: {}, attempts: 0, retries: 0 };
  #closed = false;

  /**
   * Throws `PopdockInsecureEndpointError` for plain http to a non-loopback host and `UsageError`
   * for an endpoint that is not an http(s) URL or an empty API key. Opens no connection yet.
   */
  constructor(options: PopdockClientOptions) {
    const parsed = parseEndpoint(options.endpoint);
    if (options.apiKey.trim() === "") {
      throw new UsageError("no Popdock API key was given", {
        hint: "set POPDOCK_API_KEY to the API key of a Popdock API user with security admin rights",
      });
    }
    this.endpoint = parsed.endpoint;
    this.#origin = parsed.origin;
    this.#prefix = parsed.prefix;
    this.#apiKey = options.apiKey;
    this.#secrets = [options.apiKey];
    this.#timeouts = {
      connectMs: options.timeouts?.connectMs ?? DEFAULT_TIMEOUTS.connectMs,
      headersMs: options.timeouts?.headersMs ?? DEFAULT_TIMEOUTS.headersMs,
      bodyMs: options.timeouts?.bodyMs ?? DEFAULT_TIMEOUTS.bodyMs,
    };
    const retry = options.retry ?? {};
    this.#policy = {
      maxAttempts: Math.max(1, Math.floor(retry.maxAttempts ?? DEFAULT_RETRY_POLICY.maxAttempts)),
      baseDelayMs: retry.baseDelayMs ?? DEFAULT_RETRY_POLICY.baseDelayMs,
      maxDelayMs: retry.maxDelayMs ?? DEFAULT_RETRY_POLICY.maxDelayMs,
      maxRetryAfterMs: retry.maxRetryAfterMs ?? DEFAULT_RETRY_POLICY.maxRetryAfterMs,
      budgetMs: retry.budgetMs ?? DEFAULT_RETRY_POLICY.budgetMs,
    };
    if (options.dispatcher !== undefined) {
      this.#dispatcher = options.dispatcher;
      this.#ownsDispatcher = false;
    } else {
      this.#dispatcher = new Agent({
        connections: options.connections ?? 8,
        keepAliveTimeout: options.keepAliveTimeoutMs ?? 10_000,
        connect: { timeout: this.#timeouts.connectMs },
        headersTimeout: this.#timeouts.headersMs,
        bodyTimeout: this.#timeouts.bodyMs,
      });
      this.#ownsDispatcher = true;
    }
    this.#userAgent = options.userAgent ?? "popdock-iac";
    this.#log = options.debug === true ? options.log : undefined;
    this.#random = options.random ?? Math.random;
    this.#sleep = options.sleep ?? ((ms, signal) => sleepFor(ms, undefined, signal ? { signal } : {}));
    this.#now = options.now ?? Date.now;
    this.#newIdempotencyKey = options.idempotencyKey ?? randomUUID;
  }

  // ------------------------------------------------------------------ reference data

  async listTeams(opts: { signal?: AbortSignal } = {}): Promise<Team[]> {
    const res = await this.#call({
      operation: "listTeams",
      method: "GET",
      route: "/teams",
      schema: TeamList,
      signal: opts.signal,
    });
    return res.data;
  }

  async listRoles(opts: { signal?: AbortSignal } = {}): Promise<Role[]> {
    const res = await this.#call({
      operation: "listRoles",
      method: "GET",
      route: "/roles",
      schema: RoleList,
      signal: opts.signal,
    });
    return res.data;
  }

  async listConnectors(opts: { signal?: AbortSignal } = {}): Promise<Connector[]> {
    const res = await this.#call({
      operation: "listConnectors",
      method: "GET",
      route: "/connectors",
      schema: ConnectorList,
      signal: opts.signal,
    });
    return res.data;
  }

  // ------------------------------------------------------------------ API users

  /** One page of API users; `next_cursor` is null on the last page. */
  listApiUsersPage(opts: ListOptions & { cursor?: string } = {}): Promise<ApiUserPage> {
    return this.#call({
      operation: "listApiUsersPage",
      method: "GET",
      route: "/api-users",
      query: buildQuery({ limit: opts.limit, cursor: opts.cursor, expand: opts.expand }),
      schema: ApiUserPage,
      signal: opts.signal,
    });
  }

  /**
   * Every API user, walking `next_cursor` until it is null. Each page is one logical request with
   * its own retries and time budget. A server that hands back a cursor it already gave fails with
   * `PopdockInvalidResponseError` instead of looping forever.
   */
  async listAllApiUsers(opts: ListOptions = {}): Promise<ApiUser[]> {
    const all: ApiUser[] = [];
    const seen = new Set<string>();
    let cursor: string | undefined;
    for (let page = 1; ; page++) {
      const res = await this.listApiUsersPage(cursor === undefined ? opts : { ...opts, cursor });
      all.push(...res.data);
      if (res.next_cursor === null) return all;
      const broken =
        seen.has(res.next_cursor) || res.next_cursor === cursor
          ? "returned a next_cursor that an earlier page already returned"
          : res.data.length === 0
            ? "was empty but still returned a next_cursor"
            : page >= MAX_PAGES
              ? `still had a next_cursor after ${MAX_PAGES} pages`
              : undefined;
      if (broken !== undefined) {
        const path = `${this.#prefix}${API_BASE_PATH}/api-users`;
        throw new PopdockInvalidResponseError(
          `invalid response to GET ${path} (listAllApiUsers): page ${page} ${broken}; stopped instead of looping forever`,
          { method: "GET", path, status: 200 },
          { hint: "the Popdock server's pagination is broken; report it to the Popdock administrators" },
        );
      }
      seen.add(res.next_cursor);
      cursor = res.next_cursor;
    }
  }

  getApiUser(userId: string, opts: { signal?: AbortSignal } = {}): Promise<ApiUser> {
    return this.#call({
      operation: "getApiUser",
      method: "GET",
      route: "/api-users/{userId}",
      params: { userId },
      schema: ApiUser,
      signal: opts.signal,
    });
  }

  createApiUser(body: ApiUserCreate, opts: MutationOptions = {}): Promise<ApiUser> {
    return this.#call({
      operation: "createApiUser",
      method: "POST",
      route: "/api-users",
      body,
      schema: ApiUser,
      ...mutation(opts),
    });
  }

  /**
   * With `ifMatchVersion`, a PATCH whose response was lost is sent again; if that replay gets 412,
   * the user is read back and returned when it is at exactly `ifMatchVersion + 1` with every
   * patched field as asked (our first attempt applied); otherwise the 412 stands.
   */
  async updateApiUser(userId: string, body: ApiUserPatch, opts: MutationOptions = {}): Promise<ApiUser> {
    try {
      return await this.#call({
        operation: "updateApiUser",
        method: "PATCH",
        route: "/api-users/{userId}",
        params: { userId },
        body,
        schema: ApiUser,
        ...mutation(opts),
      });
    } catch (err) {
      return this.#recoverLostPatch(err, body, opts, () => this.getApiUser(userId, signalOf(opts)));
    }
  }

  async deleteApiUser(userId: string, opts: MutationOptions = {}): Promise<void> {
    await this.#call({
      operation: "deleteApiUser",
      method: "DELETE",
      route: "/api-users/{userId}",
      params: { userId },
      ...mutation(opts),
    });
  }

  // ------------------------------------------------------------------ grants

  async listGrants(userId: string, opts: { signal?: AbortSignal } = {}): Promise<Grant[]> {
    const res = await this.#call({
      operation: "listGrants",
      method: "GET",
      route: "/api-users/{userId}/grants",
      params: { userId },
      schema: GrantList,
      signal: opts.signal,
    });
    return res.data;
  }

  createGrant(userId: string, body: GrantCreate, opts: MutationOptions = {}): Promise<Grant> {
    return this.#call({
      operation: "createGrant",
      method: "POST",
      route: "/api-users/{userId}/grants",
      params: { userId },
      body,
      schema: Grant,
      ...mutation(opts),
    });
  }

  /** A replayed PATCH that gets 412 is checked against a re-read, as for `updateApiUser`. */
  async updateGrant(
    userId: string,
    grantId: string,
    body: GrantPatch,
    opts: MutationOptions = {},
  ): Promise<Grant> {
    try {
      return await this.#call({
        operation: "updateGrant",
        method: "PATCH",
        route: "/api-users/{userId}/grants/{grantId}",
        params: { userId, grantId },
        body,
        schema: Grant,
        ...mutation(opts),
      });
    } catch (err) {
      return this.#recoverLostPatch(err, body, opts, async () => {
        const grants = await this.listGrants(userId, signalOf(opts));
        return grants.find((g) => g.id === grantId);
      });
    }
  }

  async deleteGrant(userId: string, grantId: string, opts: MutationOptions = {}): Promise<void> {
    await this.#call({
      operation: "deleteGrant",
      method: "DELETE",
      route: "/api-users/{userId}/grants/{grantId}",
      params: { userId, grantId },
      ...mutation(opts),
    });
  }

  // ------------------------------------------------------------------ tokens

  async listTokens(userId: string, opts: { signal?: AbortSignal } = {}): Promise<TokenMeta[]> {
    const res = await this.#call({
      operation: "listTokens",
      method: "GET",
      route: "/api-users/{userId}/tokens",
      params: { userId },
      schema: TokenList,
      signal: opts.signal,
    });
    return res.data;
  }

  /** Returns the full token, including the `token_id` credential. Retries replay the same token. */
  createToken(userId: string, body: { name: string }, opts: MutationOptions = {}): Promise<Token> {
    return this.#call({
      operation: "createToken",
      method: "POST",
      route: "/api-users/{userId}/tokens",
      params: { userId },
      body,
      schema: Token,
      ...mutation(opts),
    });
  }

  /** Returns the full token, including the `token_id` credential. */
  getToken(userId: string, tokenId: string, opts: { signal?: AbortSignal } = {}): Promise<Token> {
    return this.#call({
      operation: "getToken",
      method: "GET",
      route: "/api-users/{userId}/tokens/{tokenId}",
      params: { userId, tokenId },
      schema: Token,
      signal: opts.signal,
    });
  }

  async deleteToken(userId: string, tokenId: string, opts: MutationOptions = {}): Promise<void> {
    await this.#call({
      operation: "deleteToken",
      method: "DELETE",
      route: "/api-users/{userId}/tokens/{tokenId}",
      params: { userId, tokenId },
      ...mutation(opts),
    });
  }

  /**
   * After a 412 to a PATCH replayed because its first response was lost: when the object now sits
   * at exactly `ifMatchVersion + 1` with every patched field as asked, that first attempt is what
   * changed it (or a change to the very same values did), so the PATCH succeeded. Anything else
   * rethrows the original error.
   */
  async #recoverLostPatch<T extends { version: number }>(
    err: unknown,
    body: Readonly<Record<string, unknown>>,
    opts: MutationOptions,
    reread: () => Promise<T | undefined>,
  ): Promise<T> {
    if (!(err instanceof PopdockPreconditionFailedError) || !err.afterUnknownOutcome) throw err;
    if (opts.ifMatchVersion === undefined) throw err;
    let current: T | undefined;
    try {
      current = await reread();
    } catch {
      throw err;
    }
    if (current === undefined || current.version !== opts.ifMatchVersion + 1) throw err;
    const fields = current as unknown as Record<string, unknown>;
    for (const [key, want] of Object.entries(body)) {
      if (want !== undefined && !sameValue(fields[key], want)) throw err;
    }
    this.#debug(
      `  ${err.where}: 412 on a replay after a lost response, but the object holds our change: applied`,
    );
    return current;
  }

  // ------------------------------------------------------------------ lifecycle

  /** A copy of the counters: logical requests by `METHOD /route/template`, attempts, retries. */
  stats(): RequestStats {
    return {
      byRoute: { ...this.#stats.byRoute },
      attempts: this.#stats.attempts,
      retries: this.#stats.retries,
    };
  }

  /** Zeroes the counters (e.g. between the refresh and the apply of one run). */
  resetStats(): void {
    this.#stats = { byRoute: {}, attempts: 0, retries: 0 };
  }

  /** Closes the client's own connections, letting in-flight requests finish. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }

  // ------------------------------------------------------------------ the engine room

  async #call<T>(call: Call<T>): Promise<T> {
    if (this.#closed) {
      throw new UsageError(`PopdockClient.${call.operation} called after close()`, {
        hint: "create a new PopdockClient",
      });
    }
    const method = call.method;
    const routePath = `${this.#prefix}${API_BASE_PATH}${fillRoute(call.route, call.params ?? {})}`;
    const requestPath = routePath + (call.query ?? "");
    const routeKey = `${method} ${API_BASE_PATH}${call.route}`;
    this.#stats.byRoute[routeKey] = (this.#stats.byRoute[routeKey] ?? 0) + 1;

    const headers: Record<string, string> = {
      authorization: `Bearer ${this.#apiKey}`,
      accept: "application/json",
      "user-agent": this.#userAgent,
    };
    let body: string | undefined;
    if (call.body !== undefined) {
      body = JSON.stringify(call.body);
      headers["content-type"] = "application/json";
    }
    let idempotencyKey: string | undefined;
    if (method === "POST") {
      idempotencyKey = call.idempotencyKey ?? this.#newIdempotencyKey();
      headers["idempotency-key"] = idempotencyKey;
    }
    let ifMatch: string | undefined;
    if ((method === "PATCH" || method === "DELETE") && call.ifMatchVersion !== undefined) {
      ifMatch = `"${call.ifMatchVersion}"`;
      headers["if-match"] = ifMatch;
    }
    const retrySafe = isRetrySafe(method, {
      ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
      ...(ifMatch !== undefined ? { ifMatch } : {}),
    });

    // One signal for the whole operation: the caller's, or the time budget running out.
    const op = new AbortController();
    const budgetTimer = setTimeout(() => {
      op.abort(new Error("time budget spent"));
    }, this.#policy.budgetMs);
    budgetTimer.unref();
    const callerSignal = call.signal;
    const onCallerAbort = (): void => op.abort(callerSignal?.reason);
    if (callerSignal?.aborted) op.abort(callerSignal.reason);
    else callerSignal?.addEventListener("abort", onCallerAbort, { once: true });

    const start = this.#now();
    const where = `${method} ${routePath}`;
    let unknownOutcome = false;
    let last: Failure | undefined;
    const info = (attempts: number, extra: Partial<ApiErrorInfo> = {}): ApiErrorInfo => ({
      method,
      path: routePath,
      attempts,
      elapsedMs: this.#now() - start,
      afterUnknownOutcome: unknownOutcome,
      ...extra,
    });
    const stopped = (attempts: number): PopdockApiError => {
      if (callerSignal?.aborted) {
        return new PopdockAbortedError(
          `${where} was aborted by the caller (after ${plural(attempts, "attempt")})`,
          info(attempts),
          {
            cause: callerSignal.reason,
          },
        );
      }
      return this.#budgetError(where, last, info(attempts));
    };

    try {
      for (let attempt = 1; ; attempt++) {
        if (op.signal.aborted) throw stopped(attempt - 1);
        this.#stats.attempts++;
        if (attempt > 1) this.#stats.retries++;
        const tag = `attempt ${attempt}/${this.#policy.maxAttempts}`;
        this.#debug(
          `→ ${method} ${requestPath} ${tag} | ${formatHeaders(headers, this.#secrets)}${body === undefined ? "" : ` | body ${this.#clip(body)}`}`,
        );
        const t0 = this.#now();

        let status: number;
        let resHeaders: Record<string, string | string[] | undefined>;
        let text: string;
        try {
          const res = await this.#dispatcher.request({
            origin: this.#origin,
            path: requestPath,
            method,
            headers,
            body: body ?? null,
            signal: op.signal,
            headersTimeout: this.#timeouts.headersMs,
            bodyTimeout: this.#timeouts.bodyMs,
            idempotent: retrySafe,
          });
          status = res.statusCode;
          resHeaders = res.headers;
          text = await res.body.text();
        } catch (err) {
          if (op.signal.aborted) throw stopped(attempt);
          const failure = classifyNetworkError(err);
          this.#debug(`✗ ${method} ${requestPath} ${failure.code} after ${this.#now() - t0}ms ${tag}`);
          last = { kind: "network", failure, cause: err };
          if (failure.maybeSent) unknownOutcome = true;
          const canRetry = failure.retryable && (retrySafe || !failure.maybeSent);
          if (!canRetry || attempt >= this.#policy.maxAttempts) {
            throw this.#networkError(where, failure, err, info(attempt), failure.retryable && !canRetry);
          }
          await this.#pause(
            backoffDelayMs(attempt, this.#policy, this.#random),
            failure.code,
            start,
            op.signal,
            () => this.#networkError(where, failure, err, info(attempt), false),
          );
          continue;
        }

        const requestId = header(resHeaders, "x-request-id") ?? header(resHeaders, "request-id");
        this.#debug(
          `← ${method} ${requestPath} ${status} in ${this.#now() - t0}ms ${tag}${requestId ? ` request-id ${requestId}` : ""}${text === "" ? "" : ` | body ${this.#clip(text)}`}`,
        );

        if (status >= 200 && status < 300) {
          if (call.schema === undefined) return undefined as T;
          return this.#validate(call, where, status, text, info(attempt, { status, requestId }));
        }
        if (status === 404 && method === "DELETE" && unknownOutcome) {
          // An earlier attempt was sent but its answer was lost; the object is gone now, so that
          // attempt (or someone else) deleted it. Either way the caller's goal holds.
          this.#debug(
            `  ${method} ${requestPath} 404 after an attempt with unknown outcome: treated as deleted`,
          );
          return undefined as T;
        }
        const error = parseErrorBody(text);
        const canRetry = RETRYABLE_STATUSES.has(status) && (status === 429 || retrySafe);
        if (!canRetry || attempt >= this.#policy.maxAttempts) {
          throw this.#statusError(where, status, error, info(attempt, { status, requestId }), canRetry);
        }
        last = { kind: "status", status, error, requestId };
        if (status >= 500) unknownOutcome = true;
        const retryAfter = parseRetryAfterMs(header(resHeaders, "retry-after"), this.#now());
        const wait =
          retryAfter !== undefined
            ? Math.min(retryAfter, this.#policy.maxRetryAfterMs)
            : backoffDelayMs(attempt, this.#policy, this.#random);
        await this.#pause(wait, String(status), start, op.signal, () =>
          this.#statusError(where, status, error, info(attempt, { status, requestId }), true),
        );
      }
    } finally {
      clearTimeout(budgetTimer);
      callerSignal?.removeEventListener("abort", onCallerAbort);
    }
  }

  /** Waits before the next attempt, or throws `giveUp()` when the wait would overrun the budget. */
  async #pause(
    ms: number,
    reason: string,
    start: number,
    signal: AbortSignal,
    giveUp: () => PopdockApiError,
  ): Promise<void> {
    if (this.#now() - start + ms > this.#policy.budgetMs) {
      this.#debug(
        `  not retrying after ${reason}: waiting ${ms}ms would overrun the ${seconds(this.#policy.budgetMs)} time budget`,
      );
      throw giveUp();
    }
    this.#debug(`  retrying after ${reason} in ${ms}ms`);
    try {
      await this.#sleep(ms, signal);
    } catch {
      // Aborted while waiting: the loop reports why at the top of the next attempt.
    }
  }

  #validate<T>(call: Call<T>, where: string, status: number, text: string, info: ApiErrorInfo): T {
    const schema = call.schema as z.ZodType<T>;
    const context = `invalid response to ${where} (${call.operation}): ${status}`;
    const hint =
      "the server at this endpoint does not answer as the Popdock security API v1 does; check the endpoint, and the Popdock version";
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      // The parser's message quotes the body, which may hold a token_id: say only what and where.
      const what =
        text.trim() === "" ? "an empty body" : `a body that is not JSON (${text.length} characters)`;
      throw new PopdockInvalidResponseError(`${context} with ${what}`, info, { hint });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues;
      const shown = issues
        .slice(0, 3)
        .map((i) => `${formatPath(i.path) || "(root)"}: ${i.message}`)
        .join("; ");
      const more = issues.length > 3 ? `; and ${issues.length - 3} more` : "";
      throw new PopdockInvalidResponseError(
        redact(`${context} with an unexpected shape: ${shown}${more}`, this.#secrets),
        info,
        {
          hint,
          cause: parsed.error,
        },
      );
    }
    const data: unknown = parsed.data;
    if (
      typeof data === "object" &&
      data !== null &&
      "token_id" in data &&
      typeof data.token_id === "string"
    ) {
      if (!this.#secrets.includes(data.token_id)) this.#secrets.push(data.token_id);
    }
    return parsed.data;
  }

  #statusError(
    where: string,
    status: number,
    error: ErrorBody["error"] | undefined,
    base: ApiErrorInfo,
    retried: boolean,
  ): PopdockApiError {
    const serverMessage = error === undefined ? undefined : redact(error.message, this.#secrets);
    const details = error?.details?.map((d) => ({ ...d, message: redact(d.message, this.#secrets) }));
    const info: ApiErrorInfo = { ...base, serverCode: error?.code, serverMessage, details };
    const said = serverMessage === undefined ? "" : `: ${serverMessage}`;
    const tries =
      retried && (base.attempts ?? 1) > 1
        ? ` after ${plural(base.attempts ?? 1, "attempt")} over ${seconds(base.elapsedMs ?? 0)}`
        : "";
    const reqId = base.requestId === undefined ? "" : ` (request id ${base.requestId})`;
    const unknownNote = base.afterUnknownOutcome
      ? "; an earlier attempt's outcome was unknown (its response was lost), so the change may already have been applied"
      : "";
    switch (status) {
      case 400:
      case 422: {
        const list = (details ?? []).map((d) => (d.path ? `${d.path}: ${d.message}` : d.message)).join("; ");
        return new PopdockValidationError(
          `Popdock rejected the request ${where} (${status})${said}${list === "" ? "" : ` [${list}]`}`,
          info,
          { hint: "fix the configuration the request was built from, then re-run plan" },
        );
      }
      case 401:
        return new PopdockUnauthorizedError(`Popdock rejected the API key (401 on ${where})${said}`, info, {
          hint: "set POPDOCK_API_KEY to a valid API key for this endpoint (it may have been revoked or mistyped)",
        });
      case 403:
        return new PopdockForbiddenError(`the API key may not ${where} (403)${said}`, info, {
          hint: "use the API key of an API user allowed to manage security (API users, grants and tokens)",
        });
      case 404:
        return new PopdockNotFoundError(`${where}: not found (404)${said}`, info, {
          hint: "it may have been deleted outside popdock; re-run plan to refresh what exists",
        });
      case 409:
        return new PopdockConflictError(`${where}: conflict (409)${said}${unknownNote}`, info, {
          hint: "the request clashes with what exists now (a duplicate name?); re-run plan",
        });
      case 412:
        return new PopdockPreconditionFailedError(
          `${where}: the object changed since it was read (412, If-Match did not match)${said}${unknownNote}`,
          info,
          { hint: "someone changed it since the plan was made; re-run plan and review the new changes" },
        );
      case 429:
        return new PopdockRateLimitedError(
          `${where}: still rate limited by Popdock (429)${tries}${reqId}`,
          info,
          {
            hint: "lower the concurrency, or wait a minute and run again",
          },
        );
      default:
        if (status >= 500) {
          return new PopdockUnavailableError(
            `${where}: Popdock answered ${status}${said}${tries}${reqId}${unknownNote}`,
            info,
            {
              hint: "Popdock is failing or overloaded; try again later, and quote the request id to its administrators",
            },
          );
        }
        return new PopdockApiError(`${where}: unexpected status ${status}${said}${reqId}`, info, {
          hint: "check that the endpoint points at the Popdock API",
        });
    }
  }

  #networkError(
    where: string,
    failure: NetworkFailure,
    cause: unknown,
    info: ApiErrorInfo,
    declinedAsUnsafe: boolean,
  ): PopdockApiError {
    const attempts = info.attempts ?? 1;
    const tries = `${plural(attempts, "attempt")} over ${seconds(info.elapsedMs ?? 0)}`;
    const unsent = declinedAsUnsafe
      ? "; not retried, since repeating it without If-Match could apply it twice; its outcome is unknown, so re-run plan to see"
      : "";
    if (failure.timeout) {
      return new PopdockTimeoutError(
        `${where}: no response from ${this.#origin} in time (${describeCode(failure.code)}) after ${tries}${unsent}`,
        info,
        { cause, hint: "check that Popdock is up and reachable, or raise the timeouts; then re-run" },
      );
    }
    return new PopdockUnavailableError(
      `${where}: could not reach Popdock at ${this.#origin} (${describeCode(failure.code)}) after ${tries}${unsent}`,
      info,
      { cause, hint: "check the endpoint and that Popdock is up and reachable; then re-run" },
    );
  }

  /** The error for an operation stopped by its time budget, naming the last failure seen. */
  #budgetError(where: string, last: Failure | undefined, info: ApiErrorInfo): PopdockApiError {
    const lastSaid =
      last === undefined
        ? ""
        : last.kind === "status"
          ? `; the last attempt got ${last.status}`
          : `; the last attempt failed with ${describeCode(last.failure.code)}`;
    return new PopdockTimeoutError(
      `${where}: gave up after ${plural(info.attempts ?? 0, "attempt")} over ${seconds(info.elapsedMs ?? 0)}, the time budget of one request (${seconds(this.#policy.budgetMs)})${lastSaid}`,
      info,
      { hint: "check that Popdock is up and not overloaded, or raise the retry budget; then re-run" },
    );
  }

  #debug(line: string): void {
    if (this.#log !== undefined) this.#log(`popdock-client ${redact(line, this.#secrets)}`);
  }

  /** Redacts then shortens a body for a debug line (in that order, so a cut never exposes a secret). */
  #clip(text: string): string {
    const safe = redact(text, this.#secrets);
    return safe.length > MAX_LOGGED_BODY ? `${safe.slice(0, MAX_LOGGED_BODY)}…(${safe.length} chars)` : safe;
  }
}

// ------------------------------------------------------------------ helpers

function mutation(
  opts: MutationOptions,
): Pick<Call<unknown>, "idempotencyKey" | "ifMatchVersion" | "signal"> {
  return { idempotencyKey: opts.idempotencyKey, ifMatchVersion: opts.ifMatchVersion, signal: opts.signal };
}

function signalOf(opts: MutationOptions): { signal?: AbortSignal } {
  return opts.signal === undefined ? {} : { signal: opts.signal };
}

/** Equality of patched values: strings (the server trims names), and arrays of strings in order. */
function sameValue(have: unknown, want: unknown): boolean {
  if (typeof want === "string") return have === want || have === want.trim();
  if (Array.isArray(want)) {
    return Array.isArray(have) && have.length === want.length && want.every((w, i) => have[i] === w);
  }
  return have === want;
}

function fillRoute(route: string, params: Record<string, string>): string {
  return route.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined || value === "") {
      throw new UsageError(`PopdockClient: ${name} is empty for ${route}`, {
        hint: "this is a bug in the caller: pass the id of an existing object",
      });
    }
    return encodeURIComponent(value);
  });
}

/** `?limit=50&cursor=...&expand=grants,tokens` (commas kept literal), or `""`. */
function buildQuery(q: {
  limit?: number | undefined;
  cursor?: string | undefined;
  expand?: readonly Expand[] | undefined;
}): string {
  const parts: string[] = [];
  if (q.limit !== undefined) parts.push(`limit=${encodeURIComponent(String(q.limit))}`);
  if (q.cursor !== undefined) parts.push(`cursor=${encodeURIComponent(q.cursor)}`);
  if (q.expand !== undefined && q.expand.length > 0) {
    parts.push(`expand=${q.expand.map(encodeURIComponent).join(",")}`);
  }
  return parts.length === 0 ? "" : `?${parts.join("&")}`;
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function parseErrorBody(text: string): ErrorBody["error"] | undefined {
  try {
    const parsed = ErrorBody.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data.error : undefined;
  } catch {
    return undefined;
  }
}

/** `data[0].grants[1].type` from a zod issue path. */
function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out === "" ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.max(0, Math.round(ms))}ms` : `${(ms / 1000).toFixed(1)}s`;
}

function describeCode(code: string): string {
  switch (code) {
    case "UND_ERR_CONNECT_TIMEOUT":
      return "connect timeout";
    case "UND_ERR_HEADERS_TIMEOUT":
      return "headers timeout";
    case "UND_ERR_BODY_TIMEOUT":
      return "body timeout";
    case "UND_ERR_SOCKET":
      return "connection closed by the other side";
    default:
      return code;
  }
}
