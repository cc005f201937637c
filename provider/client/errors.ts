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
import { PopdockError } from "../model/errors.js";

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
  readonly code: string = "POPDOCK_API_ERROR";
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

/** Every `code` an API call can fail with. */
export type PopdockApiErrorCode =
  | "POPDOCK_API_ERROR"
  | PopdockUnauthorizedError["code"]
  | PopdockForbiddenError["code"]
  | PopdockNotFoundError["code"]
  | PopdockConflictError["code"]
  | PopdockValidationError["code"]
  | PopdockPreconditionFailedError["code"]
  | PopdockRateLimitedError["code"]
  | PopdockUnavailableError["code"]
  | PopdockTimeoutError["code"]
  | PopdockInvalidResponseError["code"]
  | PopdockAbortedError["code"];
