/**
 * Parsing one YAML file, bounded: a size limit and an alias-expansion limit (a "billion laughs"
 * file is refused in microseconds), yaml's own errors as `YAML_SYNTAX`, duplicate keys within a
 * mapping as `CONFIG_DUPLICATE_KEY` with both lines, then schema validation (`issues.ts`).
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: "${var.x}" and "${<address>.<attr>}" are the YAML format's own syntax, quoted on purpose.
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit } from "yaml";
import { type Diagnostic, hasErrors } from "../../diagnostics.js";
import { validateFile } from "./issues.js";
import { type DocPath, SourceFile } from "./source.js";

export const DEFAULT_LIMITS = {
  /** Larger files are refused with `YAML_TOO_LARGE` before they are read. */
  maxFileBytes: 1024 * 1024,
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
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const src = new SourceFile(file, text, doc, lineCounter);
  const diagnostics: Diagnostic[] = [];
  for (const e of doc.errors) {
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

  diagnostics.push(...duplicateKeys(src));

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
      diagnostics.push(src.diagAt("YAML_SYNTAX", firstLine(message), 0, []));
    }
    return { diagnostics };
  }
  const schemaDiags = validateFile(src, data);
  diagnostics.push(...schemaDiags);
  return { parsed: { src, data, valid: schemaDiags.length === 0 }, diagnostics };
}

export function tooLarge(file: string, bytes: number, max: number): Diagnostic {
  return {
    code: "YAML_TOO_LARGE",
    severity: "error",
    message: `file is ${bytes} bytes, more than the limit of ${max} bytes`,
    file,
    hint: "split the configuration into several files",
  };
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

function firstAliasOffset(src: SourceFile): number {
  let offset = 0;
  visit(src.doc, {
    Alias(_, node) {
      if (isAlias(node)) offset = node.range?.[0] ?? 0;
      return visit.BREAK;
    },
  });
  return offset;
}
