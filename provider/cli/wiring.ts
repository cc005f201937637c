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

/** `.popdock/state.json` beside the configuration unless `--state` says otherwise. */
export function statePathFor(location: ConfigLocation, flag: string | undefined, cwd: string): string {
  if (flag !== undefined) return isAbsolute(flag) ? flag : resolve(cwd, flag);
  return join(location.baseDir, ".popdock", "state.json");
}
