/**
 * Parsing one YAML file, bounded: a size limit and an alias-expansion limit (a "billion laughs"
 * file is refused in microseconds), yaml's own errors as `YAML_SYNTAX`, duplicate keys within a
 * mapping as `CONFIG_DUPLICATE_KEY` with both lines, `__proto__` keys as `CONFIG_INVALID_KEY`, then
 * schema validation (`issues.ts`). A leading byte order mark is dropped, and a trailing empty
 * document (a file ending in `---`) is accepted.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: "${var.x}" and "${<address>.<attr>}" are the YAML format's own syntax, quoted on purpose.
import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  parseDocument,
  visit,
} from "yaml";
import { type Diagnostic, hasErrors } from "../../model/diagnostics.js";
import { tooLarge as fileTooLarge, MAX_CONFIG_FILE_BYTES, yamlDepthDiagnostic } from "../input.js";
import { type DocPath, isReservedKey, SourceFile } from "../source.js";
import { validateFile } from "./issues.js";

export const DEFAULT_LIMITS = {
  /** Larger files are refused with `YAML_TOO_LARGE` before they are read (the same cap as Terraform JSON's). */
  maxFileBytes: MAX_CONFIG_FILE_BYTES,
  /** yaml's `maxAliasCount`: more alias expansions than this are refused with `YAML_ALIAS_LIMIT`. */
  maxAliasCount: 100,
} as const;

export interface Limits {
  maxFileBytes: number;
  maxAliasCount: number;
}

export interface ParsedFile {
  src: SourceFile;
  /** The document as plain data (`{}` for an empty file); undefined when it could not be read. */
  data: unknown;
  /** Whether `data` passed the schema (then every entry is well-formed). */
  valid: boolean;
}

/** Parses and validates one file. `file` is the name shown in diagnostics. */
export function parseYamlFile(
  file: string,
  text: string,
  limits: Limits,
): { parsed?: ParsedFile; diagnostics: Diagnostic[] } {
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > limits.maxFileBytes) {
    return { diagnostics: [tooLarge(file, bytes, limits.maxFileBytes)] };
  }
  // Without the byte order mark, so that the columns of line 1 are right.
  const source = text.startsWith("\uFEFF") ? text.slice(1) : text;
  // Bounded before parsing: yaml recurses, and 20,000 `[` would overflow the stack.
  const deep = yamlDepthDiagnostic(file, source);
  if (deep !== undefined) return { diagnostics: [deep] };
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const src = new SourceFile(file, source, doc, lineCounter);
  const diagnostics: Diagnostic[] = [];
  for (const e of doc.errors) {
    if (e.code === "MULTIPLE_DOCS" && onlyEmptyAfterFirst(source)) continue;
    const message =
      e.code === "MULTIPLE_DOCS"
        ? "a file holds one YAML document; remove the `---` separator or split the file"
        : firstLine(e.message);
    diagnostics.push(src.diagAt("YAML_SYNTAX", message, e.pos[0], []));
  }
  for (const w of doc.warnings) {
    // An unknown tag (`!env X`) would silently become a plain string: refuse it.
    const isTag = w.code === "TAG_RESOLVE_FAILED";
    diagnostics.push(
      src.diagAt("YAML_SYNTAX", firstLine(w.message), w.pos[0], [], {
        severity: isTag ? "error" : "warning",
        hint: isTag
          ? "tags are not supported; for values from the environment use ${var.<name>} and POPDOCK_VAR_<name>"
          : undefined,
      }),
    );
  }
  if (hasErrors(diagnostics)) return { diagnostics };

  diagnostics.push(...duplicateKeys(src), ...reservedKeys(src));

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: limits.maxAliasCount }) ?? {};
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (/alias count/i.test(message)) {
      diagnostics.push(
        src.diagAt(
          "YAML_ALIAS_LIMIT",
          `aliases expand to more than ${limits.maxAliasCount} nodes; refusing to expand (resource exhaustion guard)`,
          firstAliasOffset(src),
          [],
          { hint: "repeat the values instead of using many nested aliases" },
        ),
      );
    } else {
      // An alias without its anchor: point at the alias, not at the top of the file.
      const unresolved = /^Unresolved alias.*: (\S+)$/.exec(firstLine(message))?.[1];
      const at = unresolved === undefined ? 0 : firstAliasOffset(src, unresolved);
      diagnostics.push(src.diagAt("YAML_SYNTAX", firstLine(message), at, []));
    }
    return { diagnostics };
  }
  const schemaDiags = validateFile(src, data);
  diagnostics.push(...schemaDiags);
  return { parsed: { src, data, valid: schemaDiags.length === 0 }, diagnostics };
}

