/**
 * The Terraform JSON frontend: `*.tf.json` files, CDKTF output (`<outdir>/manifest.json`,
 * `stacks/<stack>/cdk.tf.json`) and CDKTF apps (a directory with `cdktf.json`, synthesized on
 * the fly) in, a DesiredConfig and every diagnostic out.
 *
 *   paths ─► files / synthesized stack (synth.ts) ─► JSON + positions (source.ts)
 *         ─► resources, references, lifecycle, outputs (reader.ts) ─► drafts
 *         ─► shared semantic pass (../semantic.ts: duplicates, automatic outputs) ─► DesiredConfig
 *
 * Reads JSON only: it never loads cdktf (a CDKTF app runs in its own process).
 * See `reader.ts` for how Terraform resources map to popdock addresses.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { type Diagnostic, fileDiagnostic } from "../../model/diagnostics.js";
import { isRecord } from "../../model/values.js";
import { decodeConfigFile, MAX_CONFIG_FILE_BYTES, tooLarge } from "../input.js";
import { analyze } from "../semantic.js";
import type { FrontendOutput, LoadOptions, LoadResult } from "../types.js";
import type { TfOutputOrigin } from "./outputs.js";
import { type Block, readTerraformJson, terraformPhrasing } from "./reader.js";
import { JsonSource } from "./source.js";
import { annotationDiagnostics, DEFAULT_SYNTH_TIMEOUT_MS, pickStack, synthesize } from "./synth.js";

export { detectTerraformJson } from "./detect.js";
export { DEFAULT_SYNTH_TIMEOUT_MS } from "./synth.js";

/** Larger files are refused: the same cap as YAML's. */
export const MAX_FILE_BYTES = MAX_CONFIG_FILE_BYTES;

export interface LoadTerraformOptions {
  /**
   * Files (`*.tf.json`, a synthesized `cdk.tf.json`, a CDKTF `manifest.json`) or directories: one
   * with `cdktf.json` is a CDKTF app to synthesize, one with `manifest.json` is a CDKTF output
   * directory, any other is read as all its `*.tf.json` files (sorted by name).
   */
  paths: readonly string[];
  /** Relative paths are resolved against it, and file names are shown relative to it. */
  cwd: string;
  /** The environment a CDKTF app runs with (not read from `process.env` unless passed). */
  env: Readonly<Record<string, string | undefined>>;
  /** The CDKTF stack to read; required when the app has several. */
  stack?: string;
  /** Limit for running a CDKTF app; default 120 s. */
  synthTimeoutMs?: number;
  /** Stops a running CDKTF app (its process group is killed, its output removed: an error diagnostic). */
  signal?: AbortSignal | undefined;
}

export type TerraformLoadResult = LoadResult;

/** A Terraform JSON text with the name diagnostics should show for it. */
export interface TerraformJsonSource {
  file: string;
  text: string;
  /** Whether diagnostics get line and column (false for temporary synth output). Default true. */
  positions?: boolean;
}

/**
 * Reads Terraform JSON configuration, synthesizing CDKTF apps first. Never throws for user
 * mistakes (missing files, bad JSON, unsupported constructs, a failing app): they are diagnostics.
 * `detectTerraformJson` (detect.ts) claims exactly the paths this function reads.
 */
export async function loadTerraformConfig(opts: LoadTerraformOptions): Promise<LoadResult> {
  return analyze(await readTerraformConfig(opts));
}

