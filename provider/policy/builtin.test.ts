/**
 * Each built-in rule over a small plan: one that passes, one that fails, with the exact message
 * and the address it is reported against.
 */
import { describe, expect, it } from "vitest";
import type { Plan, ResourceChange } from "../../schema/plan.js";
import { buildSnapshot } from "../model/live.js";
import { BUILTIN_POLICIES } from "./builtin.js";
import { evaluatePolicies } from "./evaluate.js";

const NOW = new Date("2026-12-03T12:00:00Z");

function change(c: Partial<ResourceChange> & Pick<ResourceChange, "address" | "type">): ResourceChange {
  return {
    name: c.address.split(".")[1]?.split("[")[0] ?? "x",
    group: c.parent ?? c.address,
    action: "create",
    reasons: [],
    before: null,
    after: null,
    after_unknown: [],
    sensitive: [],
    changed: [],
    depends_on: [],
    waits_for: [],
    ...c,
  };
}

function planOf(changes: ResourceChange[]): Plan {
  return {
    format_version: 1,
    tool: "popdock-iac",
    created_at: NOW.toISOString(),
    endpoint: "local",
    config_digest: "d",
    config_files: ["popdock.yaml"],
    state_lineage: "l",
    state_serial: 0,
    mode: "normal",
    changes,
    drift: [],
    outputs: [],
    summary: { add: 0, change: 0, destroy: 0, tokens_to_create: 0 },
  };
}

const user = (key: string, name: string, description = "d", action: ResourceChange["action"] = "create") =>
  change({
    address: `popdock_api_user.${key}`,
    type: "popdock_api_user",
    action,
    before: action === "create" ? null : { name, description },
    after: action === "delete" ? null : { name, description },
  });
const roleGrant = (key: string, role: string) =>
  change({
    address: `popdock_api_user_grant.${key}["role:${role}"]`,
    type: "popdock_api_user_grant",
    parent: `popdock_api_user.${key}`,
    after: { kind: "role", role, role_id: `role_${role}` },
  });
const connectorGrant = (
  key: string,
  connector: string,
  companies: string[],
  lists: string[],
  action: ResourceChange["action"] = "create",
) => {
  const attrs = {
    kind: "connector",
    connector,
    connector_id: "con",
    roles: [],
    companies,
    lists,
    actions: [],
    details: [],
  };
  return change({
    address: `popdock_api_user_grant.${key}["connector:${connector}"]`,
    type: "popdock_api_user_grant",
    parent: `popdock_api_user.${key}`,
    action,
    before: action === "create" ? null : attrs,
    after: action === "delete" ? null : attrs,
  });
};
const token = (key: string, tk: string, opts: { existing?: string; id?: string; depends?: string[] } = {}) =>
  change({
    address: `popdock_api_token.${key}["${tk}"]`,
    type: "popdock_api_token",
    parent: `popdock_api_user.${key}`,
    action: opts.existing ? "noop" : "create",
    before: opts.existing ? { name: tk, token_id_hint: "abcd", created_at: opts.existing } : null,
    after: opts.existing ? { name: tk, token_id_hint: "abcd", created_at: opts.existing } : { name: tk },
    sensitive: ["token_id"],
    depends_on: [`popdock_api_user.${key}`, ...(opts.depends ?? [])],
    ...(opts.id ? { remote: { id: opts.id, parent_id: "usr_1", version: 1 } } : {}),
  });

function run(
  id: string,
  changes: ResourceChange[],
  params: Record<string, unknown> = {},
  live?: Parameters<typeof buildSnapshot>[0],
) {
  const def = BUILTIN_POLICIES.get(id);
  if (!def) throw new Error(id);
  return evaluatePolicies({
    plan: planOf(changes),
    ...(live ? { live: buildSnapshot(live) } : {}),
    rules: [{ def, level: def.level, params: def.params.parse(params), source: "built-in" }],
    now: NOW,
  }).map((r) => [r.address, r.message, r.level]);
}

const emptyLive = { teams: [], roles: [], connectors: [], users: [] };

