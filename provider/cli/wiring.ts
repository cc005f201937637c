/**
 * The composition root: where a command's configuration, state, lock and Popdock connection come from.
 * Resolves the defaults (`./popdock.yaml`, `.popdock/state.json` beside the config), the
 * endpoint (`--endpoint`, `POPDOCK_ENDPOINT`, `provider.endpoint`; `local` = the embedded
 * sandbox with its data in `.popdock/sandbox/`), and the API key (`POPDOCK_API_KEY` or a key
 * file, never an argument).
 */
import { randomBytes } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";
import type { BackendIdentity, BackendKind, StateBackend } from "../backends/types.js";
import { checkWorkspaceName, DEFAULT_WORKSPACE } from "../backends/workspaces.js";
import type { PopdockApi } from "../client/types.js";
import { loadConfiguration } from "../frontends/index.js";
import type { DesiredConfig } from "../model/desired.js";
import type { Diagnostic } from "../model/diagnostics.js";
import { UsageError } from "../model/errors.js";

export { LOCAL_ENDPOINT } from "../model/provider.js";

import { LOCAL_ENDPOINT } from "../model/provider.js";

export interface ConfigLocation {
  /** Paths as given (files or directories), resolved against cwd. */
  paths: string[];
  /** Directory that holds `.popdock/` (state, local sandbox data). */
  baseDir: string;
}

/**
 * `-c` paths (default `./popdock.yaml`, or the current directory when it holds a `cdktf.json` or
 * `*.tf.json` files and no popdock.yaml).
 */
export async function locateConfig(given: readonly string[], cwd: string): Promise<ConfigLocation> {
  let paths = given.map((p) => (isAbsolute(p) ? p : resolve(cwd, p)));
  if (paths.length === 0) {
    const hasCdktf = await stat(join(cwd, "cdktf.json")).then(
      (s) => s.isFile(),
      () => false,
    );
    const hasYaml = await stat(join(cwd, "popdock.yaml")).then(
      (s) => s.isFile(),
      () => false,
    );
    // Without popdock.yaml, a directory holding a cdktf.json or *.tf.json files is the configuration.
    const hasTfJson =
      !hasYaml &&
      !hasCdktf &&
      (await readdir(cwd).catch(() => [] as string[])).some((n) => n.endsWith(".tf.json"));
    paths = [hasYaml || !(hasCdktf || hasTfJson) ? join(cwd, "popdock.yaml") : cwd];
  }
  const first = paths[0] as string;
  const st = await stat(first).catch(() => undefined);
  if (given.length === 0 && st === undefined) {
    throw new UsageError(
      `no configuration here: ${cwd} has no popdock.yaml (nor a cdktf.json or *.tf.json file)`,
      {
        hint: "pass -c FILE or -c DIR, or create popdock.yaml (see examples/quickstart/popdock.yaml)",
      },
    );
  }
  const baseDir = st?.isDirectory() ? first : dirname(first);
  return { paths, baseDir };
}

export interface LoadConfigOptions {
  location: ConfigLocation;
  cwd: string;
  vars: Record<string, string>;
  env: Readonly<Record<string, string | undefined>>;
  /** CDKTF stack to read, when the configuration is a CDKTF app with several. */
  stack?: string;
  /** The state workspace: `${workspace}` (YAML), `${terraform.workspace}` (Terraform JSON). */
  workspace?: string;
  /** Stops a CDKTF app's synthesis (the app's process group is killed, its output removed). */
  signal?: AbortSignal | undefined;
}

export interface LoadedConfig {
  config?: DesiredConfig;
  diagnostics: Diagnostic[];
}

/** Reads the configuration with the frontend its files call for (see `frontends/index.ts`). */
export async function loadConfig(opts: LoadConfigOptions): Promise<LoadedConfig> {
  return loadConfiguration({
    paths: opts.location.paths,
    cwd: opts.cwd,
    vars: opts.vars,
    env: opts.env,
    ...(opts.stack !== undefined ? { stack: opts.stack } : {}),
    ...(opts.workspace !== undefined ? { workspace: opts.workspace } : {}),
    ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
  });
}

