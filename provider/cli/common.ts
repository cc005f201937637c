/**
 * What several commands share: the option specs, loading the configuration and printing its
 * diagnostics, opening the state under the lock, and connecting to Popdock.
 */

import { readFile } from "node:fs/promises";
import { hostname } from "node:os";
import { isAbsolute, relative } from "node:path";
import type { Plan } from "../../schema/plan.js";
import type { StateFile } from "../../schema/state.js";
import { emptyState } from "../backends/state-codec.js";
import type { HeldLock, StateBackend } from "../backends/types.js";
import type { UnconfiguredImport } from "../engine/moves.js";
import { type ComputedPlan, computePlan } from "../engine/pipeline.js";
import { PLAN_SIGNING_KEY_ENV, verifyPlanSeal } from "../engine/plan-seal.js";
import { renderPlanText } from "../engine/render/text.js";
import type { DesiredConfig } from "../model/desired.js";
import { countErrors, type Diagnostic, formatDiagnostic, hasErrors } from "../model/diagnostics.js";
import { parseDuration } from "../model/duration.js";
import { ConfigError, PopdockError, UsageError } from "../model/errors.js";
import { renderPolicyText } from "../policy/render.js";
import { readBackendBlock, resolveBackendConfig } from "./backend-config.js";
import { INPUT_OPTION, LOCK_OPTION, VAR_FILE_OPTION } from "./common-options.js";
import type { CliIO, OptionSpec, ParsedArgs } from "./io.js";
import { jsonUiOf } from "./json-ui.js";
import { checkPlanningModes, withPlanningModes } from "./planning.js";
import { checkPlan, type LoadedPolicy, loadPolicy } from "./policy.js";
import { readVarFiles } from "./var-file.js";
import {
  type ConfigLocation,
  type Connection,
  connect,
  loadConfig,
  locateConfig,
  openBackend,
  resolveWorkspace,
  statePathFor,
} from "./wiring.js";

/** `--workspace`, on every command that touches state. */
export const WORKSPACE_OPTION: OptionSpec = {
  type: "string",
  value: "NAME",
  description: "Workspace (else POPDOCK_WORKSPACE, else the selected one, else default)",
};

export const CONFIG_OPTIONS: Record<string, OptionSpec> = {
  config: {
    type: "string",
    short: "c",
    multiple: true,
    value: "PATH",
    description: "Config file or directory (repeatable; default ./popdock.yaml)",
  },
  var: { type: "string", multiple: true, value: "NAME=VALUE", description: "Set a variable (repeatable)" },
  "var-file": VAR_FILE_OPTION,
  stack: { type: "string", value: "NAME", description: "CDKTF stack to read when the app has several" },
  workspace: WORKSPACE_OPTION,
};

/** For commands that only need to find the state: the config location and `--state`. */
/** `--backend-config key=value`: the pg backend's conn_str / schema_name over the configuration's block. */
const BACKEND_CONFIG_OPTION: OptionSpec = {
  type: "string",
  multiple: true,
  value: "KEY=VALUE",
  description:
    "Backend setting over the configuration's backend block: conn_str=… or schema_name=… (repeatable)",
};

export const LOCATE_OPTIONS: Record<string, OptionSpec> = {
  config: {
    type: "string",
    short: "c",
    multiple: true,
    value: "PATH",
    description: "Config file or directory (locates the state)",
  },
  state: {
    type: "string",
    value: "PATH",
    description: "State file (default .popdock/state.json beside the config)",
  },
  "backend-config": BACKEND_CONFIG_OPTION,
  workspace: WORKSPACE_OPTION,
};

export const CONNECTION_OPTIONS: Record<string, OptionSpec> = {
  endpoint: {
    type: "string",
    value: "URL",
    description: "Popdock endpoint, or `local` for the embedded sandbox (env POPDOCK_ENDPOINT)",
  },
  "api-key-file": {
    type: "string",
    value: "FILE",
    description: "Read the API key from FILE (else POPDOCK_API_KEY)",
  },
};

export const STATE_OPTIONS: Record<string, OptionSpec> = {
  state: {
    type: "string",
    value: "PATH",
    description: "State file (default .popdock/state.json beside the config)",
  },
  "backend-config": BACKEND_CONFIG_OPTION,
  "lock-timeout": {
    type: "string",
    value: "DURATION",
    description: "Wait this long for a held lock (e.g. 30s)",
  },
  workspace: WORKSPACE_OPTION,
  lock: LOCK_OPTION,
};

/** Planning safety switches, for every command that plans (plan, apply). */
export const PLAN_SAFETY_OPTIONS: Record<string, OptionSpec> = {
  "allow-destroy-all": {
    type: "boolean",
    description: "Allow a plan that deletes every object in the state (otherwise refused; see `destroy`)",
  },
  input: INPUT_OPTION,
};

