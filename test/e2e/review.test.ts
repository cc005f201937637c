/**
 * Reviewing changes before they happen, through the real CLI against a `popdock sandbox` child
 * process: saved plans (`plan --out`, `show`, `apply PLANFILE`) and their staleness checks,
 * `--detailed-exitcode`, the confirmation an unattended apply needs, drift made in Popdock, names
 * taken by objects popdock-iac does not manage, and If-Match protecting an edit made in Popdock
 * while an apply runs.
 */
import { stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type CliResult, expectExit } from "../helpers/cli.js";
import {
  exists,
  type Json,
  project,
  readState,
  routeCount,
  stateId,
  statePath,
  statusDiff,
  uniq,
  useSandbox,
  waitFor,
  writeConfig,
} from "../helpers/e2e-sandbox.js";

const sb = useSandbox();

async function usersNamed(name: string): Promise<Json[]> {
  const all = (await sb.api("GET", "/api-users?limit=500")).body.data as Json[];
  return all.filter((u) => u.name.toLowerCase() === name.toLowerCase());
}

describe("saved plans", () => {
  it("plan --out, show (text, --json, --markdown), plan --markdown, then apply PLANFILE exactly", async () => {
    const dir = await project();
    const name = `rv-saved-${uniq()}`;
    await writeConfig(dir, { users: { s: { name, description: "saved", tokens: { ci: "ci" } } } });

    const planned = await sb.run(dir, ["plan", "--out", "plan.json", "--detailed-exitcode", "--no-color"], 2);
    expect(planned.stdout).toContain("# popdock_api_user.s will be created");
    expect(planned.stdout).toContain("Plan: 2 to add, 0 to change, 0 to destroy. 1 token will be created.");
    expect(planned.stdout).toContain(
      "Saved the plan to plan.json. Apply exactly it with: popdock apply plan.json",
    );
    expect((await stat(join(dir, "plan.json"))).mode & 0o777).toBe(0o600);

    const text = await sb.run(dir, ["show", "plan.json", "--no-color"]);
    expect(text.stdout).toContain('# popdock_api_token.s["ci"] will be created');
    expect(text.stdout).toContain("Plan: 2 to add, 0 to change, 0 to destroy. 1 token will be created.");

    const json = await sb.run(dir, ["show", "plan.json", "--json"]);
    const doc = JSON.parse(json.stdout) as Json;
    expect(doc.format_version).toBe("1.2");
    const byAddr = Object.fromEntries(
      (doc.resource_changes as Json[]).map((c) => [c.address, c.change.actions]),
    );
    expect(byAddr).toEqual({ "popdock_api_user.s": ["create"], 'popdock_api_token.s["ci"]': ["create"] });

    const md = await sb.run(dir, ["show", "plan.json", "--markdown"]);
    expect(md.stdout).toContain("**Plan:** 2 to add, 0 to change, 0 to destroy");
    expect(md.stdout).toContain("`popdock_api_user.s`");
    const livePlanMd = await sb.run(dir, ["plan", "--markdown"]);
    expect(livePlanMd.stdout).toContain("**Plan:** 2 to add, 0 to change, 0 to destroy");

    const applied = await sb.counting(dir, ["apply", "plan.json", "--no-color"]);
    expect(applied.r.stdout).toContain("Apply complete! Resources: 2 added, 0 changed, 0 destroyed.");
    expect(applied.sent).toEqual({
      "POST /api/v1/security/api-users": 1,
      "POST /api/v1/security/api-users/{userId}/tokens": 1,
    });
    // The summary's request count is the client's own, and matches what Popdock saw.
    const total = Object.values(applied.requests).reduce((a, b) => a + b, 0);
    expect(applied.r.stdout).toContain(`destroyed. ${total} requests to Popdock.`);
    expect(await usersNamed(name)).toHaveLength(1);
    await sb.run(dir, ["plan", "--detailed-exitcode"], 0);
  });

  it("refuses a plan whose object was edited in Popdock since, and changes nothing", async () => {
    const dir = await project();
    const name = `rv-stale-${uniq()}`;
    await writeConfig(dir, { users: { x: { name, description: "one" } } });
    await sb.run(dir, ["apply", "--auto-approve"]);
    const id = await stateId(dir, "popdock_api_user.x");

    await writeConfig(dir, { users: { x: { name, description: "two" } } });
    await sb.run(dir, ["plan", "--out", "p.json"]);
    // Someone edits the user in the Popdock UI after the review.
    const edit = await sb.api("PATCH", `/api-users/${id}`, { description: "edited in the UI" });
    expect(edit.status).toBe(200);
    const serial = (await readState(dir)).serial;

    const refused = await sb.counting(dir, ["apply", "p.json"], 1);
    expect(refused.r.stderr).toContain(
      "error POPDOCK_PLAN_STALE: the saved plan p.json is stale; nothing was changed:",
    );
    expect(refused.r.stderr).toContain(
      "popdock_api_user.x changed in Popdock since the plan (version 1 → 2)",
    );
    expect(refused.r.stderr).toContain("make a new plan: popdock plan --out p.json");
    expect(refused.sent).toEqual({});
    expect((await sb.api("GET", `/api-users/${id}`)).body).toMatchObject({
      description: "edited in the UI",
      version: 2,
    });
    expect((await readState(dir)).serial).toBe(serial);
  });

  it("refuses a plan when the state moved since (something else was applied), and changes nothing", async () => {
    const dir = await project();
    const planned = `rv-moved-${uniq()}`;
    const other = `rv-other-${uniq()}`;
    await writeConfig(dir, { users: { y: { name: planned } } });
    await sb.run(dir, ["plan", "--out", "p.json"]);
    // Something else is applied with the same state in between.
    await writeConfig(dir, { users: { z: { name: other } } });
    await sb.run(dir, ["apply", "--auto-approve"]);
    const serial = (await readState(dir)).serial;
    expect(serial).toBeGreaterThan(0);

    const refused = await sb.counting(dir, ["apply", "p.json"], 1);
    expect(refused.r.stderr).toContain(
      "error POPDOCK_PLAN_STALE: the saved plan p.json is stale; nothing was changed:",
    );
    expect(refused.r.stderr).toContain(`state moved since the plan (serial 0 → ${serial})`);
    expect(refused.sent).toEqual({});
    expect(await usersNamed(planned)).toEqual([]);
    expect((await readState(dir)).serial).toBe(serial);
  });
});

