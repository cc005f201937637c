/**
 * Durations as the CLI and environment spell them (`--lock-timeout 30s`, `POPDOCK_RETRY_BUDGET=5m`):
 * Go's `time.ParseDuration` units ms, s, m, h, combinable (`1m30s`, `1.5s`). One parser for every
 * such option, so they all accept the same spellings. (Rotation policies use whole days and weeks:
 * provider/resources/api-token/duration.ts.)
 */
import { UsageError } from "./errors.js";

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/**
 * Parses a duration such as `500ms`, `30s`, `2m`, `1h`, `1m30s` or `1.5s` (Go's
 * `time.ParseDuration` units ms, s, m, h) to whole milliseconds. `0` needs no unit. Throws
 * `UsageError` for anything else (a bare number, a negative value, an unknown unit).
 */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (s === "0") return 0;
  const part = /(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h)/y;
  let total = 0;
  let at = 0;
  while (s !== "" && at < s.length) {
    part.lastIndex = at;
    const m = part.exec(s);
    if (m === null) break;
    total += Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
    at = part.lastIndex;
  }
  if (s === "" || at !== s.length || !Number.isFinite(total)) {
    throw new UsageError(
      `invalid duration ${JSON.stringify(text)}: use a number with a unit (ms, s, m, h), e.g. 500ms, 30s, 2m, 1h or 0`,
      { hint: "for example --lock-timeout 30s" },
    );
  }
  return Math.round(total);
}

/**
 * Formats milliseconds the way `parseDuration` reads them: `500ms`, `1.2s`, `30s`, `2m`, `1m30s`,
 * `1h5m` (whole seconds from a minute up).
 */
export function formatDuration(ms: number): string {
  const total = Math.round(ms);
  if (total < 1000) return `${total}ms`;
  if (total < 60_000) return `${Number((total / 1000).toFixed(3))}s`;
  const seconds = Math.round(total / 1000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const sec = seconds % 60;
  return `${h > 0 ? `${h}h` : ""}${m > 0 ? `${m}m` : ""}${sec > 0 ? `${sec}s` : ""}`;
}
