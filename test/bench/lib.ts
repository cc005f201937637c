/**
 * Shared pieces of the benchmarks (`npm run bench`, run.ts): the module shape the runner loads,
 * child CLI runs measured with their own CPU time and peak RSS, configurations of N API users,
 * and an in-process sandbox seeded without HTTP.
 *
 * ## The shape of a benchmark module
 *
 * Every `test/bench/*.bench.ts` is compiled to `dist/test/bench/*.bench.js`; run.ts imports each
 * and uses its `bench` export when it has this shape (a module without it is listed as skipped):
 *
 * ```ts
 * export const bench: Bench = {
 *   name: "refresh",                         // a short id; `npm run bench -- refresh` runs only it
 *   async run(ctx) {                         // ctx: BenchContext (quick, users, tmp dir, log …)
 *     return [{ metric: "requests ratio", value: 75.8, unit: "×", target: "≥ 10", ok: true }];
 *   },
 * };
 * ```
 *
 * A module must do no work when imported (the runner imports all of them first); it may also run
 * on its own when it is the main module (refresh.bench.ts shows how).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** One line of the table. */
export interface BenchRow {
  /** What was measured: `per-step CPU 1800 vs 600 steps`. */
  metric: string;
  /** The number (a ratio or an absolute figure), or a short text. */
  value: number | string;
  /** `×`, `ms`, `MiB`, `req/s` … */
  unit?: string;
  /** The target it is held against, as text: `≤ 1.3`. */
  target?: string;
  /** Whether the target is met (absent when there is no target). */
  ok?: boolean;
  /** Anything else worth one short note (absolute figures behind a ratio). */
  note?: string;
}

export interface BenchContext {
  /** `--quick`: smaller sizes, the whole run under two minutes. */
  quick: boolean;
  /** The large user count (`BENCH_USERS`; default 10,000, 2,000 with --quick). */
  users: number;
  /** The repository root (where package.json and bin/ are). */
  root: string;
  /** A fresh temporary directory for this benchmark, removed afterwards. */
  tmp: string;
  /** A progress line on stderr. */
  log(line: string): void;
}

export interface Bench {
  name: string;
  run(ctx: BenchContext): Promise<BenchRow[]>;
}

/** Whether `mod` has a `bench` export of the {@link Bench} shape. */
export function isBench(value: unknown): value is Bench {
  if (typeof value !== "object" || value === null) return false;
  const b = value as { name?: unknown; run?: unknown };
  return typeof b.name === "string" && typeof b.run === "function";
}

/** The repository root, from dist/test/bench/ or test/bench/. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string };
      if (pkg.name === "popdock-iac") return dir;
    } catch {
      // not here
    }
    dir = dirname(dir);
  }
  return resolve(".");
}

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `popdock-bench-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** What a measured child process used. */
export interface ChildUsage {
  code: number | null;
  /** User + system CPU of the child itself, ms. */
  cpuMs: number;
  /** Peak resident set, MiB. */
  maxRssMiB: number;
  wallMs: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node [nodeArgs] script args` with a preload (rusage-hook.js) that writes the process's
 * own `resourceUsage()` at exit, so CPU and peak RSS are the child's alone.
 */
export async function measureNode(
  nodeArgs: string[],
  env: Record<string, string | undefined>,
  cwd: string,
): Promise<ChildUsage> {
  const out = join(tmpdir(), `popdock-rusage-${randomBytes(6).toString("hex")}.json`);
  const hook = join(dirname(fileURLToPath(import.meta.url)), "rusage-hook.js");
  const t0 = performance.now();
  const child = spawn(process.execPath, ["--import", hook, ...nodeArgs], {
    cwd,
    env: { ...process.env, ...env, POPDOCK_BENCH_RUSAGE: out },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  const code = await new Promise<number | null>((res) => child.on("close", (c) => res(c)));
  const wallMs = performance.now() - t0;
  let usage = { cpuMs: Number.NaN, maxRssMiB: Number.NaN };
  try {
    usage = JSON.parse(readFileSync(out, "utf8")) as typeof usage;
    rmSync(out, { force: true });
  } catch {
    // the child died before its exit hook ran
  }
  return { code, ...usage, wallMs, stdout, stderr };
}

/** `popdock <args>` from the built CLI, measured. */
export function measureCli(
  root: string,
  args: string[],
  env: Record<string, string | undefined>,
  cwd: string,
): Promise<ChildUsage> {
  return measureNode([join(root, "bin", "popdock.js"), ...args], { NO_COLOR: "1", ...env }, cwd);
}

/** Throws with the child's stderr when it did not exit 0. */
export function expectOk(what: string, u: ChildUsage): ChildUsage {
  if (u.code !== 0) {
    throw new Error(`${what} exited ${u.code}:\n${u.stderr.slice(-2_000)}\n${u.stdout.slice(-1_000)}`);
  }
  return u;
}

/**
 * A YAML configuration of `users` API users, each with a team, a role and a connector grant and
 * two tokens: 6 resources a user.
 */
export function usersConfig(users: number, prefix = "bench"): string {
  const lines = ["api_users:"];
  for (let i = 0; i < users; i++) {
    lines.push(
      `  u${i}:`,
      `    name: ${prefix}-${i}`,
      "    grants:",
      "      - team: Finance",
      "      - role: Contributor",
      "      - connector: GP Production",
      "        roles: [Reader]",
      "        lists: [Customers]",
      "    tokens:",
      "      a: {}",
      "      b: {}",
    );
  }
  return `${lines.join("\n")}\n`;
}

export function writeConfig(dir: string, users: number, prefix?: string): string {
  const file = join(dir, "popdock.yaml");
  writeFileSync(file, usersConfig(users, prefix));
  return file;
}

/** Median of numbers (NaN for none). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export const apiKey = (): string => randomBytes(16).toString("hex");
