/**
 * Shared pieces of the end-to-end resilience tests (test/e2e/): a `popdock sandbox` child process
 * with its hooks (reset, faults, stats) and an inventory of what Popdock holds, a generated
 * fleet configuration, a watcher over a running CLI's stdout, and reading the state and lock
 * files the CLI leaves behind.
 *
 * Everything here talks to the sandbox over HTTP with global fetch, never through popdock's own
 * client: the tests judge the CLI by what really exists in Popdock.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "vitest";
import { parseState } from "../../provider/engine/state-store.js";
import type { SandboxStats } from "../../schema/api.js";
import type { StateFile } from "../../schema/state.js";
import { type CliResult, runCli, type spawnCli } from "./cli.js";
import { type SandboxProcess, startSandboxProcess } from "./sandbox-process.js";

const S = "/api/v1/security";

/** The faults `PUT /__sandbox/faults` takes; omitted ones go back to their defaults. */
export interface Faults {
  rate_limit_rps?: number;
  latency_ms?: number;
  error_rate?: number;
  fail_after_commit_rate?: number;
  fail_after_commit_mode?: "500" | "drop";
  seed?: number;
}

/** What Popdock holds, read with one `GET /api-users?expand=grants,tokens&limit=500`. */
export interface Inventory {
  users: { id: string; name: string; grants: { id: string }[]; tokens: { id: string; name: string }[] }[];
  userCount: number;
  grantCount: number;
  tokenCount: number;
}

export class Sandbox {
  constructor(readonly proc: SandboxProcess) {}

  get url(): string {
    return this.proc.url;
  }

  get apiKey(): string {
    return this.proc.apiKey;
  }

  /** The environment that points the CLI at this sandbox. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return { POPDOCK_ENDPOINT: this.url, POPDOCK_API_KEY: this.apiKey, ...extra };
  }

  async request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.apiKey}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text === "" ? undefined : JSON.parse(text)) as T };
  }

  /** Empties the data, zeroes the stats and turns every fault off. */
  async reset(): Promise<void> {
    expect((await this.request("POST", "/__sandbox/reset?data=true")).status).toBe(204);
    await this.setFaults({});
  }

  async setFaults(faults: Faults): Promise<void> {
    const r = await this.request("PUT", "/__sandbox/faults", faults);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  }

  async stats(): Promise<SandboxStats> {
    const r = await this.request<SandboxStats>("GET", "/__sandbox/stats");
    expect(r.status).toBe(200);
    return r.body;
  }

  async inventory(): Promise<Inventory> {
    const r = await this.request<{ data: Inventory["users"]; next_cursor: string | null }>(
      "GET",
      `${S}/api-users?expand=grants,tokens&limit=500`,
    );
    expect(r.status).toBe(200);
    expect(r.body.next_cursor).toBeNull();
    const users = r.body.data;
    return {
      users,
      userCount: users.length,
      grantCount: users.reduce((n, u) => n + u.grants.length, 0),
      tokenCount: users.reduce((n, u) => n + u.tokens.length, 0),
    };
  }

  /** The credential (`token_id`) of every token Popdock holds now, read with the admin GET. */
  async tokenIds(): Promise<string[]> {
    const inv = await this.inventory();
    const out: string[] = [];
    for (const u of inv.users) {
      for (const t of u.tokens) {
        const r = await this.request<{ token_id: string }>("GET", `${S}/api-users/${u.id}/tokens/${t.id}`);
        expect(r.status).toBe(200);
        expect(r.body.token_id.length).toBeGreaterThan(8);
        out.push(r.body.token_id);
      }
    }
    return out;
  }

  async stop(): Promise<void> {
    await this.proc.stop();
  }
}

/** Starts `popdock sandbox --port 0` with a random API key (so the key itself can be a canary). */
export async function startSandbox(): Promise<Sandbox> {
  return new Sandbox(await startSandboxProcess({ apiKey: `sbx-test-${randomBytes(12).toString("hex")}` }));
}

/** Requests the sandbox answered with `status`, all routes. */
export function statusCount(stats: SandboxStats, status: number): number {
  return stats.by_status[String(status)] ?? 0;
}

/** Requests the sandbox answered on `METHOD /route/template` (e.g. `POST /api/v1/security/api-users`). */
export function routeCount(stats: SandboxStats, route: string): number {
  return stats.by_route[route] ?? 0;
}

export const ROUTES = {
  createUser: `POST ${S}/api-users`,
  createGrant: `POST ${S}/api-users/{userId}/grants`,
  createToken: `POST ${S}/api-users/{userId}/tokens`,
  deleteUser: `DELETE ${S}/api-users/{userId}`,
} as const;

/**
 * `users` API users named `<prefix>-<i>`, each with a team grant, a system-role grant and one
 * token: `users * 4` resources, `users * 2` grants, `users` tokens.
 */
