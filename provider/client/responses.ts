/**
 * What a response, or its absence, means: a 2xx body is validated against its zod schema, and a
 * status or a network failure becomes a `PopdockApiError` subclass (errors.ts) whose message says
 * what happened, where and what to do. Pure functions over data; the transport calls them.
 *
 * Every text that may come from the server goes through `redact()` with the secrets seen so far,
 * and bodies are never quoted: no message holds the API key or a `token_id`.
 */
import type { z } from "zod";
import { ErrorBody } from "../../schema/api.js";
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
import { redact } from "./redact.js";
import type { NetworkFailure } from "./retry.js";

/** The server's error envelope (`{ error: { code, message, details? } }`), when it sent one. */
export type ServerError = ErrorBody["error"];

/** The last thing that went wrong on an attempt that was followed by another. */
export type Failure =
  | { kind: "status"; status: number; error: ServerError | undefined; requestId: string | undefined }
  | { kind: "network"; failure: NetworkFailure; cause: unknown };

/** `error` of an error body, or undefined for anything else (no envelope, not JSON). */
export function parseErrorBody(text: string): ServerError | undefined {
  try {
    const parsed = ErrorBody.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data.error : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Parses and validates a 2xx body. Throws `PopdockInvalidResponseError` naming `where`, the
 * operation and the zod issue paths, never quoting the body. `secrets` gets any `token_id` the
 * body carries, so later messages and debug lines mask it.
 */
export function validateBody<T>(
  schema: z.ZodType<T>,
  operation: string,
  where: string,
  status: number,
  text: string,
  info: ApiErrorInfo,
  secrets: string[],
): T {
  const context = `invalid response to ${where} (${operation}): ${status}`;
  const hint =
    "the server at this endpoint does not answer as the Popdock security API v1 does; check the endpoint, and the Popdock version";
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // The parser's message quotes the body, which may hold a token_id: say only what and where.
    const what = text.trim() === "" ? "an empty body" : `a body that is not JSON (${text.length} characters)`;
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
      redact(`${context} with an unexpected shape: ${shown}${more}`, secrets),
      info,
      {
        hint,
        cause: parsed.error,
      },
    );
  }
  const data: unknown = parsed.data;
  if (typeof data === "object" && data !== null && "token_id" in data && typeof data.token_id === "string") {
    if (!secrets.includes(data.token_id)) secrets.push(data.token_id);
  }
  return parsed.data;
}

/**
 * The error for a non-2xx `status` to `where`. `retried` says the request was retried as far as
 * allowed, so the message counts the attempts (429 and 5xx).
 */
export function statusError(
  where: string,
  status: number,
  error: ServerError | undefined,
  base: ApiErrorInfo,
  retried: boolean,
  secrets: readonly string[],
): PopdockApiError {
  const serverMessage = error === undefined ? undefined : redact(error.message, secrets);
  const details = error?.details?.map((d) => ({ ...d, message: redact(d.message, secrets) }));
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

/**
 * The error for a request to `origin` that got no response. `declinedAsUnsafe`: the failure was
 * retryable but the request was not safe to repeat, so the message says why it was not.
 */
export function networkError(
  where: string,
  origin: string,
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
      `${where}: no response from ${origin} in time (${describeCode(failure.code)}) after ${tries}${unsent}`,
      info,
      { cause, hint: "check that Popdock is up and reachable, or raise the timeouts; then re-run" },
    );
  }
  return new PopdockUnavailableError(
    `${where}: could not reach Popdock at ${origin} (${describeCode(failure.code)}) after ${tries}${unsent}`,
    info,
    { cause, hint: "check the endpoint and that Popdock is up and reachable; then re-run" },
  );
}

/** The error for an operation stopped by its time budget, naming the last failure seen. */
export function budgetError(
  where: string,
  last: Failure | undefined,
  info: ApiErrorInfo,
  budgetMs: number,
): PopdockApiError {
  const lastSaid =
    last === undefined
      ? ""
      : last.kind === "status"
        ? `; the last attempt got ${last.status}`
        : `; the last attempt failed with ${describeCode(last.failure.code)}`;
  return new PopdockTimeoutError(
    `${where}: gave up after ${plural(info.attempts ?? 0, "attempt")} over ${seconds(info.elapsedMs ?? 0)}, the time budget of one request (${seconds(budgetMs)})${lastSaid}`,
    info,
    { hint: "check that Popdock is up and not overloaded, or raise the retry budget; then re-run" },
  );
}

/**
 * The error for an operation that the rate limit would hold past its time budget (after 429s, or
 * before its first attempt when the announced pace leaves it no turn in time): the budget, not a
 * count of attempts, is what gave up.
 */
export function rateLimitBudgetError(
  where: string,
  info: ApiErrorInfo,
  budgetMs: number,
  limited: number,
  waitMs: number,
): PopdockApiError {
  const so_far =
    limited > 0
      ? `still rate limited by Popdock (429) after ${plural(info.attempts ?? 0, "attempt")} (${plural(limited, "429")}) over ${seconds(info.elapsedMs ?? 0)}`
      : `held by Popdock's rate limit after ${plural(info.attempts ?? 0, "attempt")} over ${seconds(info.elapsedMs ?? 0)}`;
  return new PopdockRateLimitedError(
    `${where}: ${so_far}: waiting ${seconds(waitMs)} more for its turn would overrun the retry budget of ${seconds(budgetMs)}`,
    info,
    {
      hint: "raise the retry budget (POPDOCK_RETRY_BUDGET, e.g. 15m) or ask for a higher rate limit; steps already applied are kept, so running again continues",
    },
  );
}

/** The error for an operation the caller aborted; `cause` is the signal's reason. */
export function abortedError(where: string, info: ApiErrorInfo, reason: unknown): PopdockApiError {
  return new PopdockAbortedError(
    `${where} was aborted by the caller (after ${plural(info.attempts ?? 0, "attempt")})`,
    info,
    {
      cause: reason,
    },
  );
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

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

export function seconds(ms: number): string {
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
