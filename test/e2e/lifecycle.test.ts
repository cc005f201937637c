/**
 * Lifecycle of each resource type through the real CLI against a `popdock sandbox` child
 * process: create → read → import → update → delete (Terraform's example_resource_test.go).
 * Every step is checked against Popdock itself (direct API reads and the sandbox's request
 * counters), not only against what the CLI prints.
 */
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import {
  type ModelConfig,
  project,
  readState,
  stateId,
  statePath,
  uniq,
  useSandbox,
  writeConfig,
} from "../helpers/e2e-sandbox.js";

const USER_ROUTE = "/api/v1/security/api-users/{userId}";
const GRANTS_ROUTE = `${USER_ROUTE}/grants`;
const TOKENS_ROUTE = `${USER_ROUTE}/tokens`;

const sb = useSandbox();

/** Applies and returns the CLI result and the mutating requests it sent. */
const applyCounting = (dir: string) => sb.counting(dir, ["apply", "--auto-approve", "--no-color"]);

describe("popdock_api_user", () => {
  it("creates, reads, updates in place with one PATCH, re-imports with no changes, and deletes", async () => {
    const dir = await project();
    const name = `lc-user-${uniq()}`;
    await writeConfig(dir, { users: { bot: { name, description: "first" } } });

    // create
    const created = await applyCounting(dir);
    expect(created.sent).toEqual({ "POST /api/v1/security/api-users": 1 });
    expect(created.r.stdout).toMatch(/^popdock_api_user\.bot: created in \d+\.\ds \[id=usr_\w+\]$/m);

    // read: `state show` has the id, and it is the object in Popdock
    const shown = await sb.run(dir, ["state", "show", "popdock_api_user.bot"]);
    const entry = JSON.parse(shown.stdout);
    expect(entry).toMatchObject({
      address: "popdock_api_user.bot",
      type: "popdock_api_user",
      attributes: { name, description: "first" },
    });
    const id = entry.id as string;
    expect(id).toMatch(/^usr_/);
    const live = await sb.api("GET", `/api-users/${id}`);
    expect(live.status).toBe(200);
    expect(live.body).toMatchObject({ id, name, description: "first", version: 1 });

    // update: rename and new description → one in-place update, one PATCH
    const renamed = `${name}-renamed`;
    await writeConfig(dir, { users: { bot: { name: renamed, description: "second" } } });
    const plan = await sb.run(dir, ["plan", "--no-color", "--detailed-exitcode"], 2);
    expect(plan.stdout).toContain("  ~ update in-place");
    expect(plan.stdout).toContain("# popdock_api_user.bot will be updated in-place");
    expect(plan.stdout).toContain(`~ name        = "${name}" -> "${renamed}"`);
    expect(plan.stdout).toContain(`~ description = "first" -> "second"`);
    expect(plan.stdout).toContain("Plan: 0 to add, 1 to change, 0 to destroy.");
    const updated = await applyCounting(dir);
    expect(updated.sent).toEqual({ [`PATCH ${USER_ROUTE}`]: 1 });
    expect(updated.r.stdout).toContain(`popdock_api_user.bot: modified`);
    expect((await sb.api("GET", `/api-users/${id}`)).body).toMatchObject({
      id,
      name: renamed,
      description: "second",
      version: 2,
    });

    // import: forget it, adopt it again by id → no changes
    const rm = await sb.run(dir, ["state", "rm", "popdock_api_user.bot"]);
    expect(rm.stdout).toBe("Removed popdock_api_user.bot from state. Popdock was not changed.\n");
    expect((await readState(dir)).resources).toEqual({});
    expect((await sb.api("GET", `/api-users/${id}`)).status).toBe(200);
    const imported = await sb.run(dir, ["import", "popdock_api_user.bot", id]);
    expect(imported.stdout).toContain(`popdock_api_user.bot: imported [id=${id}]`);
    const after = await sb.run(dir, ["plan", "--no-color", "--detailed-exitcode"], 0);
    expect(after.stdout).toContain("No changes. Your Popdock API users match the configuration.");

    // delete: remove it from the configuration
    await writeConfig(dir, { users: {} });
    const deleted = await applyCounting(dir);
    expect(deleted.sent).toEqual({ [`DELETE ${USER_ROUTE}`]: 1 });
    expect(deleted.r.stdout).toContain("popdock_api_user.bot: destroyed");
    expect(deleted.r.stdout).toContain("Resources: 0 added, 0 changed, 1 destroyed.");
    expect((await sb.api("GET", `/api-users/${id}`)).status).toBe(404);
    expect((await readState(dir)).resources).toEqual({});
  });
});

