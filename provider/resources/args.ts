/**
 * Checking a resource's arguments with its zod schema, with issues a person can act on: an unknown
 * argument with a "did you mean", a missing one, a wrong type with what was found. Shared by every
 * type's configuration (`<type>/config.ts`), the Terraform JSON frontend and the CDKTF constructs.
 * Issues carry a path relative to the resource body; the frontend turns them into diagnostics at
 * source positions.
 */
import { z } from "zod";
import { didYouMean } from "../model/diagnostics.js";

/** One problem with a resource's arguments; `path` is relative to the resource body. */
export interface ArgIssue {
  code: string;
  message: string;
  path: (string | number)[];
  hint?: string;
}

export type ArgsResult<T> = { ok: true; value: T } | { ok: false; issues: ArgIssue[] };

/** Checks `body` against `schema`, with issues a person can act on. */
export function parseWith<T>(schema: z.ZodType<T>, body: unknown): ArgsResult<T> {
  const r = schema.safeParse(body);
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, issues: r.error.issues.flatMap((i) => toArgIssues(schema, body, i)) };
}

function toArgIssues(schema: z.ZodType, body: unknown, issue: z.core.$ZodIssue): ArgIssue[] {
  const path = issue.path.map((p) => (typeof p === "number" ? p : String(p)));
  const input = valueAt(body, path);
  switch (issue.code) {
    case "unrecognized_keys": {
      const allowed = schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
      return issue.keys.map((key) => {
        const guess = didYouMean(key, allowed);
        return {
          code: "CONFIG_UNKNOWN_KEY",
          message: `unknown argument "${key}"`,
          path: [...path, key],
          hint: guess !== undefined ? `did you mean "${guess}"?` : `arguments: ${allowed.join(", ")}`,
        };
      });
    }
    case "invalid_type":
      if (input === undefined) {
        return [
          { code: "CONFIG_MISSING_KEY", message: `missing required argument "${String(path.at(-1))}"`, path },
        ];
      }
      return [
        {
          code: "CONFIG_INVALID_TYPE",
          message: `expected ${describeExpected(issue.expected)}, got ${describeValue(input)}`,
          path,
        },
      ];
    case "invalid_union": {
      const expected = new Set<string>();
      for (const branch of issue.errors) {
        for (const sub of branch)
          if (sub.code === "invalid_type" && sub.path.length === 0)
            expected.add(describeExpected(sub.expected));
      }
      const list = [...expected];
      const text =
        list.length <= 1 ? (list[0] ?? "another value") : `${list.slice(0, -1).join(", ")} or ${list.at(-1)}`;
      return [
        { code: "CONFIG_INVALID_TYPE", message: `expected ${text}, got ${describeValue(input)}`, path },
      ];
    }
    case "too_small":
      return [
        {
          code: "CONFIG_INVALID_VALUE",
          message: issue.origin === "string" ? "value must not be empty" : issue.message,
          path,
        },
      ];
    case "invalid_format":
      return [
        {
          code: "CONFIG_INVALID_VALUE",
          message: `${describeValue(input)} is not a valid key`,
          path,
          hint: "keys start with a letter or _ and contain only letters, digits, _ and -",
        },
      ];
    default:
      return [{ code: "CONFIG_INVALID_VALUE", message: issue.message, path }];
  }
}

function valueAt(data: unknown, path: readonly (string | number)[]): unknown {
  let cur = data;
  for (const seg of path) {
    if (typeof cur !== "object" || cur === null) return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

function describeExpected(expected: string): string {
  switch (expected) {
    case "object":
    case "record":
      return "an object";
    case "array":
      return "a list";
    default:
      return `a ${expected}`;
  }
}

/** `a number (2026)`, `a list`, `null`. */
export function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  switch (typeof v) {
    case "string":
      return `a string (${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)})`;
    case "number":
      return `a number (${String(v)})`;
    case "boolean":
      return `a boolean (${String(v)})`;
    case "object":
      return "an object";
    default:
      return typeof v;
  }
}