describe("exit codes and confirmation", () => {
  it("--detailed-exitcode: 2 with changes (also with --json), 0 without, 1 for a configuration error", async () => {
    const dir = await project();
    await writeConfig(dir, { users: { e: { name: `rv-exit-${uniq()}` } } });
    const changes = await sb.run(dir, ["plan", "--detailed-exitcode", "--json", "--out", "p.json"], 2);
    // With --json, stdout is only the message stream; the "saved" note goes to stderr.
    const lines = changes.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Json);
    expect(lines.filter((m) => m.type === "planned_change").map((m) => m.change.action)).toEqual(["create"]);
    expect(changes.stderr).toContain("Saved the plan to p.json.");
    await sb.run(dir, ["apply", "--auto-approve"]);
    await sb.run(dir, ["plan", "--detailed-exitcode"], 0);

    await writeFile(join(dir, "popdock.yaml"), "api_users:\n  e:\n    nmae: typo\n");
    const broken = await sb.run(dir, ["plan", "--detailed-exitcode"], 1);
    expect(broken.stderr).toMatch(/popdock\.yaml:3:5: error CONFIG_\w+: /);
    expect(broken.stderr).toContain("error POPDOCK_CONFIG_INVALID: the configuration has");
    expect(broken.stdout).toBe("");
  });

  it("apply without --auto-approve in a non-interactive run is refused and changes nothing", async () => {
    const dir = await project();
    const name = `rv-confirm-${uniq()}`;
    await writeConfig(dir, { users: { w: { name } } });
    const refused = await sb.counting(dir, ["apply", "--no-color"], 1);
    expect(refused.r.stdout).toContain("# popdock_api_user.w will be created");
    expect(refused.r.stderr).toContain(
      "error POPDOCK_USAGE: apply needs confirmation, and this run is not interactive",
    );
    expect(refused.r.stderr).toContain("pass --auto-approve");
    expect(refused.sent).toEqual({});
    expect(await usersNamed(name)).toEqual([]);
    expect(await exists(statePath(dir))).toBe(false);
  });
});

