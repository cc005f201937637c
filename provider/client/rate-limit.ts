/**
 * The client's adaptive rate limiter: one budget shared by every request of a `Transport`, so
 * that `--parallelism 50` does not mean 50 requests racing into a 429.
 *
 * - Until the server says anything about a limit, requests go out unpaced.
 * - Rate-limit headers set the pace when present: `RateLimit-Policy: <limit>;w=<window>` (IETF
 *   draft-ietf-httpapi-ratelimit-headers) or `RateLimit-Limit` with a `w=` parameter give the
 *   rate (limit / window), paced at `HEADROOM` of it; `RateLimit-Remaining: 0` (or
 *   `X-RateLimit-Remaining: 0`) with `RateLimit-Reset` / `X-RateLimit-Reset` (delta seconds, or
 *   epoch seconds for the X- form) holds every request until the reset.
 * - A 429 holds every request until its `Retry-After` (the same wait for all, not only for the
 *   request that got it) and cuts the pace multiplicatively (AIMD); each success then adds a
 *   little back, up to a rate the headers announced, if any.
 *
 * Requests are spaced evenly (a GCRA-style "next free slot"), never bursted: a token bucket on
 * the server side then never runs dry at the pace it announced. Pure bookkeeping: `reserve`
 * answers how long to wait; the transport sleeps (with its injectable clock and sleep).
 */

/** The pace kept below an announced rate, so clock skew and jitter do not hit the limit. */
export const HEADROOM = 0.95;
/** The multiplicative cut of the pace on a 429 without an announced rate. */
const DECREASE = 0.8;
/** The pace never falls below this (requests a second). */
const MIN_RATE = 0.2;
/** What each success adds to the pace, as a fraction of the pace, spread over a second's requests. */
const INCREASE_PER_SECOND = 0.05;

type Headers = Record<string, string | string[] | undefined>;

export interface RateLimitInfo {
  /** Whether the response carried any rate-limit header at all. */
  announced?: boolean;
  /** Requests a second the server announced (limit / window), if it did. */
  announcedRate?: number;
  /** When `remaining` was 0: ms from now until the quota resets. */
  exhaustedForMs?: number;
}

