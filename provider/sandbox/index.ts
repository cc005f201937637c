/**
 * The local Popdock sandbox: a complete, stateful implementation of the security API contract
 * (`schema/popdock-security-api.openapi.yaml`), usable in-process (`handle`) or over HTTP
 * (`listen`). This module is the package's `./sandbox` subpath export.
 *
 * ```ts
 * const sandbox = createSandbox({ apiKey: "k" });
 * const server = await sandbox.listen({ port: 0 });
 * // ... point a client at server.url with `Authorization: Bearer k`
 * await server.close();
 * ```
 */
import type { SandboxFaults, SandboxFaultsInput, SandboxStats } from "../../schema/api.js";
import { UsageError } from "../model/errors.js";
import { SandboxApp } from "./app.js";
import { parseIsoTime, SandboxClock } from "./clock.js";
import { FaultInjector } from "./faults.js";
import { loadStore, Persister } from "./persistence.js";
import type { RequestMeta } from "./pipeline.js";
import { DEFAULT_SEED, type SeedData } from "./seed.js";
import { type ListenOptions, listen, type RunningServer } from "./server.js";
import { SandboxStore } from "./store.js";

export { parseIsoTime } from "./clock.js";
export { StoreFileError } from "./persistence.js";
export { DEFAULT_SEED, loadSeedFile, SeedData, SeedFileError } from "./seed.js";
export type { ListenOptions, RunningServer } from "./server.js";
export type { SandboxStore } from "./store.js";

export interface SandboxOptions {
  /** The admin API key every request must carry as `Authorization: Bearer <key>`. */
  apiKey: string;
  /** Keep state in `<dataDir>/store.json` (loaded now, written after every change). */
  dataDir?: string;
  /** Reference data (teams, roles, connectors); default {@link DEFAULT_SEED}. */
  seed?: SeedData;
  /** Faults in effect from the start; change them later with `setFaults` or `PUT /__sandbox/faults`. */
  faults?: SandboxFaultsInput;
  /**
   * The base clock (default: real time). The sandbox clock is it plus an offset; the rate
   * limiter reads the base clock itself.
   */
  now?: () => Date;
  /**
   * The sandbox time at start (`popdock sandbox --clock`): a Date or an ISO 8601 date-time with
   * a zone. It then runs in step with `now`, and moves forward with `PUT /__sandbox/clock`. It
   * wins over the offset a data directory saved (and replaces it there).
   */
  clock?: Date | string;
  /** How long a request body may take to arrive before the answer is 408; default 10 000 ms. */
  bodyTimeoutMs?: number;
  /**
   * Adds this many API users at start, without HTTP (`SandboxStore.seedUsers`: `seed-<i>`, three
   * grants and two tokens each), for benchmarks and tests at scale (`popdock sandbox --seed-users`).
   */
  seedUsers?: number;
}

export interface Sandbox {
  /** Answers one request in-process. Never throws. */
  handle(req: Request): Promise<Response>;
  /** Serves over HTTP; default host 127.0.0.1, port 8787 (0 picks a free one). */
  listen(opts?: ListenOptions): Promise<RunningServer>;
  /** The data, for tests that want to look behind the API. */
  readonly store: SandboxStore;
  /** The sandbox time (what `GET /__sandbox/clock` answers). */
  clock(): Date;
  stats(): SandboxStats;
  resetStats(): void;
  faults(): SandboxFaults;
  setFaults(input: SandboxFaultsInput): SandboxFaults;
  /** Resolves once every change so far is on disk (immediately without a data dir). */
  flush(): Promise<void>;
}

/**
 * Creates a sandbox. With `dataDir`, loads its store synchronously; throws `StoreFileError`
 * when the directory holds a file that is not a sandbox store.
 */
export function createSandbox(options: SandboxOptions): Sandbox {
  if (options.apiKey === "")
    throw new UsageError("createSandbox: apiKey must not be empty", {
      hint: "pass the admin key the sandbox should require",
    });
  const now = options.now ?? (() => new Date());
  const start = options.clock === undefined ? undefined : startTime(options.clock);
  const state = options.dataDir === undefined ? undefined : loadStore(options.dataDir);
  const clock = new SandboxClock(now);
  const store = new SandboxStore({ seed: options.seed ?? DEFAULT_SEED, clock, ...(state ? { state } : {}) });
  const persister =
    options.dataDir === undefined ? undefined : new Persister(options.dataDir, () => store.snapshot());
  if (start !== undefined) {
    clock.setTo(start);
    // Written now so a restart without changes keeps it; a failed write is retried by the next change.
    persister?.save().catch(() => {});
  }
  if (options.seedUsers !== undefined && options.seedUsers > 0) {
    store.seedUsers(options.seedUsers, "seed", store.userCount);
    persister?.save().catch(() => {});
  }
  const faults = new FaultInjector(options.faults ?? {}, () => now().getTime());
  const app = new SandboxApp({
    apiKey: options.apiKey,
    store,
    faults,
    ...(persister ? { persist: () => persister.save() } : {}),
    ...(options.bodyTimeoutMs === undefined ? {} : { bodyTimeoutMs: options.bodyTimeoutMs }),
  });
  const served = {
    handle: (req: Request, meta: RequestMeta) => app.handle(req, meta),
    limits: app.bodyLimits,
  };
  return {
    handle: (req) => app.handle(req),
    listen: (opts) => listen(served, opts),
    store,
    clock: () => clock.now(),
    stats: () => app.getStats(),
    resetStats: () => app.resetStats(),
    faults: () => faults.config,
    setFaults: (input) => faults.set(input),
    flush: async () => {
      await persister?.flush();
    },
  };
}

function startTime(clock: Date | string): Date {
  const time = typeof clock === "string" ? parseIsoTime(clock) : clock;
  if (time === undefined || !Number.isFinite(time.getTime())) {
    throw new UsageError(
      `createSandbox: clock must be an ISO 8601 date-time with a time zone, got "${String(clock)}"`,
      {
        hint: "e.g. 2026-12-03T11:00:00Z",
      },
    );
  }
  return time;
}
