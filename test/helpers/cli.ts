/**
 * Runs the real CLI, the built dist, two ways: as a child process (`node bin/popdock.js`, the way
 * a user or CI does: `runCli`, `spawnCli`) and in-process (`runCliInProcess`: the same
 * `runMain(argv, io)` that bin/popdock.js calls, with captured streams, the same clean
 * environment and a cwd). In-process saves a Node start-up and module load (0.2–0.4 s of CPU)
 * per command; use a child process whenever what is under test is the process itself: signals,
 * exit hooks, kill -9, or locks held by another process. Captures stdout and stderr separately;
 * `expectExit` asserts a result's exit code and shows the command's output when it is not the
 * expected one.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { expect } from "vitest";
import type { CliIO, Out } from "../../provider/cli/io.js";
import { tempDir } from "./tmp.js";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const BIN = join(REPO_ROOT, "bin", "popdock.js");
/** The module bin/popdock.js runs. vitest.config.ts externalises dist/, so Node loads it as is. */
export const MAIN = join(REPO_ROOT, "dist", "provider", "cli", "main.js");

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
    if (
      v === undefined ||
      k.startsWith("POPDOCK_") ||
      ["GITHUB_ACTIONS", "NO_COLOR", "FORCE_COLOR"].includes(k)
    )
      continue;
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

type RunMain = (argv: readonly string[], io: CliIOLike) => Promise<number>;

/** The part of provider/cli/io.ts `CliIO` a non-interactive run passes (no prompt: stdin is no TTY). */
interface CliIOLike {
  stdout: { write(chunk: string): unknown; isTTY?: boolean };
  stderr: { write(chunk: string): unknown; isTTY?: boolean };
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  signal: AbortSignal;
}

let runMainPromise: Promise<RunMain> | undefined;

/** `runMain` of the built CLI (dist/), loaded once per test file. */
function loadRunMain(): Promise<RunMain> {
  runMainPromise ??= (async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` before these tests`);
    const mod = (await import(pathToFileURL(MAIN).href)) as { runMain: RunMain };
    return mod.runMain;
  })();
  return runMainPromise;
}

/** The in-process runs going on now: bytes written straight to process.stdout/stderr go to them. */
const active = new Set<{ stdout: string; stderr: string }>();
let restoreStreams: (() => void) | undefined;

/**
 * While any in-process run is going on, process.stdout and process.stderr writes are also added
 * to its output, as a child process's would be: a byte the CLI writes around its IO object (a
 * stray `process.stdout.write`, a Node warning) is seen by the assertions and the secrets canary.
 * Outside a run, the streams are untouched.
 */
function captureStreams(run: { stdout: string; stderr: string }): () => void {
  active.add(run);
  if (restoreStreams === undefined) {
    const patch = (stream: NodeJS.WriteStream, key: "stdout" | "stderr") => {
      const original = stream.write;
      stream.write = ((chunk: unknown, ...rest: unknown[]) => {
        const text = typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8");
        for (const r of active) r[key] += text;
        return (original as (...a: unknown[]) => boolean).call(stream, chunk, ...rest);
      }) as typeof stream.write;
      return () => {
        stream.write = original;
      };
    };
    const undo = [patch(process.stdout, "stdout"), patch(process.stderr, "stderr")];
    restoreStreams = () => {
      for (const u of undo) u();
    };
  }
  return () => {
    active.delete(run);
    if (active.size === 0) {
      restoreStreams?.();
      restoreStreams = undefined;
    }
  };
}

/**
 * The CLI in this process: `runMain(args, io)` with stdout and stderr captured (not terminals),
 * `cleanEnv(opts.env)` as its environment and `opts.cwd` as its working directory, exactly as
 * `runCli` would give a child process; what is written straight to process.stdout/stderr
 * meanwhile is captured too (see `captureStreams`). Same result shape (`signal` is always null);
 * an exception escaping runMain (a bug: the CLI turns errors into exit codes) fails the test.
 * Its lock records this process's pid, so keep locks between processes to `runCli`/`spawnCli`.
 */
export async function runCliInProcess(args: readonly string[], opts: CliOptions): Promise<CliResult> {
  const runMain = await loadRunMain();
  const out = { stdout: "", stderr: "" };
  const io: CliIOLike = {
    stdout: { write: (chunk: string) => (out.stdout += chunk), isTTY: false },
    stderr: { write: (chunk: string) => (out.stderr += chunk), isTTY: false },
    env: cleanEnv(opts.env),
    cwd: opts.cwd,
    signal: new AbortController().signal,
  };
  const release = captureStreams(out);
  try {
    const code = await runMain([...args], io);
    return { args, code, signal: null, stdout: out.stdout, stderr: out.stderr };
  } finally {
    release();
  }
}

/** A fresh working directory with the given files, removed after the test file. */
export async function workdir(files: Record<string, string> = {}): Promise<string> {
  const dir = tempDir("popdock-e2e-");
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

/** A `CliIO` for `runMain` in-process that collects stdout and stderr (no terminal, empty env). */
export function captureIO(): { io: CliIO; out: () => string; err: () => string } {
  let out = "";
  let err = "";
  const stream = (append: (s: string) => void): Out => ({
    write: (s: string) => {
      append(s);
      return true;
    },
  });
  const io: CliIO = {
    stdout: stream((s) => (out += s)),
    stderr: stream((s) => (err += s)),
    env: {},
    cwd: process.cwd(),
    signal: new AbortController().signal,
  };
  return { io, out: () => out, err: () => err };
}
