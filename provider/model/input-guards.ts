/**
 * Checks on configuration text before any parser sees it, shared by every frontend: the bytes
 * must be UTF-8, nesting must stay shallow (parsers recurse: 20,000 `[` overflow the stack), and
 * a JSON object may not repeat a key or use a key that names an object's prototype (JSON.parse
 * keeps the last duplicate silently, and `__proto__` is a trap for any code that copies objects).
 * Each problem carries a 1-based line and column, so a frontend can turn it into a diagnostic.
 */

/** The deepest nesting a configuration may use. Real ones stay under ten. */
export const MAX_NESTING_DEPTH = 64;

export interface TextPosition {
  line: number;
  column: number;
}

export type DecodeResult =
  | { ok: true; text: string }
  | ({ ok: false; message: string; byteOffset: number } & TextPosition);

/**
 * Decodes `bytes` as strict UTF-8 (a leading BOM is dropped). Undecodable input is not replaced
 * with U+FFFD: the result names the first bad byte, its line and column (in characters).
 */
export function decodeUtf8(bytes: Uint8Array): DecodeResult {
  const body = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  try {
    return { ok: true, text: new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(body) };
  } catch {
    const bad = firstInvalidUtf8(body);
    const before = new TextDecoder("utf-8").decode(body.subarray(0, bad));
    const position = positionAtEnd(before);
    const shown = Array.from(body.subarray(bad, bad + 4), (b) => `\\x${b.toString(16).padStart(2, "0")}`);
    return {
      ok: false,
      message: `the file is not valid UTF-8: byte ${shown[0]} (in ${shown.join("")}) cannot be decoded`,
      byteOffset: bad + (body === bytes ? 0 : 3),
      ...position,
    };
  }
}

/** The offset of the first byte that does not start or continue a valid UTF-8 sequence. */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i] ?? 0;
    let n = 0;
    let min = 0;
    if (c < 0x80) n = 0;
    else if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      min = 0x10000;
    } else return i;
    let cp = n === 0 ? c : c & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const cont = b[i + k];
      if (cont === undefined || (cont & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (cont & 0x3f);
    }
    if (n > 0 && (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))) return i;
    i += n + 1;
  }
  return b.length;
}

function positionAtEnd(text: string): TextPosition {
  const lastNl = text.lastIndexOf("\n");
  let line = 1;
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) line++;
  return { line, column: [...text.slice(lastNl + 1)].length + 1 };
}

export type JsonStructureProblem =
  | ({ kind: "depth"; maxDepth: number } & TextPosition)
  | ({
      kind: "duplicate-key" | "prototype-key";
      key: string;
      path: string;
      firstLine?: number;
    } & TextPosition);

/** Keys that name an object's prototype machinery; refused as keys in any configuration. */
export const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/**
 * One pass over JSON text (assumed to be JSON: syntax errors are the parser's to report) that
 * finds nesting deeper than `maxDepth`, an object key given twice, or a prototype key, in the
 * order they appear. Keys of objects under a `"//"` (CDKTF metadata) are checked like any other.
 */
