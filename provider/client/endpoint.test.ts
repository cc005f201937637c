import { describe, expect, it } from "vitest";
import { isLoopbackHost, parseEndpoint } from "./endpoint.js";

describe("isLoopbackHost", () => {
  it.each([
    ["localhost", true],
    ["LOCALHOST", true],
    ["api.localhost", true],
    ["127.0.0.1", true],
    ["127.255.0.9", true],
    ["[::1]", true],
    ["::1", true],
    ["[::ffff:7f00:1]", true],
    ["128.0.0.1", false],
    ["10.0.0.1", false],
    ["localhost.example.com", false],
    ["[::2]", false],
    ["popdock.example.com", false],
  ])("%s → %s", (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });
});

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
