import { describe, expect, it } from "vitest";
import {
  backoffDelayMs,
  classifyNetworkError,
  DEFAULT_RETRY_POLICY,
  isRetrySafe,
  parseRetryAfterMs,
  withinConnectRetry,
} from "./retry.js";

describe("backoffDelayMs", () => {
  const policy = { baseDelayMs: 100, maxDelayMs: 1000 };

  it("draws uniformly below base * 2^(retry-1), capped", () => {
    expect([1, 2, 3, 4, 5, 6].map((r) => backoffDelayMs(r, policy, () => 0.999999))).toEqual([
      99, 199, 399, 799, 999, 999,
    ]);
    expect(backoffDelayMs(3, policy, () => 0)).toBe(0);
    expect(backoffDelayMs(3, policy, () => 0.5)).toBe(200);
  });

  it("defaults: 5 attempts, 30 s Retry-After cap, 5 min budget", () => {
    expect(DEFAULT_RETRY_POLICY).toMatchObject({
      maxAttempts: 5,
      maxRetryAfterMs: 30_000,
      budgetMs: 300_000,
    });
  });

  it("defaults: refused connections are retried for up to 30 s", () => {
    expect(DEFAULT_RETRY_POLICY.connectRetryMs).toBe(30_000);
  });
});

describe("withinConnectRetry", () => {
  const policy = { connectRetryMs: 10_000 };
  const refused = { code: "ECONNREFUSED" };

  it("allows another refused attempt while elapsed + wait stays below connectRetryMs", () => {
    expect(withinConnectRetry(refused, 0, 500, policy)).toBe(true);
    expect(withinConnectRetry(refused, 9_000, 999, policy)).toBe(true);
    expect(withinConnectRetry(refused, 9_000, 1_000, policy)).toBe(false);
    expect(withinConnectRetry(refused, 12_000, 0, policy)).toBe(false);
  });

  it("only for ECONNREFUSED, and never when connectRetryMs is 0", () => {
    for (const code of ["ECONNRESET", "UND_ERR_CONNECT_TIMEOUT", "EHOSTUNREACH", "UND_ERR_SOCKET"]) {
      expect(withinConnectRetry({ code }, 0, 0, policy)).toBe(false);
    }
    expect(withinConnectRetry(refused, 0, 0, { connectRetryMs: 0 })).toBe(false);
  });
});

describe("parseRetryAfterMs", () => {
  const now = Date.UTC(2025, 5, 1, 10, 0, 0);

  it.each([
    [undefined, undefined],
    ["", undefined],
    ["3", 3000],
    [" 0 ", 0],
    ["1.5", 1500],
    [new Date(now + 7000).toUTCString(), 7000],
    [new Date(now - 7000).toUTCString(), 0],
    ["soon", undefined],
    ["-1", undefined],
  ])("%s → %s", (value, expected) => {
    expect(parseRetryAfterMs(value, now)).toBe(expected);
  });
});

describe("classifyNetworkError", () => {
  const err = (code: string, message = "x") => Object.assign(new Error(message), { code });

  it("connect-phase failures are retryable and were never sent", () => {
    expect(classifyNetworkError(err("ECONNREFUSED"))).toEqual({
      code: "ECONNREFUSED",
      retryable: true,
      maybeSent: false,
      timeout: false,
    });
    expect(classifyNetworkError(err("UND_ERR_CONNECT_TIMEOUT"))).toMatchObject({
      maybeSent: false,
      timeout: true,
    });
  });

  it("failures after sending are retryable with an unknown outcome", () => {
    expect(classifyNetworkError(err("UND_ERR_SOCKET", "other side closed"))).toMatchObject({
      retryable: true,
      maybeSent: true,
      timeout: false,
    });
    expect(classifyNetworkError(err("ECONNRESET"))).toMatchObject({ retryable: true, maybeSent: true });
    expect(classifyNetworkError(err("UND_ERR_HEADERS_TIMEOUT"))).toMatchObject({
      timeout: true,
      maybeSent: true,
    });
    expect(classifyNetworkError(err("UND_ERR_BODY_TIMEOUT"))).toMatchObject({ timeout: true });
  });

  it("looks through cause chains, AggregateError and the 'other side closed' message", () => {
    const agg = new AggregateError([err("ECONNREFUSED"), err("ECONNREFUSED")], "connect failed");
    expect(classifyNetworkError(agg).code).toBe("ECONNREFUSED");
    expect(classifyNetworkError(new Error("fetch failed", { cause: err("ECONNRESET") })).code).toBe(
      "ECONNRESET",
    );
    expect(classifyNetworkError(new Error("other side closed")).code).toBe("UND_ERR_SOCKET");
  });

  it("anything else is not retried", () => {
    expect(classifyNetworkError(err("ENOTFOUND"))).toMatchObject({ code: "ENOTFOUND", retryable: false });
    expect(classifyNetworkError(err("CERT_HAS_EXPIRED"))).toMatchObject({ retryable: false });
    expect(classifyNetworkError("weird")).toMatchObject({ code: "UNKNOWN", retryable: false });
  });
});

describe("isRetrySafe", () => {
  it.each([
    ["GET", {}, true],
    ["DELETE", {}, true],
    ["PUT", {}, true],
    ["POST", {}, false],
    ["POST", { idempotencyKey: "k" }, true],
    ["PATCH", {}, false],
    ["PATCH", { ifMatch: '"3"' }, true],
    ["OPTIONS", {}, false],
  ] as const)("%s %o → %s", (method, headers, expected) => {
    expect(isRetrySafe(method, headers)).toBe(expected);
  });
});
