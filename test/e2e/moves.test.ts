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
