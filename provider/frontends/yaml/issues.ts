/**
 * Schema validation of one YAML file against its schema (./config-file.ts, from `schema/config.ts`
 * and the registered types), with zod's issues turned into
 * diagnostics at source positions: unknown keys with a "did you mean", wrong types with what was
 * found, bad keys, and grants checked by their kind (a union's issues are useless to a person:
 * "invalid input" for a grant that names both a team and a role).
 *
 * YAML merge keys (`<<: *base`) are not supported (yaml 1.2 has none): a `<<` key gets a hint
 * saying so wherever it is refused.
 */
import { z } from "zod";
import { type Diagnostic, didYouMean } from "../../model/diagnostics.js";
import { isRecord } from "../../model/values.js";
import {
  CONNECTOR_SCOPE_KEYS,
  ConnectorGrant,
  GRANT_KINDS,
  RoleGrant,
  TeamGrant,
} from "../../resources/api-user-grant/config.js";
import { type DocPath, isReservedKey, type PathSegment, type SourceFile } from "../source.js";
import { configFileSchema } from "./config-file.js";

type Issue = z.core.$ZodIssue;

const MERGE_KEY = "<<";
const MERGE_KEY_HINT =
  "YAML merge keys are not supported: repeat the keys, or use an anchor for the whole value";

/** Checks `data` (the file's YAML as plain data) and returns every problem found. */
export function validateFile(src: SourceFile, data: unknown): Diagnostic[] {
  const ConfigFile = configFileSchema();
  const result = ConfigFile.safeParse(data);
  const diags: Diagnostic[] = [];
  if (!result.success) {
    for (const issue of result.error.issues) {
      const path = toPath(issue.path);
      if (isUnderGrant(path)) continue; // re-checked below, by kind
      diags.push(...issueDiagnostics(src, data, ConfigFile, [], issue));
    }
  }
  diags.push(...validateGrants(src, data));
  return diags;
}

/** `api_users.<key>.grants[<i>]...`: a path inside one grant entry. */
function isUnderGrant(path: DocPath): boolean {
  return path.length >= 4 && path[0] === "api_users" && path[2] === "grants" && typeof path[3] === "number";
}

const GRANT_SCHEMAS = { team: TeamGrant, role: RoleGrant, connector: ConnectorGrant } as const;

function validateGrants(src: SourceFile, data: unknown): Diagnostic[] {
  const diags: Diagnostic[] = [];
  const users = isRecord(data) ? data.api_users : undefined;
  if (!isRecord(users)) return diags;
  for (const [userKey, user] of Object.entries(users)) {
    if (!isRecord(user) || !Array.isArray(user.grants)) continue;
    user.grants.forEach((grant: unknown, i: number) => {
      const path: DocPath = ["api_users", userKey, "grants", i];
      if (!isRecord(grant)) {
        diags.push(
          src.diag(
            "CONFIG_INVALID_TYPE",
            `expected a grant (a mapping with one of team, role or connector), got ${describeValue(grant)}`,
            path,
            {
              hint:
                typeof grant === "string"
                  ? `write "- team: ${grant}", "- role: …" or "- connector: …"`
                  : undefined,
            },
          ),
        );
        return;
      }
      const kinds = GRANT_KINDS.filter((k) => k in grant);
      const [kind, second] = kinds;
      if (kind === undefined) {
        const keys = Object.keys(grant);
        const unknown = keys.find((k) => !(CONNECTOR_SCOPE_KEYS as readonly string[]).includes(k));
        const guess = unknown === undefined ? undefined : didYouMean(unknown, GRANT_KINDS);
        let hint: string | undefined;
        if (unknown === MERGE_KEY) hint = MERGE_KEY_HINT;
        else if (guess !== undefined) hint = `"${unknown}": did you mean "${guess}"?`;
        else if (keys.length > 0 && unknown === undefined)
          hint = `${keys.join(", ")} need "connector: <name>"`;
        diags.push(
          src.diag("CONFIG_GRANT_SHAPE", "a grant needs one of team, role or connector", path, { hint }),
        );
        return;
      }
      if (second !== undefined) {
        diags.push(
          src.diag(
            "CONFIG_GRANT_SHAPE",
            `a grant takes exactly one of team, role or connector, this one has ${kinds.join(" and ")}`,
            [...path, second],
            { at: "key", hint: "write each as its own list entry" },
          ),
        );
        return;
      }
      const schema = GRANT_SCHEMAS[kind];
      const r = schema.safeParse(grant);
      if (r.success) return;
      for (const issue of r.error.issues) {
        if (issue.code === "unrecognized_keys" && issue.path.length === 0 && kind !== "connector") {
          for (const key of issue.keys) {
            if (isReservedKey(key)) continue; // reported by parse.ts
            if ((CONNECTOR_SCOPE_KEYS as readonly string[]).includes(key)) {
              diags.push(
                src.diag(
                  "CONFIG_GRANT_SHAPE",
                  `"${key}" applies only to connector grants; a ${kind} grant takes no scope`,
                  [...path, key],
                  { at: "key", hint: `grant the ${kind}, or use "- connector: …" with ${key}` },
                ),
              );
            } else {
              diags.push(unknownKey(src, [...path, key], key, Object.keys(schema.shape)));
            }
          }
          continue;
        }
        diags.push(...issueDiagnostics(src, grant, schema, path, issue));
      }
    });
  }
  return diags;
}

/**
 * Diagnostics for one zod issue. `data` and `schema` are at `base` in the document; the issue's
 * path is relative to them.
 */
