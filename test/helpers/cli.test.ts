// The in-process runner stands in for a child process: it must give the CLI the same argv,
// environment and cwd, and also capture what is written around the CLI's IO object.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { runCliInProcess, workdir } from "./cli.js";

describe("runCliInProcess", () => {
  it("runs the built CLI with argv, the clean environment and cwd, and returns its exit code", async () => {
    const version = await runCliInProcess(["--version"], { cwd: process.cwd() });
    expect(version).toMatchObject({ code: 0, signal: null, stderr: "" });
    expect(version.stdout).toMatch(/^popdock-iac \d+\.\d+\.\d+/);

    const dir = await workdir({ "popdock.yaml": "api_users:\n  u:\n    name: x\n" });
    const ok = await runCliInProcess(["validate"], { cwd: dir });
    expect(ok.code, ok.stderr).toBe(0);
    const none = await runCliInProcess(["plan"], { cwd: dir, env: { POPDOCK_ENDPOINT: undefined } });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("no Popdock endpoint is configured");
  });

  it("captures bytes written straight to process.stdout and process.stderr during the run", async () => {
    const dir = await workdir({ "popdock.yaml": "api_users: {}\n" });
    // A Popdock stand-in in this process that writes around the CLI's IO object while the
    // CLI waits for it, then refuses the key (the plan fails fast).
    const server = createServer((_req, res) => {
      process.stdout.write("stray-out\n");
      process.stderr.write("stray-err\n");
      res.writeHead(401, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "unauthorized", message: "bad key" } }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const real = { out: process.stdout.write, err: process.stderr.write };
    // Keep the markers off the test's own output: the runner wraps these silent writers.
    const silentOut = (() => true) as typeof process.stdout.write;
    const silentErr = (() => true) as typeof process.stderr.write;
    process.stdout.write = silentOut;
    process.stderr.write = silentErr;
    try {
      const { port } = server.address() as AddressInfo;
      const r = await runCliInProcess(["plan"], {
        cwd: dir,
        env: { POPDOCK_ENDPOINT: `http://127.0.0.1:${port}`, POPDOCK_API_KEY: "k" },
      });
      expect(r.code).toBe(1);
      expect(r.stdout).toContain("stray-out\n");
      expect(r.stderr).toContain("stray-err\n");
      // Restored once the run is over.
      expect(process.stdout.write).toBe(silentOut);
      expect(process.stderr.write).toBe(silentErr);
    } finally {
      process.stdout.write = real.out;
      process.stderr.write = real.err;
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
