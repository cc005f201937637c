/**
 * Values, one way for everybody: string order, the record check, canonical JSON (the config
 * digest, the sandbox's idempotency fingerprint, value comparison) and attribute equality for the
 * planner, apply and the renderers: objects by their keys in any order (a key set to undefined is
 * a missing key), arrays in order, or as sets where an attribute is one (grant scopes).
 */

/** Code-unit order: the same on every machine and locale (unlike `localeCompare`). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A plain object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Canonical JSON: object keys sorted at every depth, `undefined` members dropped (and
 * `undefined` array elements written as null). Two values equal as data give the same text.
 */
export function canonicalJson(value: unknown): string {
  return (
    JSON.stringify(value ?? null, (_key, v: unknown) => {
      if (isRecord(v)) {
        const sorted: Record<string, unknown> = {};
        for (const k of Object.keys(v).sort(compareStrings)) sorted[k] = v[k];
        return sorted;
      }
      return v;
    }) ?? "null"
  );
}

/** Deep equality; with `asSet`, two arrays are equal when they hold the same elements in any order. */
export function sameValue(a: unknown, b: unknown, asSet = false): boolean {
  if (asSet && Array.isArray(a) && Array.isArray(b)) {
    const x = a.map(canonicalJson).sort(compareStrings);
    const y = b.map(canonicalJson).sort(compareStrings);
    return x.length === y.length && x.every((v, i) => v === y[i]);
  }
  return canonicalJson(a) === canonicalJson(b);
}