function issueDiagnostics(
  src: SourceFile,
  data: unknown,
  schema: z.ZodType,
  base: DocPath,
  issue: Issue,
): Diagnostic[] {
  const diags = issueDiagnosticsRaw(src, data, schema, base, issue);
  if (toPath(issue.path).at(-1) === MERGE_KEY) for (const d of diags) d.hint = MERGE_KEY_HINT;
  return diags;
}

function issueDiagnosticsRaw(
  src: SourceFile,
  data: unknown,
  schema: z.ZodType,
  base: DocPath,
  issue: Issue,
): Diagnostic[] {
  const rel = toPath(issue.path);
  const path = [...base, ...rel];
  const value = valueAt(data, rel);
  switch (issue.code) {
    case "unrecognized_keys": {
      const allowed = objectKeysAt(schema, rel);
      return issue.keys
        .filter((key) => !isReservedKey(key)) // reported by parse.ts
        .map((key) => unknownKey(src, [...path, key], key, allowed));
    }
    case "invalid_type": {
      if (value === undefined) {
        const key = path[path.length - 1];
        return [
          src.diag("CONFIG_MISSING_KEY", `missing required key "${String(key)}"`, path.slice(0, -1), {
            at: "key",
          }),
        ];
      }
      return [invalidType(src, path, describeExpected(issue.expected), value)];
    }
    case "invalid_union": {
      const expected = new Set<string>();
      for (const branch of issue.errors) {
        for (const sub of branch) {
          if (sub.code === "invalid_type" && sub.path.length === 0)
            expected.add(describeExpected(sub.expected));
        }
      }
      const list = [...expected];
      const text =
        list.length <= 1 ? (list[0] ?? "another value") : `${list.slice(0, -1).join(", ")} or ${list.at(-1)}`;
      return [invalidType(src, path, text, value)];
    }
    case "invalid_key": {
      const key = String(path[path.length - 1]);
      const rule =
        path[0] === "variables" && path.length === 2
          ? "variable names start with a letter or _ and contain only letters, digits and _"
          : key === ""
            ? "keys must not be empty"
            : "keys start with a letter or _ and contain only letters, digits, _ and -";
      return [
        src.diag("CONFIG_INVALID_KEY", `invalid key ${JSON.stringify(key)}: ${rule}`, path, { at: "key" }),
      ];
    }
    case "too_small": {
      const what = issue.origin === "string" ? "must not be empty" : `is too small (${issue.message})`;
      return [src.diag("CONFIG_INVALID_VALUE", `value ${what}`, path)];
    }
    default:
      return [src.diag("CONFIG_INVALID_VALUE", lowerFirst(issue.message), path)];
  }
}

function unknownKey(src: SourceFile, path: DocPath, key: string, allowed: readonly string[]): Diagnostic {
  const guess = key === MERGE_KEY ? undefined : didYouMean(key, allowed);
  const hint =
    key === MERGE_KEY
      ? MERGE_KEY_HINT
      : guess !== undefined
        ? `did you mean "${guess}"?`
        : allowed.length > 0
          ? `allowed keys: ${allowed.join(", ")}`
          : undefined;
  return src.diag("CONFIG_UNKNOWN_KEY", `unknown key "${key}"`, path, { at: "key", hint });
}

function invalidType(src: SourceFile, path: DocPath, expected: string, value: unknown): Diagnostic {
  let hint: string | undefined;
  if (value === null) hint = "give it a value, or remove the key";
  else if (expected === "a string" && (typeof value === "number" || typeof value === "boolean")) {
    hint = `quote it: "${String(value)}"`;
  }
  return src.diag("CONFIG_INVALID_TYPE", `expected ${expected}, got ${describeValue(value)}`, path, { hint });
}

function describeExpected(expected: string): string {
  switch (expected) {
    case "object":
    case "record":
      return "a mapping";
    case "array":
      return "a list";
    case "string":
      return "a string";
    case "number":
      return "a number";
    case "boolean":
      return "true or false";
    default:
      return expected;
  }
}

/** `a number (2026)`, `a list`, `an empty value`. */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return "an empty value";
  if (Array.isArray(v)) return "a list";
  switch (typeof v) {
    case "string":
      return `a string (${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)})`;
    case "number":
    case "bigint":
      return `a number (${String(v)})`;
    case "boolean":
      return `a boolean (${String(v)})`;
    case "object":
      return v instanceof Uint8Array ? "binary data" : "a mapping";
    default:
      return typeof v;
  }
}

function lowerFirst(s: string): string {
  return s.length > 0 ? s[0]?.toLowerCase() + s.slice(1) : s;
}

function toPath(path: readonly PropertyKey[]): PathSegment[] {
  return path.map((p) => (typeof p === "number" ? p : String(p)));
}

function valueAt(data: unknown, path: DocPath): unknown {
  let cur = data;
  for (const seg of path) {
    if (Array.isArray(cur) && typeof seg === "number") cur = cur[seg];
    else if (isRecord(cur)) cur = Object.hasOwn(cur, seg) ? cur[seg] : undefined;
    else return undefined;
  }
  return cur;
}

/** The keys an object schema at `path` (inside `schema`) allows, for "did you mean". */
function objectKeysAt(schema: z.ZodType, path: DocPath): string[] {
  let s: z.ZodType | undefined = schema;
  for (const seg of [...path, undefined]) {
    while (s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
    if (seg === undefined) break;
    if (s instanceof z.ZodObject) s = (s.shape as Record<string, z.ZodType>)[String(seg)];
    else if (s instanceof z.ZodRecord) s = s.valueType as z.ZodType;
    else if (s instanceof z.ZodArray) s = s.element as z.ZodType;
    else return [];
  }
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}
