import { cpSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import {
  endpointOf,
  loadConfig,
  locateConfig,
  openBackend,
  openBackendByIdentity,
  resolveWorkspace,
  statePathFor,
} from "./wiring.js";

const fixtures = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "test", "fixtures");

const made: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "popdock-ws-"));
  made.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(made.map((d) => rm(d, { recursive: true, force: true })));
});

describe("locateConfig", () => {
  it("defaults to ./popdock.yaml and puts state beside it", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, "popdock.yaml"), "api_users: {}\n");
    const loc = await locateConfig([], dir);
    expect(loc).toEqual({ paths: [join(dir, "popdock.yaml")], baseDir: dir });
    expect(statePathFor(loc, undefined, dir)).toBe(join(dir, ".popdock", "state.json"));
    expect(statePathFor(loc, "s.json", dir)).toBe(join(dir, "s.json"));
  });

  it("takes the directory when it holds a cdktf.json and no popdock.yaml", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, "cdktf.json"), "{}");
    expect(await locateConfig([], dir)).toEqual({ paths: [dir], baseDir: dir });
  });

  it("takes the directory when it holds *.tf.json files and no popdock.yaml", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, "main.tf.json"), "{}");
    expect(await locateConfig([], dir)).toEqual({ paths: [dir], baseDir: dir });
  });

  it("says what to do when there is no configuration at all", async () => {
    const dir = await tempDir();
    await expect(locateConfig([], dir)).rejects.toMatchObject({
      code: "POPDOCK_USAGE",
      message: `no configuration here: ${dir} has no popdock.yaml (nor a cdktf.json or *.tf.json file)`,
      hint: expect.stringContaining("-c FILE"),
    });
  });
});

describe("endpointOf", () => {
  it("prefers the flag, then POPDOCK_ENDPOINT, then provider.endpoint, and never defaults", () => {
    const config = { provider: { endpoint: "https://cfg.example/" } } as never;
    expect(endpointOf({ flag: "local", env: { POPDOCK_ENDPOINT: "https://env.example" }, config })).toBe(
      "local",
    );
    expect(endpointOf({ env: { POPDOCK_ENDPOINT: "https://env.example/" }, config })).toBe(
      "https://env.example",
    );
    expect(endpointOf({ env: {}, config })).toBe("https://cfg.example");
    expect(() => endpointOf({ env: {} })).toThrow(/no Popdock endpoint is configured/);
  });
});

describe("loadConfig picks the frontend loadTerraformConfig would read", () => {
  /** A copy of the fixture directories `tf-json/<name>` and `yaml-valid`, to point -c into. */
  async function workdir(): Promise<string> {
    const dir = await tempDir();
    for (const name of ["valid-cdktf-outdir", "valid-users-grants-tokens", "valid-cdktf-app"])
      cpSync(join(fixtures, "tf-json", name), join(dir, name), { recursive: true });
    cpSync(join(fixtures, "yaml-valid", "minimal.yaml"), join(dir, "popdock.yaml"));
    return dir;
  }

  async function load(dir: string, given: string[], extra: { stack?: string; signal?: AbortSignal } = {}) {
    const location = await locateConfig(given, dir);
    return loadConfig({ location, cwd: dir, vars: {}, env: { PATH: process.env.PATH }, ...extra });
  }

  it.each([
    ["a CDKTF output directory", ["valid-cdktf-outdir"], "valid-cdktf-outdir/stacks/popdock/cdk.tf.json"],
    [
      "its manifest.json",
      ["valid-cdktf-outdir/manifest.json"],
      "valid-cdktf-outdir/stacks/popdock/cdk.tf.json",
    ],
    [
      "a stack directory of it",
      ["valid-cdktf-outdir/stacks/popdock"],
      "valid-cdktf-outdir/stacks/popdock/cdk.tf.json",
    ],
    [
      "a synthesized cdk.tf.json",
      ["valid-cdktf-outdir/stacks/popdock/cdk.tf.json"],
      "valid-cdktf-outdir/stacks/popdock/cdk.tf.json",
    ],
    [
      "a directory of *.tf.json files",
      ["valid-users-grants-tokens"],
      "valid-users-grants-tokens/main.tf.json",
    ],
    ["a path to cdktf.json", ["valid-cdktf-app/cdktf.json"], "valid-cdktf-app/cdktf.json"],
    ["a CDKTF app directory", ["valid-cdktf-app"], "valid-cdktf-app/cdktf.json"],
    ["a YAML file", ["popdock.yaml"], "popdock.yaml"],
  ])("%s", async (_name, given, file) => {
    const dir = await workdir();
    const r = await load(dir, given, { stack: "popdock" });
    // (The CDKTF output fixture carries an annotation warning.)
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(r.config?.files).toEqual([file]);
  });

  it("refuses a directory holding both formats, and YAML paths beside Terraform JSON ones", async () => {
    const dir = await workdir();
    cpSync(join(dir, "popdock.yaml"), join(dir, "valid-users-grants-tokens", "popdock.yaml"));
    const mixedDir = await load(dir, ["valid-users-grants-tokens"]);
    expect(mixedDir.config).toBeUndefined();
    expect(mixedDir.diagnostics).toEqual([
      expect.objectContaining({
        code: "CONFIG_MIXED_FORMATS",
        severity: "error",
        message: "directory holds both Terraform JSON (main.tf.json) and YAML (popdock.yaml) configuration",
      }),
    ]);
    const mixedPaths = await load(dir, ["popdock.yaml", "valid-cdktf-outdir"]);
    expect(mixedPaths.diagnostics.map((d) => [d.code, d.message])).toEqual([
      [
        "CONFIG_MIXED_FORMATS",
        "cannot combine YAML (popdock.yaml) and Terraform JSON (valid-cdktf-outdir) configuration",
      ],
    ]);
  });

  it("passes the abort signal to the CDKTF synth runner", async () => {
    const dir = await workdir();
    const r = await load(dir, ["valid-cdktf-app"], { signal: AbortSignal.abort() });
    expect(r.config).toBeUndefined();
    expect(r.diagnostics.map((d) => d.code)).toEqual(["CDKTF_SYNTH_ABORTED"]);
  });
});

