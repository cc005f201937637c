/**
 * CDKTF end to end, as a user runs it in the repository root (cdktf.json → examples/cdktf/main.ts):
 * synth + plan + apply against a sandbox process, rotate a token by bumping the keeper's trigger,
 * and check parity with the equivalent YAML (apply one, plan the other: no changes).
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { expectExit, REPO_ROOT } from "../helpers/cli.js";
import { project, useSandbox } from "../helpers/e2e-sandbox.js";

const sandbox = useSandbox();

async function api<T>(path: string): Promise<T> {
  return (await sandbox.api<T>("GET", path)).body;
}

interface Tok {
  id: string;
  name: string;
}
interface User {
  id: string;
  name: string;
  tokens: Tok[];
}

async function reportingBot(): Promise<User> {
  const page = await api<{ data: User[] }>("/api-users?expand=tokens&limit=500");
  const u = page.data.find((x) => x.name === "reporting-bot-dev");
  if (!u) throw new Error("reporting-bot-dev not found");
  return u;
}

async function allFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(join(e.parentPath, e.name));
  }
  return out;
}

describe("the CDKTF example", () => {
  it("plans, applies, rotates one token create-before-destroy, and matches its YAML twin", async () => {
    const dir = await project();
    /** The CLI in the repository root (the CDKTF app), with its state in `dir`. */
    const cdktf = (args: string[], extra: Record<string, string> = {}) =>
      sandbox.popdock([...args, "--state", join(dir, "state.json")], REPO_ROOT, extra);
    const rotEnv = { ROTATION_QUARTER: "2027-Q1" };

    const plan = await cdktf(["plan", "--no-color"]);
    expect(plan.stderr).toBe("");
    expectExit(plan, 0);
    expect(plan.stdout).toContain("Plan: 13 to add, 0 to change, 0 to destroy. 3 tokens will be created.");

    // Parity before anything exists: the app and its YAML twin plan the same changes.
    const shape = (json: string) => {
      const doc = JSON.parse(json) as {
        resource_changes: { address: string; change: { actions: string[]; after: unknown } }[];
        output_changes: Record<string, { actions: string[]; after_sensitive: unknown }>;
      };
      return {
        resources: doc.resource_changes.map((c) => [c.address, c.change.actions, c.change.after]),
        outputs: doc.output_changes,
      };
    };
    // The plan document (terraform show -json shape) of each: plan --out, then show --json.
    expectExit(await cdktf(["plan", "--out", join(dir, "app.plan")]), 0);
    expectExit(
      await cdktf(["plan", "--out", join(dir, "yaml.plan"), "-c", "examples/cdktf/popdock.yaml"]),
      0,
    );
    const fromApp = await sandbox.popdock(["show", "--json", "app.plan"], dir);
    const fromYaml = await sandbox.popdock(["show", "--json", "yaml.plan"], dir);
    expectExit(fromApp, 0);
    expectExit(fromYaml, 0);
    expect(shape(fromApp.stdout).resources.length).toBe(13);
    expect(shape(fromYaml.stdout)).toEqual(shape(fromApp.stdout));

    expectExit(await cdktf(["apply", "--auto-approve", "--no-color"]), 0);
    const before = await reportingBot();
    const oldPowerbi = before.tokens.find((t) => t.name === "powerbi-refresh-2026-Q4");
    expect(oldPowerbi).toBeDefined();

    // Parity: the YAML twin of the example plans no changes against what the CDKTF app applied.
    const yaml = await cdktf([
      "plan",
      "--no-color",
      "--detailed-exitcode",
      "-c",
      "examples/cdktf/popdock.yaml",
    ]);
    expectExit(yaml, 0);
    expect(yaml.stdout).toContain("No changes.");

    // Bump the keeper's trigger: exactly the Power BI token is replaced, new one first.
    const rot = await cdktf(["plan", "--no-color", "--detailed-exitcode"], rotEnv);
    expectExit(rot, 2);
    const replaced = rot.stdout.split("\n").filter((l) => /must be replaced$/.test(l));
    expect(replaced).toEqual([
      '  # popdock_api_token.reporting_bot["powerbi"] must be replaced',
      "  # null_resource.reporting_bot__powerbi_rotation must be replaced",
    ]);
    expect(rot.stdout).toMatch(/^\+\/- resource "popdock_api_token" "reporting_bot"/m);
    expect(rot.stdout).toContain("Plan: 2 to add, 0 to change, 2 to destroy. 1 token will be created.");

    const applyRot = await cdktf(["apply", "--auto-approve", "--no-color"], rotEnv);
    expectExit(applyRot, 0);
    const created = applyRot.stdout.indexOf(
      'popdock_api_token.reporting_bot["powerbi"]: replacement created',
    );
    const destroyed = applyRot.stdout.indexOf(
      'popdock_api_token.reporting_bot["powerbi"]: replaced object destroyed',
    );
    expect(created).toBeGreaterThan(-1);
    expect(destroyed).toBeGreaterThan(created);

    const after = await reportingBot();
    expect(after.tokens.map((t) => t.id)).not.toContain(oldPowerbi?.id);
    const fresh = after.tokens.find((t) => t.name === "powerbi-refresh-2027-Q1");
    expect(fresh).toBeDefined();

    // The new token's ID comes out by name, and is in no file the tool wrote.
    const out = await cdktf(["output", "powerbi_token", "--raw"], rotEnv);
    expectExit(out, 0);
    const full = await api<{ token_id: string }>(`/api-users/${after.id}/tokens/${fresh?.id}`);
    expect(out.stdout).toBe(full.token_id);
    for (const f of await allFiles(dir)) {
      expect(await readFile(f, "utf8"), f).not.toContain(full.token_id);
    }
    for (const text of [applyRot.stdout, applyRot.stderr, rot.stdout, rot.stderr])
      expect(text).not.toContain(full.token_id);
  }, 120_000);
});
