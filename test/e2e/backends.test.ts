/**
 * State through the backend interface, end to end: saved plans that name their backend (not a
 * path) and apply from any directory, workspaces, and the state commands.
 */
import { readdir, readFile, rename } from "node:fs/promises";
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
