/**
 * PopdockClient against a real HTTP server (msw handlers on 127.0.0.1): retries, Retry-After,
 * idempotency keys, If-Match, dropped connections, timeouts, time budgets, aborts.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { delay, HttpResponse, http } from "msw";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ApiUser } from "../../schema/api.js";
import { api, apiUser, makeClient, teamGrant, token } from "../../test/fixtures/client/client.js";
import { dropConnection, type MswHttpServer, startMswServer } from "../../test/helpers/msw-server.js";
import type { PopdockClient } from "./client.js";
import {
  PopdockAbortedError,
  PopdockNotFoundError,
  PopdockPreconditionFailedError,
  PopdockRateLimitedError,
  PopdockTimeoutError,
  PopdockUnavailableError,
} from "./errors.js";

const teams = { data: [{ id: "t_fin", name: "Finance", description: "" }] };

let server: MswHttpServer;
const clients: PopdockClient[] = [];

beforeAll(async () => {
  server = await startMswServer(http.get(api("/teams"), () => HttpResponse.json(teams)));
});
afterEach(async () => {
  server.resetHandlers();
  server.requests.length = 0;
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await server.close();
});

/** Answers with each of `responses` in turn, then repeats the last. */
function sequence(...responses: Array<() => Response>) {
  let i = 0;
  return () => {
    const make = responses[Math.min(i, responses.length - 1)] as () => Response;
    i++;
    return make();
  };
}

const rateLimited = (retryAfter?: string) =>
  HttpResponse.json(
    { error: { code: "rate_limited", message: "slow down" } },
    { status: 429, headers: retryAfter === undefined ? {} : { "retry-after": retryAfter } },
  );
const unavailable = () =>
  HttpResponse.json({ error: { code: "internal", message: "busy" } }, { status: 503 });

describe("Retry-After", () => {
  it("waits the delta-seconds a 429 asks for, then succeeds", async () => {
    server.use(
      http.get(
        api("/teams"),
        sequence(
          () => rateLimited("2"),
          () => HttpResponse.json(teams),
        ),
      ),
    );
    const { client, waits } = makeClient(server.url, {}, clients);
    await expect(client.listTeams()).resolves.toEqual(teams.data);
    expect(waits).toEqual([2000]);
    expect(server.requests).toHaveLength(2);
    expect(client.stats()).toMatchObject({ attempts: 2, retries: 1 });
  });

  it("waits until an HTTP-date Retry-After", async () => {
    const now = Date.UTC(2025, 0, 1, 12, 0, 0);
    const when = new Date(now + 3000).toUTCString();
    server.use(
      http.get(
        api("/teams"),
        sequence(
          () => rateLimited(when),
          () => HttpResponse.json(teams),
        ),
      ),
    );
    const { client, waits } = makeClient(server.url, { now: () => now }, clients);
    await client.listTeams();
    expect(waits).toEqual([3000]);
  });

  it("caps a long Retry-After at maxRetryAfterMs", async () => {
    server.use(
      http.get(
        api("/teams"),
        sequence(
          () => rateLimited("120"),
          () => HttpResponse.json(teams),
        ),
      ),
    );
    const { client, waits } = makeClient(server.url, { retry: { maxRetryAfterMs: 30_000 } }, clients);
    await client.listTeams();
    expect(waits).toEqual([30_000]);
  });

  it("gives up at once when the asked wait would overrun the time budget", async () => {
    server.use(http.get(api("/teams"), () => rateLimited("10")));
    const { client, waits } = makeClient(server.url, { retry: { budgetMs: 5_000 } }, clients);
    const err = await client.listTeams().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PopdockRateLimitedError);
    expect(waits).toEqual([]);
    expect(server.requests).toHaveLength(1);
  });

  it("reports POPDOCK_API_RATE_LIMITED when every attempt is rate limited", async () => {
    server.use(http.get(api("/teams"), () => rateLimited("0")));
    const { client } = makeClient(server.url, { retry: { maxAttempts: 3 } }, clients);
    const err = (await client.listTeams().catch((e: unknown) => e)) as PopdockRateLimitedError;
    expect(err.code).toBe("POPDOCK_API_RATE_LIMITED");
    expect(err.attempts).toBe(3);
    expect(err.message).toMatch(
      /^GET \/api\/v1\/security\/teams: still rate limited by Popdock \(429\) after 3 attempts/,
    );
    expect(server.requests).toHaveLength(3);
  });
});

