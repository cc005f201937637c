/**
 * The layering rule of popdock-iac as a checker (see /work/shared/STYLE.md, "The shape of the
 * system"): imports point down, never up.
 *
 *     schema ← model ← client · sandbox · resources ← engine ← frontends ← cli
 *
 * - schema/                                    layer 0
 * - provider/model/                            layer 1
 * - provider/client/, sandbox/, resources/, backends/  layer 2, with rules inside it: resources may import
 *   client *types* (`import type`), nothing else across; client and sandbox import neither each
 *   other nor resources
 * - provider/engine/ (render included)         layer 3
 * - provider/policy/ (policy rules over plans) layer 3.5: above the engine (it reads plans and
 *   snapshots), below the frontends (the YAML `policy:` section's schema is its own)
 * - provider/frontends/, provider/cdktf/       layer 4
 * - provider/cli/                              layer 5 (the composition root)
 * - provider/index.ts, the library entry, may import anything but provider/cli; nothing imports it
 *
 * Pure over file texts (`findViolations`), so the checker itself is unit-tested on an in-memory
 * example. Imports are read with the TypeScript parser: `import`, `export … from`, `import()`
 * and `import x = require()`, type-only or not. Only relative imports between checked files
 * count; packages and `node:` modules are not layers.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import ts from "typescript";

export type Layer =
  | "schema"
  | "model"
  | "client"
  | "sandbox"
  | "resources"
  | "backends"
  | "engine"
  | "policy"
  | "frontends"
  | "cli"
  | "entry";

/** Height of each layer; the three of layer 2 share one. */
export const RANK: Readonly<Record<Layer, number>> = {
  schema: 0,
  model: 1,
  client: 2,
  sandbox: 2,
  resources: 2,
  backends: 2,
  engine: 3,
  policy: 3.5,
  frontends: 4,
  cli: 5,
  entry: 6,
};

/** The layer of a repository path (POSIX separators), or undefined when it is in none. */
export function layerOf(path: string): Layer | undefined {
  if (path.startsWith("schema/")) return "schema";
  if (path === "provider/index.ts") return "entry";
  const top = /^provider\/([^/]+)\//.exec(path)?.[1];
  switch (top) {
    case "model":
      return "model";
    case "client":
      return "client";
    case "sandbox":
      return "sandbox";
    case "resources":
      return "resources";
    case "backends":
      return "backends";
    case "engine":
      return "engine";
    case "policy":
      return "policy";
    case "frontends":
    case "cdktf":
      return "frontends";
    case "cli":
      return "cli";
    default:
      return undefined;
  }
}

/** One import in a source file. */
export interface ImportRef {
  /** 1-based line of the import. */
  line: number;
  /** As written: `../engine/plan.js`. */
  specifier: string;
  /** `import type` / `export type`, or every named binding marked `type`. */
  typeOnly: boolean;
}

