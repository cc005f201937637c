/**
 * Injected faults before the work (provider/sandbox/faults.ts decides, this applies): 429 with
 * Retry-After over the rate limit, added latency, then an injected 500 or 503. Hooks are exempt.
 * While a rate limit is on, every answer (429 or not) carries the `RateLimit-*` headers.
 */
import type { FaultInjector } from "../faults.js";
import { HttpError } from "../http-error.js";
import type { Middleware } from "../pipeline.js";

export function faultsBefore(faults: FaultInjector): Middleware {
  return async (ctx, next) => {
    if (ctx.route?.hook !== false) return next();
    const retryAfter = faults.rateLimit();
    const limitHeaders = faults.rateLimitHeaders();
    if (retryAfter > 0) {
      throw new HttpError(
        429,
        "rate_limited",
        `rate limit of ${faults.config.rate_limit_rps} requests/s exceeded; retry after ${retryAfter}s`,
        undefined,
        { "retry-after": String(retryAfter), ...limitHeaders },
      );
    }
    if (Object.keys(limitHeaders).length === 0) return afterLimit(faults, next);
    let res: Response;
    try {
      res = await afterLimit(faults, next);
    } catch (err) {
      if (err instanceof HttpError) {
        throw new HttpError(err.status, err.code, err.message, err.details, {
          ...limitHeaders,
          ...err.headers,
        });
      }
      throw err;
    }
    // A dropped connection (Response.error()) has no headers to add to.
    if (res.type !== "error") {
      for (const [name, value] of Object.entries(limitHeaders)) {
        if (!res.headers.has(name)) res.headers.set(name, value);
      }
    }
    return res;
  };
}

/** Added latency, then an injected 500 or 503, then the rest of the chain. */
async function afterLimit(faults: FaultInjector, next: () => Promise<Response>): Promise<Response> {
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
}