/** `-replace ADDR` and `--force-retire ADDR` (plan and apply). */
export const REPLACE_OPTIONS: Record<string, OptionSpec> = {
  replace: {
    type: "string",
    multiple: true,
    value: "ADDR",
    description:
      "Replace ADDR even if unchanged (repeatable); a token with a rotation policy rotates now through its overlap",
  },
  "force-retire": {
    type: "string",
    multiple: true,
    value: "ADDR",
    description:
      "Delete the previous generation of token ADDR now, even if its overlap has not passed or it is still used",
  },
};

export const COLOR_OPTIONS: Record<string, OptionSpec> = {
  "no-color": { type: "boolean", description: "No colour (also NO_COLOR)" },
};

/** `--parallelism N`: 1 to 100, default 10. */
export function parallelismOf(args: ParsedArgs): number {
  const p = str(args, "parallelism");
  if (p === undefined) return 10;
  const n = Number(p);
  if (!Number.isInteger(n) || n < 1 || n > 100)
    throw new UsageError(`--parallelism must be a whole number from 1 to 100, not "${p}"`);
  return n;
}

export function str(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  return typeof v === "string" ? v : undefined;
}

export function list(args: ParsedArgs, name: string): string[] {
  const v = args.values[name];
  return Array.isArray(v) ? v : typeof v === "string" ? [v] : [];
}

export function flag(args: ParsedArgs, name: string): boolean {
  return args.values[name] === true;
}

/**
 * Whether stdout gets colour, by the conventions Node's own `util.styleText` follows: --no-color
 * first, then FORCE_COLOR (set and not `0`/`false`: colour; `0`/`false`: none), then NO_COLOR
 * (set and non-empty: none), then whether stdout is a terminal.
 */
export function useColor(args: ParsedArgs, io: CliIO): boolean {
  if (flag(args, "no-color")) return false;
  const force = io.env.FORCE_COLOR;
  if (force !== undefined) return force !== "0" && force.toLowerCase() !== "false";
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== "") return false;
  return io.stdout.isTTY === true;
}