describe("popdock_api_user_grant", () => {
  it("creates team, role and connector grants, patches lists in place, imports USER/GRANT, deletes", async () => {
    const dir = await project();
    const name = `lc-grant-${uniq()}`;
    const gp = {
      connector: "GP Production",
      roles: ["Reader"],
      companies: ["Fabrikam Inc"],
      lists: ["Customers", "Vendors"],
    };
    const model = (lists: string[], withTeamAndRole = true): ModelConfig => ({
      users: {
        g: {
          name,
          description: "grants",
          grants: [
            ...(withTeamAndRole ? [{ team: "Finance" }, { role: "Contributor" }] : []),
            { ...gp, lists },
          ],
        },
      },
    });
    await writeConfig(dir, model(["Customers", "Vendors"]));

    // create
    const created = await applyCounting(dir);
    expect(created.sent).toEqual({ "POST /api/v1/security/api-users": 1, [`POST ${GRANTS_ROUTE}`]: 3 });
    const userId = await stateId(dir, "popdock_api_user.g");
    const conAddr = 'popdock_api_user_grant.g["connector:GP Production"]';
    const conId = await stateId(dir, conAddr);
    const grants = (await sb.api("GET", `/api-users/${userId}/grants`)).body.data as {
      type: string;
      id: string;
    }[];
    expect(grants.map((g) => g.type).sort()).toEqual(["connector", "role", "team"]);
    expect(grants.find((g) => g.type === "team")).toMatchObject({
      team_id: "team_finance",
      id: await stateId(dir, 'popdock_api_user_grant.g["team:Finance"]'),
    });
    expect(grants.find((g) => g.type === "role")).toMatchObject({
      role_id: "role_contributor",
      id: await stateId(dir, 'popdock_api_user_grant.g["role:Contributor"]'),
    });
    expect(grants.find((g) => g.type === "connector")).toMatchObject({
      id: conId,
      connector_id: "con_gp_production",
      roles: ["Reader"],
      companies: ["Fabrikam Inc"],
      lists: ["Customers", "Vendors"],
    });

    // update the lists in place: the plan shows the element diff; one PATCH
    await writeConfig(dir, model(["Customers", "Invoices"]));
    const plan = await sb.run(dir, ["plan", "--no-color", "--detailed-exitcode"], 2);
    expect(plan.stdout).toContain(`# ${conAddr} will be updated in-place`);
    expect(plan.stdout).toContain(
      [
        "      ~ lists = [",
        '          + "Invoices",',
        '          - "Vendors",',
        "            # (1 unchanged element hidden)",
        "        ]",
      ].join("\n"),
    );
    expect(plan.stdout).toContain("Plan: 0 to add, 1 to change, 0 to destroy.");
    const updated = await applyCounting(dir);
    expect(updated.sent).toEqual({ [`PATCH ${GRANTS_ROUTE}/{grantId}`]: 1 });
    const patched = (await sb.api("GET", `/api-users/${userId}/grants`)).body.data.find(
      (g: { id: string }) => g.id === conId,
    );
    expect([...patched.lists].sort()).toEqual(["Customers", "Invoices"]);
    expect(patched.version).toBe(2);

    // import: forget the connector grant; planning now finds it in Popdock and names the import
    await sb.run(dir, ["state", "rm", conAddr]);
    const clash = await sb.run(dir, ["plan", "--no-color"], 1);
    expect(clash.stderr).toContain(`error PLAN_ALREADY_EXISTS: ${conAddr}`);
    expect(clash.stderr).toContain(`popdock import '${conAddr}' ${userId}/${conId}`);
    const imported = await sb.run(dir, ["import", conAddr, `${userId}/${conId}`]);
    expect(imported.stdout).toContain(`${conAddr}: imported [id=${conId}]`);
    await sb.run(dir, ["plan", "--no-color", "--detailed-exitcode"], 0);

    // delete the team and role grants
    await writeConfig(dir, model(["Customers", "Invoices"], false));
    const deleted = await applyCounting(dir);
    expect(deleted.sent).toEqual({ [`DELETE ${GRANTS_ROUTE}/{grantId}`]: 2 });
    const left = (await sb.api("GET", `/api-users/${userId}/grants`)).body.data as { id: string }[];
    expect(left.map((g) => g.id)).toEqual([conId]);
    expect(Object.keys((await readState(dir)).resources).sort()).toEqual(
      ["popdock_api_user.g", conAddr].sort(),
    );
  });
});