describe("built-in policy rules", () => {
  it("no-admin-role", () => {
    expect(run("no-admin-role", [user("bot", "bot"), roleGrant("bot", "Contributor")])).toEqual([]);
    expect(run("no-admin-role", [user("bot", "bot"), roleGrant("bot", "Administrator")])).toEqual([
      [
        'popdock_api_user_grant.bot["role:Administrator"]',
        'API user "bot" would hold the "Administrator" system role',
        "mandatory",
      ],
    ]);
    expect(
      run("no-admin-role", [user("bot", "bot"), roleGrant("bot", "Contributor")], { roles: ["Contributor"] }),
    ).toHaveLength(1);
  });

  it("scoped-connector-grants", () => {
    const live = {
      ...emptyLive,
      connectors: [
        {
          id: "c1",
          name: "GP Production",
          companies: ["Fabrikam Inc"],
          lists: ["Customers"],
          actions: [],
          details: [],
        },
        { id: "c2", name: "Salesforce", companies: [], lists: ["Accounts"], actions: [], details: [] },
      ],
    };
    expect(
      run(
        "scoped-connector-grants",
        [connectorGrant("bot", "GP Production", ["Fabrikam Inc"], ["Customers"])],
        {},
        live,
      ),
    ).toEqual([]);
    expect(
      run("scoped-connector-grants", [connectorGrant("bot", "Salesforce", [], ["Accounts"])], {}, live),
    ).toEqual([]);
    expect(
      run("scoped-connector-grants", [connectorGrant("bot", "GP Production", [], [])], {}, live),
    ).toEqual([
      [
        'popdock_api_user_grant.bot["connector:GP Production"]',
        'the grant to connector "GP Production" names no companies: it reaches every company',
        "mandatory",
      ],
      [
        'popdock_api_user_grant.bot["connector:GP Production"]',
        'the grant to connector "GP Production" names no lists: it reaches every list',
        "mandatory",
      ],
    ]);
  });

  it("scoped-connector-grants offline (no snapshot): only the lists part", () => {
    expect(run("scoped-connector-grants", [connectorGrant("bot", "GP Production", [], [])])).toEqual([
      [
        'popdock_api_user_grant.bot["connector:GP Production"]',
        'the grant to connector "GP Production" names no lists: it reaches every list',
        "mandatory",
      ],
    ]);
  });

  it("token-max-age: existing tokens, by their creation time", () => {
    const young = token("bot", "ci", { existing: "2026-11-01T00:00:00Z" });
    const old = token("bot", "pbi", { existing: "2026-06-01T00:00:00Z" });
    expect(run("token-max-age", [young, token("bot", "new")])).toEqual([]);
    expect(run("token-max-age", [old], { days: 90 })).toEqual([
      [
        'popdock_api_token.bot["pbi"]',
        'token "pbi" is 185 days old (created 2026-06-01T00:00:00Z); the limit is 90 days',
        "advisory",
      ],
    ]);
  });

  it("token-unused: never used N days after creation, or not used for N days", () => {
    const tokens = (created: string, last: string | null) => ({
      ...emptyLive,
      users: [
        {
          id: "usr_1",
          name: "bot",
          description: "",
          version: 1,
          created_at: created,
          updated_at: created,
          tokens: [
            {
              id: "tok_1",
              api_user_id: "usr_1",
              name: "ci",
              version: 1,
              created_at: created,
              last_used_at: last,
              token_id_hint: "abcd",
            },
          ],
        },
      ],
    });
    const t = token("bot", "ci", { existing: "2026-01-01T00:00:00Z", id: "tok_1" });
    expect(
      run("token-unused", [t], { days: 30 }, tokens("2026-01-01T00:00:00Z", "2026-12-01T00:00:00Z")),
    ).toEqual([]);
    expect(
      run("token-unused", [t], { days: 30 }, tokens("2026-01-01T00:00:00Z", "2026-10-01T00:00:00Z")),
    ).toEqual([
      [
        'popdock_api_token.bot["ci"]',
        'token "ci" has not been used for 63 days (last used 2026-10-01T00:00:00Z); the limit is 30 days',
        "advisory",
      ],
    ]);
    expect(run("token-unused", [t], { days: 30 }, tokens("2026-01-01T00:00:00Z", null))).toEqual([
      [
        'popdock_api_token.bot["ci"]',
        'token "ci" has never been used in the 336 days since it was created (2026-01-01T00:00:00Z); the limit is 30 days',
        "advisory",
      ],
    ]);
  });

  it("token-requires-rotation: a keeper dependency or a rotation policy (generations)", () => {
    expect(
      run("token-requires-rotation", [token("bot", "ci", { depends: ["null_resource.bot__ci_rotation"] })]),
    ).toEqual([]);
    const withBlock = change({
      ...token("bot", "ci"),
      token: {
        generation: "current",
        name: "ci-20270301",
        rotation: { every_seconds: 90 * 86_400, overlap_seconds: 7 * 86_400 },
      },
    } as ResourceChange);
    expect(run("token-requires-rotation", [withBlock])).toEqual([]);
    expect(run("token-requires-rotation", [token("bot", "ci")])).toEqual([
      ['popdock_api_token.bot["ci"]', 'token "ci" declares no rotation', "advisory"],
    ]);
  });

  it("max-tokens-per-user: reported on the user", () => {
    const three = [user("bot", "bot-x"), token("bot", "a"), token("bot", "b"), token("bot", "c")];
    expect(run("max-tokens-per-user", three, { max: 3 })).toEqual([]);
    expect(run("max-tokens-per-user", three, { max: 2 })).toEqual([
      [
        "popdock_api_user.bot",
        'API user "bot-x" would hold 3 tokens ("a", "b", "c"); at most 2 allowed',
        "advisory",
      ],
    ]);
  });

  it("name-pattern", () => {
    const p = { users: "^svc-[a-z0-9-]+$", tokens: "^[a-z]+$" };
    expect(run("name-pattern", [user("bot", "svc-bot"), token("bot", "ci")], p)).toEqual([]);
    expect(run("name-pattern", [user("bot", "Bot"), token("bot", "CI-1")], p)).toEqual([
      ['popdock_api_token.bot["CI-1"]', 'token name "CI-1" does not match ^[a-z]+$', "mandatory"],
      ["popdock_api_user.bot", 'API user name "Bot" does not match ^svc-[a-z0-9-]+$', "mandatory"],
    ]);
    expect(() => BUILTIN_POLICIES.get("name-pattern")?.params.parse({})).toThrow(/needs `users` or `tokens`/);
  });

  it("description-required", () => {
    expect(run("description-required", [user("bot", "bot", "nightly sync")])).toEqual([]);
    expect(run("description-required", [user("bot", "bot", "  ")])).toEqual([
      ["popdock_api_user.bot", 'API user "bot" has no description', "advisory"],
    ]);
    expect(run("description-required", [user("bot", "bot", "abc")], { min_length: 10 })).toEqual([
      [
        "popdock_api_user.bot",
        'API user "bot" has a description of 3 characters; at least 10 required',
        "advisory",
      ],
    ]);
  });

  it("no-destroy-of-protected", () => {
    const p = { connectors: ["GP Production"] };
    const del = [
      user("bot", "bot", "d", "delete"),
      connectorGrant("bot", "GP Production", ["A"], ["B"], "delete"),
    ];
    expect(
      run(
        "no-destroy-of-protected",
        [user("bot", "bot", "d", "delete"), connectorGrant("bot", "Salesforce", [], ["B"], "delete")],
        p,
      ),
    ).toEqual([]);
    expect(
      run(
        "no-destroy-of-protected",
        [user("bot", "bot", "d", "noop"), connectorGrant("bot", "GP Production", ["A"], ["B"], "noop")],
        p,
      ),
    ).toEqual([]);
    expect(run("no-destroy-of-protected", del, p)).toEqual([
      ["popdock_api_user.bot", 'deleting API user "bot" removes its grants to "GP Production"', "mandatory"],
    ]);
  });
});

