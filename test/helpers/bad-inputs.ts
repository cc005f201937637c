/**
 * The bad-input corpus, in one list for the fixture tests and the end-to-end run through the CLI:
 * every invalid case under `fixtures/yaml-invalid` and `fixtures/tf-json`, plus the inputs too
 * large to commit (a 2 MiB file, 20,000 `[`, 25,000 unknown keys), generated at run time with
 * their exact expected diagnostics.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const fixtures = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures");
export const YAML_INVALID_DIR = join(fixtures, "yaml-invalid");
export const TF_JSON_DIR = join(fixtures, "tf-json");

/** One file written at run time, and the diagnostics (formatted, joined with "\n") it must give. */
export interface GeneratedCase {
  name: string;
  format: "yaml" | "tf-json";
  /** The file's name (in its own directory); the case is read as `-c <file>`. */
  file: string;
  content: () => Buffer;
  expected: string;
}

const MiB = 1024 * 1024;
const LIMIT = "more than the limit of 1048576 bytes\n  hint: split the configuration into several files";
const TOO_DEEP =
  "error CONFIG_TOO_DEEP: nesting deeper than 64 levels; the file was not parsed\n  hint: a configuration needs a few levels; check for a runaway [ or {";

function manyUnknownKeys(): string {
  let text = "api_users:\n  reporting_bot:\n    name: reporting-bot\n";
  for (let i = 0; i < 25_000; i++)
    text += `    unknown_key_${String(i).padStart(5, "0")}_${"x".repeat(13)}: x\n`;
  return text;
}

function unknownKeyLines(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const key = `unknown_key_${String(i).padStart(5, "0")}_${"x".repeat(13)}`;
    out.push(
      `many-unknown-keys.yaml:${i + 4}:5: error CONFIG_UNKNOWN_KEY: unknown key "${key}" (at api_users.reporting_bot.${key})\n  hint: allowed keys: name, description, prevent_destroy, grants, tokens`,
    );
  }
  return out;
}

export const GENERATED_CASES: readonly GeneratedCase[] = [
  {
    name: "generated-yaml-2-mib",
    format: "yaml",
    file: "big.yaml",
    content: () => Buffer.from(`# ${"x".repeat(2 * MiB)}\n`),
    expected: `big.yaml: error YAML_TOO_LARGE: file is ${2 * MiB + 3} bytes, ${LIMIT}`,
  },
  {
    name: "generated-yaml-20000-brackets",
    format: "yaml",
    file: "deep.yaml",
    content: () => Buffer.from(`api_users: ${"[".repeat(20_000)}\n`),
    expected: `deep.yaml:1:${12 + 64}: ${TOO_DEEP}`,
  },
  {
    name: "generated-yaml-25000-unknown-keys",
    format: "yaml",
    file: "many-unknown-keys.yaml",
    content: () => Buffer.from(manyUnknownKeys()),
    expected: [
      ...unknownKeyLines(50),
      "error DIAGNOSTICS_TRUNCATED: and 24,950 more (only the first 50 are shown); fix these and run again",
    ].join("\n"),
  },
  {
    name: "generated-tf-json-2-mib",
    format: "tf-json",
    file: "big.tf.json",
    content: () => Buffer.from(`{"//": "${"x".repeat(2 * MiB)}"}\n`),
    expected: `big.tf.json: error TF_JSON_TOO_LARGE: file is ${2 * MiB + 11} bytes, ${LIMIT}`,
  },
  {
    name: "generated-tf-json-20000-brackets",
    format: "tf-json",
    file: "deep.tf.json",
    content: () => Buffer.from(`{"resource": ${"[".repeat(20_000)}\n`),
    expected: `deep.tf.json:1:${14 + 63}: ${TOO_DEEP}`,
  },
];

/** A committed invalid case: where it is, the `-c` paths and flags that read it, and its expected text. */
export interface FixtureCase {
  name: string;
  format: "yaml" | "tf-json";
  /** The directory the case is read from (the working directory). */
  dir: string;
  paths: string[];
  /** Whether `paths` come from the case's options (else the case's own file or directory). */
  explicitPaths: boolean;
  vars: Record<string, string>;
  stack?: string;
  /** Loader options the CLI has no flag for (a smaller size limit, a synth timeout). */
  loaderOnly: boolean;
  expected: string;
}

/** Every committed invalid case of both corpora, in name order. */
export function fixtureCases(): FixtureCase[] {
  const out: FixtureCase[] = [];
  const yamlNames = readdirSync(YAML_INVALID_DIR)
    .map((e) => /^(.+)\.expected\.txt$/.exec(e)?.[1])
    .filter((n): n is string => n !== undefined)
    .sort();
  for (const name of yamlNames) {
    const optionsFile = join(YAML_INVALID_DIR, `${name}.options.json`);
    const options = existsSync(optionsFile)
      ? (JSON.parse(readFileSync(optionsFile, "utf8")) as {
          paths?: string[];
          vars?: Record<string, string>;
          limits?: unknown;
        })
      : {};
    const input = existsSync(join(YAML_INVALID_DIR, `${name}.yaml`)) ? `${name}.yaml` : name;
    out.push({
      name,
      format: "yaml",
      dir: YAML_INVALID_DIR,
      paths: options.paths ?? [input],
      explicitPaths: options.paths !== undefined,
      vars: options.vars ?? {},
      loaderOnly: options.limits !== undefined,
      expected: readFileSync(join(YAML_INVALID_DIR, `${name}.expected.txt`), "utf8").trimEnd(),
    });
  }
  for (const name of readdirSync(TF_JSON_DIR).sort()) {
    const dir = join(TF_JSON_DIR, name);
    if (!statSync(dir).isDirectory() || existsSync(join(dir, "expected.json")) || name.startsWith("valid-")) {
      continue;
    }
    const optionsFile = join(dir, "options.json");
    const options = existsSync(optionsFile)
      ? (JSON.parse(readFileSync(optionsFile, "utf8")) as {
          paths?: string[];
          stack?: string;
          synthTimeoutMs?: number;
        })
      : {};
    const c: FixtureCase = {
      name,
      format: "tf-json",
      dir,
      paths: options.paths ?? ["."],
      explicitPaths: options.paths !== undefined,
      vars: {},
      loaderOnly: options.synthTimeoutMs !== undefined,
      expected: readFileSync(join(dir, "expected.txt"), "utf8").trimEnd(),
    };
    if (options.stack !== undefined) c.stack = options.stack;
    out.push(c);
  }
  return out;
}