describe("connect", () => {
  it("trims a pasted API key, and refuses one with a control character inside", async () => {
    const { createSandbox } = await import("../sandbox/index.js");
    const sandbox = createSandbox({ apiKey: "secretkey123" });
    const server = await sandbox.listen({ port: 0 });
    try {
      const { connect } = await import("./wiring.js");
      const base = { flag: server.url, baseDir: tmpdir(), cwd: tmpdir() };
      const conn = await connect({ ...base, env: { POPDOCK_API_KEY: "secretkey123\n" } });
      try {
        expect((await conn.api.listTeams()).map((t) => t.name)).toContain("Finance");
      } finally {
        await conn.close();
      }
      await expect(connect({ ...base, env: { POPDOCK_API_KEY: "secret\nkey123" } })).rejects.toMatchObject({
        code: "POPDOCK_USAGE",
        message: expect.stringContaining("control character"),
      });
    } finally {
      await server.close();
    }
  });
});

describe("state backends and workspaces", () => {
  it("resolveWorkspace: --workspace, then POPDOCK_WORKSPACE, then .popdock/environment, then default", async () => {
    const dir = await tempDir();
    expect(await resolveWorkspace(undefined, {}, dir)).toBe("default");
    await mkdir(join(dir, ".popdock"));
    await writeFile(join(dir, ".popdock", "environment"), "staging\n");
    expect(await resolveWorkspace(undefined, {}, dir)).toBe("staging");
    expect(await resolveWorkspace(undefined, { POPDOCK_WORKSPACE: "prod" }, dir)).toBe("prod");
    expect(await resolveWorkspace("qa", { POPDOCK_WORKSPACE: "prod" }, dir)).toBe("qa");
    await expect(resolveWorkspace("a/b", {}, dir)).rejects.toThrow('"a/b" is not a workspace name');
  });

  it("openBackend: local by default beside the configuration; pg opens without connecting", async () => {
    const dir = await tempDir();
    const local = await openBackend({ config: { kind: "local" }, baseDir: dir, workspace: "prod", cwd: dir });
    expect(local.identity()).toEqual({
      kind: "local",
      location: join(dir, ".popdock", "state.json"),
      workspace: "prod",
    });
    expect(local.describe()).toBe(join(".popdock", "workspaces", "prod", "state.json"));
    const again = await openBackendByIdentity(local.identity(), await tempDir());
    expect(again.describe()).toBe(join(dir, ".popdock", "workspaces", "prod", "state.json"));
    // pg connects lazily: opening it touches no server, and its identity has no password
    const pg = await openBackend({
      config: { kind: "pg", connStr: "postgres://ci:s3cret@db.example:5432/ops", schemaName: "team_a" },
      baseDir: dir,
      workspace: "default",
      cwd: dir,
    });
    expect(pg.identity()).toEqual({
      kind: "pg",
      location: "postgres://ci@db.example:5432/ops?schema=team_a",
      workspace: "default",
    });
    await pg.close();
  });
});
