/**
 * What the end-to-end tests under test/e2e/ (lifecycle, convergence, review, locking, outputs)
 * share: a `popdock sandbox` child process with its hooks (`/__sandbox/stats`, `/faults`,
 * `/reset`) and direct API calls (to play "someone edited it in the Popdock UI"), the real CLI
 * pointed at it, a popdock.yaml generator, and readers for the files a run leaves in its working
 * directory. Needs a build (`npm run build`).
 */
import { randomBytes } from "node:crypto";
import { readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import type { SandboxFaultsInput, SandboxStats } from "../../schema/api.js";
import { type CliResult, runCli, spawnCli, workdir } from "./cli.js";
import { type SandboxProcess, startSandboxProcess } from "./sandbox-process.js";

export const API = "/api/v1/security";

/** A parsed JSON body, typed loosely for assertions. */
// biome-ignore lint/suspicious/noExplicitAny: test convenience for reading JSON bodies
export type Json = any;

export interface ApiReply<T = Json> {
  status: number;
  body: T;
}

export interface E2ESandbox {
  readonly url: string;
  readonly apiKey: string;
  readonly process: SandboxProcess;
  /** POPDOCK_ENDPOINT and POPDOCK_API_KEY for a CLI run against this sandbox. */
  readonly env: Record<string, string>;
  stats(): Promise<SandboxStats>;
  /** Replaces every fault setting (omitted ones fall back to their defaults: no faults). */
  setFaults(faults: SandboxFaultsInput): Promise<void>;
  /** Resets the request counters; with `data`, the API users too. */
  reset(opts?: { data?: boolean }): Promise<void>;
  /** One request to the API with the admin key; `path` is under /api/v1/security. */
  api<T = Json>(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<ApiReply<T>>;
  /** The real CLI in `cwd` against this sandbox; `extra` adds to (or with undefined, removes from) the env. */
  popdock(
    args: readonly string[],
    cwd: string,
    extra?: Record<string, string | undefined>,
  ): Promise<CliResult>;
  /** Same, without waiting: the child process and its `output` promise. */
  spawn(
    args: readonly string[],
    cwd: string,
    extra?: Record<string, string | undefined>,
  ): ReturnType<typeof spawnCli>;
  stop(): Promise<number | null>;
}

export async function startE2ESandbox(): Promise<E2ESandbox> {
  const apiKey = `e2e-${randomBytes(12).toString("hex")}`;
  const proc = await startSandboxProcess({ apiKey });
  const env = { POPDOCK_ENDPOINT: proc.url, POPDOCK_API_KEY: apiKey };
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${proc.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${apiKey}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text === "" ? undefined : JSON.parse(text) };
  };
  return {
    url: proc.url,
    apiKey,
    process: proc,
    env,
    async stats() {
      const r = await call("GET", "/__sandbox/stats");
      if (r.status !== 200) throw new Error(`GET /__sandbox/stats: ${r.status}`);
      return r.body as SandboxStats;
    },
    async setFaults(faults) {
      const r = await call("PUT", "/__sandbox/faults", faults);
      if (r.status !== 200) throw new Error(`PUT /__sandbox/faults: ${r.status} ${JSON.stringify(r.body)}`);
    },
    async reset(opts = {}) {
      const r = await call("POST", `/__sandbox/reset${opts.data ? "?data=true" : ""}`);
      if (r.status !== 204) throw new Error(`POST /__sandbox/reset: ${r.status}`);
    },
    api: (method, path, body, headers) => call(method, `${API}${path}`, body, headers),
    popdock: (args, cwd, extra = {}) => runCli(args, { cwd, env: { ...env, ...extra } }),
    spawn: (args, cwd, extra = {}) => spawnCli(args, { cwd, env: { ...env, ...extra } }),
    stop: () => proc.stop(),
  };
}

/** Requests per route between two stats snapshots (routes with no new request left out). */
export function statsDiff(before: SandboxStats, after: SandboxStats): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [route, n] of Object.entries(after.by_route)) {
    const d = n - (before.by_route[route] ?? 0);
    if (d !== 0) out[route] = d;
  }
  return out;
}

/** Only the mutating routes (anything but GET) of a stats diff. */
export function mutations(diff: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(diff).filter(([route]) => !route.startsWith("GET ")));
}

/** Status codes answered between two stats snapshots. */
export function statusDiff(before: SandboxStats, after: SandboxStats): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [status, n] of Object.entries(after.by_status)) {
    const d = n - (before.by_status[status] ?? 0);
    if (d !== 0) out[status] = d;
  }
  return out;
}

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

// ------------------------------------------------------------------ files a run leaves

const made: string[] = [];

/** A fresh working directory (see `workdir`), removed by `removeProjects()`. */
export async function project(files: Record<string, string> = {}): Promise<string> {
  const dir = await workdir(files);
  made.push(dir);
  return dir;
}

/** Removes every directory `project()` made in this test file. */
export async function removeProjects(): Promise<void> {
  await Promise.all(made.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

export interface StateOnDisk {
  serial: number;
  lineage: string;
  endpoint?: string;
  resources: Record<
    string,
    { type: string; id: string; parent_id?: string; version: number; attributes: Record<string, unknown> }
  >;
  outputs: Record<string, { sensitive: boolean; value?: string }>;
}

export async function readState(dir: string): Promise<StateOnDisk> {
  return JSON.parse(await readFile(join(dir, ".popdock", "state.json"), "utf8")) as StateOnDisk;
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

/** Polls `check` every 20 ms until it returns something other than undefined; throws after `ms`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
