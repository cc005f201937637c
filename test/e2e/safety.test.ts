/**
 * Bad input is refused before anything reaches Popdock: the real CLI against a sandbox, checking
 * what the sandbox counted.
 */
import { describe, expect, it } from "vitest";
import { project, uniq, useSandbox, writeConfig } from "../helpers/e2e-sandbox.js";

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
