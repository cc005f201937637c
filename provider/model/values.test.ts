import { describe, expect, it } from "vitest";
import { canonicalJson, sameValue } from "./values.js";

describe("sameValue", () => {
  it.each([
    [{ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 }, false, true],
    [{ a: 1, b: undefined }, { a: 1 }, false, true],
    [undefined, null, false, true],
    [["b", "a"], ["a", "b"], false, false],
    [["b", "a"], ["a", "b"], true, true],
    [["a", "a"], ["a"], true, false],
    [[{ x: 1 }], [{ x: 2 }], true, false],
    ["1", 1, false, false],
  ])("%j vs %j (as set: %s) → %s", (a, b, asSet, expected) => {
    expect(sameValue(a, b, asSet)).toBe(expected);
  });

  it("canonicalJson sorts keys at every depth", () => {
    expect(canonicalJson({ b: { d: 1, c: 2 }, a: null })).toBe('{"a":null,"b":{"c":2,"d":1}}');
  });
});
