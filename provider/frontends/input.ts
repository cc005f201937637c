/**
 * The input rules every frontend applies to a configuration file before its parser sees it, in
 * one place so that YAML and Terraform JSON refuse the same things in the same words:
 *
 * - at most `MAX_CONFIG_FILE_BYTES` (1 MiB) per file;
 * - strict UTF-8 (a UTF-16 file, or bytes that do not decode, are refused at file:line:column,
 *   never replaced with U+FFFD);
 * - nesting at most `MAX_NESTING_DEPTH` (64) deep, checked before parsing (parsers recurse);
 * - JSON: no key given twice in one object, no prototype key (`__proto__`, `constructor`,
 *   `prototype`) anywhere;
 * - at most `MAX_DIAGNOSTICS` diagnostics are shown, then one line saying how many more there are.
 */
import { type Diagnostic, hasErrors } from "../model/diagnostics.js";
import {
  decodeUtf8,
  jsonStructureProblems,
  MAX_NESTING_DEPTH,
  yamlDepthProblem,
} from "../model/input-guards.js";

/** The largest configuration file any frontend reads (YAML, `*.tf.json`, CDKTF synth output). */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

/** Diagnostics shown for one load; the rest are counted in a final diagnostic. */
export const MAX_DIAGNOSTICS = 50;

/** The code of the diagnostic that says how many were left out. */
export const DIAGNOSTICS_TRUNCATED = "DIAGNOSTICS_TRUNCATED";

/** A file of `bytes` bytes over `max`, with the code of its frontend (`YAML_TOO_LARGE`, `TF_JSON_TOO_LARGE`). */
export function tooLarge(code: string, file: string, bytes: number, max: number): Diagnostic {
  return {
    code,
    severity: "error",
    message: `file is ${bytes} bytes, more than the limit of ${max} bytes`,
    file,
    hint: "split the configuration into several files",
  };
}

/**
 * `bytes` as text, or a `FILE_ENCODING` diagnostic at the first byte that is not UTF-8 (a UTF-16
 * byte order mark is named as such). `positions: false` leaves line and column out (temporary
 * synth output the user cannot open).
 */
export function decodeConfigFile(
  file: string,
  bytes: Uint8Array,
  opts: { positions?: boolean } = {},
): { text: string } | { diagnostic: Diagnostic } {
  const utf16 =
    (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)
      ? bytes[0] === 0xff
        ? "UTF-16LE"
        : "UTF-16BE"
      : undefined;
  if (utf16 !== undefined) {
    const d: Diagnostic = {
      code: "FILE_ENCODING",
      severity: "error",
      message: `the file is ${utf16} (it starts with a UTF-16 byte order mark), not UTF-8`,
      file,
      hint: "save it as UTF-8",
    };
    if (opts.positions !== false) Object.assign(d, { line: 1, column: 1 });
    return { diagnostic: d };
  }
  const r = decodeUtf8(bytes);
  if (r.ok) return { text: r.text };
  const d: Diagnostic = {
    code: "FILE_ENCODING",
    severity: "error",
    message: r.message,
    file,
    hint: "save the file as UTF-8; nothing in it was read",
  };
  if (opts.positions !== false) Object.assign(d, { line: r.line, column: r.column });
  return { diagnostic: d };
}

function tooDeep(file: string, at: { line: number; column: number } | undefined): Diagnostic {
  const d: Diagnostic = {
    code: "CONFIG_TOO_DEEP",
    severity: "error",
    message: `nesting deeper than ${MAX_NESTING_DEPTH} levels; the file was not parsed`,
    file,
    hint: "a configuration needs a few levels; check for a runaway [ or {",
  };
  if (at !== undefined) Object.assign(d, { line: at.line, column: at.column });
  return d;
}

/** YAML text nested deeper than `MAX_NESTING_DEPTH` (an upper bound, checked before parsing). */
export function yamlDepthDiagnostic(file: string, text: string): Diagnostic | undefined {
  const at = yamlDepthProblem(text);
  return at === undefined ? undefined : tooDeep(file, at);
}

/**
 * JSON text's structural problems (before parsing): nesting too deep, a key given twice in one
 * object (JSON.parse would keep the last one silently), a prototype key. Empty when there are none.
 */
export function jsonStructureDiagnostics(
  file: string,
  text: string,
  opts: { positions?: boolean } = {},
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const p of jsonStructureProblems(text)) {
    const at = opts.positions === false ? undefined : { line: p.line, column: p.column };
    if (p.kind === "depth") {
      out.push(tooDeep(file, at));
      continue;
    }
    const d: Diagnostic =
      p.kind === "duplicate-key"
        ? {
            code: "TF_JSON_DUPLICATE_KEY",
            severity: "error",
            message: `key ${JSON.stringify(p.key)} is given twice in this object${p.firstLine !== undefined && opts.positions !== false ? `; also at line ${p.firstLine}` : ""}`,
            file,
            path: p.path,
            hint: "JSON parsers keep only the last one: remove or rename one of them",
          }
        : {
            code: "TF_JSON_INVALID_KEY",
            severity: "error",
            message: `invalid key ${JSON.stringify(p.key)}: it is reserved`,
            file,
            path: p.path,
            hint: "choose another name",
          };
    if (at !== undefined) Object.assign(d, at);
    out.push(d);
  }
  return out;
}

/**
 * At most `MAX_DIAGNOSTICS` of `diags`, then one diagnostic saying how many more there are (an
 * error when any left out is one, so that the count of errors shown never hides the verdict).
 */
export function capDiagnostics(diags: readonly Diagnostic[]): Diagnostic[] {
  if (diags.length <= MAX_DIAGNOSTICS) return [...diags];
  const rest = diags.slice(MAX_DIAGNOSTICS);
  return [
    ...diags.slice(0, MAX_DIAGNOSTICS),
    {
      code: DIAGNOSTICS_TRUNCATED,
      severity: hasErrors(rest) ? "error" : "warning",
      errorsLeftOut: rest.filter((d) => d.severity === "error").length,
      message: `and ${rest.length.toLocaleString("en-US")} more (only the first ${MAX_DIAGNOSTICS} are shown); fix these and run again`,
    },
  ];
}
