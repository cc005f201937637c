import { describe, expect, it } from "vitest";
import { validate } from "./json-schema.js";

const root = {
  components: {
    schemas: {
      A: {
        type: "object",
        additionalProperties: false,
        required: ["kind", "n"],
        properties: { kind: { const: "a" }, n: { type: "integer", minimum: 1 } },
      },
      B: {
        type: "object",
        required: ["kind"],
        properties: { kind: { const: "b" }, s: { type: ["string", "null"], maxLength: 3 } },
      },
      U: {
        oneOf: [{ $ref: "#/components/schemas/A" }, { $ref: "#/components/schemas/B" }],
        discriminator: {
          propertyName: "kind",
          mapping: { a: "#/components/schemas/A", b: "#/components/schemas/B" },
        },
      },
    },
  },
};
const U = { $ref: "#/components/schemas/U" };

describe("json-schema validator", () => {
  it("accepts valid values", () => {
    expect(validate(U, { kind: "a", n: 2 }, root)).toEqual([]);
    expect(validate(U, { kind: "b", s: null, extra: true }, root)).toEqual([]);
    expect(validate({ type: "array", items: { enum: ["x", "y"] } }, ["x", "y"])).toEqual([]);
    expect(validate({ type: "number" }, 3)).toEqual([]);
  });

  it.each([
    ["missing required", { kind: "a" }],
    ["additional property", { kind: "a", n: 1, z: 0 }],
    ["wrong type", { kind: "a", n: "1" }],
    ["not an integer", { kind: "a", n: 1.5 }],
    ["below minimum", { kind: "a", n: 0 }],
    ["unknown discriminator", { kind: "c" }],
    ["too long", { kind: "b", s: "abcd" }],
    ["not nullable-typed", { kind: "b", s: 1 }],
    ["not an object", [1]],
  ])("rejects %s", (_name, value) => {
    expect(validate(U, value, root).length).toBeGreaterThan(0);
  });

  it("rejects enum misses, const misses and bad items", () => {
    expect(validate({ enum: ["x"] }, "y")).toHaveLength(1);
    expect(validate({ type: "array", items: { type: "string" } }, ["a", 1])).toHaveLength(1);
    expect(
      validate({ type: "object", additionalProperties: { type: "integer" } }, { a: 1, b: "2" }),
    ).toHaveLength(1);
  });

  it("checks oneOf without a discriminator for exactly one match", () => {
    const s = { oneOf: [{ type: "string" }, { type: "string", maxLength: 2 }] };
    expect(validate(s, "abc")).toEqual([]);
    expect(validate(s, "ab")).toHaveLength(1);
  });

  it("throws on keywords it does not implement", () => {
    expect(() => validate({ allOf: [] }, 1)).toThrow(/allOf/);
    expect(() => validate({ $ref: "#/nope" }, 1, {})).toThrow(/unresolvable/);
  });
});
