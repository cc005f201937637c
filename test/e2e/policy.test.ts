/**
 * Policies through the real CLI against a `popdock sandbox` child process: a mandatory rule
 * blocks plan and apply (nothing reaches Popdock), an override with a reason goes through and is
 * recorded, hard rules cannot be overridden, advisory rules only warn, saved plans are checked
 * again at apply and by `policy check`, custom TypeScript rules from `policies/`, a throwing rule,
 * configuration mistakes with positions, and no Token ID visible to any rule (canary).
 */
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { exists, type Json, project, uniq, useSandbox } from "../helpers/e2e-sandbox.js";

const sb = useSandbox();
const REPO = resolve(import.meta.dirname, "../..");

/** popdock.yaml with one API user `bot` (extra fields merged in) and a policy section. */
async function config(dir: string, user: Record<string, unknown>, policy?: unknown): Promise<void> {
  const doc: Record<string, unknown> = { api_users: { bot: user } };
  if (policy !== undefined) doc.policy = policy;
  await writeFile(join(dir, "popdock.yaml"), stringify(doc));
}

async function usersNamed(name: string): Promise<Json[]> {
  const inv = await sb.inventory();
  return inv.users.filter((u) => u.name === name);
}

/** Makes `import "popdock-iac/policy"` resolve from a project directory, as an installed package would. */
async function linkPackage(dir: string): Promise<void> {
  await mkdir(join(dir, "node_modules"), { recursive: true });
  await symlink(REPO, join(dir, "node_modules", "popdock-iac"), "dir");
}

describe("mandatory, hard and advisory rules", () => {
  it("a mandatory rule fails plan (also with --detailed-exitcode) and blocks apply; nothing is sent", async () => {
    const dir = await project();
    const name = `pol-admin-${uniq()}`;
    await config(
      dir,
      { name, description: "x", grants: [{ role: "Administrator" }] },
      { rules: { "no-admin-role": {} } },
    );
    const plan = await sb.run(dir, ["plan", "--no-color"], 1);
    expect(plan.stdout).toContain(
      `FAIL [mandatory] no-admin-role: popdock_api_user_grant.bot["role:Administrator"]: API user "${name}" would hold the "Administrator" system role`,
    );
    expect(plan.stdout).toContain("The plan fails policy (mandatory: no-admin-role); apply will refuse it.");
    expect(plan.stderr).toContain("Error: the plan fails policy (no-admin-role); apply will refuse it.");
    await sb.run(dir, ["plan", "--detailed-exitcode", "--no-color"], 1);

    const { r, sent } = await sb.counting(dir, ["apply", "--auto-approve", "--no-color"], 1);
    expect(r.stderr).toContain("POPDOCK_POLICY_FAILED");
    expect(r.stderr).toContain("the plan fails policy rule no-admin-role; nothing was changed");
    expect(r.stderr).toContain('--override-policy no-admin-role --reason "…"');
    expect(sent).toEqual({});
    expect(await usersNamed(name)).toEqual([]);
    expect(await exists(join(dir, ".popdock", "apply-log.jsonl"))).toBe(false);
  });

  it("--override-policy RULE --reason applies, prints and records the override", async () => {
    const dir = await project();
    const name = `pol-ovr-${uniq()}`;
    await config(
      dir,
      { name, description: "x", grants: [{ role: "Administrator" }] },
      { rules: { "no-admin-role": {} } },
    );
    const noReason = await sb.run(dir, ["apply", "--auto-approve", "--override-policy", "no-admin-role"], 1);
    expect(noReason.stderr).toContain("--override-policy needs --reason");

    const r = await sb.run(dir, [
      "apply",
      "--auto-approve",
      "--no-color",
      "--override-policy",
      "no-admin-role",
      "--reason",
      "break-glass INC-42",
    ]);
    expect(r.stdout).toContain(
      `Policy override: no-admin-role (mandatory) overridden for popdock_api_user_grant.bot["role:Administrator"]; reason: break-glass INC-42`,
    );
    expect(r.stdout).toContain("Recorded the policy override in .popdock/apply-log.jsonl and in the state.");
    const state = JSON.parse(await readFile(join(dir, ".popdock", "state.json"), "utf8")) as Json;
    expect(state.policy_overrides).toMatchObject([
      {
        event: "policy_override",
        policy_overrides: [{ rule: "no-admin-role", reason: "break-glass INC-42" }],
      },
    ]);
    expect(await usersNamed(name)).toHaveLength(1);
    const log = (await readFile(join(dir, ".popdock", "apply-log.jsonl"), "utf8")).trim().split("\n");
    expect(log).toHaveLength(1);
    const entry = JSON.parse(log[0] as string) as Json;
    expect(entry).toMatchObject({
      event: "policy_override",
      command: "popdock apply",
      policy_overrides: [
        {
          rule: "no-admin-role",
          reason: "break-glass INC-42",
          level: "mandatory",
          addresses: ['popdock_api_user_grant.bot["role:Administrator"]'],
        },
      ],
    });
  });

  it("a hard rule cannot be overridden", async () => {
    const dir = await project();
    const name = `pol-hard-${uniq()}`;
    await config(
      dir,
      { name, description: "x", grants: [{ role: "Administrator" }] },
      { rules: { "no-admin-role": { level: "hard" } } },
    );
    const r = await sb.run(
      dir,
      ["apply", "--auto-approve", "--override-policy", "no-admin-role", "--reason", "please"],
      1,
    );
    expect(r.stderr).toContain("no-admin-role is a hard rule: no override");
    expect(await usersNamed(name)).toEqual([]);
  });

  it("an advisory rule warns and does not block", async () => {
    const dir = await project();
    const name = `pol-adv-${uniq()}`;
    await config(dir, { name }, { rules: { "description-required": {} } });
    const plan = await sb.run(dir, ["plan", "--no-color", "--detailed-exitcode"], 2);
    expect(plan.stdout).toContain(
      `warning [advisory] description-required: popdock_api_user.bot: API user "${name}" has no description`,
    );
    expect(plan.stdout).toContain("The plan passes policy with 1 warning.");
    await sb.run(dir, ["apply", "--auto-approve"]);
    expect(await usersNamed(name)).toHaveLength(1);
  });
});

