/**
 * The one wrapper every end-to-end test under test/e2e/ uses around a `popdock sandbox` child
 * process (test/helpers/sandbox-process.ts): `useSandbox()` starts it for a test file and stops
 * it afterwards; its hooks (`/__sandbox/stats`, `/faults`, `/reset`), direct API calls (to play
 * "someone edited it in the Popdock UI") and an inventory of what Popdock holds; the real CLI
 * pointed at it; stats diffs; a popdock.yaml generator; temporary project directories; and
 * readers for the files a run leaves in its working directory. Needs a build (`npm run build`).
 *
 * `popdock`/`run`/`counting` run the built CLI in-process (`runCliInProcess`: same `runMain`,
 * argv, environment and cwd as `node bin/popdock.js`, without a Node start-up per command);
 * `spawn` and `popdockProcess` always start a child process, for what only a process can show
 * (signals, kill -9, a lock held by another process). `useSandbox({ cli: "process" })` makes a
 * whole file use child processes.
 *
 * Everything here talks to the sandbox over HTTP with global fetch, never through popdock's own
 * client: the tests judge the CLI by what really exists in Popdock.
 */
import { randomBytes } from "node:crypto";
import { rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import { stringify } from "yaml";
import { LocalBackend } from "../../provider/backends/file/index.js";
import type { SandboxFaultsInput, SandboxStats } from "../../schema/api.js";
import type { StateFile } from "../../schema/state.js";
import { type CliResult, expectExit, runCli, runCliInProcess, spawnCli, workdir } from "./cli.js";
import { type SandboxProcess, startSandboxProcess } from "./sandbox-process.js";

export const API = "/api/v1/security";

/** A parsed JSON body, typed loosely for assertions. */
// biome-ignore lint/suspicious/noExplicitAny: test convenience for reading JSON bodies
export type Json = any;

export interface ApiReply<T = Json> {
  status: number;
  body: T;
}

/** What Popdock holds, read with one `GET /api-users?expand=grants,tokens&limit=500`. */
export interface Inventory {
  users: { id: string; name: string; grants: { id: string }[]; tokens: { id: string; name: string }[] }[];
  userCount: number;
  grantCount: number;
  tokenCount: number;
}

/** Requests per route, as `statsDiff` returns them. */
export type Requests = Record<string, number>;

/** How `popdock`, `run` and `counting` run the CLI: in this process, or as a child process. */
export type CliMode = "in-process" | "process";

/** A `popdock sandbox --port 0` child process; `start()` (or `useSandbox()`) starts it. */
export class E2ESandbox {
  #proc: SandboxProcess | undefined;

  constructor(readonly cli: CliMode = "in-process") {}

  /** Starts the process with a random API key (so that the key itself can be a canary). */
  async start(): Promise<this> {
    this.#proc = await startSandboxProcess({ apiKey: `e2e-${randomBytes(12).toString("hex")}` });
    return this;
  }

  get proc(): SandboxProcess {
    if (!this.#proc) throw new Error("the sandbox is not running (useSandbox() starts it in beforeAll)");
    return this.#proc;
  }

  get url(): string {
    return this.proc.url;
  }

  get apiKey(): string {
    return this.proc.apiKey;
  }

  /** POPDOCK_ENDPOINT and POPDOCK_API_KEY for a CLI run against this sandbox, plus `extra`. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return { POPDOCK_ENDPOINT: this.url, POPDOCK_API_KEY: this.apiKey, ...extra };
  }

  /** One request to the sandbox with the admin key; `path` is from the root (`/__sandbox/...`). */
  async request<T = Json>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiReply<T>> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.apiKey}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text === "" ? undefined : JSON.parse(text)) as T };
  }

  /** One request to the API with the admin key; `path` is under /api/v1/security. */
  api<T = Json>(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<ApiReply<T>> {
    return this.request<T>(method, `${API}${path}`, body, headers);
  }

  async stats(): Promise<SandboxStats> {
    return expectStatus(
      await this.request<SandboxStats>("GET", "/__sandbox/stats"),
      200,
      "GET /__sandbox/stats",
    );
  }

  /** Replaces every fault setting (omitted ones fall back to their defaults: no faults). */
  async setFaults(faults: SandboxFaultsInput): Promise<void> {
    expectStatus(await this.request("PUT", "/__sandbox/faults", faults), 200, "PUT /__sandbox/faults");
  }

  /** Zeroes the request counters only. */
  async resetStats(): Promise<void> {
    expectStatus(await this.request("POST", "/__sandbox/reset"), 204, "POST /__sandbox/reset");
  }

  /** Empties the data, zeroes the stats and turns every fault off. */
  async reset(): Promise<void> {
    expectStatus(await this.request("POST", "/__sandbox/reset?data=true"), 204, "POST /__sandbox/reset");
    await this.setFaults({});
  }

  async inventory(): Promise<Inventory> {
    const r = await this.api<{ data: Inventory["users"]; next_cursor: string | null }>(
      "GET",
      "/api-users?expand=grants,tokens&limit=500",
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
        const r = await this.api<{ token_id: string }>("GET", `/api-users/${u.id}/tokens/${t.id}`);
        expect(r.status).toBe(200);
        expect(r.body.token_id.length).toBeGreaterThan(8);
        out.push(r.body.token_id);
      }
    }
    return out;
  }

  /** The real CLI in `cwd` against this sandbox (in-process unless the file chose processes); `extra` adds to the environment. */
  popdock(args: readonly string[], cwd: string, extra: Record<string, string | undefined> = {}) {
    const opts = { cwd, env: { ...this.env(), ...extra } };
    return this.cli === "process" ? runCli(args, opts) : runCliInProcess(args, opts);
  }

  /** The real CLI as a child process, whatever the file's mode (another lock holder, signals). */
  popdockProcess(args: readonly string[], cwd: string, extra: Record<string, string | undefined> = {}) {
    return runCli(args, { cwd, env: { ...this.env(), ...extra } });
  }

  /** Same, without waiting: the child process and its `output` promise. */
  spawn(args: readonly string[], cwd: string, extra: Record<string, string | undefined> = {}) {
    return spawnCli(args, { cwd, env: { ...this.env(), ...extra } });
  }

  /** Runs the CLI in `dir` and fails with its output when the exit code is not `code`. */
  async run(dir: string, args: readonly string[], code = 0, context = ""): Promise<CliResult> {
    return expectExit(await this.popdock(args, dir), code, context);
  }

  /**
   * `run`, returning the result with the requests Popdock received meanwhile: all of them per
   * route, and only the mutating ones (`sent`).
   */
  async counting(
    dir: string,
    args: readonly string[],
    code = 0,
    context = "",
  ): Promise<{ r: CliResult; requests: Requests; sent: Requests }> {
    const before = await this.stats();
    const r = await this.run(dir, args, code, context);
    const requests = statsDiff(before, await this.stats());
    return { r, requests, sent: mutations(requests) };
  }

  /** Stops the process (when it was started). */
  async stop(): Promise<void> {
    await this.#proc?.stop();
  }
}

