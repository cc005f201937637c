import { describe, expect, it } from "vitest";
import type { StateFile } from "../../schema/state.js";
import { plans } from "../../test/fixtures/plans/plans.js";
import { refreshOnlyPlan, TARGET_WARNING, targetPlan } from "./planning-modes.js";

const fixture = (name: string) => {
  const p = plans[name];
  if (!p) throw new Error(`no fixture ${name}`);
  return p;
};

describe("targetPlan", () => {
  it("keeps a token's API user, and the children a targeted user's delete removes", () => {
    const create = fixture("create-all");
    const token = create.changes.find((c) => c.type === "popdock_api_token");
    if (!token) throw new Error("no token in create-all");
    const r = targetPlan(create, [token.address]);
    expect(r.diagnostics).toEqual([TARGET_WARNING]);
    expect(r.plan?.changes.map((c) => c.address).sort()).toEqual(
      [token.address, token.parent as string, ...token.depends_on]
        .filter((a, i, all) => all.indexOf(a) === i)
        .sort(),
    );
    expect(r.plan?.summary.add).toBe(r.plan?.changes.filter((c) => c.action === "create").length);

    const del = fixture("delete-user");
    const user = del.changes.find((c) => c.type === "popdock_api_user");
    if (!user) throw new Error("no user in delete-user");
    const d = targetPlan(del, [user.address]);
    expect(d.plan?.changes.map((c) => c.address).sort()).toEqual(
      del.changes
        .filter((c) => c.group === user.address)
        .map((c) => c.address)
        .sort(),
    );
    expect(d.plan?.changes).toHaveLength(3); // the user and the grant and token deleted with it
  });

  it("takes every instance of type.name, and refuses a target that names nothing", () => {
    const create = fixture("create-all");
    const grants = create.changes.filter((c) => c.type === "popdock_api_user_grant");
    const [type, name] = (grants[0]?.address ?? "").split("[")[0]?.split(".") ?? [];
    const all = targetPlan(create, [`${type}.${name}`]);
    for (const g of grants.filter((x) => x.name === name)) expect(all.plan?.changes).toContainEqual(g);
    const bad = targetPlan(create, ["popdock_api_user.nope"]);
    expect(bad.plan).toBeUndefined();
    expect(bad.diagnostics[0]).toMatchObject({ code: "PLAN_TARGET_UNKNOWN", severity: "error" });
  });
});

describe("refreshOnlyPlan", () => {
  it("makes every change a no-op and forgets what was deleted in Popdock, with its children", () => {
    const p = fixture("drift");
    const deleted = p.drift.filter((d) => d.action === "delete").map((d) => d.address);
    expect(deleted.length).toBeGreaterThan(0);
    const state = {
      resources: Object.fromEntries(
        [...p.changes.map((c) => c.address), ...deleted].map((a) => [
          a,
          { type: a.split(".")[0], id: "x", attributes: {} },
        ]),
      ),
      pending: [],
      deposed: [],
      outputs: {},
    } as unknown as StateFile;
    const r = refreshOnlyPlan(p, state);
    expect(r.plan.changes.every((c) => c.action === "noop")).toBe(true);
    expect(r.plan.summary).toMatchObject({ add: 0, change: 0, destroy: 0 });
    for (const a of deleted) expect(r.state.resources[a]).toBeUndefined();
    expect(r.accepted).toBe(p.drift.length);
    expect(Object.keys(state.resources).length).toBeGreaterThan(Object.keys(r.state.resources).length); // input untouched
  });
});