export interface EndpointOptions {
  flag?: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
  config?: DesiredConfig | undefined;
  apiKeyFile?: string | undefined;
  baseDir: string;
  cwd: string;
  /** The client's debug log (POPDOCK_LOG=debug), already redacting. */
  log?: ((line: string) => void) | undefined;
}

export interface Connection {
  /** `local` or the endpoint URL: recorded in state and plans. */
  identity: string;
  api: PopdockApi;
  close(): Promise<void>;
}

/** The endpoint a command will talk to, without connecting. */
export function endpointOf(opts: Pick<EndpointOptions, "flag" | "env" | "config">): string {
  const ep = opts.flag ?? opts.env.POPDOCK_ENDPOINT ?? opts.config?.provider.endpoint;
  if (ep === undefined || ep === "") {
    throw new UsageError("no Popdock endpoint is configured", {
      hint: "pass --endpoint https://…, set POPDOCK_ENDPOINT, or set provider.endpoint in the configuration; --endpoint local uses the embedded sandbox",
    });
  }
  return ep === LOCAL_ENDPOINT ? ep : ep.replace(/\/+$/, "");
}

/** Connects to Popdock, or starts the embedded sandbox for `local`. */
export async function connect(opts: EndpointOptions): Promise<Connection> {
  const identity = endpointOf(opts);
  const { PopdockClient, debugFromEnv } = await import("../client/client.js");
  const { retryFromEnv } = await import("../client/options.js");
  const debug = debugFromEnv(opts.env);
  const retry = retryFromEnv(opts.env);
  const logOpts = debug && opts.log ? { debug: true, log: opts.log } : {};
  if (identity === LOCAL_ENDPOINT) {
    const { createSandbox } = await import("../sandbox/index.js");
    const apiKey = randomBytes(24).toString("hex");
    const sandbox = createSandbox({ apiKey, dataDir: join(opts.baseDir, ".popdock", "sandbox") });
    const server = await sandbox.listen({ host: "127.0.0.1", port: 0 });
    const api = new PopdockClient({ endpoint: server.url, apiKey, ...logOpts, retry });
    return {
      identity,
      api,
      async close() {
        await api.close();
        await server.close();
        await sandbox.flush();
      },
    };
  }
  const apiKey = await readApiKey(opts);
  const api = new PopdockClient({ endpoint: identity, apiKey, ...logOpts, retry });
  return { identity, api, close: () => api.close() };
}

async function readApiKey(opts: EndpointOptions): Promise<string> {
  if (opts.apiKeyFile !== undefined) {
    const path = isAbsolute(opts.apiKeyFile) ? opts.apiKeyFile : resolve(opts.cwd, opts.apiKeyFile);
    const text = await readFile(path, "utf8").catch((e: NodeJS.ErrnoException) => {
      throw new UsageError(`cannot read the API key file ${opts.apiKeyFile}: ${e.code ?? e.message}`);
    });
    const key = text.trim();
    if (key === "") throw new UsageError(`the API key file ${opts.apiKeyFile} is empty`);
    return key;
  }
  // A key pasted with a trailing newline would make an invalid header (reported by the HTTP
  // layer as "could not reach Popdock"): trim it, and refuse control characters inside.
  const key = opts.env.POPDOCK_API_KEY?.trim();
  if (key !== undefined && [...key].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) {
    throw new UsageError("POPDOCK_API_KEY contains a control character (a line break or tab inside it?)", {
      hint: "set POPDOCK_API_KEY to the key alone, on one line",
    });
  }
  if (key === undefined || key === "") {
    throw new UsageError("no Popdock API key", {
      hint: "set POPDOCK_API_KEY or pass --api-key-file FILE (keys are never accepted as a plain argument)",
    });
  }
  return key;
}

/**
 * Which state backend to open. The `local` one (files beside the configuration, or `path`) is
 * the default; `pg` is configured by the `backend:` block (YAML), `terraform.backend.pg`
 * (Terraform JSON) or `--backend-config` (see the PostgreSQL backend).
 */
