/**
 * Saved plans are tamper-evident and never decide on their own where the API key goes: an edited
 * plan, a plan signed with another key, and a plan made against another endpoint are all refused
 * by `apply PLANFILE` before Popdock receives a single request.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { project, uniq, useSandbox, writeConfig } from "../helpers/e2e-sandbox.js";

const sb = useSandbox();

async function plannedProject(env: Record<string, string> = {}) {
  const dir = await project();
  const name = `pi-${uniq()}`;
  await writeConfig(dir, { users: { three: { name, description: "three" } } });
  // Terraform's spellings (-out=FILE, -no-color) are accepted as the long options.
  const r = await sb.popdock(["plan", "-out=p.json", "-no-color"], dir, env);
  expect(r.code, r.stderr).toBe(0);
  return { dir, name };
}

async function applyRefused(dir: string, env: Record<string, string | undefined>, message: string) {
  const before = await sb.stats();
  const r = await sb.popdock(["apply", "p.json", "--no-color"], dir, env);
  expect(r.code, r.stdout + r.stderr).toBe(1);
  expect(r.stderr).toContain(message);
  const after = await sb.stats();
  // Nothing at all reached Popdock: the check runs before the first request.
  expect(after.total - before.total).toBe(0);
  expect(after.by_route).toEqual(before.by_route);
}

describe("saved plan integrity", () => {
  it("an edited plan is refused; the untouched one applies", async () => {
    const { dir } = await plannedProject();
    const file = join(dir, "p.json");
    const original = await readFile(file, "utf8");
    await writeFile(file, original.replace('"three"', '"HACKED"'));
    await applyRefused(
      dir,
      {},
      "error POPDOCK_PLAN_TAMPERED: p.json was modified after `popdock plan` wrote it",
    );
    await writeFile(file, original);
    const ok = await sb.popdock(["apply", "p.json"], dir);
    expect(ok.code, ok.stderr).toBe(0);
  });

  it("with POPDOCK_PLAN_SIGNING_KEY: only a plan signed with that key applies", async () => {
    const { dir: unsignedDir } = await plannedProject();
    await applyRefused(
      unsignedDir,
      { POPDOCK_PLAN_SIGNING_KEY: "k1" },
      "p.json is not signed, but POPDOCK_PLAN_SIGNING_KEY is set",
    );

    const { dir } = await plannedProject({ POPDOCK_PLAN_SIGNING_KEY: "k1" });
    await applyRefused(dir, { POPDOCK_PLAN_SIGNING_KEY: "k2" }, "p.json is signed with another key");
    await applyRefused(dir, {}, "p.json is signed, but POPDOCK_PLAN_SIGNING_KEY is not set");
    const ok = await sb.popdock(["apply", "p.json"], dir, { POPDOCK_PLAN_SIGNING_KEY: "k1" });
    expect(ok.code, ok.stderr).toBe(0);
  });

  it("a plan made against another endpoint is refused, and so is one with no endpoint configured here", async () => {
    const { dir } = await plannedProject();
    await applyRefused(
      dir,
      { POPDOCK_ENDPOINT: "https://elsewhere.example.com" },
      `the saved plan p.json was made against ${sb.url}, but the endpoint configured here is https://elsewhere.example.com; nothing was sent`,
    );
    // A fresh directory (no state) and no endpoint configured: the plan alone decides nothing.
    const other = await project();
    await writeFile(join(other, "p.json"), await readFile(join(dir, "p.json")));
    const before = await sb.stats();
    const r = await sb.popdock(["apply", "p.json"], other, { POPDOCK_ENDPOINT: undefined });
    expect(r.code).toBe(1);
    expect((await sb.stats()).total).toBe(before.total);
    expect(r.stderr).toContain(
      `no Popdock endpoint is configured to apply p.json; it was made against ${sb.url}`,
    );
  });
});
