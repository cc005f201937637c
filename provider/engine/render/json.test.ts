import { describe, expect, it } from "vitest";
import type { ResourceChange } from "../../../schema/plan.js";
import {
  createAll,
  deleteUser,
  drift,
  plan,
  replaceBoth,
  updateLists,
} from "../../../test/fixtures/plans/plans.js";
import { jsonActions, renderPlanJson } from "./json.js";

function change(p: ReturnType<typeof renderPlanJson>, address: string) {
  const c = p.resource_changes.find((r) => r.address === address);
  if (!c) throw new Error(`no change for ${address}`);
  return c;
}

const TOKEN = 'popdock_api_token.reporting_bot["powerbi"]';

describe("renderPlanJson", () => {
  it.each([
    ["create-all", createAll],
    ["replace-cbd-and-delete-first", replaceBoth],
  ])("renders the %s plan", async (name, p) => {
    await expect(`${JSON.stringify(renderPlanJson(p), null, 2)}\n`).toMatchFileSnapshot(
      `./__snapshots__/${name}.json.snap`,
    );
  });

  it.each([
    ["create", undefined, ["create"]],
    ["update", undefined, ["update"]],
    ["delete", undefined, ["delete"]],
    ["noop", undefined, ["no-op"]],
    ["replace", "create_before_destroy", ["create", "delete"]],
    ["replace", "delete_before_create", ["delete", "create"]],
    ["replace", undefined, ["delete", "create"]],
  ] as const)("maps %s (%s) to %j", (action, order, expected) => {
    const c = { action, ...(order === undefined ? {} : { replace_order: order }) } as ResourceChange;
    expect(jsonActions(c)).toEqual(expected);
  });

  it("gives replacements their order and reason", () => {
    const json = renderPlanJson(replaceBoth);
    expect(change(json, TOKEN).change.actions).toEqual(["create", "delete"]);
    expect(change(json, TOKEN).action_reason).toBe("replace_because_cannot_update");
    expect(change(json, 'popdock_api_token.reporting_bot["excel"]').action_reason).toBe(
      "replace_by_triggers",
    );
    expect(change(json, "null_resource.rotate").change.actions).toEqual(["delete", "create"]);
  });

  it("includes noop changes, like Terraform", () => {
    const json = renderPlanJson(updateLists);
    expect(change(json, 'popdock_api_user_grant.reporting_bot["team:Finance"]').change.actions).toEqual([
      "no-op",
    ]);
    expect(json.resource_changes.map((c) => c.address)).toEqual(
      [...json.resource_changes.map((c) => c.address)].sort(),
    );
  });

  it("marks sensitive attributes and leaves their values out", () => {
    const json = renderPlanJson(createAll);
    const token = change(json, TOKEN);
    expect(token.index).toBe("powerbi");
    expect(token.change.before).toBeNull();
    expect(token.change.after).toEqual({ name: "powerbi" });
    expect(token.change.after_unknown).toEqual({ id: true, token_id: true });
    expect(token.change.before_sensitive).toBe(false);
    expect(token.change.after_sensitive).toEqual({ token_id: true });
    const user = change(json, "popdock_api_user.reporting_bot");
    expect(user.change.after_sensitive).toEqual({});
    expect(user).not.toHaveProperty("index");

    const deleted = change(renderPlanJson(deleteUser), TOKEN);
    expect(deleted.change.before_sensitive).toEqual({ token_id: true });
    expect(deleted.change.after_sensitive).toBe(false);
    expect(deleted.change.after).toBeNull();
  });

  it("nulls sensitive outputs and marks them", () => {
    const json = renderPlanJson(createAll);
    expect(json.output_changes.powerbi_token).toEqual({
      actions: ["create"],
      before: null,
      after: null,
      after_unknown: true,
      before_sensitive: false,
      after_sensitive: true,
    });
    expect(json.output_changes.user_name).toMatchObject({
      after: "reporting-bot-dev",
      after_sensitive: false,
    });
    expect(json.planned_values.outputs).toEqual({
      powerbi_token: { sensitive: true },
      user_id: { sensitive: false },
      user_name: { sensitive: false, value: "reporting-bot-dev" },
    });
    expect(renderPlanJson(deleteUser).output_changes.powerbi_token).toMatchObject({
      actions: ["delete"],
      before: null,
      before_sensitive: true,
      after_sensitive: false,
    });
  });

  it("keeps an updated object's computed attributes in its planned values", () => {
    const json = renderPlanJson(updateLists);
    const user = json.planned_values.root_module.resources.find(
      (r) => r.address === "popdock_api_user.reporting_bot",
    );
    expect(user?.values).toEqual({
      id: "usr_01",
      name: "reporting-bot-dev",
      description: "Power BI refresh (finance)",
    });
    expect(json.planned_values.root_module.resources.every((r) => r.mode === "managed")).toBe(true);
    expect(renderPlanJson(deleteUser).planned_values.root_module.resources.map((r) => r.address)).toEqual([
      "popdock_api_user.etl",
    ]);
  });

  it("lists drift in the resource_drift shape", () => {
    const json = renderPlanJson(drift);
    expect(json.resource_drift.map((d) => [d.address, d.type, d.name, d.index, d.change.actions])).toEqual([
      [
        'popdock_api_token.reporting_bot["powerbi"]',
        "popdock_api_token",
        "reporting_bot",
        "powerbi",
        ["delete"],
      ],
      ["popdock_api_user.reporting_bot", "popdock_api_user", "reporting_bot", undefined, ["update"]],
    ]);
    expect(json.resource_drift[0]?.change.before_sensitive).toEqual({ token_id: true });
  });

  it("carries the plan's metadata and is applyable only with changes", () => {
    const json = renderPlanJson(createAll);
    expect(json.format_version).toBe("1.2");
    expect(json.timestamp).toBe(createAll.created_at);
    expect(json.popdock).toMatchObject({
      endpoint: "https://popdock.example.com",
      state_serial: 7,
      summary: { add: 5, change: 0, destroy: 0, tokens_to_create: 1 },
    });
    expect(json.applyable).toBe(true);
    expect(renderPlanJson(plan({})).applyable).toBe(false);
  });

  it("does not share objects with the plan", () => {
    const json = renderPlanJson(updateLists);
    const grant = change(json, 'popdock_api_user_grant.reporting_bot["connector:GP Production"]');
    const lists = grant.change.after?.lists;
    if (!Array.isArray(lists)) throw new Error("expected lists");
    lists.push("mutated");
    expect(JSON.stringify(updateLists)).not.toContain("mutated");
  });
});
