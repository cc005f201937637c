import { describe, expect, it } from "vitest";
import { UsageError } from "../model/errors.js";
import { debugFromEnv, retryFromEnv } from "./options.js";

describe("retryFromEnv", () => {
  it("POPDOCK_CONNECT_RETRY_SECONDS becomes connectRetryMs", () => {
    expect(retryFromEnv({ POPDOCK_CONNECT_RETRY_SECONDS: "30" })).toEqual({ connectRetryMs: 30_000 });
    expect(retryFromEnv({ POPDOCK_CONNECT_RETRY_SECONDS: " 2.5 " })).toEqual({ connectRetryMs: 2_500 });
    expect(retryFromEnv({ POPDOCK_CONNECT_RETRY_SECONDS: "0" })).toEqual({ connectRetryMs: 0 });
  });

  it("unset or empty keeps the defaults", () => {
    expect(retryFromEnv({})).toEqual({});
    expect(retryFromEnv({ POPDOCK_CONNECT_RETRY_SECONDS: "" })).toEqual({});
  });

  it.each(["-1", "abc", "1e3", "3601", "30s"])("%s is a usage error naming the variable", (value) => {
    expect(() => retryFromEnv({ POPDOCK_CONNECT_RETRY_SECONDS: value })).toThrow(UsageError);
    expect(() => retryFromEnv({ POPDOCK_CONNECT_RETRY_SECONDS: value })).toThrow(
      /POPDOCK_CONNECT_RETRY_SECONDS/,
    );
  });
});

describe("POPDOCK_RETRY_BUDGET", () => {
  it("takes seconds or a duration and becomes budgetMs", () => {
    expect(retryFromEnv({ POPDOCK_RETRY_BUDGET: "300" })).toEqual({ budgetMs: 300_000 });
    expect(retryFromEnv({ POPDOCK_RETRY_BUDGET: "90s" })).toEqual({ budgetMs: 90_000 });
    expect(retryFromEnv({ POPDOCK_RETRY_BUDGET: "1h30m" })).toEqual({ budgetMs: 5_400_000 });
    expect(retryFromEnv({ POPDOCK_RETRY_BUDGET: "5m", POPDOCK_CONNECT_RETRY_SECONDS: "10" })).toEqual({
      budgetMs: 300_000,
      connectRetryMs: 10_000,
    });
  });

  it.each(["0", "500ms", "25h", "5 minutes", "-5m", "m"])(
    "%s is a usage error naming the variable",
    (value) => {
      expect(() => retryFromEnv({ POPDOCK_RETRY_BUDGET: value })).toThrow(
        /POPDOCK_RETRY_BUDGET must be a duration/,
      );
    },
  );
});

describe("debugFromEnv", () => {
  it("is on for POPDOCK_LOG=debug in any case only", () => {
    expect(debugFromEnv({ POPDOCK_LOG: "DEBUG" })).toBe(true);
    expect(debugFromEnv({ POPDOCK_LOG: "info" })).toBe(false);
    expect(debugFromEnv({})).toBe(false);
  });
});
