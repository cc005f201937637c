import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "./duration.js";
import { UsageError } from "./errors.js";

describe("parseDuration", () => {
  it.each([
    ["0", 0],
    ["500ms", 500],
    ["30s", 30_000],
    ["2m", 120_000],
    ["1h", 3_600_000],
    ["1m30s", 90_000],
    ["1h5m", 3_900_000],
    ["1.5s", 1500],
    [".5s", 500],
    ["0s", 0],
    [" 30s ", 30_000],
  ])("%j → %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["", "30", "-1s", "30 s", "30S", "1d", "s", "1.s", "30s ago", "1e3ms", "1m 30s"])(
    "rejects %j with a usage error",
    (text) => {
      expect(() => parseDuration(text)).toThrow(UsageError);
      expect(() => parseDuration(text)).toThrow(
        `invalid duration ${JSON.stringify(text)}: use a number with a unit (ms, s, m, h), e.g. 500ms, 30s, 2m, 1h or 0`,
      );
    },
  );

  it.each([
    [500, "500ms"],
    [1200, "1.2s"],
    [59_999, "59.999s"],
    [30_000, "30s"],
    [120_000, "2m"],
    [90_000, "1m30s"],
    [3_900_000, "1h5m"],
    [0, "0ms"],
  ])("formatDuration(%d) = %s and parses back", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text)).toBe(ms);
  });
});
