/**
 * The Terraform JSON frontend against its fixture corpus (table-driven, after Pulumi's
 * `testdata/<case>/`): each directory `fixtures/tf-json/<case>/` is read as the path `.` with the
 * case directory as the working directory — so it is a directory of `*.tf.json` files, a CDKTF
 * output directory (`manifest.json`) or a CDKTF app (`cdktf.json`, run with `node`).
 *
 * - `expected.json`: the DesiredConfig without its digest (compared as data); no diagnostics
 *   at all, or exactly the warnings in `expected.txt`.
 * - `expected.txt`: the exact diagnostics, `formatDiagnostic` one per entry.
 * - optional `options.json`: `{ "paths"?, "stack"?, "synthTimeoutMs"? }` for the loader.
 *
 * Run with `UPDATE_FIXTURES=1` to rewrite the expected files, then review the diff.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { formatDiagnostic } from "../provider/diagnostics.js";
import {
  type LoadTerraformOptions,
  loadTerraformConfig,
} from "../provider/frontends/terraform-json/index.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "fixtures", "tf-json");
const update = process.env.UPDATE_FIXTURES === "1";

interface Case {
  name: string;
  dir: string;
  kind: "valid" | "invalid";
  options: Pick<LoadTerraformOptions, "stack" | "synthTimeoutMs"> & { paths?: string[] };
}

function cases(): Case[] {
  return readdirSync(root)
    .filter((n) => statSync(join(root, n)).isDirectory())
    .sort()
    .map((name) => {
      const dir = join(root, name);
      const optionsFile = join(dir, "options.json");
      const options = existsSync(optionsFile)
        ? (JSON.parse(readFileSync(optionsFile, "utf8")) as Case["options"])
        : {};
      const kind = existsSync(join(dir, "expected.json")) || name.startsWith("valid-") ? "valid" : "invalid";
      return { name, dir, kind, options };
    });
}

function load(c: Case) {
  const { paths, ...rest } = c.options;
  // Stand-in CDKTF apps run with `node`: they need PATH, and nothing else from the environment.
  return loadTerraformConfig({ paths: paths ?? ["."], cwd: c.dir, env: { PATH: process.env.PATH }, ...rest });
}

const all = cases();

describe("Terraform JSON fixtures", () => {
  it("has a corpus", () => {
    expect(all.filter((c) => c.kind === "valid").length).toBeGreaterThanOrEqual(6);
    expect(all.filter((c) => c.kind === "invalid").length).toBeGreaterThanOrEqual(12);
  });

  it.each(all.filter((c) => c.kind === "invalid").map((c) => [c.name, c] as const))(
    "invalid: %s",
    async (_name, c) => {
      const { config, diagnostics } = await load(c);
      const text = `${diagnostics.map(formatDiagnostic).join("\n")}\n`;
      const expectedFile = join(c.dir, "expected.txt");
      if (update) writeFileSync(expectedFile, text);
      expect(config).toBeUndefined();
      expect(diagnostics.some((d) => d.severity === "error")).toBe(true);
      expect(text).toBe(readFileSync(expectedFile, "utf8"));
    },
  );

  it.each(all.filter((c) => c.kind === "valid").map((c) => [c.name, c] as const))(
    "valid: %s",
    async (_name, c) => {
      const { config, diagnostics } = await load(c);
      const expectedDiags = join(c.dir, "expected.txt");
      const warnings = diagnostics.map(formatDiagnostic);
      if (existsSync(expectedDiags) || (update && warnings.length > 0)) {
        // A valid case may expect warnings (never errors).
        const text = `${warnings.join("\n")}\n`;
        if (update) writeFileSync(expectedDiags, text);
        expect(text).toBe(readFileSync(expectedDiags, "utf8"));
      } else {
        expect(warnings).toEqual([]);
      }
      expect(config).toBeDefined();
      const { digest, ...rest } = config ?? { digest: "" };
      expect(digest).toMatch(/^[0-9a-f]{64}$/);
      const expectedFile = join(c.dir, "expected.json");
      if (update) writeFileSync(expectedFile, `${JSON.stringify(rest, null, 2)}\n`);
      // Compared as data: the files are formatted by biome like any other JSON in the repository.
      expect(JSON.parse(JSON.stringify(rest))).toEqual(JSON.parse(readFileSync(expectedFile, "utf8")));
    },
  );
});