export function parseVars(pairs: readonly string[]): Record<string, string> {
  const vars: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const p of pairs) {
    const eq = p.indexOf("=");
    if (eq <= 0) throw new UsageError(`--var "${p}" is not NAME=VALUE`);
    vars[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return vars;
}

export function printDiagnostics(io: CliIO, diags: readonly Diagnostic[]): void {
  const ui = jsonUiOf(io); // --json: as `diagnostic` messages on stdout
  for (const d of diags) {
    if (ui) ui.diagnostic(d);
    else io.stderr.write(`${formatDiagnostic(d)}\n`);
  }
}

export interface Loaded {
  location: ConfigLocation;
  config: DesiredConfig;
}

/** Loads the configuration; prints diagnostics; throws ConfigError when there are errors. */
export async function loadConfigOrFail(args: ParsedArgs, io: CliIO): Promise<Loaded> {
  const { location, result: r } = await loadConfigFromArgs(args, io);
  printDiagnostics(io, r.diagnostics);
  if (!r.config || hasErrors(r.diagnostics)) {
    const n = countErrors(r.diagnostics);
    throw new ConfigError(`the configuration has ${n} error${n === 1 ? "" : "s"}; nothing was changed`);
  }
  return { location, config: r.config };
}

/** The configuration the arguments name, with its diagnostics, printing nothing (`validate --json`). */
export async function loadConfigFromArgs(
  args: ParsedArgs,
  io: CliIO,
): Promise<{ location: ConfigLocation; result: Awaited<ReturnType<typeof loadConfig>> }> {
  const location = await locateConfig(list(args, "config"), io.cwd);
  const stack = str(args, "stack");
  const workspace = await resolveWorkspace(str(args, "workspace"), io.env, location.baseDir);
  const fromFiles = await readVarFiles(list(args, "var-file"), io.cwd);
  if (hasErrors(fromFiles.diagnostics)) return { location, result: { diagnostics: fromFiles.diagnostics } };
  const result = await loadConfig({
    location,
    cwd: io.cwd,
    workspace,
    vars: { ...fromFiles.vars, ...parseVars(list(args, "var")) },
    env: io.env,
    signal: io.signal,
    ...(stack !== undefined ? { stack } : {}),
  });
  return { location, result };
}

export function connectFor(
  args: ParsedArgs,
  io: CliIO,
  loaded: { location: ConfigLocation; config?: DesiredConfig },
): Promise<Connection> {
  return connect({
    flag: str(args, "endpoint"),
    env: io.env,
    config: loaded.config,
    apiKeyFile: str(args, "api-key-file"),
    baseDir: loaded.location.baseDir,
    cwd: io.cwd,
    log: (line) => io.stderr.write(`[popdock debug] ${line}\n`),
  });
}

/**
 * The state backend the arguments name (`--state`, `--workspace`; the configuration's backend
 * settings), for the selected workspace. Creates nothing; close it after use.
 */
export async function openStateBackend(
  args: ParsedArgs,
  io: CliIO,
  location: ConfigLocation,
): Promise<StateBackend> {
  const workspace = await resolveWorkspace(str(args, "workspace"), io.env, location.baseDir);
  const statePath = str(args, "state");
  if (statePath !== undefined && workspace !== "default") {
    throw new UsageError(
      `--state names the default workspace's file; it cannot be used with workspace ${workspace}`,
      {
        hint: "drop --state (workspaces live under .popdock/workspaces/), or select the default workspace",
      },
    );
  }
  const pg = resolveBackendConfig(
    await readBackendBlock(location, io.cwd),
    list(args, "backend-config"),
    io.env,
  );
  if (pg !== undefined) {
    if (statePath !== undefined) {
      throw new UsageError("--state names a local state file, but the configuration stores state in pg", {
        hint: "drop --state",
      });
    }
    return openBackend({ config: pg, baseDir: location.baseDir, workspace, cwd: io.cwd });
  }
  return openBackend({
    config: {
      kind: "local",
      ...(statePath === undefined ? {} : { path: statePathFor(location, statePath, io.cwd) }),
    },
    baseDir: location.baseDir,
    workspace,
    cwd: io.cwd,
  });
}

/** Takes `backend`'s lock as the arguments say (`--lock-timeout`), telling the user about waits and takeovers. */
export function lockBackend(
  args: ParsedArgs,
  io: CliIO,
  backend: StateBackend,
  command: string,
): Promise<HeldLock> {
  const timeout = str(args, "lock-timeout");
  if (args.values.lock === false) {
    // --lock=false (Terraform's -lock=false): the caller vouches that nothing else runs at once.
    if (timeout !== undefined) throw new UsageError("--lock-timeout has no use with --lock=false");
    return Promise.resolve(unlocked(command));
  }
  return backend.lock({
    command,
    timeoutMs: timeout !== undefined ? parseDuration(timeout) : 0,
    signal: io.signal,
    onWait: (message) => io.stderr.write(`${message}\n`),
    onTakeover: (message) => io.stderr.write(`${message}\n`),
  });
}

/**
 * The stand-in for a lock not taken (`--lock=false`): releasing it does nothing. The local
 * backend's clean-up of temp files happens only under a real lock (without one, a temp file may
 * be another run's write in flight).
 */
function unlocked(command: string): HeldLock {
  return {
    id: "none",
    info: {
      id: "none",
      pid: process.pid,
      host: hostname(),
      user: "",
      command,
      created_at: new Date().toISOString(),
    },
    release: async () => {},
  };
}

/** Runs `body` holding the state lock; always releases it (and closes the backend). */
export async function withLock<T>(
  args: ParsedArgs,
  io: CliIO,
  location: ConfigLocation,
  command: string,
  body: (backend: StateBackend, lock: HeldLock) => Promise<T>,
): Promise<T> {
  return withBackendLocked(args, io, await openStateBackend(args, io, location), command, body);
}

/** `withLock` over a backend already opened (a saved plan's). Closes it. */
export async function withBackendLocked<T>(
  args: ParsedArgs,
  io: CliIO,
  backend: StateBackend,
  command: string,
  body: (backend: StateBackend, lock: HeldLock) => Promise<T>,
): Promise<T> {
  try {
    const lock = await lockBackend(args, io, backend, command);
    try {
      return await body(backend, lock);
    } finally {
      await lock.release();
    }
  } finally {
    await backend.close();
  }
}

/** The stored state, or a fresh empty one (serial -1: nothing stored yet). */
export async function loadOrEmpty(backend: StateBackend): Promise<{ state: StateFile; serial: number }> {
  const state = await backend.load();
  return state === undefined ? { state: emptyState(), serial: -1 } : { state, serial: state.serial };
}

/** State belongs to one endpoint: refuse to use it against another. */
export function checkStateEndpoint(state: StateFile, identity: string, statePath: string): void {
  if (
    state.endpoint !== undefined &&
    state.endpoint !== identity &&
    Object.keys(state.resources).length > 0
  ) {
    throw new UsageError(`the state ${statePath} belongs to ${state.endpoint}, not ${identity}`, {
      hint: `use --endpoint ${state.endpoint}, or a separate --state file for ${identity}`,
    });
  }
}

/**
 * Reads a saved plan and checks its seal (engine/plan-seal.ts) before anything else looks at it.
 * `forApply`: a signed plan needs the signing key (show accepts it on its digest alone).
 */
export async function readPlanFile(
  path: string,
  cwd: string,
  seal: { env: Readonly<Record<string, string | undefined>>; forApply: boolean },
): Promise<Plan> {
  const { PlanFile } = await import("../../schema/plan.js");
  const { resolve } = await import("node:path");
  const text = await readFile(resolve(cwd, path), "utf8").catch((e: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read the plan file ${path}: ${e.code ?? e.message}`);
  });
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new PlanFileInvalidError(`${path} is not a popdock plan file (not JSON)`);
  }
  verifyPlanSeal(raw, path, { key: seal.env[PLAN_SIGNING_KEY_ENV], requireKeyForSigned: seal.forApply });
  const r = PlanFile.safeParse(raw);
  if (!r.success) {
    const first = r.error.issues[0];
    throw new PlanFileInvalidError(
      `${path} is not a popdock plan file: ${first ? `${first.path.join(".")}: ${first.message}` : "invalid"}`,
      { hint: "make one with `popdock plan --out FILE`" },
    );
  }
  return r.data;
}

export class PlanFileInvalidError extends PopdockError {
  readonly code = "POPDOCK_PLAN_INVALID";
}

export interface Planned {
  plan: Plan;
  computed: ComputedPlan;
  backend: StateBackend;
  /** The stored serial the plan was made from (-1: no state stored yet). */
  serial: number;
  conn: Connection;
  /** The policy rules in force (./policy.ts); their results are in `plan.policy_results`. */
  policy: LoadedPolicy;
}

/**
 * What `plan`, `apply` and `destroy` share: load the configuration, take the lock, load the
 * state, connect, refresh, recover and plan, printing diagnostics and recovery notes; a plan
 * with errors stops here. `body` gets the plan; the connection and lock are released after it.
 */
export async function withPlan(
  args: ParsedArgs,
  io: CliIO,
  command: string,
  mode: "normal" | "destroy",
  body: (p: Planned) => Promise<number>,
  /** `plan --generate-config-out`: import blocks without configuration are collected here. */
  unconfiguredImports?: UnconfiguredImport[],
): Promise<number> {
  checkPlanningModes(args, mode);
  const loaded = await loadConfigOrFail(args, io);
  const policy = await loadPolicy(args, io, loaded.location);
  return withLock(args, io, loaded.location, command, async (backend) => {
    const { state, serial } = await loadOrEmpty(backend);
    const conn = await connectFor(args, io, loaded);
    try {
      checkStateEndpoint(state, conn.identity, backend.describe());
      const computed = withPlanningModes(
        args,
        await computePlan({
          api: conn.api,
          config: loaded.config,
          loaded: state,
          identity: conn.identity,
          mode,
          signal: io.signal,
          replay: command !== "popdock plan",
          allowDestroyAll: flag(args, "allow-destroy-all"),
          stateName: backend.describe(),
          workspace: backend.workspace,
          replace: list(args, "replace"),
          forceRetire: list(args, "force-retire"),
          ...(unconfiguredImports ? { unconfiguredImports } : {}),
        }),
      );
      printDiagnostics(io, computed.diagnostics);
      for (const n of computed.notes) io.stderr.write(`note: ${n}\n`);
      if (!computed.plan || hasErrors(computed.diagnostics)) {
        throw new ConfigError("the plan has errors; nothing was changed");
      }
      checkPlan(computed.plan, policy, computed.live);
      return await body({ plan: computed.plan, computed, backend, serial, conn, policy });
    } finally {
      await conn.close();
    }
  });
}

/** The plan as text, with the refresh line. */
export function planText(args: ParsedArgs, io: CliIO, p: Planned): string {
  const text = renderPlanText(p.plan, {
    color: useColor(args, io),
    refresh: { users: p.computed.live.users.length, requests: p.computed.requests },
    ...(flag(args, "full") ? { changesShown: Number.POSITIVE_INFINITY } : {}),
  });
  return text + renderPolicyText(p.plan.policy_results ?? [], p.policy.rules.length);
}

/** `--full` for the commands that print a text plan (plan, apply, show). */
export const FULL_OPTION: Record<string, OptionSpec> = {
  full: {
    type: "boolean",
    description:
      "Show every change in the text plan (default: the first 50 of each type and action, then a count)",
  },
};

/** A path as a person would type it from `cwd`: relative below it, absolute elsewhere. */
export function displayPath(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? path : rel;
}
