/**
 * Running a CDKTF app the way `cdktf synth` does, without the cdktf CLI: read `cdktf.json`, run
 * its `app` command in a shell (cwd = the app's directory) with `CDKTF_OUTDIR` pointing at a
 * private temporary directory, under a timeout, then read `manifest.json` and pick a stack.
 *
 * The app's stdout and stderr are captured (bounded) and shown only when synthesis fails.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type Diagnostic, didYouMean } from "../../diagnostics.js";
import { isRecord } from "./source.js";

/** Default limit for one synthesis. */
export const DEFAULT_SYNTH_TIMEOUT_MS = 120_000;
/** How much of the app's output is kept for messages. */
const OUTPUT_LIMIT = 64 * 1024;
/** Lines of output shown in a failure message. */
const OUTPUT_LINES = 40;

export interface SynthOptions {
  /** The directory holding `cdktf.json`. */
  dir: string;
  /** `cdktf.json` as shown in diagnostics. */
  display: string;
  /** The app's directory as shown in diagnostics. */
  displayDir: string;
  /** The app's environment (`CDKTF_OUTDIR` and `SYNTH_HCL_OUTPUT` are set on top of it). */
  env: Readonly<Record<string, string | undefined>>;
  timeoutMs: number;
}

export interface Synthesized {
  /** The temporary output directory; call `cleanup` when done with it. */
  outdir: string;
  cleanup(): Promise<void>;
}

/** Runs the app; a failure (bad cdktf.json, non-zero exit, timeout, no manifest) is a diagnostic. */
export async function synthesize(
  opts: SynthOptions,
): Promise<{ result?: Synthesized; diagnostics: Diagnostic[] }> {
  const fail = (code: string, message: string, hint?: string) => {
    const d: Diagnostic = { code, severity: "error", message, file: opts.display };
    if (hint !== undefined) d.hint = hint;
    return { diagnostics: [d] };
  };
  let cdktf: unknown;
  try {
    cdktf = JSON.parse(await readFile(join(opts.dir, "cdktf.json"), "utf8"));
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return fail("CDKTF_CONFIG_INVALID", `cannot read cdktf.json: ${message}`);
  }
  const app = isRecord(cdktf) ? cdktf.app : undefined;
  if (typeof app !== "string" || app.trim() === "") {
    return fail("CDKTF_CONFIG_INVALID", 'cdktf.json has no "app" command', 'e.g. "app": "npx tsx main.ts"');
  }
  const outdir = await mkdtemp(join(tmpdir(), "popdock-cdktf-"));
  const cleanup = () => rm(outdir, { recursive: true, force: true });
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.env)) if (v !== undefined) env[k] = v;
  env.CDKTF_OUTDIR = outdir;
  env.SYNTH_HCL_OUTPUT = "false";
  const context = isRecord(cdktf) ? cdktf.context : undefined;
  if (isRecord(context)) env.CDKTF_CONTEXT_JSON = JSON.stringify(context);

  const run = await runCommand(app, opts.dir, env, opts.timeoutMs);
  const shown = run.output === "" ? "" : `\n${indentTail(run.output)}`;
  if (run.error !== undefined) {
    await cleanup();
    return fail("CDKTF_SYNTH_FAILED", `could not run the CDKTF app "${app}": ${run.error}`);
  }
  if (run.timedOut) {
    await cleanup();
    return fail(
      "CDKTF_SYNTH_TIMEOUT",
      `the CDKTF app "${app}" did not finish within ${duration(opts.timeoutMs)} and was stopped${shown}`,
      "make the app faster, or synthesize it yourself (`cdktf synth`) and pass cdktf.out/stacks/<stack>/cdk.tf.json",
    );
  }
  if (run.code !== 0) {
    await cleanup();
    const how = run.signal !== null ? `was killed by ${run.signal}` : `exited with code ${run.code}`;
    return fail(
      "CDKTF_SYNTH_FAILED",
      `the CDKTF app "${app}" ${how}${shown}`,
      `run "${app}" ${opts.displayDir === "." ? "here" : `in ${opts.displayDir}`} to see the whole output`,
    );
  }
  const manifest = await readFile(join(outdir, "manifest.json"), "utf8").catch(() => undefined);
  if (manifest === undefined) {
    await cleanup();
    return fail(
      "CDKTF_SYNTH_FAILED",
      `the CDKTF app "${app}" wrote no manifest.json${shown}`,
      "the app must call app.synth(), and must not set `outdir` in new App(…) (it is passed in CDKTF_OUTDIR)",
    );
  }
  return { result: { outdir, cleanup }, diagnostics: [] };
}

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  output: string;
  error?: string;
}

