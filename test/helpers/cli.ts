/**
 * Runs the real CLI (`node bin/popdock.js`, the built dist) as a child process, the way a user
 * or CI does. Captures stdout and stderr separately, with a deadline; `expectExit` asserts a
 * result's exit code and shows the command's output when it is not the expected one.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const BIN = join(REPO_ROOT, "bin", "popdock.js");

export interface CliResult {
  /** The arguments the CLI ran with (after `popdock`). */
  args: readonly string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
}

/** A clean environment: no POPDOCK_* or CI variables leak in from the machine running the tests. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k.startsWith("POPDOCK_") || k === "GITHUB_ACTIONS" || k === "NO_COLOR") continue;
    env[k] = v;
  }
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

export function spawnCli(
  args: readonly string[],
  opts: CliOptions,
): ChildProcess & { output: Promise<CliResult> } {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: opts.cwd,
    env: cleanEnv(opts.env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
  const output = new Promise<CliResult>((resolveP) => {
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolveP({ args, code, signal, stdout, stderr });
    });
  });
  return Object.assign(child, { output });
}

export function runCli(args: readonly string[], opts: CliOptions): Promise<CliResult> {
  return spawnCli(args, opts).output;
}

/** A fresh working directory with the given files. */
export async function workdir(files: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "popdock-e2e-"));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

/** A CLI result for an assertion message: the command, `context`, then its stdout and stderr. */
export function explain(r: CliResult, context = ""): string {
  return `popdock ${r.args.join(" ")}${context}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

/** Asserts the exit code, showing the command and its output when it differs; returns `r`. */
export function expectExit(r: CliResult, code: number, context = ""): CliResult {
  expect(r.code, explain(r, context)).toBe(code);
  return r;
}
