/**
 * Request-body decoding for the sandbox: which Content-Types are JSON, and a JSON parse with a
 * bound on nesting depth (checked by a linear scan before `JSON.parse`, so a body of 100 000
 * `[` can never reach a recursive step).
 */

/** Deepest nesting of arrays and objects a request body may have. */
export const MAX_JSON_DEPTH = 64;

/** `application/json`, `application/merge-patch+json`, with or without parameters. */
export function isJsonContentType(value: string): boolean {
  const type = value.split(";")[0]?.trim().toLowerCase() ?? "";
  return type === "application/json" || /^application\/[\w.!#$&^-]+\+json$/.test(type);
}

export type JsonParseResult = { ok: true; value: unknown } | { ok: false; reason: string };

/**
 * The nesting depth of a JSON text: the most `[`/`{` open at once, outside strings. Stops
 * counting (returns `limit + 1`) as soon as the limit is passed.
 */
export function jsonDepth(text: string, limit = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return max;
}

/** Parses a JSON text nested at most `maxDepth` deep. Never throws. */
export function parseJsonBounded(text: string, maxDepth = MAX_JSON_DEPTH): JsonParseResult {
  if (jsonDepth(text, maxDepth) > maxDepth) {
    return { ok: false, reason: `JSON nested deeper than ${maxDepth} levels` };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
}
