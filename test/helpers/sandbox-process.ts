/**
 * Runs the real CLI (`node bin/popdock.js sandbox --port 0 ...`) as a child process, for
 * end-to-end tests. Needs a build (`npm run build`; `npm test` does it first).
 *
 * ```ts
 * const sandbox = await startSandboxProcess({ apiKey: "k" });
 * // ... talk to sandbox.url with `Authorization: Bearer ${sandbox.apiKey}`
 * expect(await sandbox.stop()).toBe(0);
 * ```
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { BIN, REPO_ROOT } from "./cli.js";

const MAIN = join(REPO_ROOT, "dist", "provider", "cli", "main.js");

export interface SandboxProcessOptions {
  /** `--api-key`; null starts without one (the CLI generates a key and prints it). Default "test-key". */
  apiKey?: string | null;
  /** More CLI arguments, e.g. `["--data", dir]`. */
  args?: string[];
  /** Extra environment (POPDOCK_SANDBOX_API_KEY is removed unless given here). */
  env?: Record<string, string>;
  /** How long to wait for the `listening on` line. Default 25 s (a busy machine; the hook timeout is 30 s). */
  startTimeoutMs?: number;
}

export interface SandboxProcess {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  apiKey: string;
  child: ChildProcess;
  /** Everything the process wrote to stdout so far. */
  stdout(): string;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** Sends `signal` (default SIGTERM) and resolves with the exit code (null when killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startSandboxProcess(options: SandboxProcessOptions = {}): Promise<SandboxProcess> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` before these tests`);
  const apiKey = options.apiKey === undefined ? "test-key" : options.apiKey;
  const args = [
    BIN,
    "sandbox",
    "--port",
    "0",
    ...(apiKey === null ? [] : ["--api-key", apiKey]),
    ...(options.args ?? []),
  ];
  const env: Record<string, string | undefined> = { ...process.env, ...options.env };
  if (!options.env?.POPDOCK_SANDBOX_API_KEY) delete env.POPDOCK_SANDBOX_API_KEY;
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });

  let out = "";
  let err = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => resolve(code));
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const wanted = apiKey === null ? 2 : 1;
  const got: string[] = [];

  const ready = new Promise<string[]>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(`sandbox did not start within ${options.startTimeoutMs ?? 25_000} ms; stderr:\n${err}`),
      );
    }, options.startTimeoutMs ?? 25_000);
    lines.on("line", (line) => {
      out += `${line}\n`;
      if (got.length < wanted) got.push(line);
      if (got.length === wanted) {
        clearTimeout(timer);
        resolve(got);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`sandbox exited with ${code} before it was ready; stderr:\n${err}`));
    });
  });
  const [first, second] = await ready;
  const url = /^listening on (http:\/\/\S+)$/.exec(first ?? "")?.[1];
  if (!url) {
    child.kill("SIGKILL");
    throw new Error(`unexpected first line from the sandbox: ${JSON.stringify(first)}`);
  }
  let key = apiKey;
  if (key === null) {
    key = /^api key: (\S+)$/.exec(second ?? "")?.[1] ?? null;
    if (key === null) {
      child.kill("SIGKILL");
      throw new Error(`expected "api key: ..." as the second line, got ${JSON.stringify(second)}`);
    }
  }
  return {
    url,
    apiKey: key,
    child,
    stdout: () => out,
    stderr: () => err,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
