/**
 * PopdockClient against a real HTTP server (msw handlers on 127.0.0.1): retries, Retry-After,
 * idempotency keys, If-Match, dropped connections, timeouts, time budgets, aborts.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { HttpResponse, http } from "msw";
import { afterEach, describe, expect, it } from "vitest";
import type { ApiUser } from "../../schema/api.js";
import { api, apiUser, makeClient, teamGrant, token } from "../../test/fixtures/client/client.js";
import { dropConnection, type MswHttpServer, useMswServer } from "../../test/helpers/msw-server.js";
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
const clients = useMswServer<PopdockClient>(
  (s) => {
    server = s;
  },
  http.get(api("/teams"), () => HttpResponse.json(teams)),
);

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

  it("retries 429s past maxAttempts until the time budget is spent, then names the budget", async () => {
    server.use(http.get(api("/teams"), () => rateLimited("1")));
    const { client, waits } = makeClient(
      server.url,
      { retry: { maxAttempts: 3, budgetMs: 10_000 } },
      clients,
    );
    const err = (await client.listTeams().catch((e: unknown) => e)) as PopdockRateLimitedError;
    expect(err).toBeInstanceOf(PopdockRateLimitedError);
    expect(err.code).toBe("POPDOCK_API_RATE_LIMITED");
    // The waits alone fill the budget (the fake sleep returns at once): more than maxAttempts.
    expect(err.attempts).toBeGreaterThan(3);
    expect(server.requests).toHaveLength(err.attempts ?? 0);
    expect(waits.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(10_000);
    expect(err.message).toMatch(
      new RegExp(
        `^GET /api/v1/security/teams: still rate limited by Popdock \\(429\\) after ${err.attempts} attempts \\(${err.attempts} 429s\\) over .*: waiting .* more for its turn would overrun the retry budget of 10\\.0s$`,
      ),
    );
    expect(err.hint).toContain("POPDOCK_RETRY_BUDGET");
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

  it("retries ECONNREFUSED and then reports the attempts (connect retry off: counted like any failure)", async () => {
    const port = await freePort();
    const { client, waits } = makeClient(
      `http://127.0.0.1:${port}`,
      { retry: { maxAttempts: 3, connectRetryMs: 0 } },
      clients,
    );
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

describe("connection refused while Popdock restarts", () => {
  /**
   * A clock that only the client's waits move: elapsed time is the sum of the waits asked for,
   * whatever the machine's load. `onWait` runs inside the wait, before the next attempt.
   */
  function fakeTime(onWait: (waitNumber: number) => Promise<void> | void = () => {}) {
    let clock = 1_000_000;
    const waits: number[] = [];
    return {
      waits,
      now: () => clock,
      sleep: async (ms: number) => {
        waits.push(ms);
        clock += ms;
        await onWait(waits.length);
      },
    };
  }

  it("keeps retrying refused connections beyond maxAttempts until Popdock listens", async () => {
    const port = await freePort();
    let popdock: Server | undefined;
    // Every wait follows one refused attempt: after the 6th, Popdock is back on its port.
    const time = fakeTime(async (refusals) => {
      if (refusals === 6) popdock = await listenOn(port);
    });
    const { client } = makeClient(
      `http://127.0.0.1:${port}`,
      { retry: { maxAttempts: 2, baseDelayMs: 100, maxDelayMs: 1000 }, now: time.now, sleep: time.sleep },
      clients,
    );
    try {
      await expect(client.listTeams()).resolves.toEqual(teams.data);
    } finally {
      await closeServer(popdock);
    }
    // 6 refused attempts (more than maxAttempts: 2), then the one that got through.
    expect(time.waits).toEqual([50, 100, 200, 400, 500, 500]);
    expect(client.stats()).toMatchObject({ attempts: 7, retries: 6 });
  });

  it("gives up once the connect retry time is spent, naming the attempts and time", async () => {
    const port = await freePort();
    const time = fakeTime();
    const { client, lines } = makeClient(
      `http://127.0.0.1:${port}`,
      {
        retry: { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 4000, connectRetryMs: 10_000 },
        now: time.now,
        sleep: time.sleep,
      },
      clients,
    );
    const err = (await client.listTeams().catch((e: unknown) => e)) as PopdockUnavailableError;
    expect(err).toBeInstanceOf(PopdockUnavailableError);
    // random() = 0.5: 500, 1000, then 2000 (half the 4 s cap) until 9.5 s + 2 s would pass 10 s.
    expect(time.waits).toEqual([500, 1000, 2000, 2000, 2000, 2000]);
    expect(err.attempts).toBe(7);
    expect(err.message).toMatch(/\(ECONNREFUSED\) after 7 attempts over 9\.5s$/);
    expect(lines.filter((l) => l.includes("→ GET"))).toHaveLength(7);
  });

  it("the default waits up to 30 s for a refusing endpoint", async () => {
    const port = await freePort();
    const time = fakeTime();
    const { client } = makeClient(`http://127.0.0.1:${port}`, { now: time.now, sleep: time.sleep }, clients);
    const err = (await client.listTeams().catch((e: unknown) => e)) as PopdockUnavailableError;
    expect(err).toBeInstanceOf(PopdockUnavailableError);
    // Defaults (200 ms base, 5 s cap, random() = 0.5): 100 … 1600, then 2500 until 28.1 s + 2.5 s
    // would pass 30 s. 16 attempts instead of maxAttempts' 5.
    expect(time.waits).toEqual([100, 200, 400, 800, 1600, ...Array<number>(10).fill(2500)]);
    expect(err.attempts).toBe(16);
    expect(err.message).toMatch(/\(ECONNREFUSED\) after 16 attempts over 28\.1s$/);
  });

  it("refusals retried within the connect retry time do not use up the attempts of later failures", async () => {
    const port = await freePort();
    let popdock: Server | undefined;
    const time = fakeTime(async (n) => {
      if (n === 3) popdock = await listenOn(port, 503);
    });
    const { client } = makeClient(
      `http://127.0.0.1:${port}`,
      { retry: { maxAttempts: 3 }, now: time.now, sleep: time.sleep },
      clients,
    );
    let err: unknown;
    try {
      err = await client.listTeams().catch((e: unknown) => e);
    } finally {
      await closeServer(popdock);
    }
    expect(err).toBeInstanceOf(PopdockUnavailableError);
    expect((err as PopdockUnavailableError).status).toBe(503);
    // 3 refusals (free), then 3 attempts answered 503: maxAttempts of them.
    expect((err as PopdockUnavailableError).attempts).toBe(6);
    expect(time.waits).toHaveLength(5);
  });
});

