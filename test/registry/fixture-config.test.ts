/**
 * The configuration side of a type registered at run time: `fixture_widget` (./fixture-type.ts)
 * declares its arguments, YAML placement and conversion, and through the registry alone it can
 * be written in YAML and in Terraform JSON, loaded by `loadConfiguration` and planned by
 * `makePlan`; its mistakes are diagnostics at file:line:column like any built-in type's.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: "${popdock_api_user.bot.id}" is Terraform's reference syntax.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { emptyState } from "../../provider/backends/state-codec.js";
import { makePlan } from "../../provider/engine/plan.js";
import { loadConfiguration } from "../../provider/frontends/index.js";
import type { LoadResult } from "../../provider/frontends/types.js";
import { generateJsonSchema } from "../../provider/frontends/yaml/json-schema.js";
import { formatDiagnostic } from "../../provider/model/diagnostics.js";
import { buildSnapshot } from "../../provider/model/live.js";
import { defineResourceType, registerResourceType } from "../../provider/resources/index.js";
import type { Plan } from "../../schema/plan.js";
import { fixtureWidget, WIDGET, widgetConfigIn } from "./fixture-type.js";

const ADDR = `${WIDGET}.bot["gear"]`;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "popdock-fixture-config-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `files` into a fresh directory and loads the first one's format from them. */
async function load(files: Record<string, string>): Promise<LoadResult> {
  const sub = mkdtempSync(join(dir, "case-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(sub, name), text);
  return loadConfiguration({ paths: Object.keys(files).map((f) => join(sub, f)), cwd: sub, env: {} });
}

function plan(r: LoadResult): Plan {
  expect(r.diagnostics.map(formatDiagnostic)).toEqual([]);
  if (!r.config) throw new Error("no config");
  const live = buildSnapshot({ teams: [], roles: [], connectors: [], users: [] });
  const p = makePlan({ config: r.config, state: emptyState("local"), live, endpoint: "local" });
  expect(p.diagnostics).toEqual([]);
  if (!p.plan) throw new Error("no plan");
  return p.plan;
}

function expectWidgetCreate(p: Plan): void {
  expect(p.changes.map((c) => [c.address, c.action])).toEqual([
    ["popdock_api_user.bot", "create"],
    [ADDR, "create"],
  ]);
  expect(p.changes.find((c) => c.address === ADDR)).toMatchObject({
    type: WIDGET,
    parent: "popdock_api_user.bot",
    after: { name: "gear", size: 1, color: "red" },
  });
}

const YAML_OK = `api_users:
  bot:
    name: bot
    widgets:
      gear:
        size: 1
        color: \${var.color}
variables:
  color:
    default: red
`;

const tfJson = (widget: Record<string, unknown>) =>
  `${JSON.stringify(
    {
      resource: {
        popdock_api_user: { bot: { name: "bot" } },
        fixture_widget: { gear: { api_user_id: "${popdock_api_user.bot.id}", ...widget } },
      },
    },
    null,
    2,
  )}\n`;

describe("a type registered with its configuration", () => {
  let unregister: () => void = () => {};
  afterEach(() => unregister());

  describe("placed under API users", () => {
    it("is declared in YAML (`widgets:` under an API user) and planned as a create", async () => {
      unregister = registerResourceType(fixtureWidget);
      const r = await load({ "popdock.yaml": YAML_OK });
      expect(r.config?.resources.find((x) => x.address === ADDR)).toMatchObject({
        type: WIDGET,
        name: "bot",
        index: "gear",
        user: "popdock_api_user.bot",
        attrs: { name: "gear", size: 1, color: "red" },
        source: { file: "popdock.yaml", line: 5, column: 7 },
      });
      expectWidgetCreate(plan(r));
    });

    it("reports an unknown YAML key at file:line:column, with a guess", async () => {
      unregister = registerResourceType(fixtureWidget);
      const r = await load({ "popdock.yaml": YAML_OK.replace("color: ${var.color}", "colour: red") });
      expect(r.config).toBeUndefined();
      expect(r.diagnostics.map(formatDiagnostic)).toEqual([
        expect.stringMatching(/^popdock\.yaml:5:7: error CONFIG_MISSING_KEY: missing required key "color"/),
        expect.stringMatching(
          /^popdock\.yaml:7:9: error CONFIG_UNKNOWN_KEY: unknown key "colour".*\n {2}hint: did you mean "color"\?$/s,
        ),
      ]);
    });

    it("is declared in Terraform JSON and planned as a create", async () => {
      unregister = registerResourceType(fixtureWidget);
      const r = await load({ "main.tf.json": tfJson({ name: "gear", size: 1, color: "red" }) });
      expectWidgetCreate(plan(r));
    });

    it("reports an unknown Terraform JSON argument at file:line:column, with a guess", async () => {
      unregister = registerResourceType(fixtureWidget);
      const r = await load({ "main.tf.json": tfJson({ name: "gear", size: 1, colour: "red" }) });
      expect(r.config).toBeUndefined();
      const d = r.diagnostics.find((x) => x.code === "CONFIG_UNKNOWN_KEY");
      expect(d).toMatchObject({
        file: "main.tf.json",
        line: 13,
        column: 9,
        message: 'unknown argument "colour"',
        hint: 'did you mean "color"?',
      });
    });

    it("is listed among the supported types, and is unknown again once unregistered", async () => {
      unregister = registerResourceType(fixtureWidget);
      const typo = await load({
        "main.tf.json": JSON.stringify({ resource: { other_thing: { x: {} } } }),
      });
      expect(typo.diagnostics.map((d) => d.hint)).toEqual([
        `supported: popdock_api_user, popdock_api_user_grant, popdock_api_token, ${WIDGET}, null_resource; put other resources in a separate stack`,
      ]);
      unregister();
      const r = await load({ "main.tf.json": tfJson({ name: "gear", size: 1, color: "red" }) });
      expect(r.diagnostics.map((d) => d.code)).toContain("TF_JSON_UNSUPPORTED_TYPE");
      const y = await load({ "popdock.yaml": YAML_OK });
      expect(y.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([
        'CONFIG_UNKNOWN_KEY unknown key "widgets"',
      ]);
    });
  });

  describe("placed in the generic `resources` section", () => {
    const inSection = defineResourceType({ ...fixtureWidget.def, config: widgetConfigIn("resources") });
    const YAML_SECTION = `api_users:
  bot:
    name: bot
resources:
  fixture_widget:
    gear:
      api_user: bot
      size: 1
      color: red
`;

    it("is declared as resources.fixture_widget.<key> and planned as a create", async () => {
      unregister = registerResourceType(inSection);
      const r = await load({ "popdock.yaml": YAML_SECTION });
      expect(r.config?.resources.find((x) => x.address === ADDR)?.source).toMatchObject({
        file: "popdock.yaml",
        line: 6,
      });
      expectWidgetCreate(plan(r));
    });

    it("reports an unknown key in its entry at file:line:column", async () => {
      unregister = registerResourceType(inSection);
      const r = await load({ "popdock.yaml": YAML_SECTION.replace("size: 1", "size: 1\n      shade: dark") });
      expect(r.diagnostics.map(formatDiagnostic)).toEqual([
        expect.stringMatching(/^popdock\.yaml:9:7: error CONFIG_UNKNOWN_KEY: unknown key "shade"/),
      ]);
    });

    it("adds the section to the JSON Schema only while such a type is registered", () => {
      const builtin = generateJsonSchema();
      expect(builtin).not.toContain('"resources"');
      unregister = registerResourceType(inSection);
      expect(JSON.parse(generateJsonSchema()).properties.resources.properties).toHaveProperty(WIDGET);
    });
  });
});
