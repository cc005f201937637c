/**
 * The sandbox's time and the use of tokens, over HTTP: `GET /api/v2/user` with a token sets its
 * `last_used_at` at the sandbox time; the clock hooks move every timestamp and the `Date`
 * header; the clock's offset persists with a data directory; `popdock sandbox --clock` (the real
 * CLI in a child process: needs `npm run build`).
 */
import { afterEach, describe, expect, it } from "vitest";
import { createSandbox, type RunningServer } from "../../provider/sandbox/index.js";
import { startSandboxProcess } from "../helpers/sandbox-process.js";
import { tempDir } from "../helpers/tmp.js";
import { API_KEY, type Json, S } from "./call.js";

const T0 = "2030-01-01T00:00:00.000Z";
/** A base clock that stands still, so sandbox times are exact. */
const frozen = () => new Date("2026-06-01T12:00:00Z");

const running: RunningServer[] = [];
afterEach(async () => {
  for (const server of running.splice(0)) await server.close();
});

/** Serves a sandbox starting at `start` (null: no clock option). */
async function serve(options: Partial<Parameters<typeof createSandbox>[0]> = {}, start: string | null = T0) {
  const sandbox = createSandbox({
    apiKey: API_KEY,
    now: frozen,
    ...(start === null ? {} : { clock: start }),
    ...options,
  });
  const server = await sandbox.listen({ port: 0 });
  running.push(server);
  const http = async (method: string, path: string, body?: unknown, key: string | null = API_KEY) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        ...(key === null ? {} : { authorization: `Bearer ${key}` }),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      body: (text === "" ? undefined : JSON.parse(text)) as Json,
    };
  };
  return { sandbox, server, http };
}

/** Creates an API user with one token; answers the ids and the Token ID. */
async function userWithToken(http: Awaited<ReturnType<typeof serve>>["http"], name = "Reporting bot") {
  const user = (await http("POST", `${S}/api-users`, { name })).body;
  const token = (await http("POST", `${S}/api-users/${user.id}/tokens`, { name: "ci" })).body;
  return { userId: user.id as string, tokenId: token.id as string, secret: token.token_id as string, token };
}

describe("GET /api/v2/user (who am I) over HTTP", () => {
  it("answers 200 for a token and sets its last_used_at at the sandbox time", async () => {
    const { http } = await serve();
    const { userId, tokenId, secret, token } = await userWithToken(http);
    expect(token.last_used_at).toBeNull();

    await http("PUT", "/__sandbox/clock", { advance_seconds: 90 });
    const me = await http("GET", "/api/v2/user", undefined, secret);
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ data: { api_user_id: userId, name: "Reporting bot" } });
    expect(new Date(me.headers.get("date") ?? "").toISOString()).toBe("2030-01-01T00:01:30.000Z");

    const meta = await http("GET", `${S}/api-users/${userId}/tokens/${tokenId}`);
    expect(meta.body.last_used_at).toBe("2030-01-01T00:01:30.000Z");
    expect(meta.body.version).toBe(1);
    const listed = await http("GET", `${S}/api-users/${userId}?expand=tokens`);
    expect(listed.body.tokens[0].last_used_at).toBe("2030-01-01T00:01:30.000Z");
  });

  it("answers 401 for the admin key, no key, an unknown token and a deleted token", async () => {
    const { http, sandbox } = await serve();
    const { userId, tokenId, secret } = await userWithToken(http);
    const expectDenied = async (key: string | null, message: RegExp) => {
      const res = await http("GET", "/api/v2/user", undefined, key);
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe('Bearer realm="popdock"');
      expect(res.body).toEqual({ error: { code: "unauthorized", message: expect.stringMatching(message) } });
    };
    await expectDenied(API_KEY, /admin API key is not accepted/);
    await expectDenied(null, /missing Authorization header/);
    await expectDenied("pdk_notatoken", /not valid/);
    // A token is not an admin key either.
    expect((await http("GET", `${S}/teams`, undefined, secret)).status).toBe(401);

    expect((await http("DELETE", `${S}/api-users/${userId}/tokens/${tokenId}`)).status).toBe(204);
    await expectDenied(secret, /not valid/);
    // A deleted user's tokens go with it.
    const other = await userWithToken(http, "Other");
    expect((await http("DELETE", `${S}/api-users/${other.userId}`)).status).toBe(204);
    await expectDenied(other.secret, /not valid/);
    expect(sandbox.stats().by_route["GET /api/v2/user"]).toBe(5);
  });
});