/**
 * Deadlines. The slow handlers never answer on their own (they wait for `release`, called after
 * each test), so a timeout, budget or abort is the only way a request can end: the tests assert
 * on what happened and how many attempts were made, never on how long it took.
 */
describe("deadlines", () => {
  let release: () => void = () => {};
  let released: Promise<void> = Promise.resolve();
  const hang = () => {
    released = new Promise<void>((r) => {
      release = r;
    });
  };
  afterEach(() => release());
  const never = async (): Promise<Response> => {
    await released;
    return HttpResponse.json(teams);
  };

  it("a headers timeout is retried, then reported as POPDOCK_API_TIMEOUT with the attempt count", async () => {
    hang();
    server.use(http.get(api("/teams"), never));
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
    hang();
    let first = true;
    server.use(
      http.get(api("/teams"), async () => {
        if (first) {
          first = false;
          return never();
        }
        return HttpResponse.json(teams);
      }),
    );
    const { client } = makeClient(server.url, { timeouts: { headersMs: 50 } }, clients);
    await expect(client.listTeams()).resolves.toEqual(teams.data);
    expect(client.stats().retries).toBe(1);
    expect(server.requests).toHaveLength(2);
  });

  it("stops when the operation's time budget runs out mid-request", async () => {
    hang();
    server.use(http.get(api("/teams"), never));
    const { client } = makeClient(server.url, { retry: { budgetMs: 100 } }, clients);
    const err = (await client.listTeams().catch((e: unknown) => e)) as PopdockTimeoutError;
    // The server never answers: only the budget can have ended the request.
    expect(err).toBeInstanceOf(PopdockTimeoutError);
    expect(err.message).toContain("the time budget of one request (100ms)");
    expect(err.attempts).toBe(1);
    expect(server.requests).toHaveLength(1);
  });

  it("honours the caller's AbortSignal", async () => {
    hang();
    const ac = new AbortController();
    server.use(
      http.get(api("/teams"), () => {
        // Abort once the request has arrived, however long that took.
        ac.abort(new Error("user pressed ^C"));
        return never();
      }),
    );
    const { client } = makeClient(server.url, {}, clients);
    const err = (await client
      .listTeams({ signal: ac.signal })
      .catch((e: unknown) => e)) as PopdockAbortedError;
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

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

/** "Popdock is back": a server on `port` that answers /teams (or every request with `status`). */
async function listenOn(port: number, status = 200): Promise<Server> {
  const popdock = createServer((_req, res) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(status === 200 ? teams : { error: { code: "internal", message: "warming up" } }));
  });
  await new Promise<void>((r) => popdock.listen(port, "127.0.0.1", r));
  return popdock;
}

async function closeServer(popdock: Server | undefined): Promise<void> {
  if (popdock === undefined) return;
  popdock.closeAllConnections();
  await new Promise<void>((r) => popdock.close(() => r()));
}

describe("Popdock's clock", () => {
  it("serverTime() is the Date header of the latest response, undefined before any", async () => {
    const { client } = makeClient(server.url, {}, clients);
    expect(client.serverTime()).toBeUndefined();
    server.use(
      http.get(api("/teams"), () =>
        HttpResponse.json(teams, { headers: { date: "Mon, 01 Mar 2027 10:00:00 GMT" } }),
      ),
    );
    await client.listTeams();
    expect(client.serverTime()?.toISOString()).toBe("2027-03-01T10:00:00.000Z");
    server.use(http.get(api("/teams"), () => HttpResponse.json(teams, { headers: { date: "not a date" } })));
    await client.listTeams();
    expect(client.serverTime()?.toISOString(), "an unreadable Date keeps the last good one").toBe(
      "2027-03-01T10:00:00.000Z",
    );
  });
});