function expectStatus<T>(r: ApiReply<T>, status: number, what: string): T {
  if (r.status !== status) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Directories `project()` made in this test file, removed after it by `useSandbox()`. */
const made: string[] = [];

/**
 * The sandbox of a test file, for its top level: started in `beforeAll`, stopped in `afterAll`
 * (which also removes the file's `project()` directories). Use it inside hooks and tests.
 */
export function useSandbox(options: { cli?: CliMode } = {}): E2ESandbox {
  const sandbox = new E2ESandbox(options.cli);
  beforeAll(async () => {
    await sandbox.start();
  });
  afterAll(async () => {
    await sandbox.stop();
    await Promise.all(made.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });
  return sandbox;
}

// ------------------------------------------------------------------ stats

function countsDiff(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, n] of Object.entries(after)) {
    const d = n - (before[key] ?? 0);
    if (d !== 0) out[key] = d;
  }
  return out;
}

/** Requests per route between two stats snapshots (routes with no new request left out). */
export function statsDiff(before: SandboxStats, after: SandboxStats): Requests {
  return countsDiff(before.by_route, after.by_route);
}

/** Only the mutating routes (anything but GET) of a stats diff. */
export function mutations(diff: Requests): Requests {
  return Object.fromEntries(Object.entries(diff).filter(([route]) => !route.startsWith("GET ")));
}

