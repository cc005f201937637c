import { describe, expect, it } from "vitest";
import { isLoopbackHost } from "./loopback.js";

describe("isLoopbackHost", () => {
  it.each([
    ["localhost", true],
    ["LOCALHOST", true],
    ["api.localhost", false],
    ["popdock.localhost", false],
    ["127.0.0.1", true],
    ["127.255.0.9", true],
    ["[::1]", true],
    ["0:0:0:0:0:0:0:1", true],
    ["0::1", true],
    ["::ffff:127.0.0.1", true],
    ["::", false],
    ["1::1", false],
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
