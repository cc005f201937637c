/**
 * The state keeps up with what it protects and what Popdock has, and commands find the right
 * state: protection added later is recorded, drift the configuration agrees with converges, a
 * saved plan is applied to the state it was made from, a grant is imported only at its own
 * address, and `state rm` leaves nothing behind that could act later.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { expectExit } from "../helpers/cli.js";
import { exists, project, readState, stateId, uniq, useSandbox } from "../helpers/e2e-sandbox.js";

const sb = useSandbox();

const yaml = (name: string, extra = "") => `api_users:\n  u:\n    name: ${name}\n${extra}`;

describe("state sync", () => {
  it("records prevent_destroy set after the fact, and releases it the same way", async () => {
    const name = `sync-pd-${uniq()}`;
    const dir = await project({ "popdock.yaml": yaml(name) });
    await sb.run(dir, ["apply", "--auto-approve"]);

    await writeFile(join(dir, "popdock.yaml"), yaml(name, "    prevent_destroy: true\n"));
    const protect = await sb.run(dir, ["apply", "--auto-approve"]);
    expect(protect.stdout).toContain("No changes to Popdock; recording what it has in the state.");
    expect((await readState(dir)).resources["popdock_api_user.u"]?.prevent_destroy).toBe(true);

    // Removed from the configuration while protected: refused, nothing deleted.
    await writeFile(join(dir, "popdock.yaml"), "api_users: {}\n");
    const refused = await sb.run(dir, ["apply", "--auto-approve"], 1);
    expect(refused.stderr).toContain("PLAN_PREVENT_DESTROY");

    // The hint's way out works: drop prevent_destroy and apply, then remove the user.
    await writeFile(join(dir, "popdock.yaml"), yaml(name));
    await sb.run(dir, ["apply", "--auto-approve"]);
    expect((await readState(dir)).resources["popdock_api_user.u"]?.prevent_destroy).toBeUndefined();
    await writeFile(join(dir, "popdock.yaml"), "api_users: {}\n");
    const deleted = await sb.run(dir, ["apply", "--auto-approve"]);
    expect(deleted.stdout).toContain("popdock_api_user.u: destroyed");
  });

  it("converges when Popdock was changed the way the configuration now says", async () => {
    const name = `sync-drift-${uniq()}`;
    const dir = await project({
      "popdock.yaml": `${yaml(name)}outputs:\n  n:\n    value: \${popdock_api_user.u.name}\n`,
    });
    await sb.run(dir, ["apply", "--auto-approve"]);
    const id = await stateId(dir, "popdock_api_user.u");
    const renamed = `${name}-b`;
    await sb.api("PATCH", `/api-users/${id}`, { name: renamed });
    await writeFile(
      join(dir, "popdock.yaml"),
      `${yaml(renamed)}outputs:\n  n:\n    value: \${popdock_api_user.u.name}\n`,
    );

    const applied = await sb.counting(dir, ["apply", "--auto-approve"]);
    expect(applied.sent).toEqual({});
    expect(applied.r.stdout).toContain(`n = "${renamed}"`);
    const again = await sb.run(dir, ["plan", "--detailed-exitcode", "--no-color"]);
    expect(again.stdout).not.toContain("changed outside of popdock-iac");
    expect(again.stdout).toContain("No changes.");
  });

  it("applies a saved plan to the state it was made from, wherever the configuration lives", async () => {
    const name = `sync-path-${uniq()}`;
    const root = await project();
    await mkdir(join(root, "popdock"));
    await writeFile(join(root, "popdock", "users.yaml"), yaml(name));

    await sb.run(root, ["plan", "-c", "popdock/", "--out", "plan.json"]);
    const applied = await sb.run(root, ["apply", "plan.json"]);
    expect(applied.stdout).toContain("Apply complete!");
    expect(await exists(join(root, "popdock", ".popdock", "state.json"))).toBe(true);
    expect(await exists(join(root, ".popdock"))).toBe(false);
    await sb.run(root, ["plan", "-c", "popdock/", "--detailed-exitcode"]);
  });

  it("imports a grant only at the address of its own target", async () => {
    const name = `sync-imp-${uniq()}`;
    const dir = await project({
      "popdock.yaml": yaml(name, "    grants:\n      - team: Finance\n      - role: Contributor\n"),
    });
    await sb.run(dir, ["apply", "--auto-approve"]);
    const userId = await stateId(dir, "popdock_api_user.u");
    const roleGrant = await stateId(dir, 'popdock_api_user_grant.u["role:Contributor"]');
    await sb.run(dir, ["state", "rm", 'popdock_api_user_grant.u["team:Finance"]']);

    const wrong = await sb.popdock(
      ["import", 'popdock_api_user_grant.u["team:Finance"]', `${userId}/${roleGrant}`],
      dir,
    );
    expectExit(wrong, 1);
    expect(wrong.stderr).toContain(`${userId}/${roleGrant} is a role:Contributor grant`);
    expect((await readState(dir)).resources['popdock_api_user_grant.u["team:Finance"]']).toBeUndefined();
  });

  it("state rm forgets the object's pending steps and deposed objects too", async () => {
    const name = `sync-rm-${uniq()}`;
    const dir = await project({ "popdock.yaml": yaml(name, "    tokens:\n      t: { name: one }\n") });
    await sb.run(dir, ["apply", "--auto-approve"]);
    const path = join(dir, ".popdock", "state.json");
    const state = await readState(dir);
    const token = state.resources['popdock_api_token.u["t"]'];
    state.deposed = [
      {
        address: 'popdock_api_token.u["t"]',
        type: "popdock_api_token",
        id: "tok_old",
        version: 1,
        parent_id: token?.parent_id ?? "",
      },
    ];
    state.pending = [
      {
        address: 'popdock_api_token.u["t"]',
        action: "create",
        type: "popdock_api_token",
        started_at: new Date().toISOString(),
      },
    ];
    await writeFile(path, JSON.stringify(state));

    await sb.run(dir, ["state", "rm", "popdock_api_user.u"]);
    const after = await readState(dir);
    expect(after.resources).toEqual({});
    expect(after.deposed).toEqual([]);
    expect(after.pending).toEqual([]);
  });
});