export function jsonStructureProblems(text: string, maxDepth = MAX_NESTING_DEPTH): JsonStructureProblem[] {
  const problems: JsonStructureProblem[] = [];
  // One frame per open container: its key set (objects) and its path for messages.
  const frames: { keys?: Map<string, number>; path: string; pendingKey?: string; index: number }[] = [];
  let line = 1;
  let col = 1;
  let i = 0;
  const at = () => ({ line, column: col });
  const childPath = () => {
    const top = frames.at(-1);
    if (top === undefined) return "";
    if (top.keys) return top.path === "" ? (top.pendingKey ?? "") : `${top.path}.${top.pendingKey ?? ""}`;
    return `${top.path}[${top.index}]`;
  };
  while (i < text.length) {
    const ch = text[i];
    if (ch === '"') {
      const start = at();
      let j = i + 1;
      let s = "";
      while (j < text.length && text[j] !== '"') {
        if (text[j] === "\\") {
          s += text.slice(j, j + 2);
          j += 2;
        } else {
          s += text[j];
          j++;
        }
      }
      const raw = text.slice(i, j + 1);
      col += [...raw].length;
      i = j + 1;
      // A string followed by ':' inside an object is a key.
      let k = i;
      while (k < text.length && (text[k] === " " || text[k] === "\t" || text[k] === "\r" || text[k] === "\n"))
        k++;
      const top = frames.at(-1);
      if (top?.keys && text[k] === ":") {
        let key: string;
        try {
          key = JSON.parse(raw) as string;
        } catch {
          key = s;
        }
        const path = top.path === "" ? key : `${top.path}.${key}`;
        const first = top.keys.get(key);
        if (first !== undefined)
          problems.push({ kind: "duplicate-key", key, path, firstLine: first, ...start });
        else top.keys.set(key, start.line);
        if (PROTOTYPE_KEYS.has(key)) problems.push({ kind: "prototype-key", key, path, ...start });
        top.pendingKey = key;
      }
      continue;
    }
    if (ch === "{" || ch === "[") {
      const path = childPath();
      frames.push(ch === "{" ? { keys: new Map(), path, index: 0 } : { path, index: 0 });
      if (frames.length > maxDepth) {
        problems.push({ kind: "depth", maxDepth, ...at() });
        return problems;
      }
    } else if (ch === "}" || ch === "]") {
      frames.pop();
    } else if (ch === ",") {
      const top = frames.at(-1);
      if (top && !top.keys) top.index++;
    }
    if (ch === "\n") {
      line++;
      col = 1;
    } else {
      col++;
    }
    i++;
  }
  return problems;
}

/**
 * An upper bound of the nesting depth of YAML text, cheap enough to run before parsing: flow
 * collections (`[`, `{` outside quotes and comments) plus, per line, block indentation and
 * compact `- ` / `? ` markers. Returns where the bound first exceeds `maxDepth`, or undefined.
 * It may overestimate (it counts every two spaces of indentation as a level), never underestimate.
 */
export function yamlDepthProblem(text: string, maxDepth = MAX_NESTING_DEPTH): TextPosition | undefined {
  let flow = 0;
  let line = 1;
  let lineStart = 0;
  let quote: '"' | "'" | undefined;
  let blockDepth = 0;
  let atLineStart = true;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "\n") {
      line++;
      lineStart = i + 1;
      atLineStart = true;
      blockDepth = 0;
      continue; // quoted scalars may span lines: the quote stays open
    }
    if (quote !== undefined) {
      if (quote === '"' && ch === "\\") i++;
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (atLineStart) {
      // Indentation and compact sequence / mapping markers at the start of the line.
      let j = i;
      let indent = 0;
      while (text[j] === " ") {
        indent++;
        j++;
      }
      let markers = 0;
      while ((text[j] === "-" || text[j] === "?") && (text[j + 1] === " " || text[j + 1] === "\n")) {
        markers++;
        j += 2;
        while (text[j] === " ") j++;
      }
      blockDepth = Math.ceil(indent / 2) + markers;
      atLineStart = false;
      if (blockDepth + flow > maxDepth) return { line, column: j - lineStart + 1 };
      i = j - 1;
      continue;
    }
    if (ch === "#" && (i === lineStart || text[i - 1] === " " || text[i - 1] === "\t")) {
      while (i + 1 < text.length && text[i + 1] !== "\n") i++;
      continue;
    }
    if ((ch === '"' || ch === "'") && (i === lineStart || " \t[{,:".includes(text[i - 1] ?? ""))) quote = ch;
    else if (ch === "[" || ch === "{") {
      flow++;
      if (blockDepth + flow > maxDepth) return { line, column: i - lineStart + 1 };
    } else if ((ch === "]" || ch === "}") && flow > 0) flow--;
  }
  return undefined;
}
