/**
 * Fault injection for the sandbox: a token-bucket rate limiter, added latency, errors before the
 * work, and failures after a mutation committed. Every random choice comes from one seeded PRNG,
 * so the same seed and the same sequence of requests give the same faults.
 */
import { SandboxFaults, type SandboxFaultsInput } from "../../schema/api.js";

/** mulberry32: a small, fast 32-bit PRNG; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Token bucket: `rps` tokens a second, bursts up to max(1, rps). */
export class RateLimiter {
  private tokens: number;
  private last: number;

  constructor(
    readonly rps: number,
    nowMs: number,
  ) {
    this.tokens = this.capacity;
    this.last = nowMs;
  }

  private get capacity(): number {
    return Math.max(1, this.rps);
  }

  /** Takes a token: 0 when allowed, else the seconds to wait (Retry-After, at least 1). */
  take(nowMs: number): number {
    if (this.rps <= 0) return 0;
    const elapsed = Math.max(0, nowMs - this.last) / 1000;
    this.last = Math.max(this.last, nowMs);
    this.tokens = Math.min(this.capacity, this.tokens + elapsed * this.rps);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / this.rps));
  }

  /**
   * The IETF draft's rate-limit headers (draft-ietf-httpapi-ratelimit-headers) for the bucket as
   * it is after the last `take`: the policy (`<limit>;w=<window seconds>`, the bucket's capacity
   * over the time it takes to refill), the limit, what remains, and the seconds until the bucket
   * is full again (until the next token when none remains). Empty when there is no limit.
   */
  headers(): Record<string, string> {
    if (this.rps <= 0) return {};
    const limit = Math.max(1, Math.floor(this.rps));
    const window = Math.round((limit / this.rps) * 1000) / 1000;
    const remaining = Math.floor(this.tokens);
    const reset =
      remaining === 0
        ? Math.max(1, Math.ceil((1 - this.tokens) / this.rps))
        : Math.ceil((this.capacity - this.tokens) / this.rps);
    return {
      "ratelimit-policy": `${limit};w=${window}`,
      "ratelimit-limit": String(limit),
      "ratelimit-remaining": String(remaining),
      "ratelimit-reset": String(reset),
    };
  }
}

/** The faults in effect and the state behind them (PRNG, bucket). */
export class FaultInjector {
  private cfg: SandboxFaults;
  private rng: () => number;
  private limiter: RateLimiter;

  constructor(
    input: SandboxFaultsInput = {},
    private readonly nowMs: () => number = Date.now,
  ) {
    this.cfg = SandboxFaults.parse(input);
    this.rng = mulberry32(this.cfg.seed);
    this.limiter = new RateLimiter(this.cfg.rate_limit_rps, this.nowMs());
  }

  get config(): SandboxFaults {
    return { ...this.cfg };
  }

  /** Replaces every setting (omitted ones take their defaults) and restarts the PRNG and bucket. */
  set(input: SandboxFaultsInput): SandboxFaults {
    this.cfg = SandboxFaults.parse(input);
    this.rng = mulberry32(this.cfg.seed);
    this.limiter = new RateLimiter(this.cfg.rate_limit_rps, this.nowMs());
    return this.config;
  }

  /** 0 when the request may go on, else the Retry-After seconds of a 429. */
  rateLimit(): number {
    return this.limiter.take(this.nowMs());
  }

  /** The rate-limit headers after the last `rateLimit()` (none when the limit is off). */
  rateLimitHeaders(): Record<string, string> {
    return this.limiter.headers();
  }

  get latencyMs(): number {
    return this.cfg.latency_ms;
  }

  /** An injected error status (500 or 503) for a request about to do its work, or undefined. */
  errorBeforeWork(): 500 | 503 | undefined {
    if (this.cfg.error_rate <= 0 || this.rng() >= this.cfg.error_rate) return undefined;
    return this.rng() < 0.5 ? 500 : 503;
  }

  /** Whether a committed mutation fails its response, and how. */
  failAfterCommit(): "500" | "drop" | undefined {
    if (this.cfg.fail_after_commit_rate <= 0 || this.rng() >= this.cfg.fail_after_commit_rate)
      return undefined;
    return this.cfg.fail_after_commit_mode;
  }
}
