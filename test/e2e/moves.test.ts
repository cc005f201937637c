/**
 * Address moves, removals and imports through the real CLI against a `popdock sandbox` process:
 * `moved` blocks rename without touching Popdock (ids and token ids kept, children moved),
 * `removed` blocks forget without deleting, `import` blocks adopt, and `popdock state mv`.
 * Every claim is checked against Popdock itself (its API and request counters) and the state.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { type ModelConfig, project, readState, toYaml, uniq, useSandbox } from "../helpers/e2e-sandbox.js";

const sb = useSandbox();

/** popdock.yaml for `model`, plus top-level `extra` sections (moved, removed, import). */
async function writeYaml(
  dir: string,
  model: ModelConfig,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const base = toYaml(model);
  await writeFile(
    join(dir, "popdock.yaml"),
    Object.keys(extra).length > 0 ? `${base}${stringify(extra)}` : base,
  );
}

const APPLY = ["apply", "--auto-approve", "--no-color"];

describe("moved blocks", () => {
  it("rename a user in state: no destroy/create, same ids, same token ids, children moved", async () => {
    const dir = await project();
    const name = `mv-${uniq()}`;
    const user = { name, grants: [{ team: "Finance" }], tokens: { pbi: `pbi-${uniq()}` } };
    await writeYaml(dir, { users: { old: user } });
    await sb.run(dir, APPLY);
    const before = await readState(dir);
    const userId = before.resources["popdock_api_user.old"]?.id;
    const tokenId = before.resources['popdock_api_token.old["pbi"]']?.id;
    const grantId = before.resources['popdock_api_user_grant.old["team:Finance"]']?.id;
    expect(userId).toMatch(/^usr_/);
    const secretsBefore = await sb.tokenIds();

    await writeYaml(
      dir,
      { users: { new: user } },
      { moved: [{ from: "popdock_api_user.old", to: "popdock_api_user.new" }] },
    );
    const plan = await sb.run(dir, ["plan", "--no-color", "--detailed-exitcode"], 2);
    expect(plan.stdout).toContain("# popdock_api_user.old has moved to popdock_api_user.new");
    expect(plan.stdout).toContain('# popdock_api_token.old["pbi"] has moved to popdock_api_token.new["pbi"]');
    expect(plan.stdout).toContain(
      '# popdock_api_user_grant.old["team:Finance"] has moved to popdock_api_user_grant.new["team:Finance"]',
    );
    expect(plan.stdout).toContain("Plan: 0 to add, 0 to change, 0 to destroy.");
    expect(plan.stdout).not.toContain("No changes");
    expect(plan.stdout).not.toMatch(/will be (created|destroyed)/);

    const applied = await sb.counting(dir, APPLY);
    expect(applied.sent).toEqual({}); // a state-only change: no call that changes Popdock
    const after = await readState(dir);
    expect(Object.keys(after.resources).sort()).toEqual([
      'popdock_api_token.new["pbi"]',
      "popdock_api_user.new",
      'popdock_api_user_grant.new["team:Finance"]',
    ]);
    expect(after.resources["popdock_api_user.new"]?.id).toBe(userId);
    expect(after.resources['popdock_api_token.new["pbi"]']).toMatchObject({
      id: tokenId,
      parent: "popdock_api_user.new",
    });
    expect(after.resources['popdock_api_user_grant.new["team:Finance"]']).toMatchObject({
      id: grantId,
      parent: "popdock_api_user.new",
    });
    // Popdock: the same user with the same token, and no new credentials anywhere.
    const live = await sb.api("GET", `/api-users/${userId}?expand=tokens`);
    expect(live.status).toBe(200);
    expect(live.body.tokens.map((t: { id: string }) => t.id)).toEqual([tokenId]);
    expect(await sb.tokenIds()).toEqual(secretsBefore);

    // The block stays in the configuration as history: the next plan is empty.
    const again = await sb.run(dir, ["plan", "--no-color", "--detailed-exitcode"], 0);
    expect(again.stdout).toContain("No changes.");
  });

  it("refuses a move to an address already in state, at the block's line, and changes nothing", async () => {
    const dir = await project();
    const a = { name: `mva-${uniq()}` };
    const b = { name: `mvb-${uniq()}` };
    await writeYaml(dir, { users: { a, b } });
    await sb.run(dir, APPLY);
    const before = await readState(dir);
    await writeYaml(
      dir,
      { users: { b } },
      { moved: [{ from: "popdock_api_user.a", to: "popdock_api_user.b" }] },
    );
    const r = await sb.run(dir, ["plan", "--no-color"], 1);
    expect(r.stderr).toMatch(/popdock\.yaml:\d+:\d+.*popdock_api_user\.b is already in state/);
    expect((await readState(dir)).serial).toBe(before.serial);
  });
});