describe("saved plans, JSON, Markdown and `popdock policy`", () => {
  it("plan --out keeps the results; apply PLANFILE and policy check re-check them", async () => {
    const dir = await project();
    const name = `pol-saved-${uniq()}`;
    await config(
      dir,
      { name, description: "x", grants: [{ connector: "GP Production", roles: ["Reader"] }] },
      { rules: { "scoped-connector-grants": {} } },
    );
    await sb.run(dir, ["plan", "--out", "plan.json"], 1);
    const saved = JSON.parse(await readFile(join(dir, "plan.json"), "utf8")) as Json;
    expect(saved.policy_results).toEqual([
      {
        rule: "scoped-connector-grants",
        address: 'popdock_api_user_grant.bot["connector:GP Production"]',
        message: 'the grant to connector "GP Production" names no companies: it reaches every company',
        level: "mandatory",
      },
      {
        rule: "scoped-connector-grants",
        address: 'popdock_api_user_grant.bot["connector:GP Production"]',
        message: 'the grant to connector "GP Production" names no lists: it reaches every list',
        level: "mandatory",
      },
    ]);
    // The --json UI stream carries them as one `policy_results` message.
    const stream = (await sb.run(dir, ["plan", "--json"], 1)).stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Json);
    const policyMessage = stream.find((m) => m.type === "policy_results");
    expect(policyMessage).toMatchObject({ "@level": "error", policy_results: saved.policy_results });
    const json = JSON.parse((await sb.run(dir, ["show", "plan.json", "--json"])).stdout) as Json;
    expect(json.policy_results).toEqual(saved.policy_results);
    expect(json.resource_changes.map((c: Json) => c.address)).toContain(
      'popdock_api_user_grant.bot["connector:GP Production"]',
    );
    const md = await sb.run(dir, ["plan", "--markdown"], 1);
    expect(md.stdout).toContain("### Policy: :x: fails");
    expect(md.stdout).toContain(
      '| `scoped-connector-grants` | mandatory | `popdock_api_user_grant.bot["connector:GP Production"]` | the grant to connector "GP Production" names no lists: it reaches every list |',
    );

    const check = await sb.run(dir, ["policy", "check", "plan.json", "--no-color"], 1);
    expect(check.stdout).toContain("FAIL [mandatory] scoped-connector-grants");
    const { r, sent } = await sb.counting(dir, ["apply", "plan.json"], 1);
    expect(r.stderr).toContain("the plan fails policy rule scoped-connector-grants; nothing was changed");
    expect(sent).toEqual({});

    // `policy check` uses today's policy, not the file's: the same plan passes with the rule off.
    await writeFile(join(dir, "off.yaml"), "rules:\n  scoped-connector-grants: { level: off }\n");
    await sb.run(dir, ["policy", "check", "plan.json", "--policy", "off.yaml"]);

    // The saved plan goes through with an override, recorded with its reason.
    const ovr = await sb.run(dir, [
      "apply",
      "plan.json",
      "--override-policy",
      "scoped-connector-grants",
      "--reason",
      "migration, ticket 7",
    ]);
    expect(ovr.stdout).toContain("Policy override: scoped-connector-grants (mandatory) overridden for");
    expect(await usersNamed(name)).toHaveLength(1);
    const entry = JSON.parse(await readFile(join(dir, ".popdock", "apply-log.jsonl"), "utf8")) as Json;
    expect(entry.policy_overrides).toEqual([
      {
        rule: "scoped-connector-grants",
        reason: "migration, ticket 7",
        level: "mandatory",
        addresses: ['popdock_api_user_grant.bot["connector:GP Production"]'],
      },
    ]);
  });

  it("policy list shows active rules with levels; --policy adds an organisation file", async () => {
    const dir = await project();
    await config(dir, { name: `pol-list-${uniq()}` }, { rules: { "token-max-age": { days: 30 } } });
    await writeFile(join(dir, "org.yaml"), "rules:\n  no-admin-role: { level: hard }\n");
    const r = await sb.run(dir, ["policy", "list", "--policy", "org.yaml"]);
    expect(r.stdout).toMatch(/^token-max-age\s+advisory\s+built-in \{"days":30\}$/m);
    expect(r.stdout).toMatch(/^no-admin-role\s+hard\s+built-in \{"roles":\["Administrator"\]\}$/m);
  });

  it("configuration mistakes are diagnostics with file:line:col, and nothing is sent", async () => {
    const dir = await project();
    await writeFile(
      join(dir, "popdock.yaml"),
      `api_users:\n  bot:\n    name: pol-bad-${uniq()}\npolicy:\n  rules:\n    no-admin-rol: {}\n    token-max-age: { days: zero }\n`,
    );
    const { r, sent } = await sb.counting(dir, ["plan"], 1);
    expect(r.stderr).toContain(
      'popdock.yaml:6:5: error POLICY_UNKNOWN_RULE: unknown policy rule "no-admin-rol"',
    );
    expect(r.stderr).toContain('did you mean "no-admin-role"?');
    expect(r.stderr).toMatch(
      /popdock\.yaml:7:28: error POLICY_BAD_PARAMETER: rule "token-max-age", parameter days:/,
    );
    expect(r.stderr).toContain("POPDOCK_POLICY_INVALID");
    expect(sent).toEqual({});
  });
});

