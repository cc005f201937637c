/**
 * Running a CDKTF app the way `cdktf synth` does, without the cdktf CLI: read `cdktf.json`, run
 * its `app` command in a shell (cwd = the app's directory) with `CDKTF_OUTDIR` pointing at a
 * private temporary directory, under a timeout, then read `manifest.json` and pick a stack.
 *
 * The app runs in its own process group, so that a timeout or an abort (Ctrl-C in the CLI)
 * stops the app's children too; when the CLI process exits while the app runs, the group is
 * killed and the temporary directory removed. The runner waits for the app to exit, not for its
 * pipes to close: a process that left the group (`setsid`) cannot hold the CLI up.
 *
 * The app's stdout and stderr are captured (bounded) and shown only when synthesis fails.
 */
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type Diagnostic, didYouMean } from "../../model/diagnostics.js";
import { isRecord } from "../../model/values.js";

/** Default limit for one synthesis. */
export const DEFAULT_SYNTH_TIMEOUT_MS = 120_000;
/** Lines of output shown in a failure message (the last ones). */
const OUTPUT_LINES = 40;
/** Characters shown of one line of output. */
const LINE_CHARS = 500;
/** Characters of output shown in a failure message, in all. */
const OUTPUT_CHARS = 2000;
/** After SIGTERM to a timed-out or aborted app: how long until SIGKILL, and giving up waiting. */
const KILL_GRACE_MS = 1000;
/** After the app exits: how long its output may take to arrive before the pipes are closed. */
const DRAIN_MS = 200;

export interface SynthOptions {
  /** The directory holding `cdktf.json`. */
  dir: string;
  /** `cdktf.json` as shown in diagnostics. */
  display: string;
  /** The app's directory as shown in diagnostics. */
  displayDir: string;
  /** The app's environment (`CDKTF_OUTDIR` and `SYNTH_HCL_OUTPUT` are set on top of it). */
  env: Readonly<Record<string, string | undefined>>;
  /** A hard limit: the app's process group is killed, and the result returned, soon after it. */
  timeoutMs: number;
  /** Aborting stops the app (its whole process group) and removes its output. */
  signal?: AbortSignal | undefined;
}

export interface Synthesized {
  /** The temporary output directory; call `cleanup` when done with it. */
  outdir: string;
  cleanup(): Promise<void>;
}

/**
 * Runs the app; a failure (bad cdktf.json, non-zero exit, timeout, abort, no manifest) is a
 * diagnostic, and leaves no temporary directory behind.
 */
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
  const aborted = () =>
    fail("CDKTF_SYNTH_ABORTED", `interrupted: the CDKTF app "${app}" was stopped before it finished`);
  if (opts.signal?.aborted) return aborted();
  const outdir = await mkdtemp(join(tmpdir(), "popdock-cdktf-"));
  // Should the process exit before `cleanup` (a second Ctrl-C, process.exit), the output goes too.
  const removeOnExit = () => rmSync(outdir, { recursive: true, force: true });
  process.on("exit", removeOnExit);
  const cleanup = async () => {
    process.off("exit", removeOnExit);
    await rm(outdir, { recursive: true, force: true });
  };
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.env)) if (v !== undefined) env[k] = v;
  env.CDKTF_OUTDIR = outdir;
  env.SYNTH_HCL_OUTPUT = "false";
  // Which CDK the app builds on, for popdock-iac's constructs (provider/cdktf/lib.ts).
  env.POPDOCK_CDK_FLAVOUR ??= await detectCdkFlavour(opts.dir, app);
  const context = isRecord(cdktf) ? cdktf.context : undefined;
  if (isRecord(context)) env.CDKTF_CONTEXT_JSON = JSON.stringify(context);

  const run = await runCommand(app, opts.dir, env, opts.timeoutMs, opts.signal);
  const shown = run.output === "" ? "" : `\n${run.output}`;
  if (run.aborted) {
    await cleanup();
    return aborted();
  }
  if (run.timedOut) {
    await cleanup();
    return fail(
      "CDKTF_SYNTH_TIMEOUT",
      `the CDKTF app "${app}" did not finish within ${duration(opts.timeoutMs)} and was stopped${shown}`,
      "make the app faster, or synthesize it yourself (`cdktf synth`) and pass cdktf.out/stacks/<stack>/cdk.tf.json",
    );
  }
  if (run.error !== undefined) {
    await cleanup();
    return fail("CDKTF_SYNTH_FAILED", `could not run the CDKTF app "${app}": ${run.error}`);
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
  aborted: boolean;
  /** The tail of stdout and stderr, formatted for a message (`  | ` before each line). */
  output: string;
  error?: string;
}

/**
 * Runs `command` in a shell that leads its own process group. Resolves once the shell has exited
 * (and its output had `DRAIN_MS` to arrive), or `KILL_GRACE_MS` after a timeout or abort even if
 * it has not; then the group is signalled once more so that nothing the app started survives it.
 */