describe("5xx and backoff", () => {
  it("retries 503 twice with full-jitter exponential backoff, then succeeds", async () => {
    server.use(
      http.get(
        api("/teams"),
        sequence(unavailable, unavailable, () => HttpResponse.json(teams)),
      ),
    );
    const { client, waits } = makeClient(
      server.url,
      { retry: { baseDelayMs: 100, maxDelayMs: 1000 } },
      clients,
    );
    await expect(client.listTeams()).resolves.toEqual(teams.data);
    // random() = 0.5: half of 100, then half of 200.
    expect(waits).toEqual([50, 100]);
    expect(client.stats()).toEqual({ byRoute: { "GET /api/v1/security/teams": 1 }, attempts: 3, retries: 2 });
  });

  it("after maxAttempts of 503 reports POPDOCK_API_UNAVAILABLE with the attempt count", async () => {
    server.use(http.get(api("/teams"), unavailable));
    const { client } = makeClient(server.url, {}, clients);
    const err = (await client.listTeams().catch((e: unknown) => e)) as PopdockUnavailableError;
    expect(err).toBeInstanceOf(PopdockUnavailableError);
    expect(err.code).toBe("POPDOCK_API_UNAVAILABLE");
    expect(err.status).toBe(503);
    expect(err.attempts).toBe(5);
    expect(err.message).toContain(
      "GET /api/v1/security/teams: Popdock answered 503: busy after 5 attempts over",
    );
    expect(server.requests).toHaveLength(5);
  });

  it("does not retry a 503 to a PATCH without If-Match", async () => {
    server.use(http.patch(api("/api-users/:id"), unavailable));
    const { client } = makeClient(server.url, {}, clients);
    await expect(client.updateApiUser("u1", { name: "x" })).rejects.toBeInstanceOf(PopdockUnavailableError);
    expect(server.requests).toHaveLength(1);
  });

  it("retries a 429 to a PATCH without If-Match (the server refused it before doing anything)", async () => {
    server.use(
      http.patch(
        api("/api-users/:id"),
        sequence(
          () => rateLimited("1"),
          () => HttpResponse.json(apiUser("u1")),
        ),
      ),
    );
    const { client } = makeClient(server.url, {}, clients);
    await expect(client.updateApiUser("u1", { name: "x" })).resolves.toMatchObject({ id: "u1" });
    expect(server.requests).toHaveLength(2);
  });
});

