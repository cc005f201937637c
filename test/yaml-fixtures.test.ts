/**
 * The YAML frontend against its fixture corpus (table-driven, after Pulumi's `testdata/<case>/`):
 *
 * - `fixtures/yaml-invalid/<case>.yaml` (or a directory `<case>/` for multi-file cases) with
 *   `<case>.expected.txt`: the exact diagnostics, `formatDiagnostic` one per entry.
 * - `fixtures/yaml-valid/<case>.yaml` (or `<case>/`) with `<case>.expected.json`: the
 *   DesiredConfig without its digest; no diagnostics at all.
 * - optional `<case>.options.json`: `{ "paths"?, "vars"?, "env"?, "limits"? }` for the loader.
 *
 * File names in diagnostics are relative to the fixture directory. Run with
 * `UPDATE_FIXTURES=1` to rewrite the expected files, then review the diff.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { type LoadYamlOptions, loadYamlConfig } from "../provider/frontends/yaml/index.js";
import { formatDiagnostic } from "../provider/model/diagnostics.js";
import { GENERATED_CASES } from "./helpers/bad-inputs.js";

const here = dirname(fileURLToPath(import.meta.url));
const update = process.env.UPDATE_FIXTURES === "1";

interface Case {
  name: string;
  dir: string;
  paths: string[];
  options: Pick<LoadYamlOptions, "vars" | "env" | "limits">;
}

function cases(dir: string): Case[] {
  const names = new Set<string>();
  for (const entry of readdirSync(dir)) {
    const m = /^(.+)\.expected\.(txt|json)$/.exec(entry);
    if (m?.[1] !== undefined) names.add(m[1]);
  }
  return [...names].sort().map((name) => {
    const optionsFile = join(dir, `${name}.options.json`);
    const raw = existsSync(optionsFile)
      ? (JSON.parse(readFileSync(optionsFile, "utf8")) as Case["options"] & { paths?: string[] })
      : {};
    const { paths, ...options } = raw;
    let input = `${name}.yaml`;
    if (
      !existsSync(join(dir, input)) &&
      existsSync(join(dir, name)) &&
      statSync(join(dir, name)).isDirectory()
    ) {
      input = name;
    }
    return { name, dir, paths: paths ?? [input], options };
  });
}

function load(c: Case) {
  return loadYamlConfig({ vars: {}, env: {}, ...c.options, paths: c.paths, cwd: c.dir });
}

const invalidDir = join(here, "fixtures", "yaml-invalid");
const validDir = join(here, "fixtures", "yaml-valid");

describe("invalid YAML configurations", () => {
  const all = cases(invalidDir);
  it("has a corpus", () => {
    expect(all.length).toBeGreaterThanOrEqual(90);
  });
  it.each(all.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const { diagnostics } = await load(c);
    const text = `${diagnostics.map(formatDiagnostic).join("\n")}\n`;
    const expectedFile = join(c.dir, `${c.name}.expected.txt`);
    if (update) writeFileSync(expectedFile, text);
    expect(diagnostics.length).toBeGreaterThan(0);
    expect(text).toBe(readFileSync(expectedFile, "utf8"));
  });
});

describe("invalid YAML too large to commit (generated)", () => {
  const dir = mkdtempSync(join(tmpdir(), "popdock-yaml-generated-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const generated = GENERATED_CASES.filter((c) => c.format === "yaml");
  it.each(generated.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    writeFileSync(join(dir, c.file), c.content());
    const { config, diagnostics } = await loadYamlConfig({ paths: [c.file], cwd: dir, vars: {}, env: {} });
    expect(config).toBeUndefined();
    expect(diagnostics.map(formatDiagnostic).join("\n")).toBe(c.expected);
  });
});

describe("valid YAML configurations", () => {
  it.each(cases(validDir).map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const { config, diagnostics } = await load(c);
    expect(diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(config).toBeDefined();
    const { digest, ...rest } = config ?? { digest: "" };
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    const text = `${JSON.stringify(rest, null, 2)}\n`;
    const expectedFile = join(c.dir, `${c.name}.expected.json`);
    if (update) writeFileSync(expectedFile, text);
    expect(text).toBe(readFileSync(expectedFile, "utf8"));
  });
});

describe("examples", () => {
  it("examples/quickstart/popdock.yaml loads without diagnostics", async () => {
    const cwd = join(here, "..", "examples", "quickstart");
    const { config, diagnostics } = await loadYamlConfig({ paths: ["popdock.yaml"], cwd, vars: {}, env: {} });
    expect(diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(config?.resources.length).toBeGreaterThan(5);
  });
});
