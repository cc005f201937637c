/**
 * CDK Terrain (`cdktn` 0.24) and CDK for Terraform (`cdktf` 0.21): the same app — the CDK Terrain
 * example, and its copy importing `cdktf` — synthesizes the same Terraform JSON with popdock-iac's
 * constructs, each on its own CDK (the synth runner detects which one the app imports), and the
 * CDK Terrain example plans and applies against the sandbox, its rotation block included.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { detectCdkFlavour, synthesize } from "../../provider/frontends/terraform-json/synth.js";
import { isRecord } from "../../provider/model/values.js";
import { REPO_ROOT } from "../helpers/cli.js";
import { project, useSandbox } from "../helpers/e2e-sandbox.js";

const sb = useSandbox();
const EXAMPLE = join(REPO_ROOT, "examples", "cdktn");

// The cdktf copy lives two levels below the repository (as the example does), so that its
// relative import of the constructs and its `cdktf` package resolve the same way.
const twin = mkdtempSync(join(REPO_ROOT, "test", ".tmp-cdk-"));
afterAll(() => rmSync(twin, { recursive: true, force: true }));

/** Drops the `//` metadata (it names the CDK and its version), keeping what popdock-iac reads. */
function withoutMetadata(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutMetadata);
  if (!isRecord(v)) return v;
  return Object.fromEntries(
    Object.entries(v)
      .filter(([k]) => k !== "//")
      .map(([k, x]) => [k, withoutMetadata(x)]),
  );
}

async function synthStack(dir: string): Promise<Record<string, unknown>> {
  const env: Record<string, string | undefined> = { ...process.env, ROTATION_QUARTER: "2027-Q1" };
  delete env.POPDOCK_CDK_FLAVOUR; // the runner decides
  const r = await synthesize({ dir, display: "cdktf.json", displayDir: dir, env, timeoutMs: 120_000 });
  expect(r.diagnostics).toEqual([]);
  if (!r.result) throw new Error("no synthesis");
  try {
    const manifest = JSON.parse(await readFile(join(r.result.outdir, "manifest.json"), "utf8")) as {
      stacks: Record<string, { synthesizedStackPath: string }>;
    };
    const stack = manifest.stacks.popdock;
    if (!stack) throw new Error("no stack popdock");
    return JSON.parse(await readFile(join(r.result.outdir, stack.synthesizedStackPath), "utf8"));
  } finally {
    await r.result.cleanup();
  }
}

describe("CDK Terrain and CDK for Terraform", () => {
  it("the same app synthesizes the same Terraform JSON under cdktn and cdktf", async () => {
    const source = await readFile(join(EXAMPLE, "main.ts"), "utf8");
    expect(source).toContain('from "cdktn";');
    await writeFile(join(twin, "main.ts"), source.replace('from "cdktn";', 'from "cdktf";'));
    await writeFile(join(twin, "cdktf.json"), await readFile(join(EXAMPLE, "cdktf.json"), "utf8"));
    expect(await detectCdkFlavour(EXAMPLE, "node --import tsx main.ts")).toBe("cdktn");
    expect(await detectCdkFlavour(twin, "node --import tsx main.ts")).toBe("cdktf");

    const [terrain, terraform] = await Promise.all([synthStack(EXAMPLE), synthStack(twin)]);
    // Each ran on its own CDK: the metadata names it.
    const meta = (j: Record<string, unknown>) =>
      (j["//"] as { metadata: { version: string } }).metadata.version;
    expect(meta(terrain)).toMatch(/^0\.24\./);
    expect(meta(terraform)).toMatch(/^0\.21\./);
    // Both CDKs add a local backend whose path is the app's directory: the one place they may differ.
    const dirless = (j: Record<string, unknown>) => {
      const t = withoutMetadata(j) as Record<string, Record<string, unknown>>;
      expect(t.terraform?.backend).toEqual({
        local: { path: expect.stringMatching(/terraform\.popdock\.tfstate$/) },
      });
      delete t.terraform?.backend;
      return t;
    };
    expect(dirless(terrain)).toEqual(dirless(terraform));
    // The rotation block made the keeper and the replace trigger, with no null provider package.
    const resources = terrain.resource as Record<string, Record<string, Record<string, unknown>>>;
    expect(resources.null_resource?.reporting_bot_powerbi_rotation?.triggers).toEqual({ quarter: "2027-Q1" });
    expect(resources.popdock_api_token?.reporting_bot_powerbi?.lifecycle).toEqual({
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Terraform's reference syntax
      replace_triggered_by: ["${null_resource.reporting_bot_powerbi_rotation}"],
    });
  }, 180_000);

  it("the CDK Terrain example applies, and bumping the quarter rotates its token (new one first)", async () => {
    const dir = await project();
    const state = join(dir, "state.json");
    const run = (args: string[], env: Record<string, string> = {}) =>
      sb.popdock([...args, "-c", EXAMPLE, "--state", state, "--no-color"], dir, {
        POPDOCK_ENV: `cdktn${dir.slice(-6)}`,
        ...env,
      });
    const applied = await run(["apply", "--auto-approve"]);
    expect(applied.stdout, applied.stderr).toContain(
      "Apply complete! Resources: 5 added, 0 changed, 0 destroyed.",
    );
    const rotated = await run(["plan", "--detailed-exitcode"], { ROTATION_QUARTER: "2027-Q1" });
    expect(rotated.code, rotated.stderr).toBe(2);
    expect(rotated.stdout).toContain('popdock_api_token.reporting_bot["powerbi"] must be replaced');
    expect(rotated.stdout).toContain("+/- create replacement and then destroy");
    expect(rotated.stdout).toContain("null_resource.reporting_bot_powerbi_rotation must be replaced");
  }, 180_000);
});
