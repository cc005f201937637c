/**
 * The YAML frontend: `popdock.yaml` files in, a DesiredConfig and every diagnostic out.
 *
 *   files/dirs ─► read (bounded, files.ts) ─► parse + schema check, per file (parse.ts, issues.ts)
 *              ─► merge, variables, expansion (expand.ts) ─► drafts
 *              ─► shared semantic pass (../semantic.ts: duplicates, automatic outputs) ─► DesiredConfig
 *
 * The format is described by `schema/config.ts` and the types' `config.ts` (assembled by
 * `config-file.ts`); addresses, rotation and automatic outputs by
 * `expand.ts`. All problems are reported at once, sorted by file and position, each with a file,
 * line, column, document path and stable code. A config is returned only when there is no error.
 */

import type { Diagnostic } from "../../model/diagnostics.js";
import { isRecord } from "../../model/values.js";
import { analyze } from "../semantic.js";
import type { FrontendOutput, LoadResult } from "../types.js";
import { expandFiles, type YamlOrigin, yamlPhrasing } from "./expand.js";
import { readYamlFiles, type YamlSource } from "./files.js";
import { DEFAULT_LIMITS, type Limits, type ParsedFile, parseYamlFile } from "./parse.js";
import { yamlStateBlocks } from "./state-blocks.js";

export { formatCodeFrame } from "./codeframe.js";
export type { YamlSource } from "./files.js";
export { DEFAULT_LIMITS, type Limits } from "./parse.js";

export type YamlLoadResult = LoadResult;

export interface YamlVarsOptions {
  /** `--var name=value` pairs; they win over the environment and defaults. */
  vars?: Readonly<Record<string, string>>;
  /** The environment, for `POPDOCK_VAR_<name>`. Not read from `process.env` unless passed. */
  env?: Readonly<Record<string, string | undefined>>;
  /** The state workspace, for `${workspace}` (default `default`). */
  workspace?: string;
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
export async function loadYamlConfig(opts: LoadYamlOptions): Promise<LoadResult> {
  return analyze(await readYamlConfig(opts));
}

/** The pure part of `loadYamlConfig`: YAML texts in (in order), config and diagnostics out. */
export function parseYamlSources(sources: readonly YamlSource[], opts: YamlVarsOptions = {}): LoadResult {
  return analyze(yamlDrafts(sources, [], opts));
}

/** The YAML frontend's syntactic part: files in, drafts out (before the semantic pass). */
export async function readYamlConfig(opts: LoadYamlOptions): Promise<FrontendOutput<YamlOrigin>> {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const read = await readYamlFiles(opts.paths, opts.cwd, limits.maxFileBytes);
  return yamlDrafts(read.sources, read.diagnostics, opts);
}

function yamlDrafts(
  sources: readonly YamlSource[],
  readDiagnostics: Diagnostic[],
  opts: YamlVarsOptions,
): FrontendOutput<YamlOrigin> {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const diagnostics: Diagnostic[] = [];
  const parsed: ParsedFile[] = [];
  for (const s of sources) {
    const r = parseYamlFile(s.file, s.text, limits);
    diagnostics.push(...r.diagnostics);
    if (r.parsed) parsed.push(r.parsed);
  }
  const expanded = expandFiles(parsed, {
    vars: opts.vars ?? {},
    env: opts.env ?? {},
    ...(opts.workspace !== undefined ? { workspace: opts.workspace } : {}),
  });
  diagnostics.push(...expanded.diagnostics);
  return {
    files: sources.map((s) => s.file),
    ...expanded.config,
    ...yamlStateBlocks(parsed),
    // `api_users: {}` in any file says on purpose that no API user is managed.
    explicitEmpty: parsed.some(
      (p) => isRecord(p.data) && isRecord(p.data.api_users) && Object.keys(p.data.api_users).length === 0,
    ),
    readDiagnostics,
    diagnostics,
    phrasing: yamlPhrasing,
  };
}
