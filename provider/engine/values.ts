/**
 * Comparing attribute values, one way for the planner, apply and the renderers: objects by
 * their keys in any order (a key set to undefined is a missing key), arrays in order, or as sets
 * where an attribute is one (grant scopes).
 */

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** JSON with object keys sorted, for comparing values. */
export function canonical(value: unknown): string {
  return (
    JSON.stringify(value ?? null, (_key, v: unknown) => {
      if (isPlainObject(v)) {
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
    const x = a.map(canonical).sort(compareStrings);
    const y = b.map(canonical).sort(compareStrings);
    return x.length === y.length && x.every((v, i) => v === y[i]);
  }
  return canonical(a) === canonical(b);
}
