/**
 * User mistakes as data. Frontends and checks return `Diagnostic[]`; only the CLI turns them
 * into output and an exit code (after zod's issues and Terraform's diagnostics).
 */

import type { SourceRef } from "./desired.js";

export type Severity = "error" | "warning";

export interface Diagnostic {
  /** Stable code, e.g. `YAML_SYNTAX`, `CONFIG_UNKNOWN_KEY`, `REF_UNKNOWN_TEAM`. */
  code: string;
  severity: Severity;
  message: string;
  /** Where: a file path as the user gave it, and 1-based line/column when known. */
  file?: string;
  line?: number;
  column?: number;
  /** A path inside the document (`api_users.bot.grants[1].team`) or a construct path. */
  path?: string;
  /** The next step, e.g. "did you mean \"Finance\"?". */
  hint?: string;
  /** For a diagnostic that stands for others left out ("and 24,950 more"): how many errors it stands for. */
  errorsLeftOut?: number;
}

/** How many errors `diags` report, counting those a truncation diagnostic stands for. */
export function countErrors(diags: readonly Diagnostic[]): number {
  let n = 0;
  for (const d of diags) if (d.severity === "error") n += d.errorsLeftOut ?? 1;
  return n;
}

/** The location fields of a diagnostic about something that came from `source`. */
export function locate(source: SourceRef): Pick<Diagnostic, "file" | "line" | "column" | "path"> {
  const out: Pick<Diagnostic, "file" | "line" | "column" | "path"> = { file: source.file };
  if (source.line !== undefined) out.line = source.line;
  if (source.column !== undefined) out.column = source.column;
  const path = source.constructPath ?? source.path;
  if (path !== undefined) out.path = path;
  return out;
}

/** A file that could not be read, as a diagnostic (a missing file says how paths resolve). */
export function fileDiagnostic(file: string, e: NodeJS.ErrnoException): Diagnostic {
  if (e.code === "ENOENT") {
    return {
      code: "FILE_NOT_FOUND",
      severity: "error",
      message: "no such file or directory",
      file,
      hint: "check the path (relative paths are resolved against the working directory)",
    };
  }
  return { code: "FILE_READ_ERROR", severity: "error", message: `cannot read: ${e.code ?? e.message}`, file };
}

export function hasErrors(diags: readonly Diagnostic[]): boolean {
  return diags.some((d) => d.severity === "error");
}

/** `file:line:column: error CODE: message (hint)`, one line per diagnostic, for terminals and CI logs. */
export function formatDiagnostic(d: Diagnostic): string {
  let where = "";
  if (d.file !== undefined) {
    where = d.file;
    if (d.line !== undefined) where += `:${d.line}`;
    if (d.line !== undefined && d.column !== undefined) where += `:${d.column}`;
    where += ": ";
  }
  const at = d.path !== undefined ? ` (at ${d.path})` : "";
  const hint = d.hint !== undefined ? `\n  hint: ${d.hint}` : "";
  return `${where}${d.severity} ${d.code}: ${d.message}${at}${hint}`;
}

/** Levenshtein distance, for "did you mean" suggestions (two rows of numbers, no per-cell allocation). */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  let prev = new Uint32Array(n + 1);
  let cur = new Uint32Array(n + 1);
  for (let j = 0; j <= n; j++) prev[j] = j;
  for (let i = 1; i <= m; i++) {
    cur[0] = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= n; j++) {
      const cost = ca === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[n] as number;
}

/** The closest candidate (case-insensitive) within a distance that makes sense for its length. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  const limit = Math.max(2, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    // The distance is at least the difference in length: skip what cannot be close enough.
    if (Math.abs(c.length - w.length) > limit) continue;
    const d = editDistance(w, c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  if (best === undefined) return undefined;
  return bestD <= limit ? best : undefined;
}
