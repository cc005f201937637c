import { describe, expect, it } from "vitest";
import type { StateFile } from "../../../schema/state.js";
import { applyDeltas, refuseTokenIds } from "./replay.js";

const base: StateFile = {
  format_version: 1,
  tool: "popdock-iac",
  lineage: "6f1c1f4e-3c1b-4c4e-9f0a-0e7f1c2b3a4d",
  serial: 3,
  resources: {
    "popdock_api_user.a": {
      type: "popdock_api_user",
      id: "usr_a",
      version: 1,
      attributes: {},
      dependencies: [],
    },
  },
  pending: [],
  deposed: [],
  outputs: {},
};

describe("applyDeltas", () => {
  it("a newer intent of the same step replaces the older one; clear_pending removes only that step", () => {
    const step = (key: string, action: "create" | "delete" = "create") => ({
      address: "popdock_api_user.b",
      action,
      type: "popdock_api_user",
      idempotency_key: key,
      started_at: "t",
    });
    const s = applyDeltas(base, [
      { op: "pending", step: step("k1") },
      { op: "pending", step: step("k2") },
      { op: "pending", step: step("k3", "delete") },
      { op: "clear_pending", address: "popdock_api_user.b", action: "delete" },
    ]);
    expect(s.pending).toEqual([step("k2")]);
  });

  it("does not modify its input and keeps the snapshot's serial and lineage", () => {
    const before = structuredClone(base);
    const s = applyDeltas(base, [
      { op: "remove", address: "popdock_api_user.a" },
      { op: "depose", object: { address: "x", type: "popdock_api_user", id: "usr_1", version: 1 } },
      { op: "depose", object: { address: "x", type: "popdock_api_user", id: "usr_1", version: 2 } },
    ]);
    expect(base).toEqual(before);
    expect(s.resources).toEqual({});
    expect(s.deposed).toEqual([{ address: "x", type: "popdock_api_user", id: "usr_1", version: 2 }]);
    expect(applyDeltas(s, [{ op: "undepose", id: "usr_1" }]).deposed).toEqual([]);
    expect([s.serial, s.lineage]).toEqual([base.serial, base.lineage]);
  });
});

describe("refuseTokenIds", () => {
  it.each([["token_id"], ["tokenId"], ["Token-ID"]])(
    "refuses %s anywhere, naming the path and not the value",
    (key) => {
      expect(() =>
        refuseTokenIds([{ op: "put", resource: { attributes: { [key]: "s3cret" } } }], "x"),
      ).toThrow(expect.objectContaining({ message: expect.not.stringContaining("s3cret") }));
    },
  );
  it("accepts a token's other fields", () => {
    expect(() => refuseTokenIds({ attributes: { token_name: "ci", id: "tok_1" } }, "x")).not.toThrow();
  });
});