/** Status codes answered between two stats snapshots. */
export function statusDiff(before: SandboxStats, after: SandboxStats): Record<string, number> {
  return countsDiff(before.by_status, after.by_status);
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
  createUser: `POST ${API}/api-users`,
  createGrant: `POST ${API}/api-users/{userId}/grants`,
  createToken: `POST ${API}/api-users/{userId}/tokens`,
  deleteUser: `DELETE ${API}/api-users/{userId}`,
} as const;

/** A short random suffix for names that must not collide between tests sharing a sandbox. */
export function uniq(): string {
  return randomBytes(4).toString("hex");
}

// ------------------------------------------------------------------ configuration

export interface ModelGrant {
  team?: string;
  role?: string;
  connector?: string;
  roles?: string[];
  companies?: string[];
  lists?: string[];
  actions?: string[];
  details?: string[];
}

export interface ModelUser {
  name: string;
  description?: string;
  grants?: ModelGrant[];
  /** Token key → token name. */
  tokens?: Record<string, string>;
}

export interface ModelConfig {
  users: Record<string, ModelUser>;
  outputs?: Record<string, { value: string; sensitive?: boolean; description?: string }>;
}

/** popdock.yaml text for a model. */
export function toYaml(model: ModelConfig): string {
  const api_users: Record<string, unknown> = {};
  for (const [key, u] of Object.entries(model.users)) {
    api_users[key] = {
      name: u.name,
      ...(u.description !== undefined ? { description: u.description } : {}),
      ...(u.grants && u.grants.length > 0 ? { grants: u.grants } : {}),
      ...(u.tokens && Object.keys(u.tokens).length > 0
        ? { tokens: Object.fromEntries(Object.entries(u.tokens).map(([k, name]) => [k, { name }])) }
        : {}),
    };
  }
  return stringify({ api_users, ...(model.outputs ? { outputs: model.outputs } : {}) });
}

/** Writes `dir`/popdock.yaml for a model; returns the YAML text. */
export async function writeConfig(dir: string, model: ModelConfig): Promise<string> {
  const yaml = toYaml(model);
  await writeFile(join(dir, "popdock.yaml"), yaml);
  return yaml;
}

// ------------------------------------------------------------------ files a run leaves

/** A fresh working directory (see `workdir`), removed after the test file by `useSandbox()`. */
export async function project(files: Record<string, string> = {}): Promise<string> {
  const dir = await workdir(files);
  made.push(dir);
  return dir;
}

/** `.popdock/state.json` of a workdir whose config is `popdock.yaml`. */
export function statePath(dir: string): string {
  return join(dir, ".popdock", "state.json");
}

export function lockPath(dir: string): string {
  return `${statePath(dir)}.lock`;
}

/**
 * Reads and validates the state with popdock's own local backend: the snapshot with its journal
 * replayed (throws when it is not valid, or when there is none).
 */
export async function readState(dir: string): Promise<StateFile> {
  const path = statePath(dir);
  const state = await new LocalBackend({ path }).load();
  if (state === undefined) throw new Error(`no state at ${path}`);
  return state;
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** The id of a resource in state; throws naming what is there when it is missing. */
export async function stateId(dir: string, address: string): Promise<string> {
  const s = await readState(dir);
  const r = s.resources[address];
  if (!r) throw new Error(`${address} is not in state; state has ${Object.keys(s.resources).join(", ")}`);
  return r.id;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Polls `check` every 20 ms until it returns something other than undefined; throws after `ms`
 * naming `what` and, when given, `status()` (what was seen last, for the failure message).
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  ms = 10_000,
  status?: () => string | Promise<string>,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) {
      const seen = status ? `; last seen: ${await status()}` : "";
      throw new Error(`timed out after ${ms} ms waiting for ${what}${seen}`);
    }
    await sleep(20);
  }
}
