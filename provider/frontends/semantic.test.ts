import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DesiredResource, defaultLifecycle } from "../model/desired.js";
import type { Diagnostic } from "../model/diagnostics.js";
import { detectFrontend } from "./index.js";
import { analyze, sortDiagnostics } from "./semantic.js";
import type { DraftResource, FrontendOutput, Phrasing } from "./types.js";

const source = { file: "a" };
const user = (key: string, name: string): DesiredResource => ({
  type: "popdock_api_user",
  address: `popdock_api_user.${key}`,
  name: key,
  dependsOn: [],
  lifecycle: defaultLifecycle(),
  source,
  attrs: { name, description: "" },
});
const token = (key: string, index: string, name: string): DesiredResource => ({
  type: "popdock_api_token",
  address: `popdock_api_token.${key}["${index}"]`,
  name: key,
  index,
  user: `popdock_api_user.${key}`,
  dependsOn: [],
  lifecycle: { ...defaultLifecycle(), createBeforeDestroy: true },
  source,
  attrs: { name },
});
const grant = (key: string, team: string): DesiredResource => ({
  type: "popdock_api_user_grant",
  address: `popdock_api_user_grant.${key}["team:${team}"]`,
  name: key,
  index: `team:${team}`,
  user: `popdock_api_user.${key}`,
  dependsOn: [],
  lifecycle: defaultLifecycle(),
  source,
  attrs: { kind: "team", team },
});

/** Names each finding by code and the two origins, so the rules can be checked without a syntax. */
const say =
  (code: string) =>
  (d: DraftResource<string>, first?: DraftResource<string>): Diagnostic => ({
    code,
    severity: "error",
    message: `${d.origin} ${first?.origin ?? ""}`.trim(),
  });
const phrasing: Phrasing<string, string> = {
  duplicateGrant: say("GRANT"),
  duplicateAddress: say("ADDRESS"),
  duplicateUserName: say("USER_NAME"),
  duplicateTokenName: say("TOKEN_NAME"),
  unknownResourceType: (o, type) => ({ code: "TYPE", severity: "error", message: `${o.origin} ${type}` }),
  unknownResource: (o, address) => ({
    code: "RESOURCE",
    severity: "error",
    message: `${o.origin} ${address}`,
  }),
  unknownAttribute: (o, _t, attr) => ({ code: "ATTR", severity: "error", message: `${o.origin} ${attr}` }),
  sensitiveRequired: (o) => ({ code: "SENSITIVE", severity: "error", message: o.origin }),
};

function draft(
  resources: [DesiredResource, string][],
  outputs: FrontendOutput<string, string>["outputs"] = [],
) {
  return {
    files: ["a"],
    provider: {},
    resources: resources.map(([resource, origin]) => ({ resource, origin })),
    outputs,
    variables: [],
    readDiagnostics: [],
    diagnostics: [],
    phrasing,
  } satisfies FrontendOutput<string, string>;
}