describe("popdock_api_token", () => {
  it("creates, reveals the token ID only via output, replaces new-before-old on rename, imports USER/TOKEN, deletes", async () => {
    const dir = await project();
    const name = `lc-token-${uniq()}`;
    const addr = 'popdock_api_token.t["ci"]';
    const model = (tokens: Record<string, string>): ModelConfig => ({
      users: { t: { name, description: "tokens", tokens } },
    });
    await writeConfig(dir, model({ ci: "ci-v1" }));

    // create
    const created = await applyCounting(dir);
    expect(created.sent).toEqual({ "POST /api/v1/security/api-users": 1, [`POST ${TOKENS_ROUTE}`]: 1 });
    const userId = await stateId(dir, "popdock_api_user.t");
    const tokId = await stateId(dir, addr);

    // read: `output <user>.<token> --raw` is the Token ID Popdock holds
    const out = await sb.run(dir, ["output", "t.ci", "--raw"]);
    const live = await sb.api("GET", `/api-users/${userId}/tokens/${tokId}`);
    expect(live.status).toBe(200);
    expect(live.body.name).toBe("ci-v1");
    expect(out.stdout).toBe(live.body.token_id);
    expect(out.stdout.length).toBeGreaterThan(8);
    expect(await readFile(statePath(dir), "utf8")).not.toContain(out.stdout);

    // update: a new name replaces the token, the new one created before the old one is deleted
    await writeConfig(dir, model({ ci: "ci-v2" }));
    const plan = await sb.run(dir, ["plan", "--no-color", "--detailed-exitcode"], 2);
    expect(plan.stdout).toContain("+/- create replacement and then destroy");
    expect(plan.stdout).toContain(`# ${addr} must be replaced`);
    expect(plan.stdout).toContain('+/- resource "popdock_api_token" "t" {');
    expect(plan.stdout).toContain(`~ name          = "ci-v1" -> "ci-v2" # forces replacement`);
    expect(plan.stdout).toContain("Plan: 1 to add, 0 to change, 1 to destroy. 1 token will be created.");
    const replaced = await applyCounting(dir);
    expect(replaced.sent).toEqual({ [`POST ${TOKENS_ROUTE}`]: 1, [`DELETE ${TOKENS_ROUTE}/{tokenId}`]: 1 });
    const lines = replaced.r.stdout.split("\n");
    const createdAt = lines.findIndex((l) => l.startsWith(`${addr}: replacement created`));
    const deleteStart = lines.indexOf(`${addr}: Destroying the replaced object…`);
    expect(createdAt).toBeGreaterThanOrEqual(0);
    expect(deleteStart).toBeGreaterThan(createdAt);
    const newTokId = await stateId(dir, addr);
    expect(newTokId).not.toBe(tokId);
    const tokens = (await sb.api("GET", `/api-users/${userId}/tokens`)).body.data as {
      id: string;
      name: string;
    }[];
    expect(tokens.map((t) => [t.id, t.name])).toEqual([[newTokId, "ci-v2"]]);
    const newSecret = (await sb.api("GET", `/api-users/${userId}/tokens/${newTokId}`)).body.token_id;
    expect((await sb.run(dir, ["output", "t.ci", "--raw"])).stdout).toBe(newSecret);

    // import: forget the token, adopt it again as USER_ID/TOKEN_ID → no changes
    await sb.run(dir, ["state", "rm", addr]);
    const imported = await sb.run(dir, ["import", addr, `${userId}/${newTokId}`]);
    expect(imported.stdout).toContain(`${addr}: imported [id=${newTokId}]`);
    expect(imported.stdout).not.toContain(newSecret);
    await sb.run(dir, ["plan", "--no-color", "--detailed-exitcode"], 0);

    // delete
    await writeConfig(dir, model({}));
    const deleted = await applyCounting(dir);
    expect(deleted.sent).toEqual({ [`DELETE ${TOKENS_ROUTE}/{tokenId}`]: 1 });
    expect(deleted.r.stdout).toContain(`${addr}: destroyed`);
    expect((await sb.api("GET", `/api-users/${userId}/tokens`)).body.data).toEqual([]);
    expect(Object.keys((await readState(dir)).resources)).toEqual(["popdock_api_user.t"]);
  });
});
