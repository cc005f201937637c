/**
 * Bad input is refused before anything reaches Popdock: the real CLI against a sandbox, checking
 * what the sandbox counted.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { mutations, project, statsDiff, uniq, useSandbox, writeConfig } from "../helpers/e2e-sandbox.js";

const sb = useSandbox();

describe("refused before any request", () => {
  it("--secrets-out into a missing directory: refused with a code, nothing created", async () => {
    const dir = await project();
    await writeConfig(dir, { users: { s: { name: `sf-${uniq()}`, description: "x", tokens: { t: "t" } } } });
    const before = await sb.stats();
    const r = await sb.popdock(
      ["apply", "--auto-approve", "--secrets-out", "/nonexistent-dir/tok.json"],
      dir,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "error POPDOCK_USAGE: --secrets-out /nonexistent-dir/tok.json: the directory /nonexistent-dir does not exist; nothing was planned or sent",
    );
    expect((await sb.stats()).total).toBe(before.total);
  });
});

describe("a plan that would destroy everything", () => {
  async function appliedProject(key = "s") {
    const dir = await project();
    const name = `sf-all-${uniq()}`;
    await writeConfig(dir, { users: { [key]: { name, description: "x", tokens: { t: "t" } } } });
    await sb.run(dir, ["apply", "--auto-approve"]);
    return { dir, name };
  }

  it.each([
    ["an empty file", ""],
    ["whitespace only", "  \n\n"],
    ["a comment only", "# nothing here\n"],
    ["a lone document marker", "---\n"],
  ])("is refused when the configuration is %s, with what to do instead", async (_what, text) => {
    const { dir } = await appliedProject();
    await writeFile(join(dir, "popdock.yaml"), text);
    const before = await sb.stats();
    const r = await sb.popdock(["apply", "--auto-approve", "--no-color"], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "error PLAN_EMPTY_CONFIG: the configuration declares no API users, but workspace default (.popdock/state.json) manages 2 objects: this plan would destroy all of them",
    );
    expect(r.stderr).toContain("run `popdock destroy`");
    expect(mutations(statsDiff(before, await sb.stats()))).toEqual({});
  });

  it("renaming every key (another configuration or variables) is refused too; --allow-destroy-all goes ahead", async () => {
    const { dir, name } = await appliedProject("old");
    await writeConfig(dir, { users: { renamed: { name: `${name}-new`, description: "x" } } });
    const refused = await sb.popdock(["plan"], dir);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      "error PLAN_DESTROYS_ALL: this plan destroys all 2 objects in workspace default (.popdock/state.json) and creates 1 new: did you mean another workspace",
    );
    await sb.run(dir, ["apply", "--auto-approve", "--allow-destroy-all"]);
    await sb.run(dir, ["plan", "--detailed-exitcode"], 0);
  });

  it("an explicit `api_users: {}` means empty on purpose; destroy always works", async () => {
    const { dir } = await appliedProject();
    await writeFile(join(dir, "popdock.yaml"), "api_users: {}\n");
    const r = await sb.run(dir, ["plan", "--no-color"]);
    expect(r.stdout).toContain("Plan: 0 to add, 0 to change, 2 to destroy.");
    const other = await appliedProject();
    const unattended = await sb.run(other.dir, ["destroy"], 1);
    expect(unattended.stderr).toContain("destroy needs confirmation, and this run is not interactive");
    const destroyed = await sb.run(other.dir, ["destroy", "--auto-approve", "--no-color"]);
    expect(destroyed.stdout).toContain("Destroy complete! Resources: 2 destroyed.");
    expect(destroyed.stdout).not.toContain("Apply complete");
  });
});
