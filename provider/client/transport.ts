/**
 * The transport under `PopdockClient`: one logical request (a `Call`) in, a validated body or a
 * `PopdockApiError` out. It owns every HTTP rule of the client:
 *
 * - undici's `request` on one pooled, keep-alive dispatcher, a headers/body timeout per attempt;
 * - `Authorization: Bearer <key>`, JSON bodies, an `Idempotency-Key` on every POST (the same on
 *   each attempt), `If-Match: "<version>"` on PATCH/DELETE when the caller gives a version;
 * - retries with full-jitter exponential backoff and `Retry-After`, bounded in attempts and in
 *   time per logical operation, only where a repeat is safe (`retry.ts`); refused connections
 *   (Popdock restarting) are retried for `connectRetryMs` without using up `maxAttempts`;
 * - one adaptive rate limiter shared by every request (`rate-limit.ts`): each attempt waits for
 *   its slot; 429s and rate-limit headers set the pace, and a 429 holds every request until its
 *   `Retry-After`. A 429 does not use up `maxAttempts`: it is retried until the time budget
 *   (`budgetMs`, `POPDOCK_RETRY_BUDGET`) is spent;
 * - a DELETE whose earlier attempt was lost and now gets 404 is success; a replayed PATCH that
 *   gets 412 is checked against a re-read (`recoverLostPatch`); a cursor walk that loops is an
 *   error (`walkPages`);
 * - redacted debug lines for every attempt and retry decision, and request counters.
 *
 * What a response means (validation, status → error) lives in `responses.ts`.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleepFor } from "node:timers/promises";
import { Agent, type Dispatcher } from "undici";
import type { z } from "zod";
import { UsageError } from "../model/errors.js";
import { API_BASE_PATH } from "./endpoint.js";
import {
  type ApiErrorInfo,
  type PopdockApiError,
  PopdockInvalidResponseError,
  PopdockPreconditionFailedError,
} from "./errors.js";
import { DEFAULT_TIMEOUTS, type PopdockClientOptions, type ResolvedTimeouts } from "./options.js";
import { AdaptiveRateLimiter } from "./rate-limit.js";
import { formatHeaders, redact } from "./redact.js";
import {
  abortedError,
  budgetError,
  type Failure,
  networkError,
  parseErrorBody,
  rateLimitBudgetError,
  seconds,
  statusError,
  validateBody,
} from "./responses.js";
import {
  backoffDelayMs,
  classifyNetworkError,
  DEFAULT_RETRY_POLICY,
  isRetrySafe,
  parseRetryAfterMs,
  RETRYABLE_STATUSES,
  type RetryPolicy,
  withinConnectRetry,
} from "./retry.js";
import type { RequestStats } from "./types.js";

export type Method = "GET" | "POST" | "PATCH" | "DELETE";

/** One logical request: one method call, or one page of a list. */
export interface Call<T> {
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

const MAX_LOGGED_BODY = 2_000;

/** Most pages `walkPages` follows (at up to 500 users a page: 5 million users). */
export const MAX_PAGES = 10_000;

/** Sends `Call`s to one Popdock endpoint. See the module header for the rules. */
export class Transport {
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
  readonly #limiter = new AdaptiveRateLimiter();
  #stats: RequestStats = { byRoute: {}, attempts: 0, retries: 0 };
  #closed = false;
  /** The `Date` header of the latest response (ms since the epoch). */
  #serverDate: number | undefined;

