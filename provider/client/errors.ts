/**
 * Failures of calls to the Popdock security API, one class and one stable `code` per kind
 * (after undici's lib/core/errors.js). `PopdockClient` throws only these (and
 * `PopdockInsecureEndpointError` / `UsageError` from its constructor).
 *
 * Messages say what happened, where (`METHOD /path`), and `hint` holds the next step. They are
 * built from metadata and from the server's error message passed through `redact()`: never a
 * request or response body, never the API key, never a `token_id`.
 */
import type { ErrorCode, ErrorDetail } from "../../schema/api.js";
import { type ApiErrorCode, PopdockError } from "../model/errors.js";

/** What every API failure carries, for people and for the engine. */
export interface ApiErrorInfo {
  /** HTTP method of the request, e.g. `PATCH`. */
  method: string;
  /** Request path with ids and the endpoint's path prefix, without the query string. */
  path: string;
  /** HTTP status of the last attempt; absent when no response arrived. */
  status?: number | undefined;
  /** `error.code` of the server's error body, when it sent one. */
  serverCode?: ErrorCode | undefined;
  /** `error.message` of the server's error body (redacted), when it sent one. */
  serverMessage?: string | undefined;
  /** `error.details` of the server's error body (messages redacted). */
  details?: readonly ErrorDetail[] | undefined;
  /** `x-request-id` (or `request-id`) response header, to quote to Popdock support. */
  requestId?: string | undefined;
  /** HTTP attempts made for this logical request (1 = no retry). */
  attempts?: number | undefined;
  /** Milliseconds from the first attempt to the failure. */
  elapsedMs?: number | undefined;
  /**
   * True when an earlier attempt's outcome was unknown (the connection dropped or timed out after
   * the request was sent), so the change may already have been applied.
   */
  afterUnknownOutcome?: boolean | undefined;
}

/** Base class of every API failure. `code` is `POPDOCK_API_ERROR` for statuses without a subclass. */
export class PopdockApiError extends PopdockError {
  readonly code: ApiErrorCode = "POPDOCK_API_ERROR";
  readonly status: number | undefined;
  readonly method: string;
  readonly path: string;
  readonly serverCode: ErrorCode | undefined;
  readonly serverMessage: string | undefined;
  readonly details: readonly ErrorDetail[];
  readonly requestId: string | undefined;
  readonly attempts: number;
  readonly elapsedMs: number;
  readonly afterUnknownOutcome: boolean;

  constructor(message: string, info: ApiErrorInfo, options?: { cause?: unknown; hint?: string }) {
    super(message, options);
    this.status = info.status;
    this.method = info.method;
    this.path = info.path;
    this.serverCode = info.serverCode;
    this.serverMessage = info.serverMessage;
    this.details = info.details ?? [];
    this.requestId = info.requestId;
    this.attempts = info.attempts ?? 1;
    this.elapsedMs = info.elapsedMs ?? 0;
    this.afterUnknownOutcome = info.afterUnknownOutcome ?? false;
  }

  /** `METHOD /path`, as messages quote it. */
  get where(): string {
    return `${this.method} ${this.path}`;
  }
}

/** 401: the API key was rejected. */
export class PopdockUnauthorizedError extends PopdockApiError {
  override readonly code = "POPDOCK_API_UNAUTHORIZED";
}

/** 403: the API key is valid but its API user may not do this. */
export class PopdockForbiddenError extends PopdockApiError {
  override readonly code = "POPDOCK_API_FORBIDDEN";
}

/** 404: the object does not exist (any more). */
export class PopdockNotFoundError extends PopdockApiError {
  override readonly code = "POPDOCK_API_NOT_FOUND";
}

/** 409: the request conflicts with the current state (e.g. a duplicate name). */
export class PopdockConflictError extends PopdockApiError {
  override readonly code = "POPDOCK_API_CONFLICT";
}

/** 400/422: the server rejected the request body; `details` says which fields. */
export class PopdockValidationError extends PopdockApiError {
  override readonly code = "POPDOCK_API_VALIDATION";
}

/** 412: `If-Match` did not match: someone changed the object since it was read. */
export class PopdockPreconditionFailedError extends PopdockApiError {
  override readonly code = "POPDOCK_API_PRECONDITION_FAILED";
}

/** 429 on every attempt: still rate limited when retries or the time budget ran out. */
export class PopdockRateLimitedError extends PopdockApiError {
  override readonly code = "POPDOCK_API_RATE_LIMITED";
}

/** 5xx or a network failure, after retries when the request was safe to retry. */
export class PopdockUnavailableError extends PopdockApiError {
  override readonly code = "POPDOCK_API_UNAVAILABLE";
}

/** No (complete) response in time: connect/headers/body timeouts, or the operation's time budget. */
export class PopdockTimeoutError extends PopdockApiError {
  override readonly code = "POPDOCK_API_TIMEOUT";
}

