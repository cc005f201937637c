import { describe, expect, it } from "vitest";
import type { RouteDef } from "./pipeline.js";
import { Router } from "./router.js";

const def = (method: string, template: string): RouteDef => ({
  method,
  template,
  hook: false,
  run: () => ({ status: 204 }),
});

const router = new Router([
  def("GET", "/users"),
  def("POST", "/users"),
  def("GET", "/users/{userId}"),
  def("DELETE", "/users/{userId}/tokens/{tokenId}"),
  def("GET", "/a.b"),
]);

describe("Router", () => {
  it("matches a method and template and decodes the parameters", () => {
    const m = router.match("DELETE", "/users/u%201/tokens/t1");
    expect(m.route?.template).toBe("/users/{userId}/tokens/{tokenId}");
    expect(m.params).toEqual({ userId: "u 1", tokenId: "t1" });
  });

  it("lists the allowed methods of a known path with another method", () => {
    const m = router.match("TRACE", "/users");
    expect(m.route).toBeUndefined();
    expect(m.template).toBe("/users");
    expect(m.allowed).toEqual(["GET", "POST"]);
  });

  it("matches nothing for an unknown path, a literal dot, or bad percent-encoding", () => {
    expect(router.match("GET", "/users/1/extra")).toEqual({ params: {}, allowed: [] });
    expect(router.match("GET", "/aXb").route).toBeUndefined();
    expect(router.match("GET", "/users/%E0%A4%A").route).toBeUndefined();
  });
});
