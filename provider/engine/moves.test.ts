/**
 * moved / removed / import blocks through the real frontends (YAML and Terraform JSON, so every
 * diagnostic carries the block's file:line:col) and the planner, and the pure state edits of
 * `popdock state mv`.
 */
import { describe, expect, it } from "vitest";
import type { ApiUser } from "../../schema/api.js";
import type { StateFile } from "../../schema/state.js";
import { parseTerraformSources } from "../frontends/terraform-json/index.js";
import { parseYamlSources } from "../frontends/yaml/index.js";
import type { DesiredConfig } from "../model/desired.js";
import type { Diagnostic } from "../model/diagnostics.js";
import { buildSnapshot } from "../model/live.js";
import { applyStateActions, moveInState, planHasChanges, removeFromState, StateMoveError } from "./moves.js";
import { makePlan } from "./plan.js";
import { renderPlanJson } from "./render/json.js";
import { renderPlanMarkdown } from "./render/markdown.js";
import { renderPlanText } from "./render/text.js";

const T = "2026-01-01T00:00:00Z";
const live = buildSnapshot({
  teams: [{ id: "team_finance", name: "Finance", description: "" }],
  roles: [],
  connectors: [],
  users: [
    {
      id: "usr_1",
      name: "bot",
      description: "",
      version: 2,
      created_at: T,
      updated_at: T,
      grants: [
        {
          id: "grt_1",
          api_user_id: "usr_1",
          type: "team",
          team_id: "team_finance",
          version: 1,
          created_at: T,
          updated_at: T,
        },
      ],
      tokens: [
        {
          id: "tok_1",
          api_user_id: "usr_1",
          name: "powerbi",
          version: 1,
          created_at: T,
          last_used_at: null,
          token_id_hint: "abcd",
        },
      ],
    },
    {
      id: "usr_2",
      name: "other",
      description: "",
      version: 1,
      created_at: T,
      updated_at: T,
      grants: [],
      tokens: [],
    },
  ] satisfies ApiUser[],
});

function emptyState(): StateFile {
  return {
    format_version: 1,
    tool: "popdock-iac",
    lineage: "00000000-0000-4000-8000-000000000000",
    serial: 3,
    resources: {},
    pending: [],
    deposed: [],
    outputs: {},
  };
}

const BOT = (key: string, name = "bot") => `api_users:
  ${key}:
    name: ${name}
    grants:
      - team: Finance
    tokens:
      pbi: { name: powerbi }
`;

function yaml(text: string): { config?: DesiredConfig; diagnostics: Diagnostic[] } {
  return parseYamlSources([{ file: "popdock.yaml", text }]);
}

function plan(text: string, state: StateFile) {
  const { config, diagnostics } = yaml(text);
  if (!config) throw new Error(`config refused: ${JSON.stringify(diagnostics)}`);
  return makePlan({ config, state, live, endpoint: "local" });
}

/** The state after importing bot (usr_1) with its grant and token, through import blocks. */
function importedState(): StateFile {
  const r = plan(
    `${BOT("bot")}import:
  - { to: popdock_api_user.bot, id: usr_1 }
  - { to: 'popdock_api_user_grant.bot["team:Finance"]', id: usr_1/grt_1 }
  - { to: 'popdock_api_token.bot["pbi"]', id: usr_1/tok_1 }
`,
    emptyState(),
  );
  expect(r.diagnostics).toEqual([]);
  const state = emptyState();
  applyStateActions(state, r.plan?.state_actions ?? []);
  return state;
}