/** Every import, re-export, dynamic `import("…")` and `require("…")` with a string literal. */
export function importsOf(path: string, text: string): ImportRef[] {
  const sf = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const out: ImportRef[] = [];
  const add = (node: ts.Node, spec: ts.Expression | undefined, typeOnly: boolean) => {
    if (spec === undefined || !ts.isStringLiteralLike(spec)) return;
    const line = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
    out.push({ line, specifier: spec.text, typeOnly });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const named = clause?.namedBindings;
      const allNamedTypes =
        clause !== undefined &&
        clause.name === undefined &&
        named !== undefined &&
        ts.isNamedImports(named) &&
        named.elements.length > 0 &&
        named.elements.every((e) => e.isTypeOnly);
      add(node, node.moduleSpecifier, clause?.isTypeOnly === true || allNamedTypes);
    } else if (ts.isExportDeclaration(node)) {
      const named = node.exportClause;
      const allNamedTypes =
        named !== undefined &&
        ts.isNamedExports(named) &&
        named.elements.length > 0 &&
        named.elements.every((e) => e.isTypeOnly);
      add(node, node.moduleSpecifier, node.isTypeOnly || allNamedTypes);
    } else if (ts.isImportEqualsDeclaration(node)) {
      const ref = node.moduleReference;
      if (ts.isExternalModuleReference(ref)) add(node, ref.expression, node.isTypeOnly);
    } else if (ts.isCallExpression(node)) {
      const isImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === "require";
      if ((isImport || isRequire) && node.arguments.length >= 1) add(node, node.arguments[0], false);
    } else if (ts.isImportTypeNode(node)) {
      // `typeof import("../engine/plan.js")` in a type position
      const arg = node.argument;
      if (ts.isLiteralTypeNode(arg)) add(node, arg.literal as ts.Expression, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** The repository path a relative specifier names (`.js` written for a `.ts` file), or undefined. */
export function resolveImport(
  from: string,
  specifier: string,
  files: ReadonlySet<string>,
): string | undefined {
  if (!specifier.startsWith(".")) return undefined;
  const base = normalize(join(dirname(from), specifier))
    .split("\\")
    .join("/");
  const candidates = [base, base.replace(/\.(m|c)?js$/, ".$1ts"), `${base}.ts`, `${base}/index.ts`];
  return candidates.find((c) => files.has(c));
}

/** Why `from` may not import `to`, or undefined when it may. */
export function ruleBroken(from: Layer, to: Layer, typeOnly: boolean): string | undefined {
  if (from === "entry") return to === "cli" ? "the library entry must not import the CLI" : undefined;
  if (to === "entry") return "nothing inside the layers imports the library entry (provider/index.ts)";
  if (RANK[to] > RANK[from]) return "an import climbs a layer";
  if (RANK[to] === RANK[from] && from !== to) {
    if (from === "resources" && to === "client") {
      return typeOnly ? undefined : "resources may import client types only (`import type`)";
    }
    return `${from} must not import ${to} (one layer, kept apart)`;
  }
  return undefined;
}

export interface Violation {
  /** Importing file, repository path. */
  file: string;
  line: number;
  /** The imported file, repository path. */
  target: string;
  specifier: string;
  fromLayer: Layer | "none";
  toLayer: Layer | "none";
  rule: string;
}

/** `provider/x.ts:12 imports ../y.js (provider/y.ts): cli (layer 5) → engine (layer 3): rule`. */
export function describeViolation(v: Violation): string {
  const layer = (l: Layer | "none") => (l === "none" ? "no layer" : `${l} (layer ${RANK[l]})`);
  return `${v.file}:${v.line} imports ${v.specifier} (${v.target}): ${layer(v.fromLayer)} → ${layer(v.toLayer)}: ${v.rule}`;
}

/** Test files (`*.test.ts`) may import anything; so may declaration files. */
export function isChecked(path: string): boolean {
  return (
    (path.startsWith("provider/") || path.startsWith("schema/")) &&
    path.endsWith(".ts") &&
    !path.endsWith(".d.ts") &&
    !/\.test\.ts$/.test(path)
  );
}

/**
 * Every layering violation among `files` (repository path → text). Checked files outside every
 * layer are violations too, so that a new folder has to be given its place.
 */
export function findViolations(files: ReadonlyMap<string, string>): Violation[] {
  const paths = new Set(files.keys());
  const out: Violation[] = [];
  for (const [file, text] of files) {
    if (!isChecked(file)) continue;
    const fromLayer = layerOf(file);
    if (fromLayer === undefined) {
      out.push({
        file,
        line: 1,
        target: file,
        specifier: "(none)",
        fromLayer: "none",
        toLayer: "none",
        rule: "the file is in no layer: give its folder a place in test/architecture/layers.ts",
      });
      continue;
    }
    for (const imp of importsOf(file, text)) {
      const target = resolveImport(file, imp.specifier, paths);
      if (target === undefined) continue;
      const toLayer = layerOf(target);
      if (toLayer === undefined) {
        // A non-test file importing a test file or one outside the layers.
        if (!isChecked(target) && target.startsWith("provider/")) continue;
        out.push({
          file,
          line: imp.line,
          target,
          specifier: imp.specifier,
          fromLayer,
          toLayer: "none",
          rule: "imports a file that is in no layer",
        });
        continue;
      }
      const rule = ruleBroken(fromLayer, toLayer, imp.typeOnly);
      if (rule !== undefined) {
        out.push({ file, line: imp.line, target, specifier: imp.specifier, fromLayer, toLayer, rule });
      }
    }
  }
  return out.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

/** A violation the team knows of and is removing: exactly this importing file → this target. */
export interface KnownViolation {
  file: string;
  target: string;
  /** Why it is there and who removes it. */
  why: string;
}

/**
 * Splits the violations found against the known list: `unexpected` ones fail the check, and so
 * do `fixed` entries of the list that no longer occur (delete them from the list).
 */
export function compareWithKnown(
  found: readonly Violation[],
  known: readonly KnownViolation[],
): { unexpected: Violation[]; fixed: KnownViolation[] } {
  const key = (file: string, target: string) => `${file} → ${target}`;
  const knownKeys = new Set(known.map((k) => key(k.file, k.target)));
  const foundKeys = new Set(found.map((v) => key(v.file, v.target)));
  return {
    unexpected: found.filter((v) => !knownKeys.has(key(v.file, v.target))),
    fixed: known.filter((k) => !foundKeys.has(key(k.file, k.target))),
  };
}

/** provider/**\/*.ts and schema/**\/*.ts of the repository at `root` (test files included: they are skipped later). */
export function readSources(root: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const top of ["provider", "schema"]) {
    for (const entry of readdirSync(join(root, top), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith(".ts")) continue;
      const abs = join(entry.parentPath, entry.name);
      out.set(relative(root, abs).split("\\").join("/"), readFileSync(abs, "utf8"));
    }
  }
  return out;
}
