/**
 * A resource type defined in one file (./fixture-type.ts) plugs into planning, applying and
 * every renderer through the registry alone: nothing else in this test knows `fixture_widget`.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  emptyState,
  parseState,
  StateInvalidError,
  stringifyState,
} from "../../provider/backends/state-codec.js";
import type { PopdockApi } from "../../provider/client/types.js";
import { applyPlan } from "../../provider/engine/apply.js";
import { makePlan } from "../../provider/engine/plan.js";
import { graphNodesFromConfig, renderGraph } from "../../provider/engine/render/graph.js";
import { renderPlanJson } from "../../provider/engine/render/json.js";
import { renderPlanMarkdown } from "../../provider/engine/render/markdown.js";
import { renderPlanText } from "../../provider/engine/render/text.js";
import {
  type AnyDesiredResource,
  type DesiredApiUser,
  defaultLifecycle,
  type PlannedConfig,
} from "../../provider/model/desired.js";
import { buildSnapshot, type LiveSnapshot } from "../../provider/model/live.js";
import {
  isResourceType,
  registerResourceType,
  resourceTypeFor,
  resourceTypes,
  UnknownResourceTypeError,
} from "../../provider/resources/index.js";
import type { Plan } from "../../schema/plan.js";
import type { StateFile } from "../../schema/state.js";
import { type DesiredWidget, fixtureWidget, WIDGET, type WidgetAttrs, widgets } from "./fixture-type.js";

const T = "2026-01-01T00:00:00Z";
const USER = "popdock_api_user.bot";
const ADDR = `${WIDGET}.bot["gear"]`;

const user: DesiredApiUser = {
  type: "popdock_api_user",
  address: USER,
  name: "bot",
  dependsOn: [],
  lifecycle: defaultLifecycle(),
  source: { file: "fixture.yaml" },
  attrs: { name: "bot", description: "" },
};

function widget(attrs: WidgetAttrs): DesiredWidget {
  return {
    type: WIDGET,
    address: ADDR,
    name: "bot",
    index: "gear",
    user: USER,
    dependsOn: [],
    lifecycle: defaultLifecycle(),
    source: { file: "fixture.yaml" },
    attrs,
  };
}

function config(resources: AnyDesiredResource[]): PlannedConfig {
  return { files: ["fixture.yaml"], digest: "d", provider: {}, resources, outputs: [] };
}

/** Popdock with the API user `bot` (usr_1), and state managing it. */
function managedUser(): { live: LiveSnapshot; state: StateFile } {
  const live = buildSnapshot({
    teams: [],
    roles: [],
    connectors: [],
    users: [{ id: "usr_1", name: "bot", description: "", version: 1, created_at: T, updated_at: T }],
  });
  const state = emptyState("local");
  state.resources[USER] = {
    type: "popdock_api_user",
    id: "usr_1",
    version: 1,
    attributes: { name: "bot", description: "" },
    dependencies: [],
  };
  return { live, state };
}

/** …and the widget `gear` (wid_x) under it, in Popdock and in state. */
function managedWidget(attrs: WidgetAttrs): { live: LiveSnapshot; state: StateFile } {
  const m = managedUser();
  widgets.set("wid_x", { id: "wid_x", userId: "usr_1", version: 3, ...attrs });
  m.state.resources[ADDR] = {
    type: WIDGET,
    id: "wid_x",
    parent_id: "usr_1",
    parent: USER,
    version: 3,
    attributes: { ...attrs },
    dependencies: [USER],
  };
  return m;
}

function plan(cfg: PlannedConfig, m: { live: LiveSnapshot; state: StateFile }): Plan {
  const r = makePlan({ config: cfg, ...m, endpoint: "local", now: new Date(T) });
  expect(r.diagnostics).toEqual([]);
  if (!r.plan) throw new Error("no plan");
  return r.plan;
}

const gear: WidgetAttrs = { name: "gear", size: 1, color: "red" };

let unregister: () => void;
beforeAll(() => {
  unregister = registerResourceType(fixtureWidget);
});
afterAll(() => unregister());
beforeEach(() => widgets.clear());

