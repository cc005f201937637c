/**
 * The CDKTF constructs (`popdock-iac/cdktf`): the example stack's synthesized JSON (a file
 * snapshot), attribute getters as `${…}` references, addresses from construct ids, the static
 * binding API, and invalid configurations failing at construct time with the construct path.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: "${type.name.attr}" is Terraform's own reference syntax, quoted on purpose.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TerraformOutput, TerraformStack, Testing } from "cdktf";
import { Construct } from "constructs";
import { afterAll, describe, expect, it } from "vitest";
import { PopdockStack } from "../examples/cdktf/stack.js";
import {
  PopdockApiToken,
  PopdockApiUser,
  PopdockApiUserGrant,
  type PopdockApiUserGrantConfig,
  PopdockConstructError,
  PopdockImport,
  PopdockProvider,
} from "../provider/cdktf/index.js";
import { loadTerraformConfig } from "../provider/frontends/terraform-json/index.js";
import { formatDiagnostic } from "../provider/model/diagnostics.js";

const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

function newStack(id = "popdock"): TerraformStack {
  const outdir = mkdtempSync(join(tmpdir(), "popdock-cdktf-test-"));
  temps.push(outdir);
  const stack = new TerraformStack(Testing.app({ outdir }), id);
  new PopdockProvider(stack, "popdock");
  return stack;
}

/** What `fn` throws (a construct that fails validation stays in the tree, so it runs once). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected an error");
}

function synth(
  stack: TerraformStack,
): Record<string, Record<string, Record<string, Record<string, unknown>>>> {
  return JSON.parse(Testing.synth(stack));
}

describe("the example stack", () => {
  it("synthesizes to the reviewed Terraform JSON", async () => {
    const outdir = mkdtempSync(join(tmpdir(), "popdock-cdktf-test-"));
    temps.push(outdir);
    const stack = new PopdockStack(Testing.app({ outdir }), "popdock", {
      env: "dev",
      rotationQuarter: "2026-Q4",
    });
    await expect(`${Testing.synth(stack, true)}\n`).toMatchFileSnapshot(
      "fixtures/tf-json/example-stack.snap",
    );
  });

  it("reads back without diagnostics, with construct paths in the sources", async () => {
    const outdir = mkdtempSync(join(tmpdir(), "popdock-cdktf-test-"));
    temps.push(outdir);
    const stack = new PopdockStack(Testing.app({ outdir }), "popdock", {
      env: "dev",
      rotationQuarter: "2026-Q4",
    });
    const synthesized = Testing.fullSynth(stack);
    temps.push(synthesized);
    const { config, diagnostics } = await loadTerraformConfig({
      paths: [synthesized],
      cwd: synthesized,
      env: {},
    });
    expect(diagnostics.map(formatDiagnostic)).toEqual([]);
    const token = config?.resources.find((r) => r.address === 'popdock_api_token.reporting_bot["powerbi"]');
    expect(token?.source.constructPath).toBe("popdock/reporting_bot_powerbi");
    expect(token?.lifecycle.replaceTriggeredBy).toEqual(["null_resource.reporting_bot__powerbi_rotation"]);
    expect(config?.outputs.map((o) => o.name).sort()).toEqual([
      "integration_bot.sync",
      "powerbi_token",
      "reporting_bot.excel",
      "reporting_bot.powerbi",
      "reporting_bot_id",
      "sync_token",
    ]);
  });
});

describe("attribute getters", () => {
  it("return references to the resource's attributes", () => {
    const stack = newStack();
    const user = new PopdockApiUser(stack, "reporting_bot", { name: "reporting-bot" });
    const grant = new PopdockApiUserGrant(stack, "finance", { apiUserId: user.id, team: "Finance" });
    const token = new PopdockApiToken(stack, "pbi", { apiUserId: user.id, key: "powerbi" });
    const getters = {
      user_id: user.id,
      user_name: user.name,
      user_description: user.description,
      grant_id: grant.id,
      grant_api_user_id: grant.apiUserId,
      token_id: token.id,
      token_name: token.name,
      token_api_user_id: token.apiUserId,
      token_token_id: token.tokenId,
    };
    for (const [name, value] of Object.entries(getters))
      new TerraformOutput(stack, name, { value, sensitive: true });
    const outputs = (synth(stack) as unknown as { output: Record<string, { value: string }> }).output;
    const resolved = Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.value]));
    expect(resolved).toEqual({
      user_id: "${popdock_api_user.reporting_bot.id}",
      user_name: "${popdock_api_user.reporting_bot.name}",
      user_description: "${popdock_api_user.reporting_bot.description}",
      grant_id: "${popdock_api_user_grant.finance.id}",
      grant_api_user_id: "${popdock_api_user_grant.finance.api_user_id}",
      token_id: "${popdock_api_token.pbi.id}",
      token_name: "${popdock_api_token.pbi.name}",
      token_api_user_id: "${popdock_api_token.pbi.api_user_id}",
      token_token_id: "${popdock_api_token.pbi.token_id}",
    });
    expect(user.nameInput).toBe("reporting-bot");
    expect(token.keyInput).toBe("powerbi");
  });

  it("synthesize snake_case arguments, without the unset ones", () => {
    const stack = newStack();
    const user = new PopdockApiUser(stack, "bot", { name: "bot", description: "d" });
    new PopdockApiUserGrant(stack, "gp", {
      apiUserId: user.id,
      connector: "GP Production",
      lists: ["Invoices"],
      roles: ["Reader"],
    });
    new PopdockApiToken(stack, "t", { apiUserId: user.id });
    const json = synth(stack);
    expect(json.resource?.popdock_api_user?.bot).toEqual({ name: "bot", description: "d" });
    expect(json.resource?.popdock_api_user_grant?.gp).toEqual({
      api_user_id: "${popdock_api_user.bot.id}",
      connector: "GP Production",
      lists: ["Invoices"],
      roles: ["Reader"],
    });
    expect(json.resource?.popdock_api_token?.t).toEqual({ api_user_id: "${popdock_api_user.bot.id}" });
  });
});

describe("addresses", () => {
  it("use the construct id as the user's logical id, wherever the construct is", () => {
    const stack = newStack();
    const team = new Construct(stack, "reporting");
    new PopdockApiUser(team, "reporting_bot", { name: "a" });
    new PopdockApiUser(team, "second", { name: "b", key: "sync_bot" });
    new PopdockApiUser(team, "Not a key!", { name: "c" });
    const users = Object.keys(synth(stack).resource?.popdock_api_user ?? {});
    expect(users).toContain("reporting_bot");
    expect(users).toContain("sync_bot");
    expect(users.find((u) => u !== "reporting_bot" && u !== "sync_bot")).toMatch(/^reporting_Notakey_/);
  });

  it("refuse two users with the same address in a stack", () => {
    const stack = newStack();
    new PopdockApiUser(stack, "bot", { name: "a" });
    const nested = new Construct(stack, "nested");
    expect(() => new PopdockApiUser(nested, "bot", { name: "b" })).toThrow(
      "PopdockApiUser popdock/nested/bot: the address popdock_api_user.bot is already used by popdock/bot",
    );
  });
});

describe("the binding API", () => {
  it("has the static tfResourceType of each type", () => {
    expect(PopdockProvider.tfResourceType).toBe("popdock");
    expect(PopdockApiUser.tfResourceType).toBe("popdock_api_user");
    expect(PopdockApiUserGrant.tfResourceType).toBe("popdock_api_user_grant");
    expect(PopdockApiToken.tfResourceType).toBe("popdock_api_token");
  });

  it("records generateConfigForImport in the metadata, and the stack reads without diagnostics", async () => {
    const stack = newStack();
    const user = new PopdockApiUser(stack, "imported", { name: "imported" });
    const token = new PopdockApiToken(stack, "pbi", { apiUserId: user.id });
    PopdockApiUser.generateConfigForImport(stack, "adopted", "usr_123");
    const grantImport = PopdockApiUserGrant.generateConfigForImport(stack, "finance", "usr_123/grt_9");
    PopdockApiToken.generateConfigForImport(stack, "adopted_pbi", "usr_123/tok_1");
    new TerraformOutput(stack, "token", { value: token.tokenId, sensitive: true });
    expect(grantImport).toBeInstanceOf(PopdockImport);
    expect(grantImport.importTo).toBe("popdock_api_user_grant.finance");
    // A real synth runs the validations; cdktf's ImportableResource needs a `terraform` binary there.
    const path = process.env.PATH;
    process.env.PATH = "";
    let outdir: string;
    try {
      outdir = Testing.fullSynth(stack);
    } finally {
      process.env.PATH = path;
    }
    temps.push(outdir);
    const json = JSON.parse(readFileSync(join(outdir, "stacks", "popdock", "cdk.tf.json"), "utf8"));
    expect(json.import).toBeUndefined();
    expect(json["//"].import).toEqual({
      "popdock_api_user.adopted": {
        id: "usr_123",
        note: expect.stringContaining("popdock import ADDRESS ID"),
      },
      "popdock_api_user_grant.finance": { id: "usr_123/grt_9", note: expect.any(String) },
      "popdock_api_token.adopted_pbi": { id: "usr_123/tok_1", note: expect.any(String) },
    });
    const { config, diagnostics } = await loadTerraformConfig({ paths: [outdir], cwd: outdir, env: {} });
    expect(diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(config?.resources.map((r) => r.address).sort()).toEqual([
      'popdock_api_token.imported["pbi"]',
      "popdock_api_user.imported",
    ]);
  });

  it("synthesizes the provider with its endpoint", () => {
    const outdir = mkdtempSync(join(tmpdir(), "popdock-cdktf-test-"));
    temps.push(outdir);
    const stack = new TerraformStack(Testing.app({ outdir }), "s");
    new PopdockProvider(stack, "popdock", { endpoint: "https://example.popdock.com" });
    const json = synth(stack) as unknown as {
      provider: { popdock: unknown[] };
      terraform: { required_providers: Record<string, unknown> };
    };
    expect(json.provider.popdock).toEqual([{ endpoint: "https://example.popdock.com" }]);
    expect(json.terraform.required_providers.popdock).toEqual({ source: "popdock/popdock" });
  });
});

describe("invalid configurations fail at construct time", () => {
  const grant = (config: Record<string, unknown>) => {
    const stack = newStack();
    const user = new PopdockApiUser(stack, "bot", { name: "bot" });
    return () =>
      new PopdockApiUserGrant(stack, "g", {
        apiUserId: user.id,
        ...config,
      } as unknown as PopdockApiUserGrantConfig);
  };

  it.each([
    [
      "team and role",
      { team: "Finance", role: "User" },
      "PopdockApiUserGrant popdock/g: a grant takes exactly one of team, role or connector, this one has team and role (at role)\n  hint: declare one grant resource per team, role and connector",
    ],
    [
      "no target",
      { lists: ["Invoices"] },
      'PopdockApiUserGrant popdock/g: a grant needs one of team, role or connector\n  hint: lists need "connector"',
    ],
    [
      "scope on a team grant",
      { team: "Finance", companies: ["Fabrikam Inc"] },
      'PopdockApiUserGrant popdock/g: "companies" applies only to connector grants; a team grant takes no scope (at companies)\n  hint: grant the team, or use "connector" with companies',
    ],
    [
      "a list that is not a list",
      { connector: "GP", lists: "Invoices" },
      'PopdockApiUserGrant popdock/g: expected a list, got a string ("Invoices") (at lists)',
    ],
    ["an empty team", { team: "" }, "PopdockApiUserGrant popdock/g: value must not be empty (at team)"],
    [
      "an unknown argument",
      { team: "Finance", teams: ["x"] },
      'PopdockApiUserGrant popdock/g: unknown argument "teams" (at teams)\n  hint: did you mean "team"?',
    ],
  ])("grant with %s", (_name, config, message) => {
    const err = thrown(grant(config));
    expect(err).toBeInstanceOf(PopdockConstructError);
    expect((err as Error).message).toBe(message);
  });

  it("grant whose apiUserId is not a reference", () => {
    const stack = newStack();
    expect(() => new PopdockApiUserGrant(stack, "g", { apiUserId: "user-123", team: "Finance" })).toThrow(
      'PopdockApiUserGrant popdock/g: apiUserId must be the id of a PopdockApiUser in this stack, got "user-123"',
    );
  });

  it("user with an empty name, a bad key, or count", () => {
    const stack = newStack();
    expect(() => new PopdockApiUser(stack, "a", { name: "" })).toThrow(
      "PopdockApiUser popdock/a: value must not be empty (at name)",
    );
    expect(() => new PopdockApiUser(stack, "b", { name: "b", key: "9lives" })).toThrow(
      'PopdockApiUser popdock/b: key "9lives" is not a valid key',
    );
    expect(
      () => new PopdockApiUser(stack, "c", { name: "c", count: 2 } as unknown as { name: string }),
    ).toThrow("PopdockApiUser popdock/c: count is not supported by popdock-iac");
  });

  it("user or token whose literal name Popdock would trim, or that is too long", () => {
    const stack = newStack();
    expect(() => new PopdockApiUser(stack, "a", { name: " bot" })).toThrow(
      'PopdockApiUser popdock/a: API user name " bot" has leading or trailing whitespace: Popdock trims names, so it would never match and every plan would show a change (at name)\n  hint: write "bot"',
    );
    expect(() => new PopdockApiUser(stack, "b", { name: "b".repeat(101) })).toThrow(
      "PopdockApiUser popdock/b: API user name is 101 characters long, more than Popdock's limit of 100 (at name)",
    );
    expect(() => new PopdockApiUser(stack, "c", { name: "c", description: "d".repeat(1001) })).toThrow(
      "PopdockApiUser popdock/c: description is 1001 characters long, more than Popdock's limit of 1000 (at description)",
    );
    const user = new PopdockApiUser(stack, "bot", { name: "bot" });
    expect(() => new PopdockApiToken(stack, "t", { apiUserId: user.id, name: "pbi " })).toThrow(
      'PopdockApiToken popdock/t: token name "pbi " has leading or trailing whitespace',
    );
    // A reference is checked when the stack is read.
    expect(
      () => new PopdockApiToken(stack, "u", { apiUserId: user.id, name: ` ${user.name}` }),
    ).not.toThrow();
  });

  it("token with an invalid key", () => {
    const stack = newStack();
    const user = new PopdockApiUser(stack, "bot", { name: "bot" });
    const err = thrown(() => new PopdockApiToken(stack, "t", { apiUserId: user.id, key: "a b" }));
    expect(err).toBeInstanceOf(PopdockConstructError);
    expect((err as PopdockConstructError).constructPath).toBe("popdock/t");
    expect((err as PopdockConstructError).code).toBe("POPDOCK_CDKTF_INVALID_CONFIG");
    expect((err as Error).message).toContain(
      'PopdockApiToken popdock/t: a string ("a b") is not a valid key (at key)',
    );
  });

  it("a token ID in a non-sensitive output is refused when read, naming the construct", async () => {
    const stack = newStack();
    const user = new PopdockApiUser(stack, "bot", { name: "bot" });
    const token = new PopdockApiToken(stack, "t", { apiUserId: user.id });
    new TerraformOutput(stack, "leak", { value: token.tokenId });
    const outdir = Testing.fullSynth(stack);
    temps.push(outdir);
    const { config, diagnostics } = await loadTerraformConfig({ paths: [outdir], cwd: outdir, env: {} });
    expect(config).toBeUndefined();
    expect(diagnostics.map(formatDiagnostic)).toEqual([
      expect.stringContaining(
        'error OUTPUT_SENSITIVE_REQUIRED: output "leak" refers to ${popdock_api_token.t.token_id}, which is sensitive (construct popdock/leak) (at output.leak)',
      ),
    ]);
  });
});