describe("dropped connections and idempotency", () => {
  it("retries a GET whose connection dropped", async () => {
    server.use(
      http.get(
        api("/teams"),
        sequence(dropConnection, () => HttpResponse.json(teams)),
      ),
    );
    const { client, waits } = makeClient(server.url, {}, clients);
    await expect(client.listTeams()).resolves.toEqual(teams.data);
    expect(waits).toHaveLength(1);
    expect(server.requests).toHaveLength(2);
  });

  it("commit-then-drop on POST: the retry carries the same Idempotency-Key and one user exists", async () => {
    const byKey = new Map<string, ApiUser>();
    let dropped = false;
    server.use(
      http.post(api("/api-users"), async ({ request }) => {
        const key = request.headers.get("idempotency-key");
        if (key === null)
          return HttpResponse.json({ error: { code: "validation_failed", message: "key" } }, { status: 422 });
        const replay = byKey.get(key);
        if (replay) return HttpResponse.json(replay, { status: 201 });
        const body = (await request.json()) as { name: string };
        const created = apiUser(`u${byKey.size + 1}`, { name: body.name });
        byKey.set(key, created); // committed...
        if (!dropped) {
          dropped = true;
          return dropConnection(); // ...and the response is lost
        }
        return HttpResponse.json(created, { status: 201 });
      }),
    );
    const { client } = makeClient(server.url, {}, clients);
    const user = await client.createApiUser({ name: "ci-bot" });
    expect(user).toMatchObject({ id: "u1", name: "ci-bot" });
    expect(byKey.size).toBe(1);
    const keys = server.requests.map((r) => r.headers["idempotency-key"]);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys[1]).toBe(keys[0]);
  });

  it("sends the caller's Idempotency-Key on every attempt, and a fresh key per logical POST", async () => {
    server.use(
      http.post(
        api("/api-users/:id/tokens"),
        sequence(unavailable, () => HttpResponse.json(token("tk1", "u1"), { status: 201 })),
      ),
    );
    const { client } = makeClient(server.url, {}, clients);
    await client.createToken("u1", { name: "ci" }, { idempotencyKey: "plan-7-step-3" });
    expect(server.requests.map((r) => r.headers["idempotency-key"])).toEqual([
      "plan-7-step-3",
      "plan-7-step-3",
    ]);

    server.requests.length = 0;
    await client.createToken("u1", { name: "ci" });
    await client.createToken("u1", { name: "ci" });
    const [a, b] = server.requests.map((r) => r.headers["idempotency-key"]);
    expect(a).toBeDefined();
    expect(a).not.toBe(b);
  });

  it("does not repeat a PATCH without If-Match whose connection dropped", async () => {
    server.use(http.patch(api("/api-users/:id"), dropConnection));
    const { client } = makeClient(server.url, {}, clients);
    const err = (await client
      .updateApiUser("u1", { name: "x" })
      .catch((e: unknown) => e)) as PopdockUnavailableError;
    expect(err).toBeInstanceOf(PopdockUnavailableError);
    expect(err.message).toContain("not retried");
    expect(server.requests).toHaveLength(1);
  });

  it("repeats a PATCH with If-Match; a 412 after a lost response says the change may have applied", async () => {
    server.use(
      // Someone else's change: version 5, not ours (3 + 1), so the 412 stands.
      http.get(api("/api-users/:id"), () => HttpResponse.json(apiUser("u1", { name: "other", version: 5 }))),
      http.patch(
        api("/api-users/:id"),
        sequence(dropConnection, () =>
          HttpResponse.json(
            { error: { code: "precondition_failed", message: "version is 4" } },
            { status: 412 },
          ),
        ),
      ),
    );
    const { client } = makeClient(server.url, {}, clients);
    const err = (await client
      .updateApiUser("u1", { name: "x" }, { ifMatchVersion: 3 })
      .catch((e: unknown) => e)) as PopdockPreconditionFailedError;
    expect(err).toBeInstanceOf(PopdockPreconditionFailedError);
    expect(err.afterUnknownOutcome).toBe(true);
    expect(err.message).toContain("may already have been applied");
    expect(server.requests.map((r) => `${r.method} ${r.headers["if-match"] ?? "-"}`)).toEqual([
      'PATCH "3"',
      'PATCH "3"',
      "GET -", // the re-read that found someone else's version
    ]);
  });

  it("a 412 to a replayed PATCH is success when a re-read shows our change at version + 1", async () => {
    const precondition = () =>
      HttpResponse.json({ error: { code: "precondition_failed", message: "stale" } }, { status: 412 });
    const grant = {
      ...teamGrant("g1", "u1"),
      type: "connector" as const,
      connector_id: "c_gp",
      roles: ["Reader"],
      companies: ["A", "B"],
      lists: [],
      actions: [],
      details: [],
      version: 8,
    };
    server.use(
      http.patch(api("/api-users/:id"), sequence(dropConnection, precondition)),
      http.get(api("/api-users/:id"), () =>
        HttpResponse.json(apiUser("u1", { name: "renamed", version: 4 })),
      ),
      http.patch(api("/api-users/:id/grants/:gid"), sequence(dropConnection, precondition)),
      http.get(api("/api-users/:id/grants"), () => HttpResponse.json({ data: [grant] })),
    );
    const { client, lines } = makeClient(server.url, {}, clients);
    await expect(
      client.updateApiUser("u1", { name: " renamed " }, { ifMatchVersion: 3 }),
    ).resolves.toMatchObject({ name: "renamed", version: 4 });
    await expect(
      client.updateGrant("u1", "g1", { companies: ["A", "B"] }, { ifMatchVersion: 7 }),
    ).resolves.toMatchObject({ id: "g1", version: 8 });
    expect(lines.join("\n")).toContain("but the object holds our change: applied");
    // The same re-read with a different value keeps the 412.
    await expect(
      client.updateGrant("u1", "g1", { companies: ["A"] }, { ifMatchVersion: 7 }),
    ).rejects.toBeInstanceOf(PopdockPreconditionFailedError);
  });

  it("DELETE: a 404 on a retry after a lost response is success", async () => {
    let gone = false;
    server.use(
      http.delete(api("/api-users/:id"), () => {
        if (gone)
          return HttpResponse.json(
            { error: { code: "not_found", message: "no such user" } },
            { status: 404 },
          );
        gone = true;
        return dropConnection();
      }),
    );
    const { client } = makeClient(server.url, {}, clients);
    await expect(client.deleteApiUser("u1")).resolves.toBeUndefined();
    expect(server.requests).toHaveLength(2);
  });

  it("DELETE: a 404 on the first attempt is POPDOCK_API_NOT_FOUND", async () => {
    server.use(
      http.delete(api("/api-users/:id"), () =>
        HttpResponse.json({ error: { code: "not_found", message: "no such user" } }, { status: 404 }),
      ),
    );
    const { client } = makeClient(server.url, {}, clients);
    const err = (await client.deleteApiUser("u1").catch((e: unknown) => e)) as PopdockNotFoundError;
    expect(err).toBeInstanceOf(PopdockNotFoundError);
    expect(err.code).toBe("POPDOCK_API_NOT_FOUND");
    expect(err.message).toBe("DELETE /api/v1/security/api-users/u1: not found (404): no such user");
  });

  it("retries ECONNREFUSED and then reports the attempts", async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((r) => probe.close(() => r()));
    const { client, waits } = makeClient(`http://127.0.0.1:${port}`, { retry: { maxAttempts: 3 } }, clients);
    const err = (await client.listTeams().catch((e: unknown) => e)) as PopdockUnavailableError;
    expect(err).toBeInstanceOf(PopdockUnavailableError);
    expect(err.status).toBeUndefined();
    expect(err.attempts).toBe(3);
    expect(err.message).toMatch(
      /could not reach Popdock at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\) after 3 attempts/,
    );
    expect(waits).toHaveLength(2);
  });
});

