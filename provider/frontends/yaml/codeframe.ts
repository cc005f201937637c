/**
 * A code frame under a diagnostic, for terminals: the offending line with a line or two of
 * context and a caret at the column.
 *
 *      4 |     grants:
 *    > 5 |       - team: Finance
 *        |         ^
 */
import type { Diagnostic } from "../../model/diagnostics.js";

/** The frame for `d` in `text` (the file's contents); "" when the diagnostic has no line. */
export function formatCodeFrame(d: Diagnostic, text: string, context = 1): string {
  if (d.line === undefined) return "";
  // Columns are in code points of the text without a byte order mark (see `source.ts`).
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const at = d.line;
  if (at < 1 || at > lines.length) return "";
  const first = Math.max(1, at - context);
  const last = Math.min(lines.length, at + context);
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const gutter = `${n === at ? ">" : " "} ${String(n).padStart(width)} |`;
    const line = lines[n - 1] ?? "";
    out.push(line === "" ? gutter : `${gutter} ${line}`);
    if (n === at && d.column !== undefined) {
      out.push(`  ${" ".repeat(width)} | ${" ".repeat(Math.max(0, d.column - 1))}^`);
    }
  }
  return out.join("\n");
}