describe("evaluation", () => {
  it("a throwing rule is a policy error naming it, at least mandatory, one per rule", () => {
    const results = evaluatePolicies({
      plan: planOf([user("a", "a"), user("b", "b")]),
      rules: [
        {
          def: {
            id: "explodes",
            check: () => {
              throw new Error("boom");
            },
          },
          level: "advisory",
          params: {},
          source: "policies/explodes.ts",
        },
      ],
      now: NOW,
    });
    expect(results).toEqual([
      {
        rule: "explodes",
        address: "popdock_api_user.a",
        message: 'policy error: rule "explodes" (policies/explodes.ts) failed: boom',
        level: "mandatory",
        error: true,
      },
    ]);
  });

  it("rules see frozen views without the token hint", () => {
    const seen: unknown[] = [];
    evaluatePolicies({
      plan: planOf([token("bot", "ci", { existing: "2026-01-01T00:00:00Z" })]),
      rules: [
        {
          def: {
            id: "peek",
            check: (c, ctx) => {
              seen.push(c.after, Object.isFrozen(c.after), Object.isFrozen(ctx.changes));
              expect(() => {
                (c.after as Record<string, unknown>).name = "x";
              }).toThrow();
              return undefined;
            },
          },
          level: "advisory",
          params: {},
          source: "test",
        },
      ],
      now: NOW,
    });
    expect(seen).toEqual([{ name: "ci", created_at: "2026-01-01T00:00:00Z" }, true, true]);
  });
});