  /** `origin` and `prefix` come from `parseEndpoint`; the API key has been checked as non-empty. */
  constructor(origin: string, prefix: string, options: PopdockClientOptions) {
    this.#origin = origin;
    this.#prefix = prefix;
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
      connectRetryMs: Math.max(0, retry.connectRetryMs ?? DEFAULT_RETRY_POLICY.connectRetryMs),
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

  /** `<prefix>/api/v1/security<route>`: the path a route is served at, without ids filled in. */
  pathOf(route: string): string {
    return `${this.#prefix}${API_BASE_PATH}${route}`;
  }

  /**
   * Popdock's clock: the latest response's `Date` header (second precision). Undefined before
   * any response with a valid `Date`.
   */
  serverTime(): Date | undefined {
    return this.#serverDate === undefined ? undefined : new Date(this.#serverDate);
  }

  /** A copy of the counters. */
  stats(): RequestStats {
    return {
      byRoute: { ...this.#stats.byRoute },
      attempts: this.#stats.attempts,
      retries: this.#stats.retries,
    };
  }

  resetStats(): void {
    this.#stats = { byRoute: {}, attempts: 0, retries: 0 };
  }

  /** Closes the dispatcher when it is the transport's own, letting in-flight requests finish. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }

  /**
   * Writes a debug line (redacted) when debug logging is on. A function is called only then: a
   * line that formats headers and bodies costs nothing when nobody reads it (redacting every body
   * against every token ID seen so far made a long apply quadratic).
   */
  debug(line: string | (() => string)): void {
    if (this.#log === undefined) return;
    const text = typeof line === "string" ? line : line();
    this.#log(`popdock-client ${redact(text, this.#secrets)}`);
  }

  /**
   * Sends one logical request, with retries, and returns its validated body (`undefined` when
   * the call has no schema). Throws a `PopdockApiError` subclass, or `UsageError` after `close()`.
   */
  async send<T>(call: Call<T>): Promise<T> {
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
    /** Refused connections retried under `connectRetryMs`: they do not use up `maxAttempts`. */
    let freeRefusals = 0;
    /** Sum of the waits between attempts (a floor for the elapsed time, whatever the clock says). */
    let waited = 0;
    /** 429s answered to this operation (they do not use up `maxAttempts`). */
    let limited = 0;
    /** The slot taken for the next attempt right after a 429 (at the same instant as its hold). */
    let reserved: number | undefined;
    const info = (attempts: number, extra: Partial<ApiErrorInfo> = {}): ApiErrorInfo => ({
      method,
      path: routePath,
      attempts,
      elapsedMs: this.#now() - start,
      afterUnknownOutcome: unknownOutcome,
      ...extra,
    });
    const stopped = (attempts: number): PopdockApiError => {
      if (callerSignal?.aborted) return abortedError(where, info(attempts), callerSignal.reason);
      return budgetError(where, last, info(attempts), this.#policy.budgetMs);
    };

    try {
      for (let attempt = 1; ; attempt++) {
        if (op.signal.aborted) throw stopped(attempt - 1);
        // The shared pace: wait for this attempt's slot, within the time budget.
        const slot = reserved ?? this.#limiter.reserve(this.#now());
        reserved = undefined;
        if (slot > 0) {
          const elapsed = Math.max(this.#now() - start, waited);
          if (elapsed + slot > this.#policy.budgetMs) {
            this.debug(
              `  not sending ${method} ${requestPath}: the rate limit's wait of ${slot}ms would overrun the ${seconds(this.#policy.budgetMs)} time budget`,
            );
            if (callerSignal?.aborted) throw stopped(attempt - 1);
            throw rateLimitBudgetError(
              where,
              info(attempt - 1, limited > 0 ? { status: 429 } : {}),
              this.#policy.budgetMs,
              limited,
              slot,
            );
          }
          if (attempt > 1 || slot >= 1000) this.debug(`  waiting ${slot}ms for the shared rate limit`);
          try {
            await this.#sleep(slot, op.signal);
          } catch {
            // Aborted while waiting: reported just below.
          }
          waited += slot;
          if (op.signal.aborted) throw stopped(attempt - 1);
        }
        this.#stats.attempts++;
        if (attempt > 1) this.#stats.retries++;
        const tag = `attempt ${attempt}/${this.#policy.maxAttempts + freeRefusals}`;
        this.debug(
          () =>
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
          const date = header(res.headers, "date");
          const at = date === undefined ? Number.NaN : Date.parse(date);
          if (Number.isFinite(at)) this.#serverDate = at;
          text = await res.body.text();
        } catch (err) {
          if (op.signal.aborted) throw stopped(attempt);
          const failure = classifyNetworkError(err);
          this.debug(`✗ ${method} ${requestPath} ${failure.code} after ${this.#now() - t0}ms ${tag}`);
          last = { kind: "network", failure, cause: err };
          if (failure.maybeSent) unknownOutcome = true;
          const canRetry = failure.retryable && (retrySafe || !failure.maybeSent);
          const fail = (declined: boolean): PopdockApiError =>
            networkError(where, this.#origin, failure, err, info(attempt), declined);
          const wait = backoffDelayMs(attempt, this.#policy, this.#random);
          const elapsed = Math.max(this.#now() - start, waited);
          const refusedWithin = canRetry && withinConnectRetry(failure, elapsed, wait, this.#policy);
          const used = attempt - (failure.code === "ECONNREFUSED" ? 0 : freeRefusals);
          if (!canRetry || (!refusedWithin && used >= this.#policy.maxAttempts)) {
            throw fail(failure.retryable && !canRetry);
          }
          if (refusedWithin) freeRefusals++;
          await this.#pause(wait, failure.code, start, op.signal, () => fail(false));
          waited += wait;
          continue;
        }

        this.#limiter.observe(resHeaders, this.#now());
        const requestId = header(resHeaders, "x-request-id") ?? header(resHeaders, "request-id");
        const ms = this.#now() - t0;
        this.debug(
          () =>
            `← ${method} ${requestPath} ${status} in ${ms}ms ${tag}${requestId ? ` request-id ${requestId}` : ""}${text === "" ? "" : ` | body ${this.#clip(text)}`}`,
        );

        if (status >= 200 && status < 300) {
          this.#limiter.onSuccess();
          if (call.schema === undefined) return undefined as T;
          return validateBody(
            call.schema,
            call.operation,
            where,
            status,
            text,
            info(attempt, { status, requestId }),
            this.#secrets,
          );
        }
        if (status === 404 && method === "DELETE" && unknownOutcome) {
          // An earlier attempt was sent but its answer was lost; the object is gone now, so that
          // attempt (or someone else) deleted it. Either way the caller's goal holds.
          this.debug(
            `  ${method} ${requestPath} 404 after an attempt with unknown outcome: treated as deleted`,
          );
          return undefined as T;
        }
        const error = parseErrorBody(text);
        const canRetry = RETRYABLE_STATUSES.has(status) && (status === 429 || retrySafe);
        const fail = (retried: boolean): PopdockApiError =>
          statusError(where, status, error, info(attempt, { status, requestId }), retried, this.#secrets);
        if (status === 429) {
          // Every request waits (the limiter's hold), and this one is tried again until the time
          // budget is spent (checked when it takes its next slot).
          limited++;
          last = { kind: "status", status, error, requestId };
          const asked = parseRetryAfterMs(header(resHeaders, "retry-after"), this.#now());
          const hold =
            asked !== undefined
              ? Math.min(asked, this.#policy.maxRetryAfterMs)
              : backoffDelayMs(limited, this.#policy, this.#random);
          const at = this.#now();
          this.#limiter.onRateLimited(at, hold, t0);
          reserved = this.#limiter.reserve(at);
          const pace = this.#limiter.rate;
          this.debug(
            `  429: every request holds for ${hold}ms, then paced at ${pace === undefined ? "no limit" : `${pace.toFixed(1)} requests/s`}`,
          );
          continue;
        }
        if (!canRetry || attempt - freeRefusals - limited >= this.#policy.maxAttempts) throw fail(canRetry);
        last = { kind: "status", status, error, requestId };
        if (status >= 500) unknownOutcome = true;
        const retryAfter = parseRetryAfterMs(header(resHeaders, "retry-after"), this.#now());
        const wait =
          retryAfter !== undefined
            ? Math.min(retryAfter, this.#policy.maxRetryAfterMs)
            : backoffDelayMs(attempt, this.#policy, this.#random);
        await this.#pause(wait, String(status), start, op.signal, () => fail(true));
        waited += wait;
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
      this.debug(
        `  not retrying after ${reason}: waiting ${ms}ms would overrun the ${seconds(this.#policy.budgetMs)} time budget`,
      );
      throw giveUp();
    }
    this.debug(`  retrying after ${reason} in ${ms}ms`);
    try {
      await this.#sleep(ms, signal);
    } catch {
      // Aborted while waiting: the loop reports why at the top of the next attempt.
    }
  }

  /** Redacts then shortens a body for a debug line (in that order, so a cut never exposes a secret). */
  #clip(text: string): string {
    const safe = redact(text, this.#secrets);
    return safe.length > MAX_LOGGED_BODY ? `${safe.slice(0, MAX_LOGGED_BODY)}…(${safe.length} chars)` : safe;
  }
}

/**
 * Every item of a cursor-paginated list, calling `page(cursor)` until `next_cursor` is null. A
 * server that hands back a cursor it already gave, an empty page with a cursor, or more than
 * `MAX_PAGES` pages fails with `PopdockInvalidResponseError` instead of looping forever.
 * `where` and `operation` name the list in that error: `GET /api/v1/security/api-users`.
 */
export async function walkPages<T>(
  where: { method: string; path: string; operation: string },
  page: (cursor: string | undefined) => Promise<{ data: T[]; next_cursor: string | null }>,
): Promise<T[]> {
  const all: T[] = [];
  const seen = new Set<string>();
  let cursor: string | undefined;
  for (let n = 1; ; n++) {
    const res = await page(cursor);
    all.push(...res.data);
    if (res.next_cursor === null) return all;
    const broken =
      seen.has(res.next_cursor) || res.next_cursor === cursor
        ? "returned a next_cursor that an earlier page already returned"
        : res.data.length === 0
          ? "was empty but still returned a next_cursor"
          : n >= MAX_PAGES
            ? `still had a next_cursor after ${MAX_PAGES} pages`
            : undefined;
    if (broken !== undefined) {
      throw new PopdockInvalidResponseError(
        `invalid response to ${where.method} ${where.path} (${where.operation}): page ${n} ${broken}; stopped instead of looping forever`,
        { method: where.method, path: where.path, status: 200 },
        { hint: "the Popdock server's pagination is broken; report it to the Popdock administrators" },
      );
    }
    seen.add(res.next_cursor);
    cursor = res.next_cursor;
  }
}

/**
 * After a 412 to a PATCH replayed because its first response was lost: when the object now sits
 * at exactly `ifMatchVersion + 1` with every patched field as asked, that first attempt is what
 * changed it (or a change to the very same values did), so the PATCH succeeded and the re-read
 * object is returned. Anything else (another error, no `ifMatchVersion`, a failed re-read, another
 * version or value) rethrows `err`.
 */
export async function recoverLostPatch<T extends { version: number }>(
  err: unknown,
  body: Readonly<Record<string, unknown>>,
  ifMatchVersion: number | undefined,
  reread: () => Promise<T | undefined>,
  debug: (line: string) => void,
): Promise<T> {
  if (!(err instanceof PopdockPreconditionFailedError) || !err.afterUnknownOutcome) throw err;
  if (ifMatchVersion === undefined) throw err;
  let current: T | undefined;
  try {
    current = await reread();
  } catch {
    throw err;
  }
  if (current === undefined || current.version !== ifMatchVersion + 1) throw err;
  const fields = current as unknown as Record<string, unknown>;
  for (const [key, want] of Object.entries(body)) {
    if (want !== undefined && !sameValue(fields[key], want)) throw err;
  }
  debug(`  ${err.where}: 412 on a replay after a lost response, but the object holds our change: applied`);
  return current;
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

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}
