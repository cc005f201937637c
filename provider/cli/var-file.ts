/**
 * `--var-file FILE`: variables from a YAML or JSON file of `NAME: VALUE` (Terraform's
 * `-var-file`; JSON is YAML, so one parser reads both). Values are scalars (strings, numbers,
 * booleans, as text); anything else is a diagnostic with the file, line and column. Files are read
 * in the order given; later files and `--var` win.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { isMap, isScalar, LineCounter, parseDocument } from "yaml";
import type { Diagnostic } from "../model/diagnostics.js";

const NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export async function readVarFiles(
  files: readonly string[],
  cwd: string,
): Promise<{ vars: Record<string, string>; diagnostics: Diagnostic[] }> {
  const vars: Record<string, string> = Object.create(null) as Record<string, string>;
  const diagnostics: Diagnostic[] = [];
  for (const file of files) {
    const text = await readFile(resolve(cwd, file), "utf8").catch((e: NodeJS.ErrnoException) => {
      diagnostics.push({
        code: "VAR_FILE_UNREADABLE",
        severity: "error",
        message: `cannot read the variables file: ${e.code ?? e.message}`,
        file,
      });
      return undefined;
    });
    if (text === undefined) continue;
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
    const at = (offset: number | undefined) => {
      if (offset === undefined) return {};
      const p = lines.linePos(offset);
      return { line: p.line, column: p.col };
    };
    if (doc.errors.length > 0) {
      // The first error only: the ones after it are mostly its echoes.
      for (const e of doc.errors.slice(0, 1)) {
        diagnostics.push({
          code: "VAR_FILE_SYNTAX",
          severity: "error",
          message: e.message.split("\n")[0] ?? "syntax error",
          file,
          ...at(e.pos[0]),
        });
      }
      continue;
    }
    if (doc.contents === null) continue; // an empty file sets nothing
    if (!isMap(doc.contents)) {
      diagnostics.push({
        code: "VAR_FILE_NOT_A_MAP",
        severity: "error",
        message: "a variables file is a map of NAME: VALUE",
        file,
        ...at(doc.contents.range?.[0]),
        hint: 'e.g. `team: "Finance"` (YAML) or `{"team": "Finance"}` (JSON)',
      });
      continue;
    }
    for (const item of doc.contents.items) {
      const key = isScalar(item.key) ? String(item.key.value) : undefined;
      const keyAt = at(isScalar(item.key) ? item.key.range?.[0] : undefined);
      if (key === undefined || !NAME.test(key)) {
        diagnostics.push({
          code: "VAR_FILE_BAD_NAME",
          severity: "error",
          message: `${key === undefined ? "a key" : `"${key}"`} is not a variable name (letters, digits, _ and -, not starting with a digit)`,
          file,
          ...keyAt,
        });
        continue;
      }
      const v = item.value;
      if (!isScalar(v) || v.value === null || typeof v.value === "object") {
        diagnostics.push({
          code: "VAR_FILE_BAD_VALUE",
          severity: "error",
          message: `variable ${key} must be a string, number or boolean`,
          file,
          path: key,
          ...at(rangeStart(v) ?? rangeStart(item.key)),
        });
        continue;
      }
      vars[key] = String(v.value);
    }
  }
  return { vars, diagnostics };
}

function rangeStart(node: unknown): number | undefined {
  const r = (node as { range?: unknown } | null)?.range;
  return Array.isArray(r) && typeof r[0] === "number" ? r[0] : undefined;
}
