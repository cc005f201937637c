import { describe, expect, it } from "vitest";
import type { ApiUser, Grant, TokenMeta } from "../../schema/api.js";
import type { StateFile, StateResource } from "../../schema/state.js";
import type { DesiredConfig, DesiredResource } from "../model/desired.js";
import { defaultLifecycle, formatAddress } from "../model/desired.js";
import { buildSnapshot, type LiveSnapshot } from "../model/live.js";
import { planSteps } from "./apply.js";
import { makePlan } from "./plan.js";

const REF = {
  teams: [
    { id: "team_finance", name: "Finance", description: "" },
    { id: "team_sales", name: "Sales", description: "" },
  ],
  roles: [
    { id: "role_user", name: "User", scope: "system" as const, description: "" },
    { id: "crole_reader", name: "Reader", scope: "connector" as const, description: "" },
  ],
  connectors: [
    {
      id: "con_gp",
      name: "GP Production",
      companies: ["Fabrikam Inc", "Contoso Ltd"],
      lists: ["Customers", "Vendors", "Invoices"],
      actions: [],
      details: [],
    },
  ],
};
const T = "2026-01-01T00:00:00Z";
const src = { file: "popdock.yaml" };

function user(key: string, name: string, description = ""): DesiredResource {
  return {
    type: "popdock_api_user",
    address: formatAddress("popdock_api_user", key),
    name: key,
    dependsOn: [],
    lifecycle: defaultLifecycle(),
    source: src,
    attrs: { name, description },
  };
}
function team(key: string, t: string): DesiredResource {
  return {
    type: "popdock_api_user_grant",
    address: formatAddress("popdock_api_user_grant", key, `team:${t}`),
    name: key,
    index: `team:${t}`,
    user: `popdock_api_user.${key}`,
    dependsOn: [],
    lifecycle: defaultLifecycle(),
    source: src,
    attrs: { kind: "team", team: t },
  };
}
function gp(key: string, lists: string[]): DesiredResource {
  return {
    type: "popdock_api_user_grant",
    address: formatAddress("popdock_api_user_grant", key, "connector:GP Production"),
    name: key,
    index: "connector:GP Production",
    user: `popdock_api_user.${key}`,
    dependsOn: [],
    lifecycle: defaultLifecycle(),
    source: src,
    attrs: {
      kind: "connector",
      connector: "GP Production",
      roles: ["Reader"],
      companies: [],
      lists,
      actions: [],
      details: [],
    },
  };
}
function token(key: string, tk: string, name: string): DesiredResource {
  return {
    type: "popdock_api_token",
    address: formatAddress("popdock_api_token", key, tk),
    name: key,
    index: tk,
    user: `popdock_api_user.${key}`,
    dependsOn: [],
    lifecycle: defaultLifecycle(),
    source: src,
    attrs: { name },
  };
}
function keeper(name: string, triggers: Record<string, string>): DesiredResource {
  return {
    type: "null_resource",
    address: `null_resource.${name}`,
    name,
    dependsOn: [],
    lifecycle: defaultLifecycle(),
    source: src,
    attrs: { triggers },
  };
}
function keeperState(triggers: Record<string, string>): StateResource {
  return { type: "null_resource", id: "n1", version: 1, attributes: { triggers }, dependencies: [] };
}
function config(resources: DesiredResource[]): DesiredConfig {
  return { files: ["popdock.yaml"], digest: "d", provider: {}, resources, outputs: [] };
}
function state(resources: Record<string, StateResource> = {}): StateFile {
  return {
    format_version: 1,
    tool: "popdock-iac",
    lineage: "00000000-0000-4000-8000-000000000000",
    serial: 3,
    resources,
    pending: [],
    deposed: [],
    outputs: {},
  };
}
function live(users: ApiUser[] = []): LiveSnapshot {
  return buildSnapshot({ ...REF, users });
}
function apiUser(
  id: string,
  name: string,
  grants: Grant[] = [],
  tokens: TokenMeta[] = [],
  description = "",
): ApiUser {
  return { id, name, description, version: 1, created_at: T, updated_at: T, grants, tokens };
}
const teamGrant = (id: string, uid: string, teamId: string): Grant => ({
  id,
  api_user_id: uid,
  type: "team",
  team_id: teamId,
  version: 1,
  created_at: T,
  updated_at: T,
});
const gpGrant = (id: string, uid: string, lists: string[]): Grant => ({
  id,
  api_user_id: uid,
  type: "connector",
  connector_id: "con_gp",
  roles: ["Reader"],
  companies: [],
  lists,
  actions: [],
  details: [],
  version: 1,
  created_at: T,
  updated_at: T,
});
const tok = (id: string, uid: string, name: string): TokenMeta => ({
  id,
  api_user_id: uid,
  name,
  version: 1,
  created_at: T,
  last_used_at: null,
  token_id_hint: "abcd",
});