describe("import blocks", () => {
  it("adopt existing objects, parents first, with nothing to create; a second plan is empty", () => {
    const r = plan(
      `${BOT("bot")}import:
  - { to: 'popdock_api_token.bot["pbi"]', id: usr_1/tok_1 }
  - { to: popdock_api_user.bot, id: usr_1 }
  - { to: 'popdock_api_user_grant.bot["team:Finance"]', id: usr_1/grt_1 }
`,
      emptyState(),
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.plan?.state_actions?.map((a) => [a.kind, a.kind === "move" ? a.to : a.address])).toEqual([
      ["import", "popdock_api_user.bot"],
      ["import", 'popdock_api_user_grant.bot["team:Finance"]'],
      ["import", 'popdock_api_token.bot["pbi"]'],
    ]);
    expect(r.plan?.changes.every((c) => c.action === "noop")).toBe(true);
    expect(planHasChanges(r.plan as NonNullable<typeof r.plan>)).toBe(true);

    const state = importedState();
    expect(state.resources['popdock_api_token.bot["pbi"]']).toMatchObject({
      id: "tok_1",
      parent_id: "usr_1",
      parent: "popdock_api_user.bot",
    });
    const again = plan(`${BOT("bot")}import:\n  - { to: popdock_api_user.bot, id: usr_1 }\n`, state);
    expect(again.plan?.state_actions).toBeUndefined();
    expect(again.plan?.changes.every((c) => c.action === "noop")).toBe(true);
  });

  it("shows the update an imported object needs to match its configuration", () => {
    const r = plan(
      "api_users:\n  bot: { name: bot-renamed }\nimport:\n  - { to: popdock_api_user.bot, id: usr_1 }\n",
      emptyState(),
    );
    const user = r.plan?.changes.find((c) => c.address === "popdock_api_user.bot");
    expect(user).toMatchObject({ action: "update", changed: ["name"], remote: { id: "usr_1" } });
  });

  it("reports a missing object, a missing parent, an unconfigured target and a wrong key at the block", () => {
    const r = plan(
      `${BOT("bot")}import:
  - { to: popdock_api_user.bot, id: usr_404 }
  - { to: 'popdock_api_token.bot["pbi"]', id: usr_1/tok_1 }
`,
      emptyState(),
    );
    expect(r.plan).toBeUndefined();
    expect(r.diagnostics.map((d) => [d.code, d.line])).toEqual([
      ["PLAN_IMPORT_NOT_FOUND", 9],
      ["PLAN_IMPORT_PARENT", 10],
      ["PLAN_ALREADY_EXISTS", 2], // bot, not imported, cannot be created over usr_1 either
    ]);
    const un = plan(`${BOT("bot")}import:\n  - { to: popdock_api_user.botx, id: usr_2 }\n`, importedState());
    expect(un.diagnostics[0]).toMatchObject({
      code: "PLAN_IMPORT_UNCONFIGURED",
      file: "popdock.yaml",
      line: 9,
      hint: "did you mean popdock_api_user.bot?",
    });
    const wrongKey = yaml(`${BOT("bot")}import:\n  - { to: 'popdock_api_token.bot["pbi"]', id: "tok_1" }\n`);
    expect(wrongKey.diagnostics[0]).toMatchObject({ code: "PLAN_IMPORT_ID", line: 9 });
  });

  it("refuses an object already managed under another address", () => {
    const r = plan(
      `${BOT("bot")}  two: { name: other }\nimport:\n  - { to: popdock_api_user.two, id: usr_1 }\n`,
      importedState(),
    );
    expect(r.diagnostics[0]).toMatchObject({ code: "PLAN_IMPORT_MANAGED", line: 10 });
  });
});

