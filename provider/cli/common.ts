/**
 * What several commands share: the option specs, loading the configuration and printing its
 * diagnostics, opening the state under the lock, and connecting to Popdock.
 */

import { readFile } from "node:fs/promises";
import { hostname } from "node:os";
import { isAbsolute, relative } from "node:path";
import type { Plan } from "../../schema/plan.js";
import type { StateFile } from "../../schema/state.js";
import { acquireLock, type Lock, parseDuration } from "../engine/lock.js";
import { type ComputedPlan, computePlan } from "../engine/pipeline.js";
import { PLAN_SIGNING_KEY_ENV, verifyPlanSeal } from "../engine/plan-seal.js";
import { renderPlanText } from "../engine/render/text.js";
import { removeTempFiles, StateStore } from "../engine/state-store.js";
import type { DesiredConfig } from "../model/desired.js";
import { countErrors, type Diagnostic, formatDiagnostic, hasErrors } from "../model/diagnostics.js";
import { ConfigError, PopdockError, UsageError } from "../model/errors.js";
import { INPUT_OPTION, LOCK_OPTION, VAR_FILE_OPTION } from "./common-options.js";
import type { CliIO, OptionSpec, ParsedArgs } from "./io.js";
import { jsonUiOf } from "./json-ui.js";
import { checkPlanningModes, withPlanningModes } from "./planning.js";
import { readVarFiles } from "./var-file.js";
import {
  type ConfigLocation,
  type Connection,
  connect,
  loadConfig,
  locateConfig,
  statePathFor,
} from "./wiring.js";

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
};

/** For commands that only need to find the state: the config location and `--state`. */
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
  "lock-timeout": {
    type: "string",
    value: "DURATION",
    description: "Wait this long for a held lock (e.g. 30s)",
  },
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
  const fromFiles = await readVarFiles(list(args, "var-file"), io.cwd);
  if (hasErrors(fromFiles.diagnostics)) return { location, result: { diagnostics: fromFiles.diagnostics } };
  const result = await loadConfig({
    location,
    cwd: io.cwd,
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

/** Runs `body` holding the state lock; always releases it. */
export async function withLock<T>(
  args: ParsedArgs,
  io: CliIO,
  location: ConfigLocation,
  command: string,
  body: (store: StateStore, lock: Lock) => Promise<T>,
): Promise<T> {
  const statePath = statePathFor(location, str(args, "state"), io.cwd);
  const timeout = str(args, "lock-timeout");
  if (args.values.lock === false) {
    // --lock=false (Terraform's -lock=false): the caller vouches that nothing else runs at once.
    if (timeout !== undefined) throw new UsageError("--lock-timeout has no use with --lock=false");
    // Temporary files are left alone: without the lock, one may be another run's write in flight.
    return body(new StateStore(statePath), unlocked(statePath, command));
  }
  const lock = await acquireLock({
    statePath,
    command,
    timeoutMs: timeout !== undefined ? parseDuration(timeout) : 0,
    signal: io.signal,
    onWait: (message) => io.stderr.write(`${message}\n`),
    onTakeover: (h) =>
      io.stderr.write(
        `Took over the state lock ${h.id} left by pid ${h.pid ?? "?"} (${h.command ?? "popdock"}, since ${h.created_at ?? "?"}), which is no longer running on this host.\n`,
      ),
  });
  try {
    await removeTempFiles(statePath);
    return await body(new StateStore(statePath), lock);
  } finally {
    await lock.release();
  }
}

/** The stand-in for a lock not taken (`--lock=false`): releasing it does nothing. */
function unlocked(statePath: string, command: string): Lock {
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
    path: `${statePath}.lock`,
    release: async () => {},
  };
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
  store: StateStore;
  conn: Connection;
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
): Promise<number> {
  checkPlanningModes(args, mode);
  const loaded = await loadConfigOrFail(args, io);
  return withLock(args, io, loaded.location, command, async (store) => {
    const state = await store.load();
    const conn = await connectFor(args, io, loaded);
    try {
      checkStateEndpoint(state, conn.identity, store.path);
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
          stateName: displayPath(io.cwd, store.path),
        }),
      );
      printDiagnostics(io, computed.diagnostics);
      for (const n of computed.notes) io.stderr.write(`note: ${n}\n`);
      if (!computed.plan || hasErrors(computed.diagnostics)) {
        throw new ConfigError("the plan has errors; nothing was changed");
      }
      return await body({ plan: computed.plan, computed, store, conn });
    } finally {
      await conn.close();
    }
  });
}

/** The plan as text, with the refresh line. */
export function planText(args: ParsedArgs, io: CliIO, p: Planned): string {
  return renderPlanText(p.plan, {
    color: useColor(args, io),
    refresh: { users: p.computed.live.users.length, requests: p.computed.requests },
  });
}

/** A path as a person would type it from `cwd`: relative below it, absolute elsewhere. */
export function displayPath(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? path : rel;
}