/** State as an apply of the live objects would have left it. */
function managed(l: LiveSnapshot, map: Record<string, string>): Record<string, StateResource> {
  const out: Record<string, StateResource> = {};
  for (const [address, id] of Object.entries(map)) {
    const u = l.userById.get(id);
    if (u) {
      out[address] = {
        type: "popdock_api_user",
        id,
        version: u.version,
        attributes: { name: u.name, description: u.description },
        dependencies: [],
      };
      continue;
    }
    const g = l.grantById.get(id);
    const parent = `popdock_api_user.${address.split(".")[1]?.split("[")[0]}`;
    if (g) {
      const attrs =
        g.type === "team"
          ? { kind: "team", team: "Finance", team_id: g.team_id }
          : g.type === "connector"
            ? {
                kind: "connector",
                connector: "GP Production",
                connector_id: g.connector_id,
                roles: g.roles,
                companies: g.companies,
                lists: g.lists,
                actions: g.actions,
                details: g.details,
              }
            : { kind: "role", role: "User", role_id: "role_user" };
      out[address] = {
        type: "popdock_api_user_grant",
        id,
        parent_id: g.api_user_id,
        parent,
        version: 1,
        attributes: attrs,
        dependencies: [parent],
      };
      continue;
    }
    const t = l.tokenById.get(id);
    if (t) {
      out[address] = {
        type: "popdock_api_token",
        id,
        parent_id: t.api_user_id,
        parent,
        version: 1,
        attributes: { name: t.name },
        dependencies: [parent],
      };
    }
  }
  return out;
}

function planOf(r: ReturnType<typeof makePlan>) {
  if (!r.plan) throw new Error(`no plan: ${JSON.stringify(r.diagnostics)}`);
  return r.plan;
}

const actions = (r: ReturnType<typeof makePlan>) =>
  Object.fromEntries(
    (r.plan?.changes ?? []).map((c) => [
      c.address,
      c.replace_order ? `${c.action}:${c.replace_order}` : c.action,
    ]),
  );

