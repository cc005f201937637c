/**
 * `popdock sandbox` end to end: the real CLI in a child process (needs `npm run build`), and
 * argument errors through runMain in-process.
 */
import { writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { CliIO } from "../../provider/cli/io.js";
import { runMain } from "../../provider/cli/main.js";
import { UsageError } from "../../provider/model/errors.js";
import { startSandboxProcess } from "../helpers/sandbox-process.js";
import { tempDir } from "../helpers/tmp.js";
import type { Json } from "./call.js";

const get = (url: string, key?: string) =>
  fetch(url, key === undefined ? {} : { headers: { authorization: `Bearer ${key}` } });

function memoryIO(signal: AbortSignal, env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  let lineWritten = () => {};
  /** Resolves once stdout holds a whole line. */
  const firstLine = new Promise<void>((resolve) => {
    lineWritten = resolve;
  });
  const io: CliIO = {
    stdout: {
      write: (s: string) => {
        out.push(s);
        if (s.includes("\n")) lineWritten();
      },
    },
    stderr: { write: (s: string) => err.push(s) },
    env,
    cwd: process.cwd(),
    signal,
  };
  return { io, out: () => out.join(""), err: () => err.join(""), firstLine };
}

describe("popdock sandbox (child process)", () => {
  it("listens, serves the teams with the key, refuses without, and exits 0 on SIGTERM", async () => {
    const sb = await startSandboxProcess({ apiKey: "k" });
    try {
      expect(sb.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const ok = await get(`${sb.url}/api/v1/security/teams`, "k");
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as Json).data.map((t: Json) => t.name)).toEqual([
        "Finance",
        "Sales",
        "Operations",
        "IT",
      ]);
      const denied = await get(`${sb.url}/api/v1/security/teams`);
      expect(denied.status).toBe(401);
      expect(((await denied.json()) as Json).error.code).toBe("unauthorized");
      expect(sb.stdout()).not.toContain("api key:");
    } finally {
      expect(await sb.stop("SIGTERM")).toBe(0);
    }
  });

  it("generates and prints a key when none is given, and exits 0 on SIGINT", async () => {
    const sb = await startSandboxProcess({ apiKey: null });
    try {
      expect(sb.stdout()).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+\napi key: \S+\n$/);
      expect(sb.apiKey.length).toBeGreaterThan(16);
      expect((await get(`${sb.url}/api/v1/security/roles`, sb.apiKey)).status).toBe(200);
    } finally {
      expect(await sb.stop("SIGINT")).toBe(0);
    }
  });

  it("applies fault flags and a seed file", async () => {
    const dir = tempDir("popdock-cli-");
    const seed = join(dir, "seed.yaml");
    writeFileSync(seed, "teams: [{ id: t, name: Only, description: one }]\nroles: []\nconnectors: []\n");
    // 0.01 requests/s: one token, refilled after 100 s, so the second request is limited however
    // slowly the machine runs (with 1/s, a second between the two requests refilled it).
    const sb = await startSandboxProcess({ apiKey: "k", args: ["--seed", seed, "--rate-limit", "0.01"] });
    try {
      const first = await get(`${sb.url}/api/v1/security/teams`, "k");
      expect(((await first.json()) as Json).data).toEqual([{ id: "t", name: "Only", description: "one" }]);
      const second = await get(`${sb.url}/api/v1/security/teams`, "k");
      expect(second.status).toBe(429);
      expect(Number(second.headers.get("retry-after"))).toBeGreaterThan(90);
      const faults = await get(`${sb.url}/__sandbox/faults`, "k");
      expect(((await faults.json()) as Json).rate_limit_rps).toBe(0.01);
    } finally {
      expect(await sb.stop()).toBe(0);
    }
  });
});

describe("popdock sandbox --body-timeout (child process)", () => {
  it("answers 408 once a body has stopped arriving for that long", async () => {
    const sb = await startSandboxProcess({ apiKey: "k", args: ["--body-timeout", "100"] });
    try {
      const { port } = new URL(sb.url);
      const answer = await new Promise<string>((resolve, reject) => {
        let received = "";
        const socket = connect(Number(port), "127.0.0.1", () => {
          socket.write(
            "POST /api/v1/security/api-users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\n" +
              'Content-Type: application/json\r\nContent-Length: 50\r\n\r\n{"name":',
          );
        });
        socket.setEncoding("utf8").on("data", (c: string) => {
          received += c;
        });
        socket.on("close", () => resolve(received));
        socket.on("error", reject);
      });
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(answer).toContain("within 100 ms");
    } finally {
      expect(await sb.stop()).toBe(0);
    }
  });
});

describe("popdock sandbox (in-process)", () => {
  it("uses POPDOCK_SANDBOX_API_KEY and stops when the signal aborts", async () => {
    const ac = new AbortController();
    const { io, out, firstLine } = memoryIO(ac.signal, { POPDOCK_SANDBOX_API_KEY: "envkey" });
    const running = runMain(["sandbox", "--port", "0"], io);
    // Waits for the line itself (or for runMain to end early, which the expectations then show).
    await Promise.race([firstLine, running]);
    const url = /^listening on (\S+)\n/.exec(out())?.[1];
    expect(url).toBeDefined();
    expect(out()).not.toContain("api key");
    expect((await get(`${url}/api/v1/security/teams`, "envkey")).status).toBe(200);
    ac.abort();
    expect(await running).toBe(0);
  });

  it.each([
    [["--host", "0.0.0.0"], /non-loopback/],
    [["--port", "70000"], /--port must be/],
    [["--error-rate", "2"], /--error-rate must be/],
    [["--fail-after-commit-mode", "explode"], /500 or drop/],
    [["--seed", "/nonexistent/seed.yaml"], /cannot read seed file/],
    [["--api-key", ""], /must not be empty/],
    [["--body-timeout", "0"], /--body-timeout must be/],
    [["--clock", "tomorrow"], /--clock must be an ISO 8601 date-time/],
    [["--clock", "2026-12-03T11:00:00"], /--clock must be an ISO 8601 date-time/],
  ])("refuses %j as a usage error", async (args, message) => {
    const { io, err } = memoryIO(new AbortController().signal);
    expect(await runMain(["sandbox", ...args], io)).toBe(new UsageError("").exitCode);
    expect(err()).toMatch(message);
  });

  it("prints help", async () => {
    const { io, out } = memoryIO(new AbortController().signal);
    expect(await runMain(["sandbox", "--help"], io)).toBe(0);
    expect(out()).toContain("--fail-after-commit-mode");
    expect(out()).toContain("--clock <TIME>");
    expect(out()).toContain("/api/v2/user");
  });
});