// undici checks headers/body timeouts on a coarse timer (about 1 s resolution), so a short
// timeout fires somewhere under ~1 s and the slow handlers below must take longer than that.
describe("deadlines", () => {
  it("a headers timeout is retried, then reported as POPDOCK_API_TIMEOUT with the attempt count", async () => {
    server.use(
      http.get(api("/teams"), async () => {
        await delay(2500);
        return HttpResponse.json(teams);
      }),
    );
    const { client } = makeClient(
      server.url,
      { timeouts: { headersMs: 50 }, retry: { maxAttempts: 2 } },
      clients,
    );
    const err = (await client.listTeams().catch((e: unknown) => e)) as PopdockTimeoutError;
    expect(err).toBeInstanceOf(PopdockTimeoutError);
    expect(err.code).toBe("POPDOCK_API_TIMEOUT");
    expect(err.attempts).toBe(2);
    expect(err.message).toMatch(
      /^GET \/api\/v1\/security\/teams: no response from .* \(headers timeout\) after 2 attempts/,
    );
    expect(server.requests).toHaveLength(2);
  });

  it("a headers timeout followed by a prompt answer succeeds", async () => {
    let first = true;
    server.use(
      http.get(api("/teams"), async () => {
        if (first) {
          first = false;
          await delay(2500);
        }
        return HttpResponse.json(teams);
      }),
    );
    const { client } = makeClient(server.url, { timeouts: { headersMs: 50 } }, clients);
    await expect(client.listTeams()).resolves.toEqual(teams.data);
    expect(client.stats().retries).toBe(1);
  });

  it("stops when the operation's time budget runs out mid-request", async () => {
    server.use(
      http.get(api("/teams"), async () => {
        await delay(1000);
        return HttpResponse.json(teams);
      }),
    );
    const { client } = makeClient(server.url, { retry: { budgetMs: 100 } }, clients);
    const started = Date.now();
    const err = (await client.listTeams().catch((e: unknown) => e)) as PopdockTimeoutError;
    expect(Date.now() - started).toBeLessThan(900);
    expect(err).toBeInstanceOf(PopdockTimeoutError);
    expect(err.message).toContain("the time budget of one request (100ms)");
  });

  it("honours the caller's AbortSignal", async () => {
    server.use(
      http.get(api("/teams"), async () => {
        await delay(1000);
        return HttpResponse.json(teams);
      }),
    );
    const { client } = makeClient(server.url, {}, clients);
    const ac = new AbortController();
    const pending = client.listTeams({ signal: ac.signal }).catch((e: unknown) => e);
    setTimeout(() => ac.abort(new Error("user pressed ^C")), 50);
    const err = (await pending) as PopdockAbortedError;
    expect(err).toBeInstanceOf(PopdockAbortedError);
    expect(err.code).toBe("POPDOCK_API_ABORTED");
    expect((err.cause as Error).message).toBe("user pressed ^C");
    expect(server.requests).toHaveLength(1);
  });

  it("an already-aborted signal sends nothing", async () => {
    const { client } = makeClient(server.url, {}, clients);
    await expect(client.listTeams({ signal: AbortSignal.abort() })).rejects.toBeInstanceOf(
      PopdockAbortedError,
    );
    expect(server.requests).toHaveLength(0);
  });
});
