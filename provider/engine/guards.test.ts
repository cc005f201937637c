import { describe, expect, it } from "vitest";
import type { Plan, ResourceChange } from "../../schema/plan.js";
import type { StateFile } from "../../schema/state.js";
import { destroyAllProblem } from "./guards.js";

const change = (address: string, action: ResourceChange["action"]) => ({ address, action }) as ResourceChange;
const plan = (changes: ResourceChange[], mode: Plan["mode"] = "normal", add = 0) =>
  ({ mode, changes, summary: { add, change: 0, destroy: 0, tokens_to_create: 0 } }) as unknown as Plan;
const state = (...addresses: string[]) =>
  ({ resources: Object.fromEntries(addresses.map((a) => [a, {}])) }) as unknown as StateFile;
const opts = { allowed: false, declaredEmpty: false, declared: 0, stateName: ".popdock/state.json" };

describe("destroyAllProblem", () => {
  const all = plan([change("popdock_api_user.a", "delete"), change('popdock_api_token.a["t"]', "delete")]);
  const st = state("popdock_api_user.a", 'popdock_api_token.a["t"]');

  it("refuses an empty configuration that would destroy everything", () => {
    expect(destroyAllProblem(all, st, opts)).toMatchObject({
      code: "PLAN_EMPTY_CONFIG",
      message:
        "the configuration declares no API users, but the state .popdock/state.json manages 2 objects: this plan would destroy all of them",
    });
  });

  it("refuses a configuration whose every object is new while all old ones go", () => {
    const p = plan([...all.changes, change("popdock_api_user.b", "create")], "normal", 1);
    expect(destroyAllProblem(p, st, { ...opts, declared: 1 })?.message).toBe(
      "this plan destroys all 2 objects in the state .popdock/state.json and creates 1 new: did you mean another state, configuration or set of variables?",
    );
  });

  it("names the workspace when there is one", () => {
    const p = plan([...all.changes, change("popdock_api_user.b", "create")], "normal", 1);
    expect(destroyAllProblem(p, st, { ...opts, declared: 1, workspace: "prod" })?.message).toBe(
      "this plan destroys all 2 objects in workspace prod (.popdock/state.json) and creates 1 new: did you mean another workspace, configuration or set of variables?",
    );
    expect(destroyAllProblem(all, st, { ...opts, workspace: "prod" })?.message).toBe(
      "the configuration declares no API users, but workspace prod (.popdock/state.json) manages 2 objects: this plan would destroy all of them",
    );
  });

  it.each([
    ["the flag", all, st, { ...opts, allowed: true }],
    ["an explicit empty configuration", all, st, { ...opts, declaredEmpty: true }],
    ["a destroy plan", plan(all.changes, "destroy"), st, opts],
    ["an empty state", plan([]), state(), opts],
    ["one object that stays", plan([change("popdock_api_user.a", "delete")]), st, opts],
  ])("allows %s", (_what, p, s, o) => {
    expect(destroyAllProblem(p, s, o)).toBeUndefined();
  });
});
