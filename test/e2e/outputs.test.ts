/**
 * Handing out token IDs and reaching Popdock safely, through the real CLI against a
 * `popdock sandbox` child process: `--secrets-out` files (dotenv and JSON, mode 0600),
 * GitHub Actions masking before any reveal, `popdock output` listing and JSON without secrets,
 * and the endpoint rules (none configured: a clear error, never the sandbox silently; plain http
 * only on loopback).
 */
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { expectExit, runCliInProcess as runCli } from "../helpers/cli.js";
import {
  exists,
  type ModelConfig,
  project,
  readState,
  stateId,
  statePath,
  toYaml,
  uniq,
  useSandbox,
  writeConfig,
} from "../helpers/e2e-sandbox.js";

const sb = useSandbox();

function model(name: string, tokens: Record<string, string>): ModelConfig {
  return {
    users: { o: { name, description: "outputs", tokens } },
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the YAML format's own reference syntax
    outputs: { user_id: { value: "${popdock_api_user.o.id}", description: "the API user" } },
  };
}

/** The Token ID Popdock holds for a token in state (the administrator's GET returns it). */
async function liveTokenId(dir: string, address: string): Promise<string> {
  const userId = await stateId(dir, "popdock_api_user.o");
  const r = await sb.api("GET", `/api-users/${userId}/tokens/${await stateId(dir, address)}`);
  expect(r.status).toBe(200);
  return r.body.token_id as string;
}

/** Files and streams a token ID must never reach. */
async function expectNowhere(dir: string, secret: string, streams: string[]): Promise<void> {
  for (const s of streams) expect(s).not.toContain(secret);
  expect(await readFile(statePath(dir), "utf8")).not.toContain(secret);
}

describe("--secrets-out", () => {
  it("writes new token IDs as dotenv (0600), then only the next run's new ones as JSON", async () => {
    const dir = await project();
    const name = `out-files-${uniq()}`;
    await writeConfig(dir, model(name, { a: "a", b: "b" }));

    const first = await sb.run(dir, [
      "apply",
      "--auto-approve",
      "--no-color",
      "--secrets-out",
      "secrets.env",
    ]);
    expect(first.stdout).toContain("Wrote 2 token IDs to secrets.env (mode 0600).");
    const a = await liveTokenId(dir, 'popdock_api_token.o["a"]');
    const b = await liveTokenId(dir, 'popdock_api_token.o["b"]');
    expect((await stat(join(dir, "secrets.env"))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(dir, "secrets.env"), "utf8")).toBe(`O_A=${a}\nO_B=${b}\n`);
    for (const s of [a, b]) await expectNowhere(dir, s, [first.stdout, first.stderr]);

    // An existing, world-readable file is tightened to 0600; only the new token is in it.
    await writeFile(join(dir, "s.json"), "{}\n", { mode: 0o644 });
    await writeConfig(dir, model(name, { a: "a", b: "b", c: "c" }));
    const second = await sb.run(dir, ["apply", "--auto-approve", "--no-color", "--secrets-out", "s.json"]);
    expect(second.stdout).toContain("Wrote 1 token ID to s.json (mode 0600).");
    const c = await liveTokenId(dir, 'popdock_api_token.o["c"]');
    expect((await stat(join(dir, "s.json"))).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(join(dir, "s.json"), "utf8"))).toEqual({ "o.c": c });
    await expectNowhere(dir, c, [second.stdout, second.stderr]);
  });
});

