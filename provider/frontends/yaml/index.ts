/**
 * The YAML frontend: `popdock.yaml` files in, a DesiredConfig and every diagnostic out.
 *
 *   files/dirs ─► read (bounded, files.ts) ─► parse + schema check, per file (parse.ts, issues.ts)
 *              ─► merge, variables, expansion, cross-checks (expand.ts) ─► DesiredConfig
 *
 * The format is described by `schema/config.ts`; addresses, rotation and automatic outputs by
 * `expand.ts`. All problems are reported at once, sorted by file and position, each with a file,
 * line, column, document path and stable code. A config is returned only when there is no error.
 */

import { configDigest, type DesiredConfig } from "../../model/desired.js";
import { type Diagnostic, hasErrors } from "../../model/diagnostics.js";
import { expandFiles } from "./expand.js";
import { readYamlFiles, type YamlSource } from "./files.js";
import { DEFAULT_LIMITS, type Limits, type ParsedFile, parseYamlFile } from "./parse.js";

export { formatCodeFrame } from "./codeframe.js";
export type { YamlSource } from "./files.js";
export { DEFAULT_LIMITS, type Limits } from "./parse.js";

export interface YamlLoadResult {
  /** Present only when there are no errors (warnings may remain). */
  config?: DesiredConfig;
  diagnostics: Diagnostic[];
}

export interface YamlVarsOptions {
  /** `--var name=value` pairs; they win over the environment and defaults. */
  vars?: Readonly<Record<string, string>>;
  /** The environment, for `POPDOCK_VAR_<name>`. Not read from `process.env` unless passed. */
  env?: Readonly<Record<string, string | undefined>>;
  limits?: Partial<Limits>;
}

export interface LoadYamlOptions extends YamlVarsOptions {
  /**
   * Files or directories (a directory means every `*.yaml` / `*.yml` in it, sorted by name). Only
   * regular files are read (symbolic links are followed); anything else is a diagnostic.
   */
  paths: readonly string[];
  /** Relative paths are resolved against it, and file names are shown relative to it. */
  cwd: string;
}

/**
 * Reads, validates and expands YAML configuration files. Never throws for user mistakes
 * (missing files, bad YAML, bad config): they are diagnostics.
 */
export async function loadYamlConfig(opts: LoadYamlOptions): Promise<YamlLoadResult> {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const read = await readYamlFiles(opts.paths, opts.cwd, limits.maxFileBytes);
  const result = parseYamlSources(read.sources, opts);
  const all = [...read.diagnostics, ...result.diagnostics];
  if (hasErrors(all) || result.config === undefined) return { diagnostics: all };
  return { config: result.config, diagnostics: all };
}

/** The pure part of `loadYamlConfig`: YAML texts in (in order), config and diagnostics out. */
export function parseYamlSources(sources: readonly YamlSource[], opts: YamlVarsOptions = {}): YamlLoadResult {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const diagnostics: Diagnostic[] = [];
  const parsed: ParsedFile[] = [];
  for (const s of sources) {
    const r = parseYamlFile(s.file, s.text, limits);
    diagnostics.push(...r.diagnostics);
    if (r.parsed) parsed.push(r.parsed);
  }
  const expanded = expandFiles(parsed, { vars: opts.vars ?? {}, env: opts.env ?? {} });
  diagnostics.push(...expanded.diagnostics);
  const sorted = sortDiagnostics(
    diagnostics,
    sources.map((s) => s.file),
  );
  if (hasErrors(sorted)) return { diagnostics: sorted };
  const { provider, resources, outputs } = expanded.config;
  return {
    config: {
      files: sources.map((s) => s.file),
      digest: configDigest(expanded.config),
      provider,
      resources,
      outputs,
    },
    diagnostics: sorted,
  };
}

/** By file (in load order; diagnostics without a file first), then line and column. Stable. */
function sortDiagnostics(diags: readonly Diagnostic[], files: readonly string[]): Diagnostic[] {
  const rank = (d: Diagnostic) => (d.file === undefined ? -1 : files.indexOf(d.file));
  return [...diags].sort(
    (a, b) => rank(a) - rank(b) || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0),
  );
}
