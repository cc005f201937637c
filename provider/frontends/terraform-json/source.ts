/**
 * One Terraform JSON document and where things are in it: the parsed data, line/column of a JSON
 * path when the file is one the user can open (YAML 1.2 reads JSON, and its parser keeps node
 * positions), and CDKTF construct paths from the `"//"` metadata, for messages.
 */
import { LineCounter, parseDocument } from "yaml";
import type { SourceRef } from "../../model/desired.js";
import type { Diagnostic, Severity } from "../../model/diagnostics.js";
import { isRecord } from "../../model/values.js";
import { jsonStructureDiagnostics } from "../input.js";
import { type DocPath, formatPath, SourceFile } from "../source.js";

export type { DocPath } from "../source.js";

export interface DiagOptions {
  at?: "key" | "value";
  severity?: Severity;
  hint?: string | undefined;
  constructPath?: string | undefined;
}

export class JsonSource {
  private constructor(
    /** As shown in diagnostics. */
    readonly file: string,
    readonly data: unknown,
    /** Positions, when the file is a real one the user can open (not a temporary synth output). */
    private readonly positions: SourceFile | undefined,
  ) {}

  /**
   * Parses `text`; a syntax error is a diagnostic, and so are nesting deeper than the limit, a key
   * given twice in one object and a prototype key (`input.ts`: then the file is not read further).
   */
  static parse(
    file: string,
    text: string,
    opts: { positions: boolean },
  ): { src?: JsonSource; diagnostics: Diagnostic[] } {
    const structure = jsonStructureDiagnostics(file, text, { positions: opts.positions });
    if (structure.some((d) => d.code === "CONFIG_TOO_DEEP")) return { diagnostics: structure };
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      // Node's wording varies by version; the position becomes line and column.
      const what = message.replace(/\s+in JSON at position \d+.*$/s, "").replace(/^JSON\.parse: /, "");
      const d: Diagnostic = {
        code: "TF_JSON_SYNTAX",
        severity: "error",
        message: `invalid JSON: ${what}`,
        file,
      };
      const at = /position (\d+)/.exec(message)?.[1];
      if (at !== undefined) {
        const lc = new LineCounter();
        parseDocument(text, { lineCounter: lc });
        const { line, col } = lc.linePos(Number(at));
        d.line = line;
        d.column = col;
      }
      return { diagnostics: [d] };
    }
    if (structure.length > 0) return { diagnostics: structure };
    let positions: SourceFile | undefined;
    if (opts.positions) {
      const lineCounter = new LineCounter();
      const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false });
      if (doc.errors.length === 0) positions = new SourceFile(file, text, doc, lineCounter);
    }
    return { src: new JsonSource(file, data, positions), diagnostics: [] };
  }

  diag(code: string, message: string, path: DocPath, opts: DiagOptions = {}): Diagnostic {
    const d: Diagnostic = {
      code,
      severity: opts.severity ?? "error",
      message: opts.constructPath !== undefined ? `${message} (construct ${opts.constructPath})` : message,
      file: this.file,
    };
    if (this.positions) {
      const pos = this.positions.locate(path, opts.at ?? "value");
      d.line = pos.line;
      d.column = pos.column;
    }
    if (path.length > 0) d.path = formatPath(path);
    if (opts.hint !== undefined) d.hint = opts.hint;
    return d;
  }

  sourceRef(path: DocPath, constructPath: string | undefined): SourceRef {
    const ref: SourceRef = { file: this.file };
    if (this.positions) {
      const pos = this.positions.locate(path, "key");
      ref.line = pos.line;
      ref.column = pos.column;
    }
    ref.path = formatPath(path);
    if (constructPath !== undefined) ref.constructPath = constructPath;
    return ref;
  }
}

/** The construct path CDKTF records in a block's `"//": { "metadata": { "path": … } }`. */
export function constructPathOf(body: unknown): string | undefined {
  const meta = isRecord(body) ? body["//"] : undefined;
  const inner = isRecord(meta) ? meta.metadata : undefined;
  const path = isRecord(inner) ? inner.path : undefined;
  return typeof path === "string" ? path : undefined;
}

/**
 * Output names to construct paths, from the top-level `"//": { "outputs": { "<stack>": { "<id>": "<name>" } } }`
 * CDKTF writes (nested by construct id; leaves are the output names).
 */
export function outputConstructPaths(doc: unknown): Map<string, string> {
  const out = new Map<string, string>();
  const meta = isRecord(doc) ? doc["//"] : undefined;
  const outputs = isRecord(meta) ? meta.outputs : undefined;
  const walk = (node: unknown, prefix: string[]) => {
    if (typeof node === "string") out.set(node, prefix.join("/"));
    else if (isRecord(node)) for (const [k, v] of Object.entries(node)) walk(v, [...prefix, k]);
  };
  walk(outputs, []);
  return out;
}
