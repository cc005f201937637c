/**
 * State through the backend interface, end to end: saved plans that name their backend (not a
 * path) and apply from any directory, workspaces, and the state commands.
 */
import { readdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  exists,
  project,
  readState,
  statePath,
  uniq,
  useSandbox,
  writeConfig,
} from "../helpers/e2e-sandbox.js";

const sb = useSandbox();

describe("portable saved plans", () => {
  it("a plan made in one directory applies from another, and says where its state is", async () => {
    const a = await project();
    const b = await project();
    const name = `pp-${uniq()}`;
    await writeConfig(a, { users: { u: { name } } });
    await sb.run(a, ["apply", "--auto-approve"]);
    await writeConfig(a, { users: { u: { name, description: "changed" } } });
    await sb.run(a, ["plan", "--out", "change.json"], 0);
    const saved = JSON.parse(await readFile(join(a, "change.json"), "utf8"));
    expect(saved.backend).toEqual({ kind: "local", location: statePath(a), workspace: "default" });
    expect(saved).not.toHaveProperty("state_path");

    const applied = await sb.run(b, ["apply", join(a, "change.json"), "--no-color"]);
    expect(applied.stdout).toContain("Apply complete! Resources: 0 added, 1 changed, 0 destroyed.");
    expect((await readState(a)).resources["popdock_api_user.u"]?.attributes.description).toBe("changed");
    expect(await readdir(b)).toEqual([]);
  });

  it("a missing state is 'no state found at …', and nothing is created on the way", async () => {
    const a = await project();
    const b = await project();
    await writeConfig(a, { users: { u: { name: `pp-${uniq()}` } } });
    await sb.run(a, ["apply", "--auto-approve"]);
    await writeConfig(a, { users: { u: { name: `pp-${uniq()}` } } });
    await sb.run(a, ["plan", "--out", "p.json"], 0);
    await rename(join(a, ".popdock"), join(a, "moved-away"));
    const r = await sb.run(b, ["apply", join(a, "p.json")], 1);
    expect(r.stderr).toContain(`no state found at ${statePath(a)} (workspace default)`);
    expect(r.stderr).not.toContain("lineage");
    expect(await exists(join(a, ".popdock"))).toBe(false);
    expect(await readdir(b)).toEqual([]);
  });
});

describe("workspaces", () => {
  it("one configuration, one state per workspace; the workspace in names; select, env, delete", async () => {
    const dir = await project();
    const id = uniq();
    await writeFile(join(dir, "popdock.yaml"), `api_users:\n  svc:\n    name: ws-\${workspace}-${id}\n`);
    await sb.run(dir, ["apply", "--auto-approve"]);
    expect((await readState(dir)).resources["popdock_api_user.svc"]?.attributes.name).toBe(
      `ws-default-${id}`,
    );

    const made = await sb.run(dir, ["workspace", "new", "staging"]);
    expect(made.stdout).toContain('Created and switched to workspace "staging"');
    expect((await sb.run(dir, ["workspace", "show"])).stdout).toBe("staging\n");
    await sb.run(dir, ["apply", "--auto-approve"]);
    const staging = join(dir, ".popdock", "workspaces", "staging", "state.json");
    expect(await exists(staging)).toBe(true);
    expect((await sb.run(dir, ["state", "list"])).stdout).toBe("popdock_api_user.svc\n");
    const names = ((await sb.api("GET", "/api-users?limit=500")).body.data as { name: string }[])
      .map((u) => u.name)
      .filter((n) => n.endsWith(id));
    expect(names.sort()).toEqual([`ws-default-${id}`, `ws-staging-${id}`]);
    expect((await sb.run(dir, ["workspace", "list"])).stdout).toBe("  default\n* staging\n");

    // Each workspace plans clean against its own state; --workspace and POPDOCK_WORKSPACE pick one.
    await sb.run(dir, ["plan", "--detailed-exitcode", "--workspace", "default"], 0);
    const viaEnv = await sb.popdock(["workspace", "show"], dir, { POPDOCK_WORKSPACE: "default" });
    expect(viaEnv.stdout).toBe("default\n");
    await sb.run(dir, ["plan", "--detailed-exitcode"], 0);

    // A non-empty workspace is not deleted by accident, nor the one in use.
    const inUse = await sb.run(dir, ["workspace", "delete", "staging"], 1);
    expect(inUse.stderr).toContain('workspace "staging" is the one in use');
    await sb.run(dir, ["workspace", "select", "default"]);
    const notEmpty = await sb.run(dir, ["workspace", "delete", "staging"], 1);
    expect(notEmpty.stderr).toContain("is not empty: its state has 1 object");
    await sb.run(dir, ["destroy", "--auto-approve", "--workspace", "staging"]);
    await sb.run(dir, ["workspace", "delete", "staging"]);
    expect((await sb.run(dir, ["workspace", "list"])).stdout).toBe("* default\n");
    const bad = await sb.run(dir, ["plan", "--workspace", "../etc"], 1);
    expect(bad.stderr).toContain('"../etc" is not a workspace name');
  });
});