function runCommand(
  command: string,
  cwd: string,
  env: Record<string, string>,
  timeoutMs: number,
): Promise<RunResult> {
  return new Promise((done) => {
    let output = "";
    let timedOut = false;
    const keep = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (output.length > OUTPUT_LIMIT) output = output.slice(-OUTPUT_LIMIT);
    };
    // detached: the shell leads its own process group, so a timeout stops the app's children too.
    const child = spawn(command, {
      cwd,
      env,
      shell: true,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const stop = (signal: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop("SIGTERM");
      setTimeout(() => stop("SIGKILL"), 2000).unref();
    }, timeoutMs);
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("error", (e) => {
      clearTimeout(timer);
      done({ code: null, signal: null, timedOut, output, error: e.message });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, timedOut, output: output.trimEnd() });
    });
  });
}

function duration(ms: number): string {
  return ms < 10_000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}

function indentTail(output: string): string {
  const lines = output.split(/\r?\n/);
  const tail = lines.slice(-OUTPUT_LINES);
  const skipped = lines.length - tail.length;
  return [...(skipped > 0 ? [`  | … ${skipped} earlier lines`] : []), ...tail.map((l) => `  | ${l}`)].join(
    "\n",
  );
}

export interface StackEntry {
  name: string;
  /** Absolute path of the stack's `cdk.tf.json`. */
  file: string;
  constructPath?: string;
  annotations: { constructPath?: string; level: string; message: string }[];
}

/** Reads `manifest.json` in `outdir` and picks the stack to read. */
export async function pickStack(
  outdir: string,
  display: string,
  stack: string | undefined,
): Promise<{ stack?: StackEntry; diagnostics: Diagnostic[] }> {
  const fail = (code: string, message: string, hint?: string) => {
    const d: Diagnostic = { code, severity: "error", message, file: display };
    if (hint !== undefined) d.hint = hint;
    return { diagnostics: [d] };
  };
  let manifest: unknown;
  try {
    manifest = JSON.parse(await readFile(join(outdir, "manifest.json"), "utf8"));
  } catch (e) {
    return fail(
      "CDKTF_MANIFEST_INVALID",
      `cannot read manifest.json: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  const stacks = isRecord(manifest) && isRecord(manifest.stacks) ? manifest.stacks : undefined;
  if (stacks === undefined) return fail("CDKTF_MANIFEST_INVALID", 'manifest.json has no "stacks"');
  const names = Object.keys(stacks).sort();
  if (names.length === 0) {
    return fail(
      "CDKTF_NO_STACK",
      "the CDKTF app defines no stack",
      "create a TerraformStack holding the Popdock resources",
    );
  }
  let name = stack;
  if (name === undefined) {
    if (names.length > 1) {
      return fail(
        "CDKTF_STACK_REQUIRED",
        `the CDKTF app defines ${names.length} stacks: ${names.join(", ")}`,
        `choose one with --stack NAME, e.g. --stack ${names[0]}`,
      );
    }
    name = names[0] as string;
  }
  const entry = stacks[name];
  if (!isRecord(entry)) {
    const guess = didYouMean(name, names);
    return fail(
      "CDKTF_UNKNOWN_STACK",
      `the CDKTF app has no stack "${name}"`,
      guess !== undefined ? `did you mean --stack ${guess}?` : `stacks: ${names.join(", ")}`,
    );
  }
  const synthesized = typeof entry.synthesizedStackPath === "string" ? entry.synthesizedStackPath : undefined;
  if (synthesized === undefined)
    return fail("CDKTF_MANIFEST_INVALID", `stack "${name}" has no synthesizedStackPath`);
  const annotations: StackEntry["annotations"] = [];
  if (Array.isArray(entry.annotations)) {
    for (const a of entry.annotations) {
      if (!isRecord(a) || typeof a.message !== "string" || typeof a.level !== "string") continue;
      annotations.push({
        level: a.level,
        message: a.message,
        ...(typeof a.constructPath === "string" ? { constructPath: a.constructPath } : {}),
      });
    }
  }
  return {
    stack: {
      name,
      file: resolve(outdir, synthesized),
      ...(typeof entry.constructPath === "string" ? { constructPath: entry.constructPath } : {}),
      annotations,
    },
    diagnostics: [],
  };
}

/** CDKTF annotations (`Annotations.of(c).addWarning(…)`) as diagnostics; info is dropped. */
export function annotationDiagnostics(stack: StackEntry, display: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const a of stack.annotations) {
    const severity = /error/i.test(a.level) ? "error" : /warn/i.test(a.level) ? "warning" : undefined;
    if (severity === undefined) continue;
    const where = a.constructPath !== undefined ? ` (construct ${a.constructPath})` : "";
    out.push({ code: "CDKTF_ANNOTATION", severity, message: `${a.message}${where}`, file: display });
  }
  return out;
}
