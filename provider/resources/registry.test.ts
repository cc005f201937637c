import { describe, expect, it } from "vitest";
import { UsageError } from "../model/errors.js";
import {
  BUILTIN_RESOURCE_TYPES,
  compareTypes,
  findResourceType,
  registerResourceType,
  resourceTypeFor,
  resourceTypes,
  UnknownResourceTypeError,
} from "./index.js";

describe("the resource registry", () => {
  it("holds the built-in types in their order", () => {
    expect(resourceTypes().map((t) => t.type)).toEqual([
      "popdock_api_user",
      "popdock_api_user_grant",
      "popdock_api_token",
      "null_resource",
    ]);
    expect(compareTypes("popdock_api_token", "popdock_api_user")).toBe(1);
    expect(compareTypes("popdock_api_user", "popdock_unknown")).toBe(-1);
  });

  it.each(BUILTIN_RESOURCE_TYPES.map((t) => [t.type, t] as const))("%s is consistent", (_name, t) => {
    if (t.parent) {
      const parent = resourceTypeFor(t.parent.type);
      expect(parent.order).toBeLessThan(t.order);
    }
    for (const k of t.updatable) expect(t.compared).toContain(k);
    for (const k of t.sets) expect(t.compared).toContain(k);
    for (const k of t.sensitive) expect(t.compared).not.toContain(k);
    expect(t.referenceable).toContain("id");
  });

  it("names an unknown type and what it knows", () => {
    expect(() => resourceTypeFor("popdock_widget", "state entry popdock_widget.x")).toThrow(
      UnknownResourceTypeError,
    );
    expect(() => resourceTypeFor("popdock_widget", "state entry popdock_widget.x")).toThrow(
      'state entry popdock_widget.x: unknown resource type "popdock_widget" (this popdock-iac knows popdock_api_user, popdock_api_user_grant, popdock_api_token, null_resource)',
    );
  });

  it("registers a type at run time and unregisters it", () => {
    const base = resourceTypeFor("null_resource");
    const unregister = registerResourceType({ ...base, type: "test_thing", order: 5 });
    expect(resourceTypes().map((t) => t.type)).toContain("test_thing");
    expect(() => registerResourceType({ ...base, type: "test_thing" })).toThrow(/registered already/);
    unregister();
    unregister();
    expect(findResourceType("test_thing")).toBeUndefined();
  });

  it("parses import ids per type", () => {
    expect(resourceTypeFor("popdock_api_user").import.parse("usr_1")).toEqual({ id: "usr_1" });
    expect(resourceTypeFor("popdock_api_token").import.parse("usr_1/tok_2")).toEqual({
      id: "tok_2",
      parentId: "usr_1",
    });
    expect(() => resourceTypeFor("popdock_api_user_grant").import.parse("grt_2")).toThrow(UsageError);
    expect(() => resourceTypeFor("null_resource").import.parse("x")).toThrow(/cannot be imported/);
  });

  it("checks plain attributes against the type at the boundary", async () => {
    const grant = resourceTypeFor("popdock_api_user_grant");
    const ctx = { api: {} as never, signal: new AbortController().signal };
    await expect(grant.create(ctx, { kind: "team" }, "usr_1")).rejects.toThrow(
      /popdock_api_user_grant: the planned attributes do not fit the type/,
    );
    expect(grant.render.describe({ kind: "team", team: "Finance", team_id: "team_1" })).toBe(
      'a team grant for "Finance" on this API user',
    );
    expect(grant.import.addressIndex?.({ kind: "role", role: "User", role_id: "role_1" })).toBe("role:User");
  });
});
