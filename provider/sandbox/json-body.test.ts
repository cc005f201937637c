import { describe, expect, it } from "vitest";
import { isJsonContentType, jsonDepth, MAX_JSON_DEPTH, parseJsonBounded } from "./json-body.js";

describe("jsonDepth", () => {
  it.each([
    ["1", 0],
    ["[]", 1],
    ['{"a":[{"b":[]}]}', 4],
    ['["[[[[", "}}}"]', 1],
    ['{"a\\"[[": [1]}', 2],
  ])("%s is %i deep (brackets inside strings do not count)", (text, depth) => {
    expect(jsonDepth(text)).toBe(depth);
  });

  it("stops counting past the limit", () => {
    expect(jsonDepth("[".repeat(1_000_000), 10)).toBe(11);
  });
});

describe("parseJsonBounded", () => {
  it("parses JSON up to the limit", () => {
    const text = `${"[".repeat(MAX_JSON_DEPTH)}${"]".repeat(MAX_JSON_DEPTH)}`;
    expect(parseJsonBounded(text).ok).toBe(true);
  });

  it("refuses deeper JSON without recursing, and says why", () => {
    const text = `${"[".repeat(500_000)}${"]".repeat(500_000)}`;
    expect(parseJsonBounded(text)).toEqual({ ok: false, reason: "JSON nested deeper than 64 levels" });
  });

  it("reports a syntax error as data", () => {
    const r = parseJsonBounded("{");
    expect(r.ok).toBe(false);
  });
});

describe("isJsonContentType", () => {
  it.each([
    ["application/json", true],
    ["Application/JSON; charset=utf-8", true],
    ["application/merge-patch+json", true],
    ["application/problem+json; charset=utf-8", true],
    ["text/plain;charset=UTF-8", false],
    ["application/jsonp", false],
    ["multipart/form-data; boundary=x", false],
    ["", false],
  ])("%j → %s", (type, expected) => {
    expect(isJsonContentType(type)).toBe(expected);
  });
});
