import { describe, expect, it } from "vitest";
import { summarizeChanges } from "./summary.js";

describe("summarizeChanges", () => {
  it.each([
    ["create", "popdock_api_user", { add: 1, change: 0, destroy: 0, tokens_to_create: 0 }],
    ["update", "popdock_api_user_grant", { add: 0, change: 1, destroy: 0, tokens_to_create: 0 }],
    ["delete", "popdock_api_token", { add: 0, change: 0, destroy: 1, tokens_to_create: 0 }],
    ["replace", "null_resource", { add: 1, change: 0, destroy: 1, tokens_to_create: 0 }],
    ["noop", "popdock_api_token", { add: 0, change: 0, destroy: 0, tokens_to_create: 0 }],
    ["create", "popdock_api_token", { add: 1, change: 0, destroy: 0, tokens_to_create: 1 }],
    ["replace", "popdock_api_token", { add: 1, change: 0, destroy: 1, tokens_to_create: 1 }],
    ["update", "popdock_api_token", { add: 0, change: 1, destroy: 0, tokens_to_create: 0 }],
  ] as const)("%s of %s", (action, type, expected) => {
    expect(summarizeChanges([{ action, type }])).toEqual(expected);
  });

  it("adds up a mixed plan, counting children deleted with their user", () => {
    expect(
      summarizeChanges([
        { action: "create", type: "popdock_api_user" },
        { action: "create", type: "popdock_api_token" },
        { action: "replace", type: "popdock_api_token" },
        { action: "update", type: "popdock_api_user_grant" },
        { action: "delete", type: "popdock_api_user" },
        { action: "delete", type: "popdock_api_user_grant" },
        { action: "noop", type: "null_resource" },
      ]),
    ).toEqual({ add: 3, change: 1, destroy: 3, tokens_to_create: 2 });
  });

  it("is all zeros for no changes", () => {
    expect(summarizeChanges([])).toEqual({ add: 0, change: 0, destroy: 0, tokens_to_create: 0 });
  });
});
