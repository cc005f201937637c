import { describe, expect, it } from "vitest";
import { decodeUtf8, jsonStructureProblems, MAX_NESTING_DEPTH, yamlDepthProblem } from "./input-guards.js";

const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p, "utf8") : Buffer.from(p))));

describe("decodeUtf8", () => {
  it("decodes UTF-8 and drops a BOM", () => {
    expect(decodeUtf8(bytes([0xef, 0xbb, 0xbf], "name: café 😀"))).toEqual({
      ok: true,
      text: "name: café 😀",
    });
  });

  it.each([
    ["a lone continuation byte", bytes("a: 1\nname: alpha-", [0xff, 0xfe], "bot\n"), 2, 13, "\\xff"],
    ["a truncated sequence", bytes("x: é", [0xc3]), 1, 5, "\\xc3"],
    ["an overlong encoding", bytes("ab", [0xc0, 0xaf]), 1, 3, "\\xc0"],
    ["an encoded surrogate", bytes("é\n", [0xed, 0xa0, 0x80]), 2, 1, "\\xed"],
  ])("names %s with line and column", (_what, input, line, column, first) => {
    const r = decodeUtf8(input);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect([r.line, r.column]).toEqual([line, column]);
    expect(r.message).toContain(`byte ${first}`);
  });
});

describe("jsonStructureProblems", () => {
  it("finds nothing in ordinary JSON, strings with brackets and escaped quotes included", () => {
    expect(jsonStructureProblems('{"a": {"b": [1, {"c": "x]}\\"{"}]}, "d": "[[["}')).toEqual([]);
  });

  it("finds a duplicate key with its path and both lines", () => {
    const text =
      '{\n  "resource": {\n    "popdock_api_user": {\n      "a": {"name": "x"},\n      "a": {"name": "y"}\n    }\n  }\n}';
    expect(jsonStructureProblems(text)).toEqual([
      {
        kind: "duplicate-key",
        key: "a",
        path: "resource.popdock_api_user.a",
        firstLine: 4,
        line: 5,
        column: 7,
      },
    ]);
  });

  it("allows one key in two different objects", () => {
    expect(jsonStructureProblems('{"a": {"x": 1}, "b": {"x": 2}, "c": [{"x": 1}, {"x": 2}]}')).toEqual([]);
  });

  it("finds prototype keys", () => {
    expect(jsonStructureProblems('{"resource": {"__proto__": {}}}')).toEqual([
      { kind: "prototype-key", key: "__proto__", path: "resource.__proto__", line: 1, column: 15 },
    ]);
  });

  it("stops at nesting deeper than the limit, however deep the input", () => {
    const deep = "[".repeat(20_000) + "]".repeat(20_000);
    expect(jsonStructureProblems(deep)).toEqual([
      { kind: "depth", maxDepth: MAX_NESTING_DEPTH, line: 1, column: MAX_NESTING_DEPTH + 1 },
    ]);
    expect(jsonStructureProblems(`${"[".repeat(MAX_NESTING_DEPTH)}${"]".repeat(MAX_NESTING_DEPTH)}`)).toEqual(
      [],
    );
  });
});

describe("yamlDepthProblem", () => {
  it("accepts ordinary configurations, quotes and comments with brackets", () => {
    const text = [
      "api_users:",
      "  bot:",
      "    name: O'Brien's bot [x]",
      '    description: "a [ b { c"',
      "    grants:",
      "      - connector: GP # [[[[",
      "        companies: [A, B, {x: [1]}]",
      "    tokens: { main: { name: 'it''s [' } }",
    ].join("\n");
    expect(yamlDepthProblem(text)).toBeUndefined();
  });

  it("stops deep flow nesting and compact block nesting", () => {
    expect(yamlDepthProblem(`a: ${"[".repeat(20_000)}`)).toEqual({
      line: 1,
      column: 3 + MAX_NESTING_DEPTH + 1,
    });
    expect(yamlDepthProblem(`x:\n${"- ".repeat(5000)}1`)).toEqual({ line: 2, column: 2 * 5000 + 1 });
    expect(yamlDepthProblem(`x:\n${"- ".repeat(MAX_NESTING_DEPTH - 1)}1`)).toBeUndefined();
  });
});