describe("makePlan", () => {
  it("creates everything on an empty state, with ids known after apply", () => {
    const r = makePlan({
      config: config([user("bot", "bot-1"), team("bot", "Finance"), token("bot", "pbi", "pbi")]),
      state: state(),
      live: live(),
      endpoint: "local",
    });
    expect(r.diagnostics).toEqual([]);
    expect(actions(r)).toEqual({
      "popdock_api_user.bot": "create",
      'popdock_api_user_grant.bot["team:Finance"]': "create",
      'popdock_api_token.bot["pbi"]': "create",
    });
    const t = r.plan?.changes.find((c) => c.type === "popdock_api_token");
    expect(t?.after_unknown).toContain("token_id");
    expect(t?.sensitive).toEqual(["token_id"]);
    expect(r.plan?.summary).toEqual({ add: 3, change: 0, destroy: 0, tokens_to_create: 1 });
    expect(r.plan?.state_serial).toBe(3);
  });

  it("is empty when Popdock matches, and compares scope lists as sets", () => {
    const l = live([
      apiUser(
        "u1",
        "bot-1",
        [teamGrant("g1", "u1", "team_finance"), gpGrant("g2", "u1", ["Vendors", "Customers"])],
        [tok("t1", "u1", "pbi")],
      ),
    ]);
    const s = state(
      managed(l, {
        "popdock_api_user.bot": "u1",
        'popdock_api_user_grant.bot["team:Finance"]': "g1",
        'popdock_api_user_grant.bot["connector:GP Production"]': "g2",
        'popdock_api_token.bot["pbi"]': "t1",
      }),
    );
    const r = makePlan({
      config: config([
        user("bot", "bot-1"),
        team("bot", "Finance"),
        gp("bot", ["Customers", "Vendors"]),
        token("bot", "pbi", "pbi"),
      ]),
      state: s,
      live: l,
      endpoint: "local",
    });
    expect(r.diagnostics).toEqual([]);
    expect(Object.values(actions(r)).every((a) => a === "noop")).toBe(true);
    expect(r.plan?.drift).toEqual([]);
  });

  it("updates connector scopes in place and replaces a renamed token create-before-destroy", () => {
    const l = live([apiUser("u1", "bot-1", [gpGrant("g2", "u1", ["Customers"])], [tok("t1", "u1", "old")])]);
    const s = state(
      managed(l, {
        "popdock_api_user.bot": "u1",
        'popdock_api_user_grant.bot["connector:GP Production"]': "g2",
        'popdock_api_token.bot["pbi"]': "t1",
      }),
    );
    const r = makePlan({
      config: config([
        user("bot", "bot-1"),
        gp("bot", ["Customers", "Invoices"]),
        token("bot", "pbi", "new"),
      ]),
      state: s,
      live: l,
      endpoint: "local",
    });
    expect(actions(r)).toEqual({
      "popdock_api_user.bot": "noop",
      'popdock_api_user_grant.bot["connector:GP Production"]': "update",
      'popdock_api_token.bot["pbi"]': "replace:create_before_destroy",
    });
    const g = r.plan?.changes.find((c) => c.type === "popdock_api_user_grant");
    expect(g?.changed).toEqual(["lists"]);
    expect(g?.remote).toEqual({ id: "g2", parent_id: "u1", version: 1 });
  });

  it("falls back to delete-first when the replacement token would keep its name", () => {
    const l = live([apiUser("u1", "bot-1", [], [tok("t1", "u1", "pbi")])]);
    const s = state(managed(l, { "popdock_api_user.bot": "u1", 'popdock_api_token.bot["pbi"]': "t1" }));
    const rot = keeper("rot", { q: "2" });
    const t = token("bot", "pbi", "pbi");
    t.lifecycle.replaceTriggeredBy = ["null_resource.rot"];
    s.resources["null_resource.rot"] = keeperState({ q: "1" });
    const r = makePlan({
      config: config([user("bot", "bot-1"), t, rot]),
      state: s,
      live: l,
      endpoint: "local",
    });
    expect(actions(r)['popdock_api_token.bot["pbi"]']).toBe("replace:delete_before_create");
    expect(actions(r)["null_resource.rot"]).toBe("replace:create_before_destroy");
    expect(() => planSteps(planOf(r))).not.toThrow();
    expect(r.plan?.changes.find((c) => c.type === "popdock_api_token")?.reasons.join(" ")).toMatch(
      /replace_triggered_by null_resource.rot/,
    );
  });

  it("orders a keeper rotation with a renamed token without a cycle: new keeper, new token, old token, old keeper", () => {
    const l = live([apiUser("u1", "bot-1", [], [tok("t1", "u1", "pbi-q1")])]);
    const s = state(managed(l, { "popdock_api_user.bot": "u1", 'popdock_api_token.bot["pbi"]': "t1" }));
    s.resources["null_resource.rot"] = keeperState({ q: "q1" });
    const t = token("bot", "pbi", "pbi-q2");
    t.lifecycle.replaceTriggeredBy = ["null_resource.rot"];
    t.dependsOn = ["null_resource.rot"];
    const rot = keeper("rot", { q: "q2" });
    const r = makePlan({
      config: config([user("bot", "bot-1"), t, rot]),
      state: s,
      live: l,
      endpoint: "local",
    });
    const steps = planSteps(planOf(r));
    const deps = Object.fromEntries(steps.map((x) => [x.id, [...x.deps].sort()]));
    expect(deps).toEqual({
      "create:null_resource.rot": [],
      "delete-old:null_resource.rot": ["create:null_resource.rot", 'delete-old:popdock_api_token.bot["pbi"]'],
      'create:popdock_api_token.bot["pbi"]': ["create:null_resource.rot"],
      'delete-old:popdock_api_token.bot["pbi"]': ['create:popdock_api_token.bot["pbi"]'],
    });
  });

  it("deletes children with their user and sends no separate calls for them", () => {
    const l = live([
      apiUser("u1", "bot-1", [teamGrant("g1", "u1", "team_finance")], [tok("t1", "u1", "pbi")]),
    ]);
    const s = state(
      managed(l, {
        "popdock_api_user.bot": "u1",
        'popdock_api_user_grant.bot["team:Finance"]': "g1",
        'popdock_api_token.bot["pbi"]': "t1",
      }),
    );
    // An empty configuration that destroys everything needs to say so (`api_users: {}`).
    const refused = makePlan({ config: config([]), state: s, live: l, endpoint: "local" });
    expect(refused.diagnostics.map((d) => d.code)).toEqual(["PLAN_EMPTY_CONFIG"]);
    const r = makePlan({
      config: { ...config([]), declaredEmpty: true },
      state: s,
      live: l,
      endpoint: "local",
    });
    expect(r.plan?.summary.destroy).toBe(3);
    const steps = planSteps(planOf(r));
    expect(steps.map((x) => x.id).sort()).toEqual(
      [
        'forget:popdock_api_token.bot["pbi"]',
        'forget:popdock_api_user_grant.bot["team:Finance"]',
        "delete:popdock_api_user.bot",
      ].sort(),
    );
    expect(steps.find((x) => x.kind === "forget")?.deps).toEqual(["delete:popdock_api_user.bot"]);
  });

  it("shows drift and plans re-creation of an object deleted outside", () => {
    const l = live([apiUser("u1", "bot-1", [], [], "edited in UI")]);
    const s = state(
      managed(live([apiUser("u1", "bot-1", [], [tok("t1", "u1", "pbi")])]), {
        "popdock_api_user.bot": "u1",
        'popdock_api_token.bot["pbi"]': "t1",
      }),
    );
    const r = makePlan({
      config: config([user("bot", "bot-1"), token("bot", "pbi", "pbi")]),
      state: s,
      live: l,
      endpoint: "local",
    });
    expect(r.plan?.drift.map((d) => `${d.address}:${d.action}`)).toEqual([
      'popdock_api_token.bot["pbi"]:delete',
      "popdock_api_user.bot:update",
    ]);
    expect(actions(r)).toEqual({
      "popdock_api_user.bot": "update",
      'popdock_api_token.bot["pbi"]': "create",
    });
  });

  it("refuses to create over an unmanaged object and names the import command", () => {
    const r = makePlan({
      config: config([user("bot", "Bot-1")]),
      state: state(),
      live: live([apiUser("u9", "bot-1")]),
      endpoint: "local",
    });
    expect(r.plan).toBeUndefined();
    expect(r.diagnostics).toMatchObject([
      {
        code: "PLAN_ALREADY_EXISTS",
        hint: expect.stringContaining("popdock import 'popdock_api_user.bot' u9"),
      },
    ]);
  });

  it("reports unknown names with a did-you-mean", () => {
    const r = makePlan({
      config: config([user("bot", "b"), team("bot", "Finanse"), gp("bot", ["Customer"])]),
      state: state(),
      live: live(),
      endpoint: "local",
    });
    expect(r.diagnostics.map((d) => [d.code, d.hint])).toEqual([
      ["REF_UNKNOWN_TEAM", 'did you mean "Finance"?'],
      ["REF_UNKNOWN_SCOPE_ITEM", 'did you mean "Customers"?'],
    ]);
    expect(r.diagnostics[1]?.message).toBe('unknown list "Customer" in connector "GP Production"');
  });

  it("refuses to destroy what prevent_destroy protects, in config or in state", () => {
    const l = live([apiUser("u1", "bot-1")]);
    const s = state(managed(l, { "popdock_api_user.bot": "u1" }));
    const u = user("bot", "bot-1");
    u.lifecycle.preventDestroy = true;
    const r1 = makePlan({ config: config([u]), state: s, live: l, endpoint: "local", mode: "destroy" });
    expect(r1.diagnostics.map((d) => d.code)).toEqual(["PLAN_PREVENT_DESTROY"]);
    const s2 = state({ ...s.resources });
    (s2.resources["popdock_api_user.bot"] as StateResource).prevent_destroy = true;
    const r2 = makePlan({ config: config([]), state: s2, live: l, endpoint: "local" });
    expect(r2.diagnostics.map((d) => d.code)).toEqual(["PLAN_PREVENT_DESTROY"]);
  });

  it("orders a new token after the delete of an old one holding its name", () => {
    const l = live([apiUser("u1", "bot-1", [], [tok("t1", "u1", "shared")])]);
    const s = state(managed(l, { "popdock_api_user.bot": "u1", 'popdock_api_token.bot["a"]': "t1" }));
    const r = makePlan({
      config: config([user("bot", "bot-1"), token("bot", "b", "shared")]),
      state: s,
      live: l,
      endpoint: "local",
    });
    expect(r.diagnostics).toEqual([]);
    const steps = planSteps(planOf(r));
    expect(steps.find((x) => x.id === 'create:popdock_api_token.bot["b"]')?.deps).toContain(
      'delete:popdock_api_token.bot["a"]',
    );
  });

  it("keeps the live value of an ignore_changes attribute in what an update sends", () => {
    const l = live([apiUser("u1", "renamed-in-ui", [], [], "old")]);
    const s = state(managed(live([apiUser("u1", "bot-1", [], [], "old")]), { "popdock_api_user.bot": "u1" }));
    const u = user("bot", "bot-1", "new");
    u.lifecycle.ignoreChanges = ["name"];
    const r = makePlan({ config: config([u]), state: s, live: l, endpoint: "local" });
    const ch = planOf(r).changes[0];
    expect(ch?.action).toBe("update");
    expect(ch?.changed).toEqual(["description"]);
    expect(ch?.after).toEqual({ name: "renamed-in-ui", description: "new" });
  });

  it("re-creates the children of a replaced user under the new one, even a child replaced itself", () => {
    const l = live([apiUser("u1", "bot-1", [], [tok("t1", "u1", "old")])]);
    const s = state(managed(l, { "popdock_api_user.bot": "u1", 'popdock_api_token.bot["t"]': "t1" }));
    s.resources["null_resource.k"] = keeperState({ v: "1" });
    const u = user("bot", "bot-1");
    u.lifecycle.replaceTriggeredBy = ["null_resource.k"];
    const k = keeper("k", { v: "2" });
    const r = makePlan({
      config: config([u, k, token("bot", "t", "new")]),
      state: s,
      live: l,
      endpoint: "local",
    });
    expect(r.diagnostics).toEqual([]);
    const t = planOf(r).changes.find((c) => c.type === "popdock_api_token");
    expect(t).toMatchObject({
      action: "replace",
      deleted_with: "popdock_api_user.bot",
      replace_order: "delete_before_create",
    });
    expect(() => planSteps(planOf(r))).not.toThrow();
  });

  it("removes a deposed token with its user when the user is deleted, without a separate call", () => {
    const l = live([apiUser("u1", "bot-1", [], [tok("t1", "u1", "a"), tok("t0", "u1", "old")])]);
    const s = state(managed(l, { "popdock_api_user.bot": "u1", 'popdock_api_token.bot["t"]': "t1" }));
    s.deposed = [
      {
        address: 'popdock_api_token.bot["t"]',
        type: "popdock_api_token",
        id: "t0",
        parent_id: "u1",
        version: 1,
      },
    ];
    const r = makePlan({ config: config([]), state: s, live: l, endpoint: "local", mode: "destroy" });
    const deposed = planOf(r).changes.find((c) => c.deposed_of !== undefined);
    expect(deposed).toMatchObject({
      action: "delete",
      parent: "popdock_api_user.bot",
      deleted_with: "popdock_api_user.bot",
    });
    const step = planSteps(planOf(r)).find((x) => x.change === deposed);
    expect(step).toMatchObject({ kind: "forget", deps: ["delete:popdock_api_user.bot"] });
  });

  it("refuses a keeper trigger named like a token ID (state never holds one)", () => {
    const k = keeper("k", { Token_ID: "gen-1" });
    const r = makePlan({ config: config([k]), state: state(), live: live(), endpoint: "local" });
    expect(r.diagnostics.map((d) => d.code)).toEqual(["CONFIG_RESERVED_TRIGGER"]);
  });
});
