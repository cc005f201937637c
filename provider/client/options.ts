/**
 * The options of `PopdockClient` and their defaults. The client never reads the environment:
 * the CLI, which owns it, turns variables into options with the `*FromEnv` helpers here.
 */
import type { Dispatcher } from "undici";
import { parseDuration } from "../model/duration.js";
import { UsageError } from "../model/errors.js";
import type { RetryPolicy } from "./retry.js";

/** Per-attempt deadlines, in milliseconds. */
export interface ClientTimeouts {
  /** TCP + TLS connect. Default 10 s. */
  connectMs?: number | undefined;
  /** From sending the request to the end of the response headers. Default 30 s. */
  headersMs?: number | undefined;
  /** Longest pause between two chunks of the response body. Default 30 s. */
  bodyMs?: number | undefined;
}

export type ResolvedTimeouts = { readonly [K in keyof ClientTimeouts]-?: number };

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

/** The levels `POPDOCK_LOG` takes, most verbose first. */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * `POPDOCK_LOG`, checked: one of `LOG_LEVELS` (any case), `info` when unset or empty. An unknown
 * level is a `UsageError`, not silently ignored.
 */
export function logLevelFromEnv(env: Readonly<Record<string, string | undefined>>): LogLevel {
  const raw = env.POPDOCK_LOG?.trim().toLowerCase();
  if (raw === undefined || raw === "") return "info";
  if ((LOG_LEVELS as readonly string[]).includes(raw)) return raw as LogLevel;
  throw new UsageError(`POPDOCK_LOG must be one of ${LOG_LEVELS.join(", ")}, not "${raw.slice(0, 20)}"`, {
    hint: "POPDOCK_LOG=debug logs every request (redacted); unset it for the normal output",
  });
}

/**
 * `POPDOCK_LOG=debug` (or `trace`) turns on the client's debug log. For the CLI, which owns the
 * environment and has checked the level (`logLevelFromEnv`).
 */
export function debugFromEnv(env: Readonly<Record<string, string | undefined>>): boolean {
  const level = env.POPDOCK_LOG?.trim().toLowerCase();
  return level === "debug" || level === "trace";
}

/** Longest `POPDOCK_CONNECT_RETRY_SECONDS` accepted: one hour. */
const MAX_CONNECT_RETRY_SECONDS = 3600;

/**
 * Retry settings from the environment, for the CLI: `POPDOCK_CONNECT_RETRY_SECONDS` (how long
 * refused connections are retried while Popdock restarts; 0 turns that off) becomes
 * `connectRetryMs`, and `POPDOCK_RETRY_BUDGET` becomes `budgetMs` (`retryBudgetFromEnv`). Unset
 * or empty: `{}` (the defaults). Throws `UsageError` for a value out of range.
 */
export function retryFromEnv(env: Readonly<Record<string, string | undefined>>): Partial<RetryPolicy> {
  return { ...connectRetryFromEnv(env), ...retryBudgetFromEnv(env) };
}

/** Longest `POPDOCK_RETRY_BUDGET`: 24 hours. */
const MAX_RETRY_BUDGET_MS = 24 * 3600_000;

/**
 * `POPDOCK_RETRY_BUDGET`: the time budget of one request, its retries and waits included (429s
 * are retried until it is spent): seconds (`300`) or a duration (`90s`, `5m`, `1h30m`), from 1 s
 * to 24 h. Unset or empty: `{}` (the default, 5 minutes).
 */
export function retryBudgetFromEnv(env: Readonly<Record<string, string | undefined>>): Partial<RetryPolicy> {
  const raw = env.POPDOCK_RETRY_BUDGET?.trim();
  if (raw === undefined || raw === "") return {};
  let ms = Number.NaN;
  if (/^\d+(\.\d+)?$/.test(raw)) ms = Number(raw) * 1000;
  else {
    try {
      ms = parseDuration(raw);
    } catch {
      // reported below, with this variable's own range
    }
  }
  if (!(ms >= 1000 && ms <= MAX_RETRY_BUDGET_MS)) {
    throw new UsageError(
      `POPDOCK_RETRY_BUDGET must be a duration from 1s to 24h (e.g. 300, 90s, 5m, 1h30m), not "${raw.slice(0, 20)}"`,
      { hint: "it bounds how long one request is retried (429s, 5xx) before the step fails" },
    );
  }
  return { budgetMs: Math.round(ms) };
}

function connectRetryFromEnv(env: Readonly<Record<string, string | undefined>>): Partial<RetryPolicy> {
  const raw = env.POPDOCK_CONNECT_RETRY_SECONDS?.trim();
  if (raw === undefined || raw === "") return {};
  const value = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(value >= 0 && value <= MAX_CONNECT_RETRY_SECONDS)) {
    throw new UsageError(
      `POPDOCK_CONNECT_RETRY_SECONDS must be a number of seconds from 0 to ${MAX_CONNECT_RETRY_SECONDS}, not "${raw.slice(0, 20)}"`,
      { hint: "set it to how long to wait for a restarting Popdock, e.g. 30; 0 turns the wait off" },
    );
  }
  return { connectRetryMs: Math.round(value * 1000) };
}