describe("Terraform JSON, validate and show", () => {
  it("a Terraform JSON app's popdock-policy.yaml; validate and show report the policy", async () => {
    const dir = await project();
    const name = `pol-tf-${uniq()}`;
    await writeFile(
      join(dir, "main.tf.json"),
      JSON.stringify({
        resource: {
          popdock_api_user: { bot: { name, description: "tf" } },
          popdock_api_user_grant: {
            // biome-ignore lint/suspicious/noTemplateCurlyInString: a Terraform reference, not a JS template
            admin: { api_user_id: "${popdock_api_user.bot.id}", role: "Administrator" },
          },
        },
      }),
    );
    await writeFile(join(dir, "popdock-policy.yaml"), "rules:\n  no-admin-role: {}\n");
    const v = await sb.run(dir, ["validate"]);
    expect(v.stdout).toContain("1 policy rule.");
    const plan = await sb.run(dir, ["plan", "--no-color", "--out", "plan.json"], 1);
    expect(plan.stdout).toContain(
      `FAIL [mandatory] no-admin-role: popdock_api_user_grant.bot["role:Administrator"]: API user "${name}" would hold the "Administrator" system role`,
    );
    const shown = await sb.run(dir, ["show", "plan.json", "--no-color"]);
    expect(shown.stdout).toContain(
      'FAIL [mandatory] no-admin-role: popdock_api_user_grant.bot["role:Administrator"]',
    );
    const shownJson = JSON.parse((await sb.run(dir, ["show", "plan.json", "--json"])).stdout) as Json;
    expect(shownJson.policy_results.map((r: Json) => r.rule)).toEqual(["no-admin-role"]);

    await writeFile(join(dir, "popdock-policy.yaml"), "rules:\n  no-admin-role: { level: maybe }\n");
    const bad = await sb.run(dir, ["validate", "--json"], 1);
    const doc = JSON.parse(bad.stdout) as Json;
    expect(doc.valid).toBe(false);
    expect(doc.diagnostics).toContainEqual(
      expect.objectContaining({ code: "POLICY_BAD_LEVEL", file: "popdock-policy.yaml", line: 2, column: 27 }),
    );
  });
});

