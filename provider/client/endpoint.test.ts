import { describe, expect, it } from "vitest";
import { parseEndpoint } from "./endpoint.js";

describe("parseEndpoint", () => {
  it("splits origin and prefix", () => {
    expect(parseEndpoint("https://h.example:8443/a/b/")).toEqual({
      endpoint: "https://h.example:8443/a/b",
      origin: "https://h.example:8443",
      prefix: "/a/b",
    });
    expect(parseEndpoint("  https://h.example  ")).toEqual({
      endpoint: "https://h.example",
      origin: "https://h.example",
      prefix: "",
    });
  });
});
