/** The Popdock security API client: the only network I/O in popdock-iac. */

export { isLoopbackHost } from "../model/loopback.js";
export {
  type ClientTimeouts,
  DEFAULT_TIMEOUTS,
  debugFromEnv,
  PopdockClient,
  type PopdockClientOptions,
  retryFromEnv,
} from "./client.js";
export { API_BASE_PATH } from "./endpoint.js";
export {
  API_ERROR_CLASSES,
  API_ERROR_CODES,
  type ApiErrorClass,
  type ApiErrorInfo,
  apiErrorCodeOf,
  isIndeterminate,
  isNotFound,
  isTransient,
  PopdockAbortedError,
  PopdockApiError,
  type PopdockApiErrorCode,
  PopdockConflictError,
  PopdockForbiddenError,
  PopdockInsecureEndpointError,
  PopdockInvalidResponseError,
  PopdockNotFoundError,
  PopdockPreconditionFailedError,
  PopdockRateLimitedError,
  PopdockTimeoutError,
  PopdockUnauthorizedError,
  PopdockUnavailableError,
  PopdockValidationError,
} from "./errors.js";
export { formatHeaders, redact } from "./redact.js";
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from "./retry.js";
export type { ListOptions, MutationOptions, PopdockApi, RequestStats } from "./types.js";