describe("analyze", () => {
  it("adds an automatic sensitive output per token, before the written ones", () => {
    const r = analyze(
      draft([
        [user("bot", "Bot"), "u"],
        [token("bot", "pbi", "pbi"), "t"],
      ]),
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.config?.outputs).toEqual([
      {
        name: "bot.pbi",
        parts: [{ address: 'popdock_api_token.bot["pbi"]', attr: "token_id" }],
        sensitive: true,
        description: 'Token ID of popdock_api_token.bot["pbi"]',
        automatic: true,
        source,
      },
    ]);
    expect(r.config?.digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it("reports duplicates case-insensitively, through the frontend's phrasing", () => {
    const r = analyze(
      draft([
        [user("a", "Bot"), "ua"],
        [user("b", "BOT"), "ub"],
        [grant("a", "Finance"), "g1"],
        [grant("a", "finance"), "g2"],
        [token("a", "x", "Key"), "t1"],
        [token("a", "y", "key"), "t2"],
        [token("b", "z", "key"), "t3"],
      ]),
    );
    expect(r.config).toBeUndefined();
    expect(r.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([
      "USER_NAME ub ua",
      "GRANT g2 g1",
      "TOKEN_NAME t2 t1",
    ]);
  });

  it("does not compare a name already reported", () => {
    const r = analyze({
      ...draft([]),
      resources: [
        { resource: user("a", "Bot"), origin: "ua" },
        { resource: user("b", "Bot"), origin: "ub", nameReported: true },
      ],
    });
    expect(r.diagnostics).toEqual([]);
  });

  it("checks output references and secrets after duplicates are left out", () => {
    const output = (
      name: string,
      parts: FrontendOutput["outputs"][number]["output"]["parts"],
      sensitive = false,
    ) => ({
      output: { name, parts, sensitive, source },
      origin: name,
    });
    const r = analyze(
      draft(
        [
          [user("a", "A"), "ua"],
          [token("a", "x", "x"), "t"],
        ],
        [
          output("o1", [{ address: "nope.a", attr: "id" }]),
          output("o2", [{ address: "popdock_api_user.b", attr: "id" }]),
          output("o3", [{ address: "popdock_api_user.a", attr: "secret" }]),
          output("o4", [{ address: 'popdock_api_token.a["x"]', attr: "token_id" }]),
          output("o5", [{ address: 'popdock_api_token.a["x"]', attr: "token_id" }], true),
        ],
      ),
    );
    expect(r.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([
      "TYPE o1 nope",
      "RESOURCE o2 popdock_api_user.b",
      "ATTR o3 secret",
      "SENSITIVE o4",
    ]);
  });

  it("sorts by file in load order, then line and column; read problems first", () => {
    const d = (file: string | undefined, line: number): Diagnostic => ({
      code: "X",
      severity: "warning",
      message: `${file}:${line}`,
      ...(file !== undefined ? { file } : {}),
      line,
    });
    expect(
      sortDiagnostics([d("b", 1), d("a", 2), d(undefined, 9), d("a", 1)], ["a", "b"]).map((x) => x.message),
    ).toEqual(["undefined:9", "a:1", "a:2", "b:1"]);
  });
});

describe("detectFrontend", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "popdock-detect-"));
    await mkdir(join(dir, "tf"));
    await writeFile(join(dir, "tf", "main.tf.json"), "{}");
    await mkdir(join(dir, "mixed"));
    await writeFile(join(dir, "mixed", "main.tf.json"), "{}");
    await writeFile(join(dir, "mixed", "popdock.yaml"), "");
    await mkdir(join(dir, "app"));
    await writeFile(join(dir, "app", "cdktf.json"), "{}");
    await writeFile(join(dir, "app", "popdock.yaml"), "");
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("picks Terraform JSON for what it owns or a directory of *.tf.json, YAML otherwise", async () => {
    const pick = async (...p: string[]) => (await detectFrontend(p.map((x) => join(dir, x)))).frontend.name;
    expect(await pick("tf")).toBe("terraform-json");
    expect(await pick("app")).toBe("terraform-json");
    expect(await pick("x.tf.json")).toBe("terraform-json");
    expect(await pick("popdock.yaml")).toBe("yaml");
    expect(await pick("missing")).toBe("yaml");
  });

  it("refuses a mix of formats", async () => {
    const mixed = await detectFrontend([join(dir, "mixed")]);
    expect(mixed.diagnostics.map((d) => d.message)).toEqual([
      "directory holds both Terraform JSON (main.tf.json) and YAML (popdock.yaml) configuration",
    ]);
    const both = await detectFrontend([join(dir, "popdock.yaml"), join(dir, "tf")]);
    expect(both.diagnostics.map((d) => d.message)).toEqual([
      "cannot combine YAML (popdock.yaml) and Terraform JSON (tf) configuration",
    ]);
  });
});
