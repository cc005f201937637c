import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../test/helpers/tmp.js";
import { createSandbox } from "./index.js";
import { DEFAULT_SEED, loadSeedFile, SeedData, SeedFileError } from "./seed.js";

const dir = tempDir("popdock-seed-");

describe("seed", () => {
  it("default seed is valid, with stable ids", () => {
    expect(SeedData.parse(DEFAULT_SEED)).toEqual(DEFAULT_SEED);
    expect(DEFAULT_SEED.teams.map((t) => t.id)).toEqual([
      "team_finance",
      "team_sales",
      "team_operations",
      "team_it",
    ]);
    expect(DEFAULT_SEED.roles.filter((r) => r.name === "User").map((r) => r.scope)).toEqual([
      "system",
      "connector",
    ]);
    expect(DEFAULT_SEED.connectors.find((c) => c.id === "con_gp_production")?.companies).toEqual([
      "Fabrikam Inc",
      "Contoso Ltd",
    ]);
  });

  it("loads YAML and JSON files, and the sandbox serves them", async () => {
    const yamlFile = join(dir, "seed.yaml");
    writeFileSync(
      yamlFile,
      `teams:\n  - { id: t1, name: Ops, description: "" }\nroles: []\nconnectors:\n  - { id: c1, name: C, companies: [A], lists: [], actions: [], details: [] }\n`,
    );
    const seed = loadSeedFile(yamlFile);
    expect(seed.teams[0]?.name).toBe("Ops");
    const jsonFile = join(dir, "seed.json");
    writeFileSync(jsonFile, JSON.stringify(seed));
    expect(loadSeedFile(jsonFile)).toEqual(seed);

    const sb = createSandbox({ apiKey: "k", seed });
    const res = await sb.handle(
      new Request("http://x/api/v1/security/teams", { headers: { authorization: "Bearer k" } }),
    );
    expect(await res.json()).toEqual({ data: [{ id: "t1", name: "Ops", description: "" }] });
  });

  it.each([
    [
      "duplicate ids",
      { ...DEFAULT_SEED, teams: [DEFAULT_SEED.teams[0], DEFAULT_SEED.teams[0]] },
      "duplicate team id",
    ],
    ["unknown fields", { ...DEFAULT_SEED, users: [] }, "users"],
    [
      "bad role scope",
      { ...DEFAULT_SEED, roles: [{ id: "r", name: "R", scope: "x", description: "" }] },
      "roles.0.scope",
    ],
  ])("refuses %s", (_name, content, needle) => {
    const file = join(dir, `bad-${needle.replace(/\W/g, "")}.json`);
    writeFileSync(file, JSON.stringify(content));
    expect(() => loadSeedFile(file)).toThrow(SeedFileError);
    expect(() => loadSeedFile(file)).toThrow(needle);
  });

  it("names a missing or unparsable file", () => {
    expect(() => loadSeedFile(join(dir, "missing.yaml"))).toThrow(/cannot read seed file/);
    const file = join(dir, "broken.json");
    writeFileSync(file, "{");
    expect(() => loadSeedFile(file)).toThrow(/does not parse/);
  });
});