describe("the sandbox clock over HTTP", () => {
  it("starts at the clock option and moves created_at of new objects and the Date header", async () => {
    const { http, sandbox } = await serve();
    const clock = await http("GET", "/__sandbox/clock");
    expect(clock.body).toEqual({ now: T0 });
    expect(clock.headers.get("date")).toBe("Tue, 01 Jan 2030 00:00:00 GMT");
    const first = (await http("POST", `${S}/api-users`, { name: "first" })).body;
    expect(first.created_at).toBe(T0);

    const advanced = await http("PUT", "/__sandbox/clock", { advance_seconds: 3600 });
    expect(advanced.body).toEqual({ now: "2030-01-01T01:00:00.000Z" });
    const second = await http("POST", `${S}/api-users`, { name: "second" });
    expect(second.body.created_at).toBe("2030-01-01T01:00:00.000Z");
    expect(second.headers.get("date")).toBe("Tue, 01 Jan 2030 01:00:00 GMT");
    const patched = await http("PATCH", `${S}/api-users/${first.id}`, { description: "x" });
    expect(patched.body.updated_at).toBe("2030-01-01T01:00:00.000Z");
    expect(patched.body.created_at).toBe(T0);

    const set = await http("PUT", "/__sandbox/clock", { now: "2030-02-01T09:30:00+01:00" });
    expect(set.body).toEqual({ now: "2030-02-01T08:30:00.000Z" });
    const grant = await http("POST", `${S}/api-users/${first.id}/grants`, {
      type: "team",
      team_id: "team_it",
    });
    expect(grant.body.created_at).toBe("2030-02-01T08:30:00.000Z");
    expect(sandbox.clock().toISOString()).toBe("2030-02-01T08:30:00.000Z");
  });

  it("refuses a bad body or a time in the sandbox's past with 422, and changes nothing", async () => {
    const { http } = await serve();
    for (const body of [
      { advance_seconds: -5 },
      { advance_seconds: "60" },
      { now: "2029-12-31T23:59:59Z" },
      { now: "2030-01-02" },
      { now: T0, advance_seconds: 1 },
      {},
    ]) {
      const res = await http("PUT", "/__sandbox/clock", body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body.error.code).toBe("validation_failed");
    }
    expect((await http("GET", "/__sandbox/clock")).body).toEqual({ now: T0 });
    expect((await http("PUT", "/__sandbox/clock", { now: T0 })).status).toBe(200);
  });

  it("is a hook: admin key only, not counted in stats, never faulted", async () => {
    const { http, sandbox } = await serve({ faults: { error_rate: 1 } });
    expect((await http("GET", "/__sandbox/clock", undefined, null)).status).toBe(401);
    expect((await http("PUT", "/__sandbox/clock", { advance_seconds: 1 })).status).toBe(200);
    expect((await http("GET", "/__sandbox/clock")).status).toBe(200);
    expect(sandbox.stats().total).toBe(0);
    expect(sandbox.stats().since).toBe(T0);
  });

  it("expires idempotency records by the sandbox clock", async () => {
    const { http } = await serve();
    const post = (name: string) =>
      fetch(`${running[0]?.url}${S}/api-users`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${API_KEY}`,
          "content-type": "application/json",
          "idempotency-key": "k1",
        },
        body: JSON.stringify({ name }),
      });
    expect((await post("a")).status).toBe(201);
    expect((await post("a")).headers.get("idempotent-replayed")).toBe("true");
    await http("PUT", "/__sandbox/clock", { advance_seconds: 24 * 3600 });
    const again = await post("b");
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBeNull();
  });

  it("keeps its offset from real time across a restart with a data directory", async () => {
    const dataDir = tempDir("popdock-clock-");
    let base = Date.parse("2026-06-01T12:00:00Z");
    const now = () => new Date(base);
    const first = await serve({ dataDir, now });
    const { userId, tokenId, secret } = await userWithToken(first.http);
    await first.http("PUT", "/__sandbox/clock", { advance_seconds: 60 });
    expect((await first.http("GET", "/api/v2/user", undefined, secret)).status).toBe(200);
    await first.sandbox.flush();
    await first.server.close();

    base += 5_000; // five real seconds while it is down
    const second = await serve({ dataDir, now }, null);
    expect((await second.http("GET", "/__sandbox/clock")).body).toEqual({ now: "2030-01-01T00:01:05.000Z" });
    const meta = await second.http("GET", `${S}/api-users/${userId}/tokens/${tokenId}`);
    expect(meta.body.last_used_at).toBe("2030-01-01T00:01:00.000Z");
    await second.sandbox.flush();
    await second.server.close();

    // An explicit clock at start wins over the saved offset, and is saved at once.
    const third = createSandbox({ apiKey: API_KEY, dataDir, now, clock: "2031-01-01T00:00:00Z" });
    await third.flush();
    const fourth = createSandbox({ apiKey: API_KEY, dataDir, now });
    expect(fourth.clock().toISOString()).toBe("2031-01-01T00:00:00.000Z");
  });

  it("refuses a clock option that is not a time", () => {
    expect(() => createSandbox({ apiKey: API_KEY, clock: "soon" })).toThrow(/clock must be an ISO 8601/);
  });
});

describe("popdock sandbox --clock (child process)", () => {
  it("starts at --clock, and with --data keeps the clock across a restart", async () => {
    const dataDir = tempDir("popdock-clock-cli-");
    const key = "k";
    const h = (url: string, method = "GET", body?: unknown) =>
      fetch(url, {
        method,
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const first = await startSandboxProcess({
      apiKey: key,
      args: ["--clock", "2030-01-01T00:00:00Z", "--data", dataDir],
    });
    let before: number;
    try {
      const res = await h(`${first.url}/__sandbox/clock`);
      before = Date.parse(((await res.json()) as Json).now);
      expect(before).toBeGreaterThanOrEqual(Date.parse(T0));
      expect(before).toBeLessThan(Date.parse(T0) + 60_000);
      expect(Date.parse(res.headers.get("date") ?? "")).toBeLessThan(Date.parse(T0) + 60_000);
      const user = (await (await h(`${first.url}${S}/api-users`, "POST", { name: "cli" })).json()) as Json;
      expect(Date.parse(user.created_at)).toBeLessThan(Date.parse(T0) + 60_000);
      await h(`${first.url}/__sandbox/clock`, "PUT", { advance_seconds: 86_400 });
    } finally {
      expect(await first.stop("SIGTERM")).toBe(0);
    }
    const second = await startSandboxProcess({ apiKey: key, args: ["--data", dataDir] });
    try {
      const now = Date.parse(((await (await h(`${second.url}/__sandbox/clock`)).json()) as Json).now);
      expect(now).toBeGreaterThanOrEqual(before + 86_400_000);
      expect(now).toBeLessThan(Date.parse(T0) + 86_400_000 + 120_000);
    } finally {
      expect(await second.stop("SIGTERM")).toBe(0);
    }
  });
});
