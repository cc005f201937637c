/**
 * Injected faults before the work (provider/sandbox/faults.ts decides, this applies): 429 with
 * Retry-After over the rate limit, added latency, then an injected 500 or 503. Hooks are exempt.
 */
import type { FaultInjector } from "../faults.js";
import { HttpError } from "../http-error.js";
import type { Middleware } from "../pipeline.js";

export function faultsBefore(faults: FaultInjector): Middleware {
  return async (ctx, next) => {
    if (ctx.route?.hook !== false) return next();
    const retryAfter = faults.rateLimit();
    if (retryAfter > 0) {
      throw new HttpError(
        429,
        "rate_limited",
        `rate limit of ${faults.config.rate_limit_rps} requests/s exceeded; retry after ${retryAfter}s`,
        undefined,
        { "retry-after": String(retryAfter) },
      );
    }
    if (faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs));
    const injected = faults.errorBeforeWork();
    if (injected === 500) {
      throw new HttpError(500, "internal", "injected fault: internal error (nothing was done)");
    }
    if (injected === 503) {
      throw new HttpError(
        503,
        "internal",
        "injected fault: service unavailable (nothing was done)",
        undefined,
        {
          "retry-after": "1",
        },
      );
    }
    return next();
  };
}
