/**
 * The adaptive rate limiter: header parsing and pacing (pure), then the client against an msw
 * server that enforces a limit — Retry-After held across requests, a shared pace, and zero failed
 * requests at a concurrency far above the limit.
 */
import { HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import { api, makeClient } from "../../test/fixtures/client/client.js";
import { type MswHttpServer, useMswServer } from "../../test/helpers/msw-server.js";
import type { PopdockClient } from "./client.js";
import { AdaptiveRateLimiter, HEADROOM, parseRateLimitHeaders } from "./rate-limit.js";

describe("parseRateLimitHeaders", () => {
  it("reads the IETF draft's policy, limit with a window, remaining and reset", () => {
    const policy = { "ratelimit-policy": "50;w=1", "ratelimit-remaining": "3" };
    expect(parseRateLimitHeaders(policy, 0)).toEqual({ announced: true, announcedRate: 50 });
    const limit = { "ratelimit-limit": "600, 600;w=60" };
    expect(parseRateLimitHeaders(limit, 0)).toEqual({ announced: true, announcedRate: 10 });
    const out = { "ratelimit-limit": "100", "ratelimit-remaining": "0", "ratelimit-reset": "2" };
    expect(parseRateLimitHeaders(out, 0)).toEqual({ announced: true, exhaustedForMs: 2000 });
  });

  it("reads X-RateLimit-* with a reset in delta seconds or epoch seconds", () => {
    const now = Date.UTC(2026, 0, 1);
    const x = { "x-ratelimit-limit": "60", "x-ratelimit-remaining": "0" };
    const delta = { ...x, "x-ratelimit-reset": "3" };
    expect(parseRateLimitHeaders(delta, now)).toEqual({ announced: true, exhaustedForMs: 3000 });
    const epoch = { ...x, "x-ratelimit-reset": String(now / 1000 + 7) };
    expect(parseRateLimitHeaders(epoch, now)).toEqual({ announced: true, exhaustedForMs: 7000 });
  });

  it("says nothing for absent or unreadable headers", () => {
    expect(parseRateLimitHeaders({}, 0)).toEqual({});
    // remaining and reset without a limit or policy: not an announcement
    expect(parseRateLimitHeaders({ "ratelimit-remaining": "0", "ratelimit-reset": "5" }, 0)).toEqual({});
    const junk = { "ratelimit-limit": "lots", "ratelimit-remaining": "some" };
    expect(parseRateLimitHeaders(junk, 0)).toEqual({ announced: true });
    expect(parseRateLimitHeaders({ "ratelimit-policy": "0;w=1" }, 0)).toEqual({ announced: true });
  });
});

describe("AdaptiveRateLimiter", () => {
  it("is unpaced until told otherwise", () => {
    const l = new AdaptiveRateLimiter();
    for (let i = 0; i < 100; i++) expect(l.reserve(1000)).toBe(0);
    expect(l.rate).toBeUndefined();
  });

  it("paces evenly below an announced rate, across every caller", () => {
    const l = new AdaptiveRateLimiter();
    l.observe({ "ratelimit-policy": "10;w=1" }, 0);
    expect(l.rate).toBe(10 * HEADROOM);
    const waits = Array.from({ length: 5 }, () => l.reserve(0));
    const gap = 1000 / (10 * HEADROOM);
    waits.forEach((w, i) => {
      expect(w).toBeCloseTo(i * gap, 6);
    });
  });

  it("holds every request until a 429's Retry-After, and cuts the pace", () => {
    const l = new AdaptiveRateLimiter();
    for (let i = 0; i < 20; i++) l.reserve(0);
    l.onRateLimited(100, 2000, 0);
    expect(l.rate).toBeCloseTo(20 * 0.8, 6);
    expect(l.reserve(100)).toBe(2000);
    expect(l.reserve(100)).toBeCloseTo(2000 + 1000 / (20 * 0.8), 6);
    // more 429s to requests sent before the cut extend the hold but do not cut again
    l.onRateLimited(150, 2500, 50);
    expect(l.rate).toBeCloseTo(20 * 0.8, 6);
    expect(l.rateLimited).toBe(2);
  });

  it("grows back after successes, never above the announced pace", () => {
    const l = new AdaptiveRateLimiter();
    l.observe({ "ratelimit-policy": "10;w=1" }, 0);
    l.onRateLimited(0, 0);
    const cut = l.rate ?? 0;
    expect(cut).toBeLessThan(10 * HEADROOM);
    for (let i = 0; i < 1000; i++) l.onSuccess();
    expect(l.rate).toBe(10 * HEADROOM);
    expect(cut).toBeGreaterThan(0);
  });

  it("drops an announced pace when the server stops announcing a limit", () => {
    const l = new AdaptiveRateLimiter();
    l.observe({ "ratelimit-policy": "2;w=1" }, 0);
    expect(l.rate).toBe(2 * HEADROOM);
    l.observe({}, 10);
    expect(l.rate).toBeUndefined();
    expect(l.reserve(10)).toBe(0);
    expect(l.reserve(10)).toBe(0);
  });

  it("holds every request while the quota is used up", () => {
    const l = new AdaptiveRateLimiter();
    l.observe({ "x-ratelimit-limit": "60", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "4" }, 1000);
    expect(l.reserve(1000)).toBe(4000);
    expect(l.reserve(6000)).toBe(0);
  });
});

/** A server-side token bucket: `rps` a second, bursts up to `rps`, as Popdock (and the sandbox) limits. */
function bucket(rps: number, headers: boolean) {
  let tokens = rps;
  let last = Date.now();
  return () => {
    const now = Date.now();
    tokens = Math.min(rps, tokens + ((now - last) / 1000) * rps);
    last = now;
    const info: Record<string, string> = headers
      ? { "ratelimit-policy": `${rps};w=1`, "ratelimit-limit": String(rps) }
      : {};
    if (tokens >= 1) {
      tokens -= 1;
      if (headers) info["ratelimit-remaining"] = String(Math.floor(tokens));
      return { ok: true as const, headers: info };
    }
    if (headers) Object.assign(info, { "ratelimit-remaining": "0", "ratelimit-reset": "1" });
    return { ok: false as const, headers: { ...info, "retry-after": "1" } };
  };
}

let server: MswHttpServer;
const clients = useMswServer<PopdockClient>((s) => {
  server = s;
});

describe("the client against a rate-limited server", () => {
  it("holds a Retry-After for every request, not only the one that got the 429", async () => {
    let now = 1_000_000;
    let first = true;
    server.use(
      http.get(api("/teams"), () => {
        if (first) {
          first = false;
          return HttpResponse.json(
            { error: { code: "rate_limited", message: "slow down" } },
            { status: 429, headers: { "retry-after": "3" } },
          );
        }
        return HttpResponse.json({ data: [] });
      }),
      http.get(api("/roles"), () => HttpResponse.json({ data: [] })),
    );
    const waits: number[] = [];
    const { client } = makeClient(
      server.url,
      {
        now: () => now,
        sleep: async (ms) => {
          waits.push(ms);
          now += ms;
        },
      },
      clients,
    );
    await client.listTeams();
    expect(waits).toEqual([3000]);
    // A later, unrelated request is paced by what the 429 taught: it does not go out at once.
    await client.listRoles();
    expect(waits.length).toBe(2);
    expect(waits[1]).toBeGreaterThan(0);
  });

  for (const headers of [true, false]) {
    it(`completes 120 requests at concurrency 50 against 60 req/s (twice its burst) with zero failures (${headers ? "with" : "without"} rate-limit headers)`, async () => {
      const take = bucket(60, headers);
      let served = 0;
      server.use(
        http.post(api("/api-users"), async ({ request }) => {
          const verdict = take();
          if (!verdict.ok) {
            return HttpResponse.json(
              { error: { code: "rate_limited", message: "slow down" } },
              { status: 429, headers: verdict.headers },
            );
          }
          served++;
          const body = (await request.json()) as { name: string };
          return HttpResponse.json(
            {
              id: `usr_${served}`,
              name: body.name,
              description: "",
              version: 1,
              created_at: "2026-01-01T00:00:00Z",
              updated_at: "2026-01-01T00:00:00Z",
            },
            { status: 201, headers: verdict.headers },
          );
        }),
      );
      // Real time and real sleeps: the server's bucket runs on the wall clock.
      const { client } = makeClient(
        server.url,
        { connections: 50, sleep: undefined as never, random: Math.random },
        clients,
      );
      const results = await Promise.allSettled(
        Array.from({ length: 120 }, (_, i) => client.createApiUser({ name: `u${i}` })),
      );
      const failed = results.filter((r) => r.status === "rejected");
      expect(failed.map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
      expect(served).toBe(120);
    }, 30_000);
  }
});