describe("moved blocks", () => {
  const MOVED = "moved:\n  - from: popdock_api_user.bot\n    to: popdock_api_user.robot\n";

  it("move a user and its grant and token: no create, no destroy, the ids kept", () => {
    const r = plan(`${BOT("robot")}${MOVED}`, importedState());
    expect(r.diagnostics).toEqual([]);
    const p = r.plan as NonNullable<typeof r.plan>;
    expect(p.state_actions).toEqual([
      { kind: "move", type: "popdock_api_user", from: "popdock_api_user.bot", to: "popdock_api_user.robot" },
      {
        kind: "move",
        type: "popdock_api_token",
        from: 'popdock_api_token.bot["pbi"]',
        to: 'popdock_api_token.robot["pbi"]',
        with: "popdock_api_user.robot",
      },
      {
        kind: "move",
        type: "popdock_api_user_grant",
        from: 'popdock_api_user_grant.bot["team:Finance"]',
        to: 'popdock_api_user_grant.robot["team:Finance"]',
        with: "popdock_api_user.robot",
      },
    ]);
    expect(p.changes.map((c) => c.action)).toEqual(["noop", "noop", "noop"]);
    expect(p.summary).toMatchObject({ add: 0, change: 0, destroy: 0 });
    expect(planHasChanges(p)).toBe(true);

    const state = importedState();
    applyStateActions(state, p.state_actions ?? []);
    expect(state.resources["popdock_api_user.robot"]?.id).toBe("usr_1");
    expect(state.resources['popdock_api_token.robot["pbi"]']).toMatchObject({
      id: "tok_1",
      parent: "popdock_api_user.robot",
      dependencies: ["popdock_api_user.robot"],
    });
    expect(Object.keys(state.resources)).not.toContain("popdock_api_user.bot");
    // Applied: the block stays as history and does nothing.
    const again = plan(`${BOT("robot")}${MOVED}`, state);
    expect(again.diagnostics).toEqual([]);
    expect(again.plan?.state_actions).toBeUndefined();
    expect(again.plan?.changes.every((c) => c.action === "noop")).toBe(true);
  });

  it("renders as Terraform does: text headlines, JSON previous_address and importing, markdown list", () => {
    const p = plan(`${BOT("robot")}${MOVED}`, importedState()).plan as NonNullable<
      ReturnType<typeof makePlan>["plan"]
    >;
    const text = renderPlanText(p, { color: false });
    expect(text).toContain("  # popdock_api_user.bot has moved to popdock_api_user.robot\n");
    expect(text).toContain('        id = "usr_1"');
    expect(text).toContain("Plan: 0 to add, 0 to change, 0 to destroy.");
    expect(text).not.toContain("No changes");
    const json = renderPlanJson(p);
    expect(json.applyable).toBe(true);
    expect(json.resource_changes.find((c) => c.address === "popdock_api_user.robot")?.previous_address).toBe(
      "popdock_api_user.bot",
    );
    expect(renderPlanMarkdown(p)).toContain("- popdock_api_user.bot has moved to popdock_api_user.robot");
    const imported = plan(
      "api_users:\n  bot: { name: bot-renamed }\nimport:\n  - { to: popdock_api_user.bot, id: usr_1 }\n",
      emptyState(),
    ).plan as NonNullable<ReturnType<typeof makePlan>["plan"]>;
    expect(renderPlanJson(imported).resource_changes[0]?.change.importing).toEqual({ id: "usr_1" });
    const importText = renderPlanText(imported, { color: false });
    expect(importText).toContain('  # (imported from "usr_1")');
    expect(importText).toContain("Plan: 1 to import, 0 to add, 1 to change, 0 to destroy.");
  });

  it("moves a token's rotation keeper with it, so nothing is destroyed or created", () => {
    const rotated = (key: string) =>
      `api_users:\n  ${key}:\n    name: bot\n    tokens:\n      pbi: { name: powerbi, rotation: { triggers: { q: "1" } } }\n`;
    const first = plan(
      `${rotated("bot")}import:\n  - { to: popdock_api_user.bot, id: usr_1 }\n  - { to: 'popdock_api_token.bot["pbi"]', id: usr_1/tok_1 }\n`,
      emptyState(),
    );
    expect(first.diagnostics).toEqual([]);
    const state = emptyState();
    applyStateActions(state, first.plan?.state_actions ?? []);
    // The keeper is created by the first apply (a local resource: no call).
    state.resources["null_resource.bot__pbi_rotation"] = {
      type: "null_resource",
      id: "n1",
      version: 1,
      attributes: { triggers: { q: "1" } },
      dependencies: [],
    };
    const tokenEntry = state.resources['popdock_api_token.bot["pbi"]'];
    if (tokenEntry) tokenEntry.dependencies = ["popdock_api_user.bot", "null_resource.bot__pbi_rotation"];
    const r = plan(`${rotated("robot")}${MOVED}`, state);
    expect(r.diagnostics).toEqual([]);
    expect(r.plan?.state_actions?.map((a) => a.kind === "move" && `${a.from} -> ${a.to}`)).toContain(
      "null_resource.bot__pbi_rotation -> null_resource.robot__pbi_rotation",
    );
    expect(r.plan?.changes.filter((c) => c.action !== "noop")).toEqual([]);
    applyStateActions(state, r.plan?.state_actions ?? []);
    expect(Object.keys(state.resources).sort()).toEqual([
      "null_resource.robot__pbi_rotation",
      'popdock_api_token.robot["pbi"]',
      "popdock_api_user.robot",
    ]);
  });

  it("follows chains, and reports cycles, ambiguity and a taken target at the block's line", () => {
    const chained = plan(
      `${BOT("c")}moved:\n  - { from: popdock_api_user.bot, to: popdock_api_user.b }\n  - { from: popdock_api_user.b, to: popdock_api_user.c }\n`,
      importedState(),
    );
    expect(chained.plan?.state_actions?.[0]).toMatchObject({
      from: "popdock_api_user.bot",
      to: "popdock_api_user.c",
    });

    const cycle = yaml(
      `${BOT("c")}moved:\n  - { from: popdock_api_user.a, to: popdock_api_user.b }\n  - { from: popdock_api_user.b, to: popdock_api_user.a }\n`,
    );
    expect(cycle.diagnostics).toMatchObject([
      {
        code: "PLAN_MOVED_CYCLE",
        line: 9,
        message:
          "these moved blocks form a cycle: popdock_api_user.a → popdock_api_user.b → popdock_api_user.a",
      },
    ]);

    const twice = yaml(
      `${BOT("c")}  d: { name: d }\nmoved:\n  - { from: popdock_api_user.bot, to: popdock_api_user.c }\n  - { from: popdock_api_user.bot, to: popdock_api_user.d }\n`,
    );
    expect(twice.diagnostics).toMatchObject([
      { code: "PLAN_MOVED_AMBIGUOUS", file: "popdock.yaml", line: 11, column: 5 },
    ]);

    const taken = plan(
      `${BOT("bot")}  robot: { name: robot }\n${MOVED.replace("bot\n", "x\n")}`,
      importedState(),
    );
    expect(taken.diagnostics[0]).toMatchObject({ code: "PLAN_MOVED_NOT_IN_STATE", severity: "warning" });
    const state = importedState();
    state.resources["popdock_api_user.robot"] = {
      type: "popdock_api_user",
      id: "usr_2",
      version: 1,
      attributes: {},
      dependencies: [],
    };
    const clash = plan(`${BOT("robot")}${MOVED}`, state);
    expect(clash.plan).toBeUndefined();
    expect(clash.diagnostics[0]).toMatchObject({ code: "PLAN_MOVED_TARGET_EXISTS", line: 9 });
  });

  it("a cycle among configured addresses is an error naming it", () => {
    const r = yaml(
      `api_users:\n  a: { name: a }\n  b: { name: b }\nmoved:\n  - { from: popdock_api_user.x, to: popdock_api_user.a }\n  - { from: popdock_api_user.a, to: popdock_api_user.x }\n`,
    );
    // x is not configured and a is: the second block's from is still configured.
    expect(r.diagnostics.map((d) => d.code)).toContain("PLAN_MOVED_FROM_CONFIGURED");
  });

  it("refuses a type change and a target not in the configuration, with a did-you-mean", () => {
    const r = yaml(
      `${BOT("robot")}moved:\n  - { from: popdock_api_user.bot, to: 'popdock_api_token.robot["pbi"]' }\n  - { from: popdock_api_user.bot2, to: popdock_api_user.robott }\n`,
    );
    expect(r.config).toBeUndefined();
    expect(r.diagnostics).toMatchObject([
      { code: "PLAN_MOVED_TYPE", line: 9 },
      { code: "PLAN_MOVED_UNKNOWN", line: 10, hint: "did you mean popdock_api_user.robot?" },
    ]);
  });
});