/** A 2xx response that is not valid JSON or does not fit the schema; or a repeated page cursor. */
export class PopdockInvalidResponseError extends PopdockApiError {
  override readonly code = "POPDOCK_API_INVALID_RESPONSE";
}

/** The caller's AbortSignal fired; `cause` is the signal's reason. */
export class PopdockAbortedError extends PopdockApiError {
  override readonly code = "POPDOCK_API_ABORTED";
}

/** A plain-http endpoint that is not a loopback address: the API key would cross the network in clear. */
export class PopdockInsecureEndpointError extends PopdockError {
  readonly code = "POPDOCK_INSECURE_ENDPOINT";
}

/** Every `code` an API call can fail with (the `POPDOCK_API_*` codes of `ERROR_CODES`). */
export type PopdockApiErrorCode = ApiErrorCode;

/** What a failed call means for the caller (the engine's apply decides with these). */
export interface ApiErrorClass {
  /**
   * The call may have taken effect although it failed: its response was lost, the server was
   * failing, or it answered 2xx with a body we could not read. A create or delete with this
   * outcome is kept pending for recovery instead of being forgotten.
   */
  readonly indeterminate: boolean;
  /** Running again later may succeed without changing anything (Popdock down, slow, limiting). */
  readonly transient: boolean;
  /** The object does not exist (any more): for a delete, the goal already holds. */
  readonly notFound: boolean;
}

const CLASSES = {
  POPDOCK_API_ERROR: { indeterminate: false, transient: false, notFound: false },
  POPDOCK_API_UNAUTHORIZED: { indeterminate: false, transient: false, notFound: false },
  POPDOCK_API_FORBIDDEN: { indeterminate: false, transient: false, notFound: false },
  POPDOCK_API_NOT_FOUND: { indeterminate: false, transient: false, notFound: true },
  POPDOCK_API_CONFLICT: { indeterminate: false, transient: false, notFound: false },
  POPDOCK_API_VALIDATION: { indeterminate: false, transient: false, notFound: false },
  POPDOCK_API_PRECONDITION_FAILED: { indeterminate: false, transient: false, notFound: false },
  POPDOCK_API_RATE_LIMITED: { indeterminate: true, transient: true, notFound: false },
  POPDOCK_API_UNAVAILABLE: { indeterminate: true, transient: true, notFound: false },
  POPDOCK_API_TIMEOUT: { indeterminate: true, transient: true, notFound: false },
  POPDOCK_API_INVALID_RESPONSE: { indeterminate: true, transient: false, notFound: false },
  POPDOCK_API_ABORTED: { indeterminate: false, transient: false, notFound: false },
} as const satisfies Record<ApiErrorCode, ApiErrorClass>;

/** The classification of every API error code (a `Record` over the union: none can be missed). */
export const API_ERROR_CLASSES: Readonly<Record<ApiErrorCode, ApiErrorClass>> = CLASSES;

/** Every API error code, as a set. */
export const API_ERROR_CODES: ReadonlySet<ApiErrorCode> = new Set(Object.keys(CLASSES) as ApiErrorCode[]);

/**
 * The API error code of `err`, or undefined when it is not an API failure. Reads the `code`
 * property rather than the class, so an error that crossed a module or realm boundary (or a test
 * double carrying the same code) is classified the same.
 */
export function apiErrorCodeOf(err: unknown): ApiErrorCode | undefined {
  if (typeof err !== "object" || err === null || !("code" in err)) return undefined;
  const code = err.code;
  return typeof code === "string" && API_ERROR_CODES.has(code as ApiErrorCode)
    ? (code as ApiErrorCode)
    : undefined;
}

/**
 * True when the call that threw `err` may have taken effect: an earlier attempt's outcome was
 * unknown (`afterUnknownOutcome`), or the code is indeterminate (unavailable, timeout, rate
 * limited, invalid 2xx body). Keep the step's pending record when this holds.
 */
export function isIndeterminate(err: unknown): boolean {
  if (typeof err === "object" && err !== null && "afterUnknownOutcome" in err) {
    if (err.afterUnknownOutcome === true) return true;
  }
  const code = apiErrorCodeOf(err);
  return code !== undefined && API_ERROR_CLASSES[code].indeterminate;
}

/** True for `POPDOCK_API_NOT_FOUND`: the object is gone. */
export function isNotFound(err: unknown): boolean {
  const code = apiErrorCodeOf(err);
  return code !== undefined && API_ERROR_CLASSES[code].notFound;
}

/** True when running again later may succeed (Popdock down, slow or rate limiting). */
export function isTransient(err: unknown): boolean {
  const code = apiErrorCodeOf(err);
  return code !== undefined && API_ERROR_CLASSES[code].transient;
}
