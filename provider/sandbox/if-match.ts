/**
 * If-Match for the sandbox's objects: parsing the header (`*`, `"3"`, `W/"3"`, `3`, lists) and
 * the 412 whose message names the current version.
 */
import { HttpError } from "./http-error.js";

/** A parsed `If-Match` header. */
export interface IfMatch {
  raw: string;
  matches(version: number): boolean;
}

/** Parses `If-Match`: `*`, `"3"`, `W/"3"`, `3`, or a comma-separated list of those. */
export function parseIfMatch(raw: string | null): IfMatch | undefined {
  if (raw === null) return undefined;
  const parts = raw.split(",").map((p) => p.trim());
  if (parts.includes("*")) return { raw, matches: () => true };
  const versions = new Set<number>();
  for (const p of parts) {
    const m = /^(?:W\/)?"?(\d{1,15})"?$/.exec(p);
    if (m?.[1] !== undefined) versions.add(Number(m[1]));
  }
  return { raw, matches: (v) => versions.has(v) };
}

function preconditionFailed(what: string, ifMatch: IfMatch, current: number): HttpError {
  return new HttpError(
    412,
    "precondition_failed",
    `${what} is at version ${current}, but If-Match was ${ifMatch.raw}; read it again and retry`,
  );
}

export function checkIfMatch(what: string, current: number, ifMatch: IfMatch | undefined): void {
  if (ifMatch && !ifMatch.matches(current)) throw preconditionFailed(what, ifMatch, current);
}