describe("changes made in Popdock", () => {
  it("shows drift before the actions, re-creates a token deleted outside, and apply restores the config", async () => {
    const dir = await project();
    const name = `rv-drift-${uniq()}`;
    await writeConfig(dir, { users: { d: { name, description: "as configured", tokens: { k: "k" } } } });
    await sb.run(dir, ["apply", "--auto-approve"]);
    const userId = await stateId(dir, "popdock_api_user.d");
    const tokenId = await stateId(dir, 'popdock_api_token.d["k"]');

    expect((await sb.api("PATCH", `/api-users/${userId}`, { description: "edited in the UI" })).status).toBe(
      200,
    );
    expect((await sb.api("DELETE", `/api-users/${userId}/tokens/${tokenId}`)).status).toBe(204);

    const plan = await sb.run(dir, ["plan", "--no-color", "--detailed-exitcode"], 2);
    const out = plan.stdout;
    const drift = out.indexOf("Objects have changed outside of popdock-iac");
    const actions = out.indexOf("popdock-iac will perform the following actions:");
    expect(drift).toBeGreaterThan(-1);
    expect(actions).toBeGreaterThan(drift);
    const driftPart = out.slice(drift, actions);
    const actionPart = out.slice(actions);
    expect(driftPart).toContain("# popdock_api_user.d has changed");
    expect(driftPart).toContain('~ description = "as configured" -> "edited in the UI"');
    expect(driftPart).toContain('# popdock_api_token.d["k"] has been deleted');
    expect(actionPart).toContain("# popdock_api_user.d will be updated in-place");
    expect(actionPart).toContain('~ description = "edited in the UI" -> "as configured"');
    expect(actionPart).toContain('# popdock_api_token.d["k"] will be created');
    expect(actionPart).toContain("# (deleted outside popdock-iac; it will be created again)");
    expect(actionPart).toContain("Plan: 1 to add, 1 to change, 0 to destroy. 1 token will be created.");

    const applied = await sb.counting(dir, ["apply", "--auto-approve"]);
    expect(applied.sent).toEqual({
      "PATCH /api/v1/security/api-users/{userId}": 1,
      "POST /api/v1/security/api-users/{userId}/tokens": 1,
    });
    expect((await sb.api("GET", `/api-users/${userId}`)).body.description).toBe("as configured");
    const tokens = (await sb.api("GET", `/api-users/${userId}/tokens`)).body.data as Json[];
    expect(tokens.map((t) => t.name)).toEqual(["k"]);
    expect(tokens[0].id).toBe(await stateId(dir, 'popdock_api_token.d["k"]'));
    expect(tokens[0].id).not.toBe(tokenId);
  });

  it("refuses to create an API user whose name Popdock already has, naming the import command", async () => {
    const dir = await project();
    const name = `rv-taken-${uniq()}`;
    const made = await sb.api("POST", "/api-users", { name, description: "made in the UI" });
    expect(made.status).toBe(201);
    const id = made.body.id as string;
    // Names are unique case-insensitively in Popdock.
    await writeConfig(dir, { users: { dup: { name: name.toUpperCase() } } });
    const { r: plan, sent } = await sb.counting(dir, ["plan", "--no-color"], 1);
    expect(plan.stderr).toContain(
      `popdock.yaml:2:3: error PLAN_ALREADY_EXISTS: popdock_api_user.dup: an API user named "${name.toUpperCase()}" ` +
        `already exists in Popdock (id ${id}) and is not managed by popdock-iac (at api_users.dup)\n` +
        `  hint: adopt it with \`popdock import 'popdock_api_user.dup' ${id}\`, or choose another name\n`,
    );
    expect(plan.stderr).toContain("error POPDOCK_CONFIG_INVALID: the plan has errors; nothing was changed");
    expect(sent).toEqual({});
  });

  it("If-Match: an edit made in Popdock during the apply fails that step (412) and is not overwritten", async () => {
    const dir = await project();
    const name = `rv-ifmatch-${uniq()}`;
    const grant = (lists: string[]) => ({ connector: "GP Production", roles: ["Reader"], lists });
    const grantAddr = 'popdock_api_user_grant.m["connector:GP Production"]';
    await writeConfig(dir, { users: { m: { name, description: "d1", grants: [grant(["Customers"])] } } });
    await sb.run(dir, ["apply", "--auto-approve"]);
    const userId = await stateId(dir, "popdock_api_user.m");
    const grantId = await stateId(dir, grantAddr);

    // Two changes; the grant's update waits for its user's update, which takes ≥ 1 s: the edit
    // below has from the end of the refresh until the grant's PATCH does its work (≥ 2 s) to
    // land. (300 ms left a busy machine too little; the edit itself is delayed by the latency too.)
    await writeConfig(dir, {
      users: { m: { name, description: "d2", grants: [grant(["Customers", "Vendors"])] } },
    });
    const before = await sb.stats();
    await sb.setFaults({ latency_ms: 1_000 });
    let result: CliResult;
    try {
      const child = sb.spawn(["apply", "--auto-approve", "--no-color"], dir);
      // Once the refresh is answered the plan is fixed; edit the grant "in the UI" now.
      await waitFor("the apply's refresh", async () => {
        const s = await sb.stats();
        const key = "GET /api/v1/security/api-users";
        return routeCount(s, key) > routeCount(before, key) ? true : undefined;
      });
      const edit = await sb.api("PATCH", `/api-users/${userId}/grants/${grantId}`, { lists: ["Invoices"] });
      expect(edit.status).toBe(200);
      result = await child.output;
    } finally {
      await sb.setFaults({});
    }
    expectExit(result, 1);
    expect(result.stderr).toMatch(
      new RegExp(
        `^${escapeRegExp(grantAddr)}: failed after \\d+\\.\\ds: POPDOCK_API_PRECONDITION_FAILED: `,
        "m",
      ),
    );
    expect(result.stderr).toContain(
      `error POPDOCK_APPLY_FAILED: apply failed: 1 step(s) failed (${grantAddr})`,
    );
    expect(result.stdout).toContain("popdock_api_user.m: modified");
    expect(statusDiff(before, await sb.stats())["412"]).toBe(1);

    // The independent change went through; the UI edit survived.
    expect((await sb.api("GET", `/api-users/${userId}`)).body.description).toBe("d2");
    const g = ((await sb.api("GET", `/api-users/${userId}/grants`)).body.data as Json[]).find(
      (x) => x.id === grantId,
    );
    expect(g).toMatchObject({ lists: ["Invoices"], version: 2 });
    expect((await readState(dir)).resources[grantAddr]?.attributes.lists).toEqual(["Customers"]);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