describe("removed blocks", () => {
  it("forget a user and its children without destroying anything", () => {
    const r = plan(
      `api_users: {}\nremoved:\n  - { from: popdock_api_user.bot, destroy: false }\n`,
      importedState(),
    );
    expect(r.diagnostics).toEqual([]);
    const p = r.plan as NonNullable<typeof r.plan>;
    expect(p.changes).toEqual([]);
    expect(p.state_actions?.map((a) => a.kind === "remove" && [a.address, a.with])).toEqual([
      ["popdock_api_user.bot", undefined],
      ['popdock_api_token.bot["pbi"]', "popdock_api_user.bot"],
      ['popdock_api_user_grant.bot["team:Finance"]', "popdock_api_user.bot"],
    ]);
    const state = importedState();
    applyStateActions(state, p.state_actions ?? []);
    expect(state.resources).toEqual({});
  });

  it("is refused while the resource is still configured, and without destroy: false", () => {
    const r = yaml(
      `${BOT("bot")}removed:\n  - { from: popdock_api_user.bot, destroy: false }\n  - { from: popdock_api_user.x }\n`,
    );
    expect(r.diagnostics.map((d) => [d.code, d.line])).toEqual([
      ["PLAN_REMOVED_CONFIGURED", 9],
      ["CONFIG_INVALID_VALUE", 10],
    ]);
  });
});