export function tooLarge(file: string, bytes: number, max: number): Diagnostic {
  return fileTooLarge("YAML_TOO_LARGE", file, bytes, max);
}

function firstLine(s: string): string {
  return s.split("\n")[0]?.trim() ?? s;
}

/** Every key defined twice in one mapping, reported at the second with the line of the first. */
function duplicateKeys(src: SourceFile): Diagnostic[] {
  const out: Diagnostic[] = [];
  const walk = (node: unknown, path: DocPath): void => {
    if (isMap(node)) {
      const seen = new Map<string, number>();
      for (const pair of node.items) {
        if (!isPair(pair) || !isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        const offset = pair.key.range?.[0] ?? 0;
        const first = seen.get(key);
        if (first !== undefined) {
          out.push(
            src.diagAt(
              "CONFIG_DUPLICATE_KEY",
              `key "${key}" is defined twice in this mapping; also defined at ${src.file}:${src.position(first).line}:${src.position(first).column}`,
              offset,
              [...path, key],
              { hint: "YAML keeps only the last one: remove or rename one of them" },
            ),
          );
        } else {
          seen.set(key, offset);
        }
        walk(pair.value, [...path, key]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        walk(item, [...path, i]);
      });
    }
    // Aliases are not followed: the anchored node is checked where it is defined.
  };
  walk(src.doc.contents, []);
  return out;
}

/**
 * Whether every document after the first is empty (`---` with nothing, or only comments, after
 * it), as editors and generators often leave at the end of a file.
 */
function onlyEmptyAfterFirst(text: string): boolean {
  const docs = parseAllDocuments(text, { prettyErrors: false, uniqueKeys: false });
  if (!Array.isArray(docs)) return false;
  return docs.slice(1).every((d) => {
    const c = d.contents;
    return d.errors.length === 0 && isScalar(c) && c.value === null && c.range?.[0] === c.range?.[1];
  });
}

/**
 * A prototype key (`__proto__`, `constructor`, `prototype`) anywhere: JavaScript gives them a
 * meaning of their own, and zod drops `__proto__` entries without checking them, so an API user,
 * token or output with that key would silently vanish from the configuration (and what exists in
 * Popdock would be planned for deletion). The same rule as Terraform JSON's.
 */
function reservedKeys(src: SourceFile): Diagnostic[] {
  const out: Diagnostic[] = [];
  const walk = (node: unknown, path: DocPath): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair) || !isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        if (isReservedKey(key)) {
          out.push(
            src.diagAt(
              "CONFIG_INVALID_KEY",
              `invalid key "${key}": it is reserved`,
              pair.key.range?.[0] ?? 0,
              [...path, key],
              { hint: "choose another name" },
            ),
          );
        }
        walk(pair.value, [...path, key]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        walk(item, [...path, i]);
      });
    }
  };
  walk(src.doc.contents, []);
  return out;
}

/** Where the first alias is (the first one naming `source`, when given). */
function firstAliasOffset(src: SourceFile, source?: string): number {
  let offset = 0;
  visit(src.doc, {
    Alias(_, node) {
      if (source !== undefined && node.source !== source) return undefined;
      if (isAlias(node)) offset = node.range?.[0] ?? 0;
      return visit.BREAK;
    },
  });
  return offset;
}