export type BackendConfig =
  | {
      kind: "local" /** The default workspace's state file (`--state`); else `.popdock/state.json`. */;
      path?: string;
    }
  | { kind: "pg"; connStr: string; schemaName: string };

export interface OpenBackendOptions {
  config: BackendConfig;
  /** Directory that holds `.popdock/`. */
  baseDir: string;
  workspace: string;
  /** For messages (paths relative to it). */
  cwd: string;
}

type BackendFactory = (opts: OpenBackendOptions) => Promise<StateBackend>;

/**
 * The backends this build has, by kind. Each is loaded on first use, so a command that uses the
 * local files never loads a database driver.
 */
const BACKENDS: Record<BackendKind, BackendFactory | undefined> = {
  local: async (o) => {
    const { LocalBackend } = await import("../backends/file/index.js");
    const { resourceTypes } = await import("../resources/index.js");
    const path = o.config.kind === "local" ? o.config.path : undefined;
    return new LocalBackend({
      path: path ?? join(o.baseDir, ".popdock", "state.json"),
      workspace: o.workspace,
      knownTypes: resourceTypes().map((t) => t.type),
      cwd: o.cwd,
    });
  },
  pg: async (o) => {
    if (o.config.kind !== "pg")
      throw new UsageError("the pg backend needs pg settings (conn_str, schema_name)");
    const { openPgBackend } = await import("../backends/pg/index.js");
    const { resourceTypes } = await import("../resources/index.js");
    return openPgBackend({
      connStr: o.config.connStr,
      schemaName: o.config.schemaName,
      workspace: o.workspace,
      knownTypes: resourceTypes().map((t) => t.type),
    });
  },
};

/** Opens the backend `opts.config` names, for one workspace. Creates nothing. */
export async function openBackend(opts: OpenBackendOptions): Promise<StateBackend> {
  const factory = BACKENDS[opts.config.kind];
  if (factory === undefined) {
    throw new UsageError(
      `the ${opts.config.kind} state backend is not available in this build of popdock-iac`,
      {
        hint: "use the local backend (the default), or upgrade popdock-iac",
      },
    );
  }
  return factory(opts);
}

/**
 * A backend as a saved plan or message names it (kind, non-secret location, workspace), opened
 * again: for `apply PLANFILE` from any directory. `local`'s location is its state file.
 */
export async function openBackendByIdentity(id: BackendIdentity, cwd: string): Promise<StateBackend> {
  if (id.kind === "local") {
    return openBackend({
      config: { kind: "local", path: id.location },
      baseDir: dirname(dirname(id.location)),
      workspace: id.workspace,
      cwd,
    });
  }
  throw new UsageError(
    `the saved plan's state is in a ${id.kind} backend (${id.location}, workspace ${id.workspace}), which needs its connection settings`,
    { hint: "pass the configuration (-c) whose backend settings connect to it" },
  );
}

/** The workspace file, like Terraform's `.terraform/environment`: the selected workspace's name. */
export function environmentFile(baseDir: string): string {
  return join(baseDir, ".popdock", "environment");
}

/**
 * The workspace a command uses: `--workspace`, else `POPDOCK_WORKSPACE`, else the one
 * `popdock workspace select` recorded in `.popdock/environment`, else `default`.
 */
export async function resolveWorkspace(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  baseDir: string,
): Promise<string> {
  if (flag !== undefined) return checkWorkspaceName(flag, "--workspace");
  const fromEnv = env.POPDOCK_WORKSPACE;
  if (fromEnv !== undefined && fromEnv !== "") return checkWorkspaceName(fromEnv, "POPDOCK_WORKSPACE");
  const recorded = await readFile(environmentFile(baseDir), "utf8").then(
    (t) => t.trim(),
    () => "",
  );
  return recorded === "" ? DEFAULT_WORKSPACE : checkWorkspaceName(recorded, environmentFile(baseDir));
}

/** `.popdock/state.json` beside the configuration unless `--state` says otherwise. */
export function statePathFor(location: ConfigLocation, flag: string | undefined, cwd: string): string {
  if (flag !== undefined) return isAbsolute(flag) ? flag : resolve(cwd, flag);
  return join(location.baseDir, ".popdock", "state.json");
}
