/**
 * CDKTF end to end, as a user runs it in the repository root (cdktf.json → examples/cdktf/main.ts):
 * synth + plan + apply against a sandbox process, rotate a token by bumping the keeper's trigger,
 * and check parity with the equivalent YAML (apply one, plan the other: no changes).
 */
import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, runCli, workdir } from "../helpers/cli.js";
import { type SandboxProcess, startSandboxProcess } from "../helpers/sandbox-process.js";

let sandbox: SandboxProcess;
let dir: string;
let env: Record<string, string>;

async function api<T>(path: string): Promise<T> {
  const res = await fetch(`${sandbox.url}/api/v1/security${path}`, {
    headers: { authorization: `Bearer ${sandbox.apiKey}` },
  });
  return (await res.json()) as T;
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

beforeAll(async () => {
  sandbox = await startSandboxProcess({ apiKey: "cdktf-e2e" });
  dir = await workdir();
  env = { POPDOCK_ENDPOINT: sandbox.url, POPDOCK_API_KEY: sandbox.apiKey };
});

afterAll(async () => {
  await sandbox?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the CDKTF example", () => {
  const state = () => ["--state", join(dir, "state.json")];

  it("plans, applies, rotates one token create-before-destroy, and matches its YAML twin", async () => {
    const plan = await runCli(["plan", "--no-color", ...state()], { cwd: REPO_ROOT, env });
    expect(plan.stderr).toBe("");
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain("Plan: 13 to add, 0 to change, 0 to destroy. 3 tokens will be created.");

    const apply = await runCli(["apply", "--auto-approve", "--no-color", ...state()], {
      cwd: REPO_ROOT,
      env,
    });
    expect(apply.code).toBe(0);
    const before = await reportingBot();
    const oldPowerbi = before.tokens.find((t) => t.name === "powerbi-refresh-2026-Q4");
    expect(oldPowerbi).toBeDefined();

    // Parity: the YAML twin of the example plans no changes against what the CDKTF app applied.
    const yaml = await runCli(
      ["plan", "--no-color", "--detailed-exitcode", "-c", "examples/cdktf/popdock.yaml", ...state()],
      { cwd: REPO_ROOT, env },
    );
    expect(yaml.code).toBe(0);
    expect(yaml.stdout).toContain("No changes.");

    // Bump the keeper's trigger: exactly the Power BI token is replaced, new one first.
    const rotEnv = { ...env, ROTATION_QUARTER: "2027-Q1" };
    const rot = await runCli(["plan", "--no-color", "--detailed-exitcode", ...state()], {
      cwd: REPO_ROOT,
      env: rotEnv,
    });
    expect(rot.code).toBe(2);
    const replaced = rot.stdout.split("\n").filter((l) => /must be replaced$/.test(l));
    expect(replaced).toEqual([
      '  # popdock_api_token.reporting_bot["powerbi"] must be replaced',
      "  # null_resource.reporting_bot__powerbi_rotation must be replaced",
    ]);
    expect(rot.stdout).toMatch(/^\+\/- resource "popdock_api_token" "reporting_bot"/m);
    expect(rot.stdout).toContain("Plan: 2 to add, 0 to change, 2 to destroy. 1 token will be created.");

    const applyRot = await runCli(["apply", "--auto-approve", "--no-color", ...state()], {
      cwd: REPO_ROOT,
      env: rotEnv,
    });
    expect(applyRot.code).toBe(0);
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
    const out = await runCli(["output", "powerbi_token", "--raw", ...state()], {
      cwd: REPO_ROOT,
      env: rotEnv,
    });
    expect(out.code).toBe(0);
    const full = await api<{ token_id: string }>(`/api-users/${after.id}/tokens/${fresh?.id}`);
    expect(out.stdout).toBe(full.token_id);
    for (const f of await allFiles(dir)) {
      expect(await readFile(f, "utf8"), f).not.toContain(full.token_id);
    }
    for (const text of [applyRot.stdout, applyRot.stderr, rot.stdout, rot.stderr])
      expect(text).not.toContain(full.token_id);
  }, 120_000);
});
