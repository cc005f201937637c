import { describe, expect, it } from "vitest";
import { FaultInjector, mulberry32, RateLimiter } from "./faults.js";

describe("mulberry32", () => {
  it("is repeatable per seed and spreads over [0, 1)", () => {
    const a = mulberry32(9);
    const b = mulberry32(9);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    expect(mulberry32(10)()).not.toBe(xs[0]);
  });
});

describe("RateLimiter", () => {
  it("allows a burst of rps, then refills at rps per second", () => {
    const r = new RateLimiter(3, 0);
    expect([r.take(0), r.take(0), r.take(0)]).toEqual([0, 0, 0]);
    expect(r.take(0)).toBe(1);
    expect(r.take(334)).toBe(0);
    expect(r.take(334)).toBe(1);
  });

  it("gives Retry-After in whole seconds for slow rates", () => {
    const r = new RateLimiter(0.25, 0);
    expect(r.take(0)).toBe(0);
    expect(r.take(0)).toBe(4);
    expect(r.take(2000)).toBe(2);
  });

  it("is off at 0", () => {
    const r = new RateLimiter(0, 0);
    for (let i = 0; i < 100; i++) expect(r.take(0)).toBe(0);
  });
});

describe("FaultInjector", () => {
  it("applies defaults and validates input", () => {
    const f = new FaultInjector();
    expect(f.config).toEqual({
      rate_limit_rps: 0,
      latency_ms: 0,
      error_rate: 0,
      fail_after_commit_rate: 0,
      fail_after_commit_mode: "500",
      seed: 1,
    });
    expect(() => f.set({ error_rate: 1.5 })).toThrow();
    expect(f.errorBeforeWork()).toBeUndefined();
    expect(f.failAfterCommit()).toBeUndefined();
  });

  it("draws errors at about the configured rate", () => {
    const f = new FaultInjector({ error_rate: 0.3, seed: 5 });
    let errors = 0;
    for (let i = 0; i < 2000; i++) if (f.errorBeforeWork() !== undefined) errors++;
    expect(errors / 2000).toBeGreaterThan(0.25);
    expect(errors / 2000).toBeLessThan(0.35);
    f.set({ fail_after_commit_rate: 1, fail_after_commit_mode: "drop" });
    expect(f.failAfterCommit()).toBe("drop");
  });
});

describe("rate-limit headers", () => {
  it("announce the policy, what remains and when it resets, and nothing without a limit", () => {
    const r = new RateLimiter(50, 0);
    expect(r.take(0)).toBe(0);
    expect(r.headers()).toEqual({
      "ratelimit-policy": "50;w=1",
      "ratelimit-limit": "50",
      "ratelimit-remaining": "49",
      "ratelimit-reset": "1",
    });
    for (let i = 0; i < 49; i++) r.take(0);
    expect(r.take(0)).toBe(1);
    expect(r.headers()).toMatchObject({ "ratelimit-remaining": "0", "ratelimit-reset": "1" });
    const slow = new RateLimiter(0.25, 0);
    expect(slow.headers()["ratelimit-policy"]).toBe("1;w=4");
    expect(new RateLimiter(0, 0).headers()).toEqual({});
  });
});