describe("Terraform JSON blocks", () => {
  const tf = (extra: Record<string, unknown>) =>
    parseTerraformSources([
      {
        file: "cdk.tf.json",
        text: JSON.stringify(
          { resource: { popdock_api_user: { robot: { name: "bot" } } }, ...extra },
          null,
          2,
        ),
      },
    ]);

  it("reads moved (as CDKTF writes it), removed and import blocks", () => {
    const r = tf({
      moved: [{ to: "popdock_api_user.robot", from: "popdock_api_user.bot" }],
      removed: { from: "popdock_api_user.gone", lifecycle: { destroy: false } },
      import: [{ to: "popdock_api_user.robot", id: "usr_1", provider: "popdock" }],
    });
    expect(r.diagnostics).toEqual([]);
    expect(r.config?.moved).toMatchObject([
      {
        from: "popdock_api_user.bot",
        to: "popdock_api_user.robot",
        source: { file: "cdk.tf.json", line: 10 },
      },
    ]);
    expect(r.config?.removed).toMatchObject([{ from: "popdock_api_user.gone" }]);
    expect(r.config?.imports).toMatchObject([{ to: "popdock_api_user.robot", id: "usr_1" }]);
  });

  it("refuses a removed block that would destroy, and one moving to an unknown address, with positions", () => {
    const r = tf({
      removed: [{ from: "popdock_api_user.gone", lifecycle: { destroy: true } }],
      moved: [{ from: "popdock_api_user.bot", to: "popdock_api_user.robo" }],
    });
    expect(r.diagnostics).toMatchObject([
      { code: "TF_JSON_UNSUPPORTED_ARGUMENT", file: "cdk.tf.json", line: 13 },
      {
        code: "PLAN_MOVED_UNKNOWN",
        file: "cdk.tf.json",
        line: 18,
        hint: "did you mean popdock_api_user.robot?",
      },
    ]);
  });
});

describe("state edits (popdock state mv)", () => {
  it("moves a user with its children, and refuses a taken, missing or other-typed address", () => {
    const s = importedState();
    const r = moveInState(s, "popdock_api_user.bot", "popdock_api_user.robot");
    expect(Object.keys(r.state.resources).sort()).toEqual([
      'popdock_api_token.robot["pbi"]',
      "popdock_api_user.robot",
      'popdock_api_user_grant.robot["team:Finance"]',
    ]);
    expect(Object.keys(s.resources)).toContain("popdock_api_user.bot"); // pure: the input is untouched
    expect(() => moveInState(s, "popdock_api_user.nope", "popdock_api_user.x")).toThrow(StateMoveError);
    expect(() => moveInState(s, "popdock_api_user.bot", 'popdock_api_token.bot["x"]')).toThrow(
      /keeps the type/,
    );
    const taken = structuredClone(s);
    taken.resources["popdock_api_user.x"] = {
      type: "popdock_api_user",
      id: "usr_2",
      version: 1,
      attributes: {},
      dependencies: [],
    };
    expect(() => moveInState(taken, "popdock_api_user.bot", "popdock_api_user.x")).toThrow(
      /already in state/,
    );
    expect(() => moveInState(s, "popdock_api_user.bot", "popdock_api_user.bot")).toThrow(/to itself/);
    expect(removeFromState(s, "popdock_api_user.bot").state.resources).toEqual({});
  });
});