describe("removed blocks", () => {
  it("forget a user and its children: Popdock keeps them, state does not, no API call", async () => {
    const dir = await project();
    const name = `rm-${uniq()}`;
    await writeYaml(dir, {
      users: { gone: { name, grants: [{ team: "Finance" }], tokens: { ci: `ci-${uniq()}` } } },
    });
    await sb.run(dir, APPLY);
    const userId = (await readState(dir)).resources["popdock_api_user.gone"]?.id;

    await writeYaml(dir, { users: {} }, { removed: [{ from: "popdock_api_user.gone", destroy: false }] });
    const plan = await sb.run(dir, ["plan", "--no-color", "--detailed-exitcode"], 2);
    expect(plan.stdout).toContain("# popdock_api_user.gone will be removed from the state but not destroyed");
    expect(plan.stdout).toContain(
      '# popdock_api_token.gone["ci"] will be removed from the state but not destroyed',
    );
    expect(plan.stdout).not.toContain("will be destroyed");
    const applied = await sb.counting(dir, APPLY);
    expect(applied.sent).toEqual({});
    expect((await readState(dir)).resources).toEqual({});
    const live = await sb.api("GET", `/api-users/${userId}?expand=grants,tokens`);
    expect(live.status).toBe(200);
    expect(live.body).toMatchObject({ name, grants: [{ team_id: "team_finance" }], tokens: [{}] });
    await sb.run(dir, ["plan", "--no-color", "--detailed-exitcode"], 0);
  });
});

describe("import blocks", () => {
  it("adopt an existing user with its grant and token (the update shown), then a second plan is empty", async () => {
    const dir = await project();
    const name = `imp-${uniq()}`;
    const made = await sb.api("POST", "/api-users", { name, description: "made in the UI" });
    expect(made.status).toBe(201);
    const uid = made.body.id as string;
    const grant = await sb.api("POST", `/api-users/${uid}/grants`, { type: "team", team_id: "team_finance" });
    const token = await sb.api("POST", `/api-users/${uid}/tokens`, { name: "powerbi" });
    expect([grant.status, token.status]).toEqual([201, 201]);
    const tokensBefore = await sb.tokenIds();

    const model = {
      users: {
        bot: { name, description: "managed", grants: [{ team: "Finance" }], tokens: { pbi: "powerbi" } },
      },
    };
    await writeYaml(dir, model, {
      import: [
        { to: "popdock_api_user.bot", id: uid },
        { to: 'popdock_api_user_grant.bot["team:Finance"]', id: `${uid}/${grant.body.id}` },
        { to: 'popdock_api_token.bot["pbi"]', id: `${uid}/${token.body.id}` },
      ],
    });
    const plan = await sb.run(dir, ["plan", "--no-color", "--detailed-exitcode"], 2);
    expect(plan.stdout).toContain('# popdock_api_token.bot["pbi"] will be imported');
    expect(plan.stdout).toContain("# popdock_api_user.bot will be updated in-place");
    expect(plan.stdout).toContain(`# (imported from "${uid}")`);
    expect(plan.stdout).toContain("Plan: 3 to import, 0 to add, 1 to change, 0 to destroy.");

    const applied = await sb.counting(dir, APPLY);
    expect(applied.sent).toEqual({ "PATCH /api/v1/security/api-users/{userId}": 1 });
    const state = await readState(dir);
    expect(state.resources["popdock_api_user.bot"]?.id).toBe(uid);
    expect(state.resources['popdock_api_token.bot["pbi"]']?.id).toBe(token.body.id);
    expect(await sb.tokenIds()).toEqual(tokensBefore); // adopted, not re-created
    await sb.run(dir, ["plan", "--no-color", "--detailed-exitcode"], 0);
  });

  it("--generate-config-out writes YAML for an unconfigured import target, and never overwrites", async () => {
    const dir = await project();
    const name = `gen-${uniq()}`;
    const made = await sb.api("POST", "/api-users", { name, description: "d" });
    const uid = made.body.id as string;
    await sb.api("POST", `/api-users/${uid}/grants`, { type: "role", role_id: "role_contributor" });
    const roleGrant = (await sb.api("GET", `/api-users/${uid}?expand=grants`)).body.grants[0];
    await writeFile(
      join(dir, "popdock.yaml"),
      stringify({
        api_users: {},
        import: [
          { to: "popdock_api_user.adopted", id: uid },
          ...(roleGrant
            ? [{ to: 'popdock_api_user_grant.adopted["role:Contributor"]', id: `${uid}/${roleGrant.id}` }]
            : []),
        ],
      }),
    );
    const r = await sb.run(dir, ["plan", "--no-color", "--generate-config-out", "generated.yaml"]);
    expect(r.stdout).toMatch(/Wrote the configuration of \d imported objects? to generated\.yaml/);
    const state0 = await readState(dir).catch(() => undefined);
    expect(state0?.resources ?? {}).toEqual({});
    const again = await sb.run(dir, ["plan", "--no-color", "--generate-config-out", "generated.yaml"], 1);
    expect(again.stderr).toContain("generated.yaml already exists");
    // The generated file completes the configuration: the import plans with no other change.
    expect(r.stdout).toContain("popdock plan -c popdock.yaml -c generated.yaml");
    const withGenerated = ["-c", "popdock.yaml", "-c", "generated.yaml"];
    const plan = await sb.run(dir, ["plan", ...withGenerated, "--no-color", "--detailed-exitcode"], 2);
    expect(plan.stdout).toContain("# popdock_api_user.adopted will be imported");
    expect(plan.stdout).toMatch(/Plan: \d to import, 0 to add, 0 to change, 0 to destroy\./);
    await sb.run(dir, [...APPLY, ...withGenerated]);
    expect((await readState(dir)).resources["popdock_api_user.adopted"]?.id).toBe(uid);
    await sb.run(dir, ["plan", ...withGenerated, "--no-color", "--detailed-exitcode"], 0);
  });
});