function runCommand(
  command: string,
  cwd: string,
  env: Record<string, string>,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<RunResult> {
  return new Promise((done) => {
    const output = new OutputTail();
    let timedOut = false;
    let aborted = false;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    // detached: the shell leads a new process group, so that the whole app can be signalled.
    const child = spawn(command, {
      cwd,
      env,
      shell: true,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const group = (sig: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        // the group is gone
      }
    };
    const killOnExit = () => group("SIGKILL");
    process.on("exit", killOnExit);
    const finish = (code: number | null, sig: NodeJS.Signals | null, error?: string) => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      signal?.removeEventListener("abort", onAbort);
      process.off("exit", killOnExit);
      // Whatever is left of the app's group is stopped; pipes held open by anything else are closed.
      group(timedOut || aborted ? "SIGKILL" : "SIGTERM");
      child.stdout.destroy();
      child.stderr.destroy();
      const r: RunResult = { code, signal: sig, timedOut, aborted, output: output.format() };
      if (error !== undefined) r.error = error;
      done(r);
    };
    const stop = () => {
      group("SIGTERM");
      timers.push(setTimeout(() => finish(null, "SIGKILL"), KILL_GRACE_MS));
    };
    function onAbort() {
      if (settled || aborted || timedOut) return;
      aborted = true;
      stop();
    }
    timers.push(
      setTimeout(() => {
        if (settled || aborted) return;
        timedOut = true;
        stop();
      }, timeoutMs),
    );
    signal?.addEventListener("abort", onAbort, { once: true });
    if (signal?.aborted) onAbort();
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", output.writer());
    child.stderr.on("data", output.writer());
    child.on("error", (e) => finish(null, null, e.message));
    child.on("exit", (code, sig) => {
      const drained = () => finish(code, sig);
      child.once("close", drained);
      timers.push(setTimeout(drained, DRAIN_MS));
    });
  });
}

interface Line {
  text: string;
  /** Characters cut off the end of it. */
  more: number;
}

/**
 * The tail of the app's output in bounded memory: the last `OUTPUT_LINES` lines, each cut at
 * `LINE_CHARS`; `format` also caps the total at `OUTPUT_CHARS`. Each stream (`writer`) keeps its
 * own unfinished line, so that stdout and stderr do not run into each other.
 */
class OutputTail {
  private readonly lines: Line[] = [];
  private readonly partial: Line[] = [];
  private dropped = 0;

  /** A `data` listener for one stream (with `setEncoding("utf8")`). */
  writer(): (chunk: string) => void {
    const current: Line = { text: "", more: 0 };
    this.partial.push(current);
    return (chunk) => {
      let start = 0;
      for (;;) {
        const nl = chunk.indexOf("\n", start);
        const piece = chunk.slice(start, nl === -1 ? undefined : nl);
        const room = Math.max(LINE_CHARS - current.text.length, 0);
        current.text += piece.slice(0, room);
        current.more += Math.max(piece.length - room, 0);
        if (nl === -1) return;
        this.endLine(current);
        start = nl + 1;
      }
    };
  }

  private endLine(current: Line): void {
    const { text, more } = current;
    this.lines.push({ text: more === 0 ? text.replace(/\r$/, "") : text, more });
    current.text = "";
    current.more = 0;
    if (this.lines.length > OUTPUT_LINES) {
      this.lines.shift();
      this.dropped++;
    }
  }

  /** `  | ` before each line, `… (N more characters)` after a cut one; "" for no output. */
  format(): string {
    for (const p of this.partial) if (p.text !== "" || p.more > 0) this.endLine(p);
    const lines = this.lines.map((l) => `  | ${l.text}${l.more > 0 ? `… (${l.more} more characters)` : ""}`);
    while (lines.length > 0 && (lines.at(-1) as string).trim() === "|") lines.pop();
    let total = 0;
    let first = lines.length;
    while (first > 0) {
      const next = (lines[first - 1] as string).length + 1;
      if (total + next > OUTPUT_CHARS && first < lines.length) break;
      total += next;
      first--;
    }
    const skipped = this.dropped + first;
    const kept = lines.slice(first);
    if (kept.length === 0) return "";
    return [...(skipped > 0 ? [`  | … ${skipped} earlier lines`] : []), ...kept].join("\n");
  }
}

function duration(ms: number): string {
  return ms < 10_000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
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

/**
 * Whether a CDK app uses CDK Terrain (`cdktn`) or CDK for Terraform (`cdktf`): the modules its
 * entry file (the first `*.ts`/`*.js`/`*.mjs`/`*.mts` word of the `app` command) imports, else
 * the one its package.json depends on, else `cdktf`.
 */
export async function detectCdkFlavour(dir: string, app: string): Promise<"cdktf" | "cdktn"> {
  const entry = app.split(/\s+/).find((w) => /\.(?:[cm]?[jt]s|tsx)$/.test(w));
  if (entry !== undefined) {
    const text = await readFile(resolve(dir, entry), "utf8").catch(() => "");
    const uses = (m: string) =>
      new RegExp(`(?:from\\s*|import\\s*\\(\\s*|require\\s*\\(\\s*)["']${m}["']`).test(text);
    if (uses("cdktn") && !uses("cdktf")) return "cdktn";
    if (uses("cdktf") && !uses("cdktn")) return "cdktf";
  }
  try {
    const pkg = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as Record<string, unknown>;
    const deps = { ...(pkg.dependencies as object), ...(pkg.devDependencies as object) };
    if ("cdktn" in deps && !("cdktf" in deps)) return "cdktn";
  } catch {
    // none: the default
  }
  return "cdktf";
}
