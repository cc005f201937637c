import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliIO } from "./io.js";
import { checkSecretsDestination, checkSecretsNames, envName } from "./secrets.js";

describe("secrets files", () => {
  it("names dotenv variables after outputs", () => {
    expect(envName("reporting_bot.powerbi")).toBe("REPORTING_BOT_POWERBI");
    expect(envName("ci-prod")).toBe("CI_PROD");
  });

  it("refuses outputs that would collide as dotenv variables, and allows them in JSON", () => {
    expect(() => checkSecretsNames("t.env", ["b.ci-prod", "b.ci_prod"])).toThrow(
      'outputs "b.ci-prod" and "b.ci_prod" would both be B_CI_PROD in t.env',
    );
    expect(() => checkSecretsNames("t.json", ["b.ci-prod", "b.ci_prod"])).not.toThrow();
    expect(() => checkSecretsNames("t.env", ["a.x", "b.x"])).not.toThrow();
  });
});

describe("checkSecretsDestination", () => {
  let dir: string;
  const io = () => ({ cwd: dir }) as CliIO;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "popdock-secrets-"));
    await mkdir(join(dir, "ro"));
    await mkdir(join(dir, "sub"));
    await writeFile(join(dir, "file"), "");
    await symlink("/etc/passwd", join(dir, "link.json"));
  });
  afterAll(async () => {
    await chmod(join(dir, "ro"), 0o755).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it("accepts a new or existing regular file in a writable directory", async () => {
    await expect(checkSecretsDestination(io(), "tokens.json")).resolves.toBeUndefined();
    await expect(checkSecretsDestination(io(), "file")).resolves.toBeUndefined();
  });

  it.each([
    [
      "/nonexistent-dir/tok.json",
      "--secrets-out /nonexistent-dir/tok.json: the directory /nonexistent-dir does not exist; nothing was planned or sent",
    ],
    ["file/tok.json", "is not a directory"],
    ["link.json", "--secrets-out link.json: it is a symbolic link; nothing was planned or sent"],
    ["sub", "--secrets-out sub: it is a directory"],
  ])("refuses %s", async (path, message) => {
    await expect(checkSecretsDestination(io(), path)).rejects.toThrow(message);
  });

  it.skipIf(process.getuid?.() === 0)("refuses a directory it cannot write to", async () => {
    await chmod(join(dir, "ro"), 0o555);
    await expect(checkSecretsDestination(io(), "ro/t.json")).rejects.toThrow("is not writable");
  });
});