/** The Terraform JSON frontend's syntactic part: paths in, drafts out (before the semantic pass). */
export async function readTerraformConfig(opts: LoadOptions): Promise<FrontendOutput<Block, TfOutputOrigin>> {
  const diagnostics: Diagnostic[] = [];
  const sources: TerraformJsonSource[] = [];
  const display = (abs: string) => {
    const rel = relative(opts.cwd, abs);
    return (rel === "" ? "." : rel).split(sep).join("/");
  };
  const readSource = async (abs: string, file: string, positions: boolean) => {
    const st = await stat(abs).catch((e: NodeJS.ErrnoException) => e);
    if (st instanceof Error) {
      diagnostics.push(fileDiagnostic(file, st));
      return;
    }
    if (st.size > MAX_FILE_BYTES) {
      diagnostics.push(tooLarge("TF_JSON_TOO_LARGE", file, st.size, MAX_FILE_BYTES));
      return;
    }
    try {
      const bytes = await readFile(abs);
      if (bytes.length > MAX_FILE_BYTES) {
        diagnostics.push(tooLarge("TF_JSON_TOO_LARGE", file, bytes.length, MAX_FILE_BYTES));
        return;
      }
      const decoded = decodeConfigFile(file, bytes, { positions });
      if ("text" in decoded) sources.push({ file, text: decoded.text, positions });
      else diagnostics.push(decoded.diagnostic);
    } catch (e) {
      diagnostics.push(fileDiagnostic(file, e as NodeJS.ErrnoException));
    }
  };
  /** A CDKTF output directory: its manifest names the stacks. */
  const readOutdir = async (outdir: string, shownAs: string, positions: boolean, displayAs?: string) => {
    const picked = await pickStack(outdir, shownAs, opts.stack);
    diagnostics.push(...picked.diagnostics);
    if (!picked.stack) return;
    diagnostics.push(...annotationDiagnostics(picked.stack, displayAs ?? display(picked.stack.file)));
    await readSource(picked.stack.file, displayAs ?? display(picked.stack.file), positions);
  };

  for (const given of opts.paths) {
    let abs = isAbsolute(given) ? given : resolve(opts.cwd, given);
    if (basename(abs) === "cdktf.json") abs = dirname(abs);
    const st = await stat(abs).catch((e: NodeJS.ErrnoException) => e);
    if (st instanceof Error) {
      diagnostics.push(fileDiagnostic(given, st));
      continue;
    }
    if (!st.isDirectory()) {
      if (basename(abs) === "manifest.json") await readOutdir(dirname(abs), display(abs), true);
      else await readSource(abs, display(abs), true);
      continue;
    }
    if (await isFile(join(abs, "cdktf.json"))) {
      const shown = display(join(abs, "cdktf.json"));
      const synth = await synthesize({
        dir: abs,
        display: shown,
        displayDir: display(abs),
        env: opts.env,
        timeoutMs: opts.synthTimeoutMs ?? DEFAULT_SYNTH_TIMEOUT_MS,
        signal: opts.signal,
      });
      diagnostics.push(...synth.diagnostics);
      if (!synth.result) continue;
      try {
        // The synthesized file is temporary: messages name cdktf.json and the construct path.
        await readOutdir(synth.result.outdir, shown, false, shown);
      } finally {
        await synth.result.cleanup();
      }
      continue;
    }
    if (await isFile(join(abs, "manifest.json"))) {
      await readOutdir(abs, display(join(abs, "manifest.json")), true);
      continue;
    }
    const names = (await readdir(abs)).filter((n) => n.endsWith(".tf.json")).sort();
    const files: string[] = [];
    for (const n of names) if (await isFile(join(abs, n))) files.push(join(abs, n));
    if (files.length === 0) {
      diagnostics.push({
        code: "TF_JSON_EMPTY_DIR",
        severity: "error",
        message: `directory ${display(abs)} contains no cdktf.json, manifest.json or *.tf.json files`,
        file: given,
        hint: "pass a *.tf.json file, a CDKTF output directory, or a CDKTF app directory",
      });
    }
    for (const f of files) await readSource(f, display(f), true);
  }
  return terraformDrafts(sources, diagnostics, opts.workspace ?? "default");
}

/** The pure part of `loadTerraformConfig`: JSON texts in (in order), config and diagnostics out. */
export function parseTerraformSources(
  sources: readonly TerraformJsonSource[],
  workspace = "default",
): LoadResult {
  return analyze(terraformDrafts(sources, [], workspace));
}

function terraformDrafts(
  sources: readonly TerraformJsonSource[],
  readDiagnostics: Diagnostic[],
  workspace: string,
): FrontendOutput<Block, TfOutputOrigin> {
  const diagnostics = readDiagnostics;
  const parsed: JsonSource[] = [];
  const files: string[] = [];
  for (const s of sources) {
    const r = JsonSource.parse(s.file, s.text, { positions: s.positions ?? true });
    diagnostics.push(...r.diagnostics);
    if (r.src) parsed.push(r.src);
    if (!files.includes(s.file)) files.push(s.file);
  }
  const read = readTerraformJson(parsed, workspace);
  return {
    files,
    ...read.config,
    variables: [],
    readDiagnostics: diagnostics,
    diagnostics: read.diagnostics,
    phrasing: terraformPhrasing,
    afterDuplicates: read.afterDuplicates,
    // `"resource": {}` says on purpose that nothing is managed.
    explicitEmpty: parsed.some(
      (p) => isRecord(p.data) && isRecord(p.data.resource) && Object.keys(p.data.resource).length === 0,
    ),
  };
}

async function isFile(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isFile(),
    () => false,
  );
}