export function fleetYaml(users: number, prefix = "fleet"): string {
  const lines = ["api_users:"];
  for (let i = 0; i < users; i++) {
    lines.push(
      `  u${i}:`,
      `    name: ${prefix}-${i}`,
      `    description: e2e user ${i}`,
      "    grants:",
      "      - team: Finance",
      "      - role: Contributor",
      "    tokens:",
      `      t: { name: token-${i} }`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** Asserts Popdock holds exactly the fleet of `fleetYaml(users)`: no object missing, none twice. */
export async function expectFleet(sandbox: Sandbox, users: number, prefix = "fleet"): Promise<void> {
  const inv = await sandbox.inventory();
  expect(inv.users.map((u) => u.name).sort()).toEqual(
    Array.from({ length: users }, (_, i) => `${prefix}-${i}`).sort(),
  );
  expect({ users: inv.userCount, grants: inv.grantCount, tokens: inv.tokenCount }).toEqual({
    users,
    grants: users * 2,
    tokens: users,
  });
  for (const u of inv.users) {
    expect(u.grants, u.name).toHaveLength(2);
    expect(
      u.tokens.map((t) => t.name),
      u.name,
    ).toEqual([`token-${u.name.slice(prefix.length + 1)}`]);
  }
}

/** `.popdock/state.json` of a workdir whose config is `popdock.yaml`. */
export function statePath(dir: string): string {
  return join(dir, ".popdock", "state.json");
}

export function lockPath(dir: string): string {
  return `${statePath(dir)}.lock`;
}

/** Reads and validates the state file with popdock's own parser (throws when it is not valid). */
export async function readState(dir: string): Promise<StateFile> {
  const path = statePath(dir);
  return parseState(await readFile(path, "utf8"), path);
}

/** Asserts the state is valid, has no pending step and every entry points at an object in Popdock. */
export async function expectCleanState(dir: string, sandbox: Sandbox): Promise<StateFile> {
  const state = await readState(dir);
  expect(state.pending).toEqual([]);
  expect(state.deposed).toEqual([]);
  const inv = await sandbox.inventory();
  const live = new Set(
    inv.users.flatMap((u) => [u.id, ...u.grants.map((g) => g.id), ...u.tokens.map((t) => t.id)]),
  );
  for (const [address, r] of Object.entries(state.resources)) {
    if (r.type !== "null_resource") expect(live.has(r.id), `${address} → ${r.id}`).toBe(true);
  }
  return state;
}

/**
 * What popdock does when the previous holder of the state lock died (kill -9, a second Ctrl-C):
 * today the lock file stays, the next run fails with POPDOCK_STATE_LOCKED saying the holder is
 * gone, and the user clears it with `popdock force-unlock ID`. If popdock starts taking over a
 * dead holder's lock by itself, set this to "takeover": `clearDeadHolderLock` then checks that
 * the next apply simply proceeds.
 */
export const DEAD_HOLDER_LOCK: "force-unlock" | "takeover" = "force-unlock";

/**
 * Run after the holder of `dir`'s lock died: asserts the lock is there and that popdock explains
 * it, then removes it the way the user is told to. Returns the commands' results for messages.
 */
export async function clearDeadHolderLock(dir: string, env: Record<string, string>): Promise<CliResult[]> {
  expect(existsSync(lockPath(dir)), "the dead holder's lock file").toBe(true);
  if (DEAD_HOLDER_LOCK === "takeover") return [];
  const locked = await runCli(["apply", "--auto-approve"], { cwd: dir, env });
  expect(locked.code, locked.stderr).toBe(1);
  expect(locked.stderr).toContain("POPDOCK_STATE_LOCKED");
  expect(locked.stderr).toMatch(/process \d+ is no longer running/);
  const id = /`popdock force-unlock (\S+)`/.exec(locked.stderr)?.[1];
  expect(id, locked.stderr).toBeDefined();
  // Refused: nothing happened to Popdock or to the state.
  expect(locked.stdout).not.toMatch(/Creating…/);
  const unlocked = await runCli(["force-unlock", id as string], { cwd: dir, env });
  expect(unlocked.code, unlocked.stderr).toBe(0);
  expect(existsSync(lockPath(dir))).toBe(false);
  return [locked, unlocked];
}

/** Accumulates a child's stdout (or stderr) and waits for a condition on it. */
export function watchStream(stream: NodeJS.ReadableStream | null | undefined): {
  text(): string;
  waitFor(pred: (text: string) => boolean, timeoutMs: number, what: string): Promise<void>;
} {
  let text = "";
  const waiters = new Set<() => void>();
  stream?.on("data", (d: Buffer | string) => {
    text += typeof d === "string" ? d : d.toString("utf8");
    for (const w of [...waiters]) w();
  });
  stream?.on("end", () => {
    for (const w of [...waiters]) w();
  });
  return {
    text: () => text,
    waitFor(pred, timeoutMs, what) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (pred(text)) {
            done();
            resolve();
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; output so far:\n${text}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** Occurrences of `needle` in `text`. */
export function countOf(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

/** `address → id` of every `<address>: created in 0.1s [id=…]` line (replacements included). */
export function createdLines(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of stdout.matchAll(/^(\S+): (?:created|replacement created) in [\d.]+s \[id=(\S+)\]$/gm)) {
    out.set(m[1] as string, m[2] as string);
  }
  return out;
}

/**
 * The child's result once it exits, or — when it is still running after `ms` — a SIGKILL and an
 * error, so that a hang fails the test quickly instead of running into the test timeout.
 */
export async function exitWithin(
  child: ReturnType<typeof spawnCli>,
  ms: number,
  what: string,
): Promise<CliResult> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), ms);
  });
  const r = await Promise.race([child.output, late]);
  clearTimeout(timer);
  if (r !== "late") return r;
  child.kill("SIGKILL");
  const killed = await child.output;
  throw new Error(
    `${what}: still running after ${ms} ms; killed. stdout tail:\n${killed.stdout.slice(-1500)}\nstderr:\n${killed.stderr}`,
  );
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
