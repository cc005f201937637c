/**
 * The retry rules of the client, as pure functions: which failures are worth another attempt,
 * how long to wait (full-jitter exponential backoff, `Retry-After`), and which requests are safe
 * to send twice. `transport.ts` applies them; they are unit-tested in `retry.test.ts`.
 */

/** How hard the client tries, per logical operation (one method call, one page of a list). */
export interface RetryPolicy {
  /** Attempts in all, the first included. Default 5. */
  maxAttempts: number;
  /** Backoff base: the first retry waits up to this long. Default 200 ms. */
  baseDelayMs: number;
  /** Backoff cap: no computed backoff exceeds it. Default 5 s. */
  maxDelayMs: number;
  /** Longest `Retry-After` honoured; a longer one is shortened to this. Default 30 s. */
  maxRetryAfterMs: number;
  /**
   * Overall time budget of the operation, attempts and waits (for a `Retry-After`, for the shared
   * rate limit) included. 429s are retried until it is spent; other failures also stop after
   * `maxAttempts`. Default 5 minutes; the CLI reads `POPDOCK_RETRY_BUDGET` (`retryFromEnv`).
   */
  budgetMs: number;
  /**
   * How long refused connections (`ECONNREFUSED`: nothing listens, e.g. Popdock is restarting)
   * are retried, with the same backoff, measured from the operation's first attempt. Refused
   * attempts retried within it do not use up `maxAttempts`; after it, a refused attempt is the
   * last once `maxAttempts` attempts have been made in all. Default 30 s; 0 treats a refusal like
   * any other failure. The CLI reads it from `POPDOCK_CONNECT_RETRY_SECONDS` (`retryFromEnv`).
   */
  connectRetryMs: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 5,
  baseDelayMs: 200,
  maxDelayMs: 5_000,
  maxRetryAfterMs: 30_000,
  budgetMs: 300_000,
  connectRetryMs: 30_000,
});

/**
 * Whether a refused connection is tried again under `connectRetryMs`: when `elapsedMs` since the
 * operation's first attempt plus the coming wait stay below it.
 */
export function withinConnectRetry(
  failure: Pick<NetworkFailure, "code">,
  elapsedMs: number,
  waitMs: number,
  policy: Pick<RetryPolicy, "connectRetryMs">,
): boolean {
  return failure.code === "ECONNREFUSED" && elapsedMs + waitMs < policy.connectRetryMs;
}

/**
 * Full-jitter exponential backoff (AWS architecture blog, "Exponential Backoff And Jitter"):
 * a uniform draw in `[0, min(maxDelayMs, baseDelayMs * 2^(retry-1)))`. `retry` is 1 for the
 * first retry. `random` returns a number in [0, 1).
 */
export function backoffDelayMs(
  retry: number,
  policy: Pick<RetryPolicy, "baseDelayMs" | "maxDelayMs">,
  random: () => number,
): number {
  const exp = policy.baseDelayMs * 2 ** Math.max(0, retry - 1);
  const ceiling = Math.min(policy.maxDelayMs, exp);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.floor(r * ceiling);
}

/**
 * Milliseconds to wait according to a `Retry-After` header: delta-seconds (`"3"`, `"1.5"`) or an
 * HTTP-date (`"Wed, 21 Oct 2015 07:28:00 GMT"`, measured against `nowMs`). `undefined` when absent
 * or unparseable; a date in the past gives 0.
 */
export function parseRetryAfterMs(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (v === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  if (!/[a-z]/i.test(v)) return undefined; // an HTTP-date names a day and a month
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/** Statuses that may succeed when sent again. 500 is included: Popdock answers it before doing work too. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 500, 502, 503, 504]);

/** What a network-level failure means for retrying. */
export interface NetworkFailure {
  /** The error code found (`ECONNRESET`, `UND_ERR_HEADERS_TIMEOUT`, ...), or `"UNKNOWN"`. */
  code: string;
  /** Another attempt may succeed. */
  retryable: boolean;
  /** The request may have reached the server: its outcome is unknown. */
  maybeSent: boolean;
  /** A timeout rather than a refusal or a reset. */
  timeout: boolean;
}

/** Failures before a request was written: nothing reached the server, so any method may retry. */
const CONNECT_PHASE = new Set([
  "ECONNREFUSED",
  "UND_ERR_CONNECT_TIMEOUT",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "ENETDOWN",
  "EHOSTDOWN",
]);
/** Failures after a request may have been written: retry only requests safe to repeat. */
const AFTER_SEND = new Set([
  "ECONNRESET",
  "EPIPE",
  "ECONNABORTED",
  "ETIMEDOUT",
  "UND_ERR_SOCKET",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_RES_CONTENT_LENGTH_MISMATCH",
]);
const TIMEOUTS = new Set([
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "ETIMEDOUT",
]);

function codesOf(err: unknown, depth = 0): string[] {
  if (depth > 4 || typeof err !== "object" || err === null) return [];
  const e = err as { code?: unknown; cause?: unknown; errors?: unknown; message?: unknown };
  const out: string[] = [];
  if (typeof e.code === "string") out.push(e.code);
  if (typeof e.message === "string" && /other side closed/i.test(e.message)) out.push("UND_ERR_SOCKET");
  if (Array.isArray(e.errors)) for (const inner of e.errors) out.push(...codesOf(inner, depth + 1));
  if (e.cause !== undefined) out.push(...codesOf(e.cause, depth + 1));
  return out;
}

/** Classifies an error thrown by undici (or the socket under it), looking through `cause` and `AggregateError`. */
export function classifyNetworkError(err: unknown): NetworkFailure {
  const codes = codesOf(err);
  const known = codes.find((c) => CONNECT_PHASE.has(c) || AFTER_SEND.has(c));
  if (known === undefined) {
    return { code: codes[0] ?? "UNKNOWN", retryable: false, maybeSent: true, timeout: false };
  }
  return {
    code: known,
    retryable: true,
    maybeSent: !CONNECT_PHASE.has(known),
    timeout: TIMEOUTS.has(known),
  };
}

/**
 * Whether sending a request again could apply it twice with a different effect.
 *
 * - GET, HEAD, PUT and DELETE are idempotent by definition.
 * - POST is safe because the client sends an `Idempotency-Key` on every POST, the same on every
 *   attempt, and Popdock replays the first response for a repeated key.
 * - PATCH is safe only with `If-Match`: a replay of an applied PATCH then fails with 412 instead
 *   of overwriting a change someone made between our attempts. Without it, a PATCH whose outcome
 *   is unknown is reported, not repeated.
 */
export function isRetrySafe(method: string, headers: { idempotencyKey?: string; ifMatch?: string }): boolean {
  switch (method) {
    case "GET":
    case "HEAD":
    case "PUT":
    case "DELETE":
      return true;
    case "POST":
      return headers.idempotencyKey !== undefined;
    case "PATCH":
      return headers.ifMatch !== undefined;
    default:
      return false;
  }
}
