import { describe, expect, it } from "vitest";
import { descriptionProblem, nameProblem, normalizeText, unsafeCharProblem } from "./limits.js";

describe("unsafeCharProblem", () => {
  it.each([
    ["alpha\u202ebot", "a bidirectional formatting character (U+202E) at position 6"],
    ["alpha\u0000bot", "a control character (U+0000) at position 6"],
    ["al\u0007", "a control character (U+0007) at position 3"],
    ["two\nlines", "a control character (U+000A) at position 4"],
    ["tab\there", "a control character (U+0009) at position 4"],
    ["c1\u0085", "a C1 control character (U+0085) at position 3"],
    ["zero\u200bwidth", "a zero-width character (U+200B) at position 5"],
    ["\ufeffbom", "a zero-width character (U+FEFF) at position 1"],
    ["iso\u2066late", "a bidirectional formatting character (U+2066) at position 4"],
    ["lone\ud800", "an unpaired surrogate (not a character) at position 5"],
    ["😀\udc00", "an unpaired surrogate (not a character) at position 2"],
  ])("%j → %s", (value, expected) => {
    expect(unsafeCharProblem("token name", value)?.message).toBe(`token name contains ${expected}`);
  });

  it.each(["reporting-bot", "Ünïcödé naïve café", "emoji 😀 ok", "中文名", "עברית"])(
    "%j is fine",
    (value) => {
      expect(unsafeCharProblem("name", value)).toBeUndefined();
    },
  );

  it("is part of the name and description checks", () => {
    expect(nameProblem("API user name", "a\u202eb")?.message).toContain("U+202E");
    expect(descriptionProblem("two\r\nlines\tand a tab")).toBeUndefined();
    expect(nameProblem("API user name", "two\nlines")?.message).toBe(
      "API user name contains a control character (U+000A) at position 4",
    );
    expect(descriptionProblem("x\u0000")?.message).toBe(
      "description contains a control character (U+0000) at position 2",
    );
  });

  it("normalizes to NFC", () => {
    expect(normalizeText("cafe\u0301")).toBe("caf\u00e9");
  });
});