function first(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** A non-negative number at the start of a header value (`"100"`, `"100;w=1"`), else undefined. */
function leadingNumber(value: string | undefined): number | undefined {
  const m = value?.trim().match(/^(\d+(?:\.\d+)?)/);
  return m ? Number(m[1]) : undefined;
}

/** The `w=` (window seconds) parameter of a policy or limit header. */
function windowParam(value: string | undefined): number | undefined {
  const m = value?.match(/(?:^|[;,\s])w\s*=\s*(\d+(?:\.\d+)?)/i);
  const w = m ? Number(m[1]) : undefined;
  return w !== undefined && w > 0 ? w : undefined;
}

/**
 * What a response's rate-limit headers say, if anything: the announced rate and, when the quota
 * is used up, how long until it resets. `nowMs` reads epoch-second resets (`X-RateLimit-Reset`).
 */
export function parseRateLimitHeaders(headers: Headers, nowMs: number): RateLimitInfo {
  const out: RateLimitInfo = {};
  const policy = first(headers, "ratelimit-policy");
  const limitHeader = first(headers, "ratelimit-limit") ?? first(headers, "x-ratelimit-limit");
  if (policy === undefined && limitHeader === undefined) return out;
  out.announced = true;
  const limit = leadingNumber(policy) ?? leadingNumber(limitHeader);
  const window = windowParam(policy) ?? windowParam(limitHeader);
  if (limit !== undefined && window !== undefined && limit > 0) out.announcedRate = limit / window;
  const remaining = leadingNumber(
    first(headers, "ratelimit-remaining") ?? first(headers, "x-ratelimit-remaining"),
  );
  if (remaining === 0) {
    const ietf = leadingNumber(first(headers, "ratelimit-reset"));
    const x = leadingNumber(first(headers, "x-ratelimit-reset"));
    // X-RateLimit-Reset is epoch seconds at GitHub and others, delta seconds elsewhere.
    const resetMs =
      ietf !== undefined
        ? ietf * 1000
        : x === undefined
          ? undefined
          : x > 1e9
            ? Math.max(0, x * 1000 - nowMs)
            : x * 1000;
    if (resetMs !== undefined) out.exhaustedForMs = resetMs;
  }
  return out;
}

export class AdaptiveRateLimiter {
  /** Requests a second now, or undefined: unpaced. */
  #rate: number | undefined;
  /** The rate the server announced, the ceiling of the pace. */
  #ceiling: number | undefined;
  /** No request starts before this (Retry-After, an exhausted quota). */
  #holdUntil = 0;
  /** The next free slot of the even pace. */
  #nextSlot = 0;
  /** Start times of the requests of the last second, to know the rate a 429 interrupted. */
  #recent: number[] = [];
  #limited = 0;
  /** When the pace was last cut: 429s to requests sent before it do not cut it again. */
  #cutAt = Number.NEGATIVE_INFINITY;

  /** The pace in requests a second (undefined: unpaced), for messages and tests. */
  get rate(): number | undefined {
    return this.#rate;
  }

  /** How many 429s were seen. */
  get rateLimited(): number {
    return this.#limited;
  }

  /**
   * Takes the next slot for a request about to start and answers how many ms to wait for it (0:
   * go now). Every call takes a slot, so call it once per attempt.
   */
  reserve(nowMs: number): number {
    let at = Math.max(nowMs, this.#holdUntil);
    if (this.#rate !== undefined) {
      at = Math.max(at, this.#nextSlot);
      this.#nextSlot = at + 1000 / this.#rate;
    }
    this.#recent.push(at);
    while (this.#recent.length > 0 && (this.#recent[0] ?? 0) <= at - 1000) this.#recent.shift();
    return at - nowMs;
  }

  /**
   * Learns from any response's headers. A server that announced a rate and now answers without
   * any rate-limit header has lifted its limit: the pace is dropped (a 429 would teach it again).
   */
  observe(headers: Headers, nowMs: number): void {
    const info = parseRateLimitHeaders(headers, nowMs);
    if (info.announced !== true) {
      if (this.#ceiling !== undefined) {
        this.#ceiling = undefined;
        this.#rate = undefined;
        this.#nextSlot = 0;
      }
      return;
    }
    if (info.announcedRate !== undefined) {
      const paced = info.announcedRate * HEADROOM;
      if (this.#ceiling !== paced) {
        this.#ceiling = paced;
        this.#rate = this.#rate === undefined ? paced : Math.min(this.#rate, paced);
      }
    }
    if (info.exhaustedForMs !== undefined) this.#hold(nowMs + info.exhaustedForMs);
  }

  /** A 2xx: the pace may grow back towards the announced rate. */
  onSuccess(): void {
    if (this.#rate === undefined) return;
    // Spread over a second's successes: +5 % a second, at least +0.5 requests/s a second.
    const perSecond = Math.max(0.5, this.#rate * INCREASE_PER_SECOND);
    const grown = this.#rate + perSecond / Math.max(1, this.#rate);
    this.#rate = this.#ceiling === undefined ? grown : Math.min(this.#ceiling, grown);
  }

  /**
   * A 429 to a request sent at `sentAtMs`: every request waits `retryAfterMs` from now, and the
   * pace is cut multiplicatively from what was being sent — once per burst: the 429s to requests
   * already in flight when it was cut do not cut it again (as TCP cuts once per round trip).
   */
  onRateLimited(nowMs: number, retryAfterMs: number, sentAtMs: number = nowMs): void {
    this.#limited++;
    this.#hold(nowMs + retryAfterMs);
    if (sentAtMs <= this.#cutAt) return;
    this.#cutAt = nowMs;
    // The pace being kept, else (the first 429) what went out in the last second. Not the least
    // of the two: a stalled event loop makes the last second look quiet, and cutting from there
    // would collapse the pace for no reason.
    const base = this.#rate ?? Math.max(1, this.#recent.filter((t) => t > nowMs - 1000).length);
    // With an announced rate the cut is gentler: the pace is already close to right.
    this.#rate = Math.max(MIN_RATE, base * (this.#ceiling === undefined ? DECREASE : 0.9));
    if (this.#ceiling !== undefined && this.#rate > this.#ceiling) this.#rate = this.#ceiling;
  }

  #hold(untilMs: number): void {
    if (untilMs > this.#holdUntil) this.#holdUntil = untilMs;
    if (this.#nextSlot < this.#holdUntil) this.#nextSlot = this.#holdUntil;
  }
}