describe("state commands", () => {
  it("pull, history, pull --serial, push (refusing older or foreign states), migrate with a byte-identical round trip", async () => {
    const a = await project();
    const id = uniq();
    const name = `sc-\${workspace}-${id}`;
    await writeConfig(a, { users: { u: { name, tokens: { ci: "ci" } } } });
    await sb.run(a, ["apply", "--auto-approve"]);
    const pulled = (await sb.run(a, ["state", "pull"])).stdout;
    const first = JSON.parse(pulled);
    expect(first.resources["popdock_api_user.u"].attributes.name).toBe(`sc-default-${id}`);
    for (const secret of await sb.tokenIds()) expect(pulled).not.toContain(secret);
    await writeFile(join(a, "old.json"), pulled);

    await writeConfig(a, { users: { u: { name, description: "v2", tokens: { ci: "ci" } } } });
    await sb.run(a, ["apply", "--auto-approve"]);
    const history = (await sb.run(a, ["state", "history"])).stdout.trim().split("\n");
    expect(history.length).toBeGreaterThanOrEqual(2);
    const serials = history.map((l) => Number(l.trim().split(/\s+/)[0]));
    expect(serials[0]).toBeGreaterThan(first.serial);
    expect((await sb.run(a, ["state", "pull", "--serial", String(first.serial)])).stdout).toBe(pulled);
    expect((await sb.run(a, ["state", "pull", "--serial", "999999"], 1)).stderr).toContain(
      "keeps no snapshot at serial 999999",
    );

    const older = await sb.run(a, ["state", "push", "old.json"], 1);
    expect(older.stderr).toContain(`old.json is older (serial ${first.serial})`);
    const foreign = { ...first, lineage: "00000000-0000-4000-8000-000000000000" };
    await writeFile(join(a, "foreign.json"), JSON.stringify(foreign));
    expect((await sb.run(a, ["state", "push", "foreign.json"], 1)).stderr).toContain(
      "is another state (lineage",
    );
    await sb.run(a, ["state", "push", "old.json", "--force"]);
    const restored = JSON.parse((await sb.run(a, ["state", "pull"])).stdout);
    expect(restored.resources["popdock_api_user.u"].attributes.description).not.toBe("v2");

    // migrate: every workspace, to an empty directory, and back to a third: the same bytes.
    await sb.run(a, ["workspace", "new", "staging"]);
    await sb.run(a, ["apply", "--auto-approve"]);
    await sb.run(a, ["workspace", "select", "default"]);
    const b = await project();
    const c = await project();
    const moved = await sb.run(a, ["state", "migrate", "--to", "local", "--to-path", b]);
    expect(moved.stdout).toContain("Copied 2 workspaces");
    await writeFile(join(b, "popdock.yaml"), await readFile(join(a, "popdock.yaml"), "utf8"));
    await sb.run(b, ["state", "migrate", "--to", "local", "--to-path", c]);
    await writeFile(join(c, "popdock.yaml"), await readFile(join(a, "popdock.yaml"), "utf8"));
    for (const ws of ["default", "staging"]) {
      const there = (await sb.run(a, ["state", "pull", "--workspace", ws])).stdout;
      expect((await sb.run(b, ["state", "pull", "--workspace", ws])).stdout).toBe(there);
      expect((await sb.run(c, ["state", "pull", "--workspace", ws])).stdout).toBe(there);
    }
    const again = await sb.run(a, ["state", "migrate", "--to", "local", "--to-path", b], 1);
    expect(again.stderr).toContain("already has a state");
  });
});