describe("popdock state mv", () => {
  it("moves a user with its children under the lock, refuses a taken DST, and --dry-run writes nothing", async () => {
    const dir = await project();
    const user = { name: `smv-${uniq()}`, tokens: { ci: `ci-${uniq()}` } };
    await writeYaml(dir, { users: { a: user, b: { name: `smvb-${uniq()}` } } });
    await sb.run(dir, APPLY);
    const before = await readState(dir);

    const dry = await sb.run(dir, ["state", "mv", "--dry-run", "popdock_api_user.a", "popdock_api_user.c"]);
    expect(dry.stdout).toContain('Would move popdock_api_token.a["ci"] to popdock_api_token.c["ci"]');
    expect(await readState(dir)).toEqual(before);

    const taken = await sb.run(dir, ["state", "mv", "popdock_api_user.a", "popdock_api_user.b"], 1);
    expect(taken.stderr).toContain("popdock_api_user.b is already in state");
    expect(await readState(dir)).toEqual(before);

    const moved = await sb.counting(dir, ["state", "mv", "popdock_api_user.a", "popdock_api_user.c"]);
    expect(moved.requests).toEqual({});
    expect(moved.r.stdout).toContain("Successfully moved 2 objects");
    const after = await readState(dir);
    expect(after.resources["popdock_api_user.c"]?.id).toBe(before.resources["popdock_api_user.a"]?.id);
    expect(after.resources['popdock_api_token.c["ci"]']).toMatchObject({
      id: before.resources['popdock_api_token.a["ci"]']?.id,
      parent: "popdock_api_user.c",
    });
    // With the configuration renamed to match, no resource changes: only the token's automatic
    // output is renamed with its user (a.ci → c.ci).
    await writeYaml(dir, {
      users: { c: user, b: { name: after.resources["popdock_api_user.b"]?.attributes.name as string } },
    });
    const plan = await sb.run(dir, ["plan", "--no-color"]);
    expect(plan.stdout).not.toContain("Plan:");
    expect(plan.stdout).toContain("+ c.ci = (sensitive value)");
  });
});
