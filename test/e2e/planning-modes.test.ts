/**
 * Terraform's planning modes through the real CLI against a `popdock sandbox` child process:
 * `-target` (with its dependencies and its warning), `-refresh-only` on plan and apply and the
 * `refresh` alias (drift recorded in the state, nothing sent to Popdock), and `-var-file`.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { project, readState, stateId, uniq, useSandbox, writeConfig } from "../helpers/e2e-sandbox.js";

const sb = useSandbox();

describe("-target", () => {
  it("plans and applies only the target and what it depends on, warning as Terraform does", async () => {
    const dir = await project();
    const a = `tg-a-${uniq()}`;
    const b = `tg-b-${uniq()}`;
    await writeConfig(dir, {
      users: { a: { name: a, tokens: { ci: "ci" } }, b: { name: b, tokens: { ci: "ci" } } },
    });
    const plan = await sb.run(dir, ["plan", "--no-color", '-target=popdock_api_token.a["ci"]']);
    expect(plan.stdout).toContain("Plan: 2 to add, 0 to change, 0 to destroy.");
    expect(plan.stdout).toContain("popdock_api_user.a will be created");
    expect(plan.stdout).not.toContain("popdock_api_user.b");
    expect(plan.stderr).toContain("Resource targeting is in effect");
    expect(plan.stderr).toContain("-target is for exceptional situations");

    const applied = await sb.counting(dir, ["apply", "--auto-approve", "-target", "popdock_api_token.a"]);
    expect(applied.sent).toEqual({
      "POST /api/v1/security/api-users": 1,
      "POST /api/v1/security/api-users/{userId}/tokens": 1,
    });
    expect(Object.keys((await readState(dir)).resources).sort()).toEqual([
      'popdock_api_token.a["ci"]',
      "popdock_api_user.a",
    ]);
    const rest = await sb.run(dir, ["plan", "--no-color"]);
    expect(rest.stdout).toContain("Plan: 2 to add, 0 to change, 0 to destroy.");
    expect(rest.stdout).toContain("popdock_api_user.b will be created");

    const unknown = await sb.run(dir, ["plan", "-target", "popdock_api_user.c"], 1);
    expect(unknown.stderr).toContain(
      "-target popdock_api_user.c names nothing in the configuration or the state",
    );
    expect(unknown.stderr).toMatch(/did you mean popdock_api_user\.[ab]\?/);
  });
});

describe("-refresh-only and refresh", () => {
  it("records drift in the state without a request that changes Popdock", async () => {
    const dir = await project();
    const name = `ro-${uniq()}`;
    await writeConfig(dir, {
      users: { r: { name, description: "as configured", tokens: { k: "k", gone: "gone" } } },
    });
    await sb.run(dir, ["apply", "--auto-approve"]);
    await sb.run(dir, ["plan", "-refresh-only", "-detailed-exitcode"], 0);
    const userId = await stateId(dir, "popdock_api_user.r");
    const tokenId = await stateId(dir, 'popdock_api_token.r["gone"]');
    expect((await sb.api("PATCH", `/api-users/${userId}`, { description: "edited in the UI" })).status).toBe(
      200,
    );
    expect((await sb.api("DELETE", `/api-users/${userId}/tokens/${tokenId}`)).status).toBe(204);

    const plan = await sb.run(dir, ["plan", "-refresh-only", "-detailed-exitcode", "--no-color"], 2);
    expect(plan.stdout).toContain("# popdock_api_user.r has changed");
    expect(plan.stdout).toContain('# popdock_api_token.r["gone"] has been deleted');
    expect(plan.stdout).toContain(
      "This is a refresh-only plan: popdock-iac will not change Popdock. Apply it with `popdock apply -refresh-only` to record these 2 changes in the state.",
    );
    expect(plan.stdout).not.toContain("will be created");
    await sb.run(dir, ["plan", "-refresh-only", "--out", "x.plan"], 1);
    const noAnswer = await sb.run(dir, ["apply", "-refresh-only", "-input=false"], 1);
    expect(noAnswer.stderr).toContain("apply needs confirmation, and --input=false was given");

    const applied = await sb.counting(dir, ["apply", "-refresh-only", "-auto-approve", "--no-color"]);
    expect(applied.sent).toEqual({});
    expect(applied.r.stdout).toContain("Apply complete! Resources: 0 added, 0 changed, 0 destroyed.");
    const state = await readState(dir);
    expect(state.resources['popdock_api_token.r["gone"]']).toBeUndefined();
    expect(state.resources["popdock_api_user.r"]?.attributes.description).toBe("edited in the UI");
    await sb.run(dir, ["plan", "-refresh-only", "-detailed-exitcode"], 0);
    // The normal plan now puts the configuration back.
    const normal = await sb.run(dir, ["plan", "--no-color"]);
    expect(normal.stdout).toContain("Plan: 1 to add, 1 to change, 0 to destroy.");

    // `refresh` = apply -refresh-only -auto-approve.
    expect((await sb.api("PATCH", `/api-users/${userId}`, { description: "edited again" })).status).toBe(200);
    const refreshed = await sb.counting(dir, ["refresh", "--no-color"]);
    expect(refreshed.sent).toEqual({});
    expect((await readState(dir)).resources["popdock_api_user.r"]?.attributes.description).toBe(
      "edited again",
    );
  });
});

describe("-var-file", () => {
  it("sets variables from YAML and JSON files; --var wins; a bad file stops before any request", async () => {
    const dir = await project();
    const base = `vf-${uniq()}`;
    await writeFile(
      join(dir, "popdock.yaml"),
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the YAML format's own reference syntax
      "variables:\n  env:\n    default: dev\n  team:\n    default: none\napi_users:\n  u:\n    name: ${var.env}\n    description: ${var.team}\n",
    );
    await writeFile(join(dir, "prod.yaml"), `env: ${base}-prod\nteam: finance\n`);
    await writeFile(join(dir, "over.json"), `{"team": "ops"}`);
    const plan = await sb.run(dir, ["plan", "--no-color", "-var-file=prod.yaml", "-var-file", "over.json"]);
    expect(plan.stdout).toContain(`name        = "${base}-prod"`);
    expect(plan.stdout).toContain('description = "ops"');
    const cli = await sb.run(dir, ["plan", "--no-color", "-var-file=prod.yaml", "-var", "team=cli"]);
    expect(cli.stdout).toContain('description = "cli"');

    await writeFile(join(dir, "bad.yaml"), "env: [a, b]\n");
    const bad = await sb.counting(dir, ["plan", "-var-file", "bad.yaml"], 1);
    expect(bad.r.stderr).toContain(
      "bad.yaml:1:6: error VAR_FILE_BAD_VALUE: variable env must be a string, number or boolean",
    );
    expect(bad.requests).toEqual({});
  });
});