describe("a resource type registered at run time", () => {
  it("is known to the registry, in its order, and refused twice", () => {
    expect(resourceTypeFor(WIDGET)).toBe(fixtureWidget);
    expect(resourceTypes().map((t) => t.type)).toEqual([
      "popdock_api_user",
      "popdock_api_user_grant",
      "popdock_api_token",
      WIDGET,
      "null_resource",
    ]);
    expect(() => registerResourceType(fixtureWidget)).toThrow(/registered already/);
  });

  it("plans a create under its parent, with its computed attributes unknown", () => {
    const p = plan(config([user, widget(gear)]), managedUser());
    const ch = p.changes.find((c) => c.address === ADDR);
    expect(ch).toMatchObject({
      action: "create",
      type: WIDGET,
      group: USER,
      parent: USER,
      depends_on: [USER],
      after: gear,
      after_unknown: ["id"],
    });
    expect(p.summary).toEqual({ add: 1, change: 0, destroy: 0, tokens_to_create: 0 });
  });

  it("plans an in-place update for an updatable attribute", () => {
    const p = plan(config([user, widget({ ...gear, size: 2 })]), managedWidget(gear));
    const ch = p.changes.find((c) => c.address === ADDR);
    expect(ch).toMatchObject({ action: "update", changed: ["size"], remote: { id: "wid_x", version: 3 } });
  });

  it("plans a replacement for any other attribute, delete first as the type says", () => {
    const p = plan(config([user, widget({ ...gear, color: "blue" })]), managedWidget(gear));
    const ch = p.changes.find((c) => c.address === ADDR);
    expect(ch).toMatchObject({
      action: "replace",
      changed: ["color"],
      reasons: ["color forces replacement"],
      replace_order: "delete_before_create",
    });
  });

  it("plans a delete when it leaves the configuration", () => {
    const p = plan(config([user]), managedWidget(gear));
    expect(p.changes.find((c) => c.address === ADDR)).toMatchObject({
      action: "delete",
      before: { id: "wid_x" },
    });
  });

  it("reports a name clash with the type's own wording and import id", () => {
    widgets.set("wid_9", { id: "wid_9", userId: "usr_1", version: 1, ...gear });
    const m = managedUser();
    const r = makePlan({ config: config([user, widget(gear)]), ...m, endpoint: "local" });
    expect(r.diagnostics.map((d) => d.message)).toEqual([
      `${ADDR}: a widget named "gear" of this API user already exists in Popdock (id wid_9) and is not managed by popdock-iac`,
    ]);
    expect(r.diagnostics[0]?.hint).toContain(`popdock import '${ADDR}' usr_1/wid_9`);
  });

  it("applies through its own calls and records state", async () => {
    const m = managedUser();
    const p = plan(config([user, widget(gear)]), m);
    // The fixture keeps its objects in memory: it never calls the API.
    const r = await applyPlan({
      plan: p,
      api: {} as PopdockApi,
      state: m.state,
      backend: { append: async (_d, n) => n + 1, write: async (_s, n) => n + 1 },
      serial: -1,
    });
    expect(r.ok).toBe(true);
    expect(m.state.resources[ADDR]).toMatchObject({ type: WIDGET, parent: USER, parent_id: "usr_1" });
    expect([...widgets.values()]).toMatchObject([{ name: "gear", userId: "usr_1" }]);
    // Apply then plan is empty.
    const again = plan(config([user, widget(gear)]), m);
    expect(again.changes.every((c) => c.action === "noop")).toBe(true);
  });

  it("renders in text, JSON and markdown", () => {
    const p = plan(config([user, widget({ ...gear, color: "blue" })]), managedWidget(gear));
    const text = renderPlanText(p, { color: false });
    expect(text).toContain(`# ${ADDR} must be replaced`);
    expect(text).toContain('color = "red" -> "blue" # forces replacement');
    const json = renderPlanJson(p);
    expect(json.resource_changes.find((c) => c.address === ADDR)).toMatchObject({
      type: WIDGET,
      change: { actions: ["delete", "create"] },
    });
    expect(renderPlanMarkdown(p)).toContain(ADDR);
  });

  it("draws in the graph with its parent edge and its own shapes", () => {
    const nodes = graphNodesFromConfig(config([user, widget(gear)]));
    expect(nodes).toContainEqual({ address: ADDR, type: WIDGET, dependsOn: [USER] });
    expect(renderGraph(nodes, "dot")).toContain(`"${ADDR.replace(/"/g, '\\"')}" [shape = "hexagon"];`);
    expect(renderGraph(nodes, "mermaid")).toContain(`{{{"${ADDR.replace(/"/g, "#quot;")}"}}}`);
  });
});

describe("an unregistered type", () => {
  it("is refused in state, naming it", () => {
    const m = managedWidget(gear);
    const text = stringifyState(m.state);
    unregister();
    try {
      expect(isResourceType(WIDGET)).toBe(false);
      // The CLI's backends are opened with the registered types (cli/wiring.ts).
      const knownTypes = resourceTypes().map((t) => t.type);
      expect(() => parseState(text, "state.json", { knownTypes })).toThrow(StateInvalidError);
      expect(() => parseState(text, "state.json", { knownTypes })).toThrow(
        `resources[${JSON.stringify(ADDR)}].type: "${WIDGET}"`,
      );
      expect(() => makePlan({ config: config([user]), ...m, endpoint: "local" })).toThrow(
        UnknownResourceTypeError,
      );
      expect(() => resourceTypeFor(WIDGET)).toThrow(`unknown resource type "${WIDGET}"`);
    } finally {
      unregister = registerResourceType(fixtureWidget);
    }
  });
});
