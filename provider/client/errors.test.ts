/** The API error codes and the classification the engine's apply decides with. */
import { describe, expect, it } from "vitest";
import { type ApiErrorCode, ERROR_CODES } from "../model/errors.js";
import {
  API_ERROR_CLASSES,
  API_ERROR_CODES,
  type ApiErrorInfo,
  apiErrorCodeOf,
  isIndeterminate,
  isNotFound,
  isTransient,
  PopdockAbortedError,
  PopdockApiError,
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

const info: ApiErrorInfo = { method: "POST", path: "/api/v1/security/api-users" };

/** Each code: the class that carries it, and what it means for apply. */
const cases: Array<
  [ApiErrorCode, PopdockApiError, { indeterminate: boolean; transient: boolean; notFound: boolean }]
> = [
  [
    "POPDOCK_API_ERROR",
    new PopdockApiError("m", info),
    { indeterminate: false, transient: false, notFound: false },
  ],
  [
    "POPDOCK_API_UNAUTHORIZED",
    new PopdockUnauthorizedError("m", info),
    { indeterminate: false, transient: false, notFound: false },
  ],
  [
    "POPDOCK_API_FORBIDDEN",
    new PopdockForbiddenError("m", info),
    { indeterminate: false, transient: false, notFound: false },
  ],
  [
    "POPDOCK_API_NOT_FOUND",
    new PopdockNotFoundError("m", info),
    { indeterminate: false, transient: false, notFound: true },
  ],
  [
    "POPDOCK_API_CONFLICT",
    new PopdockConflictError("m", info),
    { indeterminate: false, transient: false, notFound: false },
  ],
  [
    "POPDOCK_API_VALIDATION",
    new PopdockValidationError("m", info),
    { indeterminate: false, transient: false, notFound: false },
  ],
  [
    "POPDOCK_API_PRECONDITION_FAILED",
    new PopdockPreconditionFailedError("m", info),
    { indeterminate: false, transient: false, notFound: false },
  ],
  [
    "POPDOCK_API_RATE_LIMITED",
    new PopdockRateLimitedError("m", info),
    { indeterminate: true, transient: true, notFound: false },
  ],
  [
    "POPDOCK_API_UNAVAILABLE",
    new PopdockUnavailableError("m", info),
    { indeterminate: true, transient: true, notFound: false },
  ],
  [
    "POPDOCK_API_TIMEOUT",
    new PopdockTimeoutError("m", info),
    { indeterminate: true, transient: true, notFound: false },
  ],
  [
    "POPDOCK_API_INVALID_RESPONSE",
    new PopdockInvalidResponseError("m", info),
    { indeterminate: true, transient: false, notFound: false },
  ],
  [
    "POPDOCK_API_ABORTED",
    new PopdockAbortedError("m", info),
    { indeterminate: false, transient: false, notFound: false },
  ],
];

describe("API error codes", () => {
  it("the cases cover every POPDOCK_API_* code of ERROR_CODES, and API_ERROR_CODES is that set", () => {
    const apiCodes = Object.keys(ERROR_CODES).filter((c) => c.startsWith("POPDOCK_API_"));
    expect(cases.map(([code]) => code).sort()).toEqual(apiCodes.sort());
    expect([...API_ERROR_CODES].sort()).toEqual(apiCodes.sort());
    expect(Object.keys(API_ERROR_CLASSES).sort()).toEqual(apiCodes.sort());
  });

  it.each(cases)("%s: the class carries the code and classifies as listed", (code, err, want) => {
    expect(err.code).toBe(code);
    expect(err).toBeInstanceOf(PopdockApiError);
    expect(apiErrorCodeOf(err)).toBe(code);
    expect(API_ERROR_CLASSES[code]).toEqual(want);
    expect({
      indeterminate: isIndeterminate(err),
      transient: isTransient(err),
      notFound: isNotFound(err),
    }).toEqual(want);
  });

  it.each(cases)(
    "%s: a plain object with the code classifies the same (no instanceof)",
    (code, _err, want) => {
      const plain = { code };
      expect(apiErrorCodeOf(plain)).toBe(code);
      expect({
        indeterminate: isIndeterminate(plain),
        transient: isTransient(plain),
        notFound: isNotFound(plain),
      }).toEqual(want);
    },
  );

  it("any error after an attempt with an unknown outcome is indeterminate", () => {
    const conflict = new PopdockConflictError("m", { ...info, afterUnknownOutcome: true });
    expect(isIndeterminate(conflict)).toBe(true);
    expect(isIndeterminate(new PopdockConflictError("m", info))).toBe(false);
    expect(isIndeterminate({ afterUnknownOutcome: true })).toBe(true);
  });

  it("anything that is not an API failure classifies as nothing", () => {
    for (const other of [
      undefined,
      null,
      "POPDOCK_API_TIMEOUT",
      new Error("boom"),
      { code: "ECONNREFUSED" },
      { code: "POPDOCK_USAGE" },
      new PopdockInsecureEndpointError("plain http"),
    ]) {
      expect(apiErrorCodeOf(other)).toBeUndefined();
      expect(isIndeterminate(other)).toBe(false);
      expect(isNotFound(other)).toBe(false);
      expect(isTransient(other)).toBe(false);
    }
  });
});