describe("GitHub Actions masking and popdock output", () => {
  it("masks every token ID before any line reveals it; listings and --json show no secret", async () => {
    const dir = await project();
    const name = `out-mask-${uniq()}`;
    await writeConfig(dir, model(name, { ci: "ci" }));
    const gha = { GITHUB_ACTIONS: "true" };

    const applied = await sb.popdock(
      ["apply", "--auto-approve", "--no-color", "--secrets-out", "ci.env"],
      dir,
      gha,
    );
    expectExit(applied, 0);
    const secret = await liveTokenId(dir, 'popdock_api_token.o["ci"]');
    expect(await readFile(join(dir, "ci.env"), "utf8")).toBe(`O_CI=${secret}\n`);
    expect(applied.stdout.split("\n")).toContain(`::add-mask::${secret}`);
    expectMaskedFirst(applied.stdout, secret);

    const raw = await sb.popdock(["output", "o.ci", "--raw"], dir, gha);
    expectExit(raw, 0);
    // --raw keeps stdout exactly the value (TOKEN=$(popdock output … --raw)); the mask goes to stderr.
    expect(raw.stdout).toBe(secret);
    expect(raw.stderr).toBe(`::add-mask::${secret}\n`);
    const quoted = await sb.popdock(["output", "o.ci"], dir, gha);
    expect(quoted.stdout).toBe(`::add-mask::${secret}\n"${secret}"\n`);
    expectMaskedFirst(quoted.stdout, secret);
    // Outside GitHub Actions there is no mask line.
    expect((await sb.popdock(["output", "o.ci", "--raw"], dir)).stdout).toBe(secret);

    const userId = await stateId(dir, "popdock_api_user.o");
    const listed = await sb.popdock(["output"], dir, gha);
    expectExit(listed, 0);
    expect(listed.stdout).toBe(`o.ci    = <sensitive>\nuser_id = "${userId}"\n`);

    const json = await sb.popdock(["output", "--json"], dir, gha);
    expectExit(json, 0);
    expect(JSON.parse(json.stdout)).toEqual({
      "o.ci": { sensitive: true },
      user_id: { sensitive: false, value: userId },
    });
    await expectNowhere(dir, secret, [listed.stdout, listed.stderr, json.stdout, json.stderr]);
    expect((await readState(dir)).outputs["o.ci"]).not.toHaveProperty("value");

    const missing = await sb.run(dir, ["output", "nope"], 1);
    expect(missing.stderr).toBe(
      'error POPDOCK_USAGE: no output named "nope" in state\n  outputs: o.ci, user_id\n',
    );
  });
});

/** The first line of `stdout` that shows `secret` is its `::add-mask::` line. */
function expectMaskedFirst(stdout: string, secret: string): void {
  const lines = stdout.split("\n");
  const first = lines.findIndex((l) => l.includes(secret));
  expect(first, "the token ID appears on stdout").toBeGreaterThanOrEqual(0);
  expect(lines[first]).toBe(`::add-mask::${secret}`);
}

describe("the endpoint", () => {
  it("none configured: a clear error naming POPDOCK_ENDPOINT and --endpoint local, and no sandbox started", async () => {
    const dir = await project({ "popdock.yaml": toYaml({ users: { n: { name: `out-noep-${uniq()}` } } }) });
    for (const args of [["plan"], ["apply", "--auto-approve"]]) {
      // The clean environment (cleanEnv) has no POPDOCK_* variable at all.
      const r = await runCli(args, { cwd: dir });
      expectExit(r, 1);
      expect(r.stderr).toContain("error POPDOCK_USAGE: no Popdock endpoint is configured");
      expect(r.stderr).toContain("set POPDOCK_ENDPOINT");
      expect(r.stderr).toContain("--endpoint local uses the embedded sandbox");
      expect(r.stdout).toBe("");
    }
    expect(await exists(join(dir, ".popdock", "sandbox"))).toBe(false);
    expect(await exists(statePath(dir))).toBe(false);
  });

  it("refuses plain http to a host that is not loopback, by flag or environment, before any request", async () => {
    const dir = await project({ "popdock.yaml": toYaml({ users: { h: { name: `out-http-${uniq()}` } } }) });
    const viaFlag = await runCli(["plan", "--endpoint", "http://192.0.2.10:8080"], {
      cwd: dir,
      env: { POPDOCK_API_KEY: "e2e-distinctive-api-key" },
    });
    expectExit(viaFlag, 1);
    expect(viaFlag.stderr).toContain(
      "error POPDOCK_INSECURE_ENDPOINT: refusing plain-http endpoint http://192.0.2.10:8080: the API key would travel unencrypted",
    );
    expect(viaFlag.stderr).toContain("use https://192.0.2.10:8080");
    expect(viaFlag.stderr).not.toContain("e2e-distinctive-api-key");

    const viaEnv = await runCli(["plan"], {
      cwd: dir,
      env: { POPDOCK_ENDPOINT: "http://popdock.example.com", POPDOCK_API_KEY: "k" },
    });
    expectExit(viaEnv, 1);
    expect(viaEnv.stderr).toContain(
      "error POPDOCK_INSECURE_ENDPOINT: refusing plain-http endpoint http://popdock.example.com",
    );
    expect(await exists(statePath(dir))).toBe(false);

    // Loopback over plain http is the sandbox's case and is allowed.
    await sb.run(dir, ["plan", "--detailed-exitcode"], 2);
  });
});