describe("custom rules", () => {
  it("a TypeScript rule from policies/ (definePolicy), a throwing rule, and no Token ID visible (canary)", async () => {
    const dir = await project();
    await linkPackage(dir);
    const name = `pol-ts-${uniq()}`;
    await config(dir, { name, description: "canary", tokens: { ci: { name: "ci" } } });
    await sb.run(dir, ["apply", "--auto-approve"]);

    const dump = join(dir, "dump.jsonl");
    await mkdir(join(dir, "policies"));
    await writeFile(
      join(dir, "policies", "bots.ts"),
      `import { definePolicy, type PolicyChange, type PolicyContext } from "popdock-iac/policy";
import { appendFileSync } from "node:fs";

export default [
  definePolicy({
    id: "bot-suffix",
    level: "mandatory",
    types: ["popdock_api_user"],
    check: (change: PolicyChange): string | undefined =>
      String(change.after?.name ?? "").endsWith("-bot") ? undefined : \`API user "\${String(change.after?.name)}" must end in -bot\`,
  }),
  definePolicy({
    id: "dump",
    check(change: PolicyChange, ctx: PolicyContext) {
      appendFileSync(${JSON.stringify(dump)}, JSON.stringify({ change, ctx, token: ctx.liveToken(change) }) + "\\n");
      return undefined;
    },
  }),
];
`,
    );
    const r = await sb.popdock(["plan", "--no-color"], dir);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain(
      `FAIL [mandatory] bot-suffix: popdock_api_user.bot: API user "${name}" must end in -bot`,
    );

    const seen = await readFile(dump, "utf8");
    expect(seen).toContain('"last_used_at"'); // the live snapshot was visible
    expect(seen).toContain(name);
    const tokenIds = await sb.tokenIds();
    expect(tokenIds.length).toBeGreaterThan(0);
    for (const id of tokenIds) expect(seen).not.toContain(id);
    expect(seen).not.toContain("token_id"); // neither the credential nor its hint

    await writeFile(
      join(dir, "policies", "zz-throws.mjs"),
      `export default { id: "explodes", check() { throw new Error("cannot read config"); } };\n`,
    );
    const t = await sb.popdock(
      ["plan", "--no-color", "--policy-module", "policies/../policies/zz-throws.mjs"],
      dir,
    );
    // The same module twice (policies/ and --policy-module) is refused by id; remove the flag.
    expect(t.stderr).toContain('policy "explodes" is defined twice');
    const t2 = await sb.popdock(["plan", "--no-color"], dir);
    expect(t2.code).toBe(1);
    expect(t2.stdout).toContain(
      'FAIL [mandatory] explodes: popdock_api_user.bot: policy error: rule "explodes" (policies/zz-throws.mjs) failed: cannot read config',
    );
  });
});
