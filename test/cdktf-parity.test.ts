/**
 * Parity of the two formats: the CDKTF example app (repository root `cdktf.json` →
 * examples/cdktf/main.ts, run with tsx by the real loader) and examples/cdktf/popdock.yaml read
 * to the same DesiredConfig — addresses, types, attributes, owners, dependencies, lifecycle and
 * outputs — and so to the same config digest. Only source positions differ.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { loadTerraformConfig } from "../provider/frontends/terraform-json/index.js";
import { loadYamlConfig } from "../provider/frontends/yaml/index.js";
import type { DesiredConfig } from "../provider/model/desired.js";
import { formatDiagnostic } from "../provider/model/diagnostics.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

function withoutSources(config: DesiredConfig | undefined) {
  if (config === undefined) return undefined;
  const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return {
    provider: config.provider,
    resources: config.resources
      .map(({ source: _s, ...r }) => r)
      .sort((a, b) => compare(a.address, b.address)),
    outputs: config.outputs.map(({ source: _s, ...o }) => o).sort((a, b) => compare(a.name, b.name)),
  };
}

describe("CDKTF and YAML parity", () => {
  let cdktf: Awaited<ReturnType<typeof loadTerraformConfig>>;
  let yaml: Awaited<ReturnType<typeof loadYamlConfig>>;

  beforeAll(async () => {
    [cdktf, yaml] = await Promise.all([
      loadTerraformConfig({ paths: ["."], cwd: root, env: process.env }),
      loadYamlConfig({ paths: ["examples/cdktf/popdock.yaml"], cwd: root, vars: {}, env: {} }),
    ]);
  }, 120_000);

  it("both load without diagnostics", () => {
    expect(cdktf.diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(yaml.diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(cdktf.config?.files).toEqual(["cdktf.json"]);
  });

  it("have the same resources and outputs", () => {
    const a = withoutSources(cdktf.config);
    const b = withoutSources(yaml.config);
    expect(a?.resources.map((r) => r.address)).toEqual(b?.resources.map((r) => r.address));
    expect(a?.resources).toEqual(b?.resources);
    expect(a?.outputs).toEqual(b?.outputs);
    expect(a?.provider).toEqual(b?.provider);
  });

  it("carry the same token rotation policy (durations in seconds)", () => {
    const excel = 'popdock_api_token.reporting_bot["excel"]';
    const policy = {
      every_seconds: 90 * 86_400,
      overlap_seconds: 7 * 86_400,
      retire_when_unused_seconds: 86_400,
    };
    for (const c of [cdktf.config, yaml.config]) {
      expect(c?.resources.find((r) => r.address === excel)?.attrs).toEqual({
        name: "excel-workbook",
        rotation: policy,
      });
    }
  });

  it("have the same config digest", () => {
    expect(cdktf.config?.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(cdktf.config?.digest).toBe(yaml.config?.digest);
  });

  it("keep construct paths for CDKTF sources", () => {
    const user = cdktf.config?.resources.find((r) => r.address === "popdock_api_user.reporting_bot");
    expect(user?.source).toEqual({
      file: "cdktf.json",
      path: "resource.popdock_api_user.reporting_bot",
      constructPath: "popdock/reporting_bot",
    });
  });
});
