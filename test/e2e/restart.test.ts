/**
 * Popdock restarts in the middle of an apply: the sandbox process is killed with -9 and started
 * again on the same port with the same data directory. The client retries refused connections
 * for a bounded time (POPDOCK_CONNECT_RETRY_SECONDS, 30 s by default), so the apply rides over
 * the restart and ends with exactly the declared objects; a create that was in flight either
 * reached the store (and its Idempotency-Key replays it) or did not (and is made once now).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { expectExit, runCli, spawnCli, workdir } from "../helpers/cli.js";
import { fleetYaml } from "../helpers/resilience.js";
import { type SandboxProcess, startSandboxProcess } from "../helpers/sandbox-process.js";

const USERS = 8;
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function sandboxOn(dataDir: string, port: number): Promise<SandboxProcess> {
  const sb = await startSandboxProcess({ args: ["--data", dataDir, "--port", String(port)] });
  cleanup.push(() => sb.stop("SIGKILL"));
  return sb;
}

async function api(sb: SandboxProcess, method: string, path: string, body?: unknown) {
  const res = await fetch(`${sb.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${sb.apiKey}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return (await res.json()) as { data?: { name: string; grants?: unknown[]; tokens?: unknown[] }[] };
}

describe("Popdock restarts during an apply", () => {
  it("the apply waits for it to come back and converges exactly", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "popdock-restart-"));
    cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
    const first = await sandboxOn(dataDir, 0);
    const port = Number(new URL(first.url).port);
    // Slow enough that the apply is still running when Popdock goes away.
    await fetch(`${first.url}/__sandbox/faults`, {
      method: "PUT",
      headers: { authorization: `Bearer ${first.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ latency_ms: 150 }),
    });
    const dir = await workdir({ "popdock.yaml": fleetYaml(USERS, "restart") });
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const env = { POPDOCK_ENDPOINT: first.url, POPDOCK_API_KEY: first.apiKey };

    const apply = spawnCli(["apply", "--auto-approve", "--parallelism", "4"], { cwd: dir, env });
    let out = "";
    apply.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
    });
    await expect
      .poll(() => (out.match(/ created in /g) ?? []).length, { timeout: 30_000, interval: 50 })
      .toBeGreaterThanOrEqual(3);
    await first.stop("SIGKILL");
    // Back on the same port, from the same data, without the latency.
    const second = await sandboxOn(dataDir, port);

    const done = await apply.output;
    expectExit(done, 0, "the apply rides over the restart");
    expect(done.stdout).toContain("Apply complete!");

    const plan = await runCli(["plan", "--detailed-exitcode"], { cwd: dir, env });
    expectExit(plan, 0, "nothing left to do");
    // Exactly the declared objects: none lost with the first process, none made twice.
    const users =
      (await api(second, "GET", "/api/v1/security/api-users?limit=500&expand=grants,tokens")).data ?? [];
    expect(users.map((u) => u.name).sort()).toEqual(
      Array.from({ length: USERS }, (_, i) => `restart-${i}`).sort(),
    );
    expect(users.flatMap((u) => u.grants ?? [])).toHaveLength(USERS * 2);
    expect(users.flatMap((u) => u.tokens ?? [])).toHaveLength(USERS);
  });
});
