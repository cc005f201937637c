/**
 * `popdock sandbox`: runs the local Popdock sandbox until SIGINT/SIGTERM.
 *
 * The first stdout line is always `listening on http://HOST:PORT` (tests and scripts read it);
 * when the API key was generated, the second is `api key: <key>`. Everything else goes to stderr.
 */
import { randomBytes } from "node:crypto";
import { UsageError } from "../../model/errors.js";
import { isLoopbackHost } from "../../model/loopback.js";
import type { CliIO, Command, ParsedArgs } from "../io.js";

const str = (args: ParsedArgs, name: string): string | undefined => {
  const v = args.values[name];
  return typeof v === "string" ? v : undefined;
};

function num(
  args: ParsedArgs,
  name: string,
  check: (n: number) => boolean,
  expected: string,
): number | undefined {
  const raw = str(args, name);
  if (raw === undefined) return undefined;
  const n = raw.trim() === "" ? Number.NaN : Number(raw);
  if (!Number.isFinite(n) || !check(n)) {
    throw new UsageError(`--${name} must be ${expected}, got "${raw}"`, {
      hint: `run \`popdock sandbox --help\` for the options`,
    });
  }
  return n;
}

export const command: Command = {
  name: "sandbox",
  summary: "Run the local Popdock sandbox: the security API, in memory or in a data directory.",
  usage: "sandbox [options]",
  examples: ["popdock sandbox --port 8787", "popdock sandbox --port 0 --data .sandbox"],
  help: `Prints \`listening on http://HOST:PORT\` as its first line, then (only when it generated the
key) \`api key: KEY\`. Runs until SIGINT or SIGTERM, then exits 0.

The API key comes from --api-key, else POPDOCK_SANDBOX_API_KEY, else a random one is generated.
Without --data the state lives in memory; with it, every change is written atomically to
DIR/store.json before the response is sent.

Hooks (same API key): GET /__sandbox/stats, POST /__sandbox/reset[?data=true],
GET|PUT /__sandbox/faults, GET|PUT /__sandbox/clock. Fault options set the initial faults.

Consumers call the data API with a token, not the admin key: GET /api/v2/user with
\`Authorization: Bearer <Token ID>\` answers who the token belongs to and sets its last_used_at.

Every timestamp comes from the sandbox clock: real time, or from --clock on, moved forward with
PUT /__sandbox/clock {"advance_seconds": N} or {"now": "<ISO time>"}. With --data its offset from
real time is saved, so a restart keeps the same distance; --clock replaces the saved offset.

The sandbox listens on loopback only unless --allow-remote is given: it is a test server, and
its store holds token credentials in clear text.`,
  maxPositionals: 0,
  options: {
    host: { type: "string", value: "HOST", description: "Interface to bind (default 127.0.0.1)" },
    port: { type: "string", value: "PORT", description: "Port (default 8787; 0 picks a free port)" },
    data: { type: "string", value: "DIR", description: "Persist state in DIR/store.json" },
    "api-key": { type: "string", value: "KEY", description: "Admin API key (else $POPDOCK_SANDBOX_API_KEY)" },
    seed: {
      type: "string",
      value: "FILE",
      description: "Reference data (teams, roles, connectors), JSON or YAML",
    },
    "rate-limit": { type: "string", value: "RPS", description: "Requests per second before 429 (0 = off)" },
    latency: { type: "string", value: "MS", description: "Added latency per request" },
    "error-rate": { type: "string", value: "P", description: "Probability of 500/503 before the work" },
    "fail-after-commit-rate": {
      type: "string",
      value: "P",
      description: "Probability of failing a mutation's response after committing it",
    },
    "fail-after-commit-mode": {
      type: "string",
      value: "500|drop",
      description: "How it fails (default 500)",
    },
    "fault-seed": { type: "string", value: "N", description: "Seed of the fault PRNG (default 1)" },
    "body-timeout": {
      type: "string",
      value: "MS",
      description: "How long a request body may take to arrive before a 408 (default 10000)",
    },
    clock: {
      type: "string",
      value: "TIME",
      description: "Sandbox time at start, ISO 8601 with a zone (e.g. 2026-12-03T11:00:00Z)",
    },
    "seed-users": {
      type: "string",
      value: "N",
      description: "Start with N API users seed-<i> (3 grants, 2 tokens each), added without HTTP",
    },
    "allow-remote": { type: "boolean", description: "Allow a non-loopback --host" },
  },

  async run(args: ParsedArgs, io: CliIO): Promise<number> {
    const host = str(args, "host") ?? "127.0.0.1";
    if (!isLoopbackHost(host) && args.values["allow-remote"] !== true) {
      throw new UsageError(`refusing to listen on non-loopback host ${host}`, {
        hint: "the sandbox is a test server; pass --allow-remote if you really want it reachable from elsewhere",
      });
    }
    const port =
      num(args, "port", (n) => Number.isInteger(n) && n >= 0 && n <= 65535, "an integer 0..65535") ?? 8787;
    const probability = (n: number) => n >= 0 && n <= 1;
    const mode = str(args, "fail-after-commit-mode");
    if (mode !== undefined && mode !== "500" && mode !== "drop") {
      throw new UsageError(`--fail-after-commit-mode must be 500 or drop, got "${mode}"`);
    }
    const faults = {
      rate_limit_rps: num(args, "rate-limit", (n) => n >= 0, "a number >= 0"),
      latency_ms: num(args, "latency", (n) => Number.isInteger(n) && n >= 0, "an integer >= 0"),
      error_rate: num(args, "error-rate", probability, "a probability 0..1"),
      fail_after_commit_rate: num(args, "fail-after-commit-rate", probability, "a probability 0..1"),
      fail_after_commit_mode: mode as "500" | "drop" | undefined,
      seed: num(args, "fault-seed", Number.isInteger, "an integer"),
    };
    const seedUsers = num(
      args,
      "seed-users",
      (n) => Number.isInteger(n) && n >= 0 && n <= 1_000_000,
      "a whole number from 0 to 1000000",
    );
    const bodyTimeoutMs = num(args, "body-timeout", (n) => Number.isInteger(n) && n >= 1, "an integer >= 1");
    const definedFaults = Object.fromEntries(Object.entries(faults).filter(([, v]) => v !== undefined));

    const givenKey = str(args, "api-key") ?? io.env.POPDOCK_SANDBOX_API_KEY;
    if (givenKey === "") throw new UsageError("the API key must not be empty");
    const apiKey = givenKey ?? `sbx_${randomBytes(18).toString("base64url")}`;

    // Loaded lazily: other commands never pay for the sandbox.
    const { createSandbox, loadSeedFile, parseIsoTime, SeedFileError, StoreFileError } = await import(
      "../../sandbox/index.js"
    );
    const clockText = str(args, "clock");
    const clock = clockText === undefined ? undefined : parseIsoTime(clockText);
    if (clockText !== undefined && clock === undefined) {
      throw new UsageError(`--clock must be an ISO 8601 date-time with a time zone, got "${clockText}"`, {
        hint: "e.g. --clock 2026-12-03T11:00:00Z",
      });
    }
    const seedPath = str(args, "seed");
    let sandbox: ReturnType<typeof createSandbox>;
    try {
      sandbox = createSandbox({
        apiKey,
        faults: definedFaults,
        ...(bodyTimeoutMs === undefined ? {} : { bodyTimeoutMs }),
        ...(clock === undefined ? {} : { clock }),
        ...(seedUsers === undefined ? {} : { seedUsers }),
        ...(seedPath === undefined ? {} : { seed: loadSeedFile(seedPath) }),
        ...(str(args, "data") === undefined ? {} : { dataDir: str(args, "data") as string }),
      });
    } catch (err) {
      if (err instanceof SeedFileError || err instanceof StoreFileError) throw new UsageError(err.message);
      throw err;
    }

    let server: Awaited<ReturnType<typeof sandbox.listen>>;
    try {
      server = await sandbox.listen({ host, port });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EADDRINUSE") {
        throw new UsageError(`port ${port} is already in use on ${host}`, {
          hint: "stop the other process, or pick another port with --port (0 picks a free one)",
        });
      }
      throw err;
    }
    io.stdout.write(`listening on ${server.url}\n`);
    if (givenKey === undefined) io.stdout.write(`api key: ${apiKey}\n`);
    const dataDir = str(args, "data");
    io.stderr.write(
      `popdock sandbox: ${dataDir ? `data in ${dataDir}/store.json` : "in-memory data"}; stop with Ctrl-C\n`,
    );

    await new Promise<void>((resolve) => {
      if (io.signal.aborted) resolve();
      else io.signal.addEventListener("abort", () => resolve(), { once: true });
    });
    await server.close();
    await sandbox.flush();
    return 0;
  },
};
