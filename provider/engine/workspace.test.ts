import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { endpointOf, locateConfig, statePathFor } from "./workspace.js";

describe("locateConfig", () => {
  it("defaults to ./popdock.yaml and puts state beside it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "popdock-ws-"));
    await writeFile(join(dir, "popdock.yaml"), "api_users: {}\n");
    const loc = await locateConfig([], dir);
    expect(loc).toEqual({ paths: [join(dir, "popdock.yaml")], baseDir: dir });
    expect(statePathFor(loc, undefined, dir)).toBe(join(dir, ".popdock", "state.json"));
    expect(statePathFor(loc, "s.json", dir)).toBe(join(dir, "s.json"));
  });

  it("takes the directory when it holds a cdktf.json and no popdock.yaml", async () => {
    const dir = await mkdtemp(join(tmpdir(), "popdock-ws-"));
    await writeFile(join(dir, "cdktf.json"), "{}");
    expect(await locateConfig([], dir)).toEqual({ paths: [dir], baseDir: dir });
  });

  it("says what to do when there is no configuration at all", async () => {
    const dir = await mkdtemp(join(tmpdir(), "popdock-ws-"));
    await expect(locateConfig([], dir)).rejects.toMatchObject({
      code: "POPDOCK_USAGE",
      message: `no configuration here: ${dir} has no popdock.yaml (nor a cdktf.json)`,
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
