/**
 * Behaviour of the sandbox beyond the shapes: concurrency, idempotency, pagination stability,
 * If-Match, authentication, faults and stats. In-process (`handle`) except where the socket
 * matters (dropped connections).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isDropResponse } from "../../provider/sandbox/app.js";
import { createSandbox, type Sandbox, type SandboxOptions } from "../../provider/sandbox/index.js";
import { API_KEY, call, type Json, S } from "./call.js";

const make = (opts: Partial<SandboxOptions> = {}) => createSandbox({ apiKey: API_KEY, ...opts });

/** A controllable clock. */
function clock(start = Date.parse("2025-01-01T00:00:00Z")) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => (t += ms) };
}

async function createUser(sb: Sandbox, name: string): Promise<Json> {
  const res = await call(sb, "POST", `${S}/api-users`, { body: { name } });
  expect(res.status).toBe(201);
  return res.body;
}

describe("concurrency", () => {
  it.each([
    ["in memory", {}],
    ["with latency", { faults: { latency_ms: 3 } }],
  ])("parallel creates with the same name: exactly one wins (%s)", async (_name, opts) => {
    const sb = make(opts);
    const names = Array.from({ length: 25 }, (_, i) => (i % 2 === 0 ? "Shared Bot" : "shared BOT"));
    const results = await Promise.all(
      names.map((name) => call(sb, "POST", `${S}/api-users`, { body: { name } })),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(24);
    expect(sb.store.userCount).toBe(1);
  });

  it("parallel token creates with the same name under one user: exactly one wins", async () => {
    const sb = make({ faults: { latency_ms: 2 } });
    const user = await createUser(sb, "u");
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        call(sb, "POST", `${S}/api-users/${user.id}/tokens`, { body: { name: "ci" } }),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(9);
  });
});

describe("idempotency", () => {
  it("replays the first response for the same key and body, and creates nothing more", async () => {
    const sb = make();
    const key = { "idempotency-key": "k-1" };
    const first = await call(sb, "POST", `${S}/api-users`, {
      body: { name: "a", description: "d" },
      headers: key,
    });
    // Same JSON with another key order and spacing: still the same body.
    const again = await call(sb, "POST", `${S}/api-users`, {
      raw: '{ "description":"d",  "name":"a" }',
      headers: key,
    });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.text).toBe(first.text);
    expect(again.headers.get("etag")).toBe(first.headers.get("etag"));
    expect(again.headers.get("location")).toBe(first.headers.get("location"));
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    expect(sb.store.userCount).toBe(1);
  });

  it("answers concurrent requests with one key as one request: a replay, or 422 for another body", async () => {
    const sb = make();
    const headers = { "idempotency-key": "concurrent" };
    const same = await Promise.all([
      call(sb, "POST", `${S}/api-users`, { body: { name: "c1" }, headers }),
      call(sb, "POST", `${S}/api-users`, { body: { name: "c1" }, headers }),
    ]);
    expect(same.map((r) => r.status)).toEqual([201, 201]);
    expect(same[1]?.text).toBe(same[0]?.text);
    expect(same.map((r) => r.headers.get("idempotent-replayed"))).toEqual([null, "true"]);
    const other = { "idempotency-key": "concurrent-2" };
    const different = await Promise.all([
      call(sb, "POST", `${S}/api-users`, { body: { name: "c2" }, headers: other }),
      call(sb, "POST", `${S}/api-users`, { body: { name: "c3" }, headers: other }),
    ]);
    expect(different.map((r) => r.status)).toEqual([201, 422]);
    expect(sb.store.userCount).toBe(2);
  });

  it("refuses the same key with a different body (422)", async () => {
    const sb = make();
    const headers = { "idempotency-key": "k-2" };
    expect((await call(sb, "POST", `${S}/api-users`, { body: { name: "a" }, headers })).status).toBe(201);
    const other = await call(sb, "POST", `${S}/api-users`, { body: { name: "b" }, headers });
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe("validation_failed");
    expect(other.body.error.details[0].path).toBe("Idempotency-Key");
    expect(sb.store.userCount).toBe(1);
  });

  it("scopes keys per route: the same key on another user's tokens creates another token", async () => {
    const sb = make();
    const a = await createUser(sb, "a");
    const b = await createUser(sb, "b");
    const headers = { "idempotency-key": "same" };
    const ta = await call(sb, "POST", `${S}/api-users/${a.id}/tokens`, { body: { name: "t" }, headers });
    const tb = await call(sb, "POST", `${S}/api-users/${b.id}/tokens`, { body: { name: "t" }, headers });
    expect([ta.status, tb.status]).toEqual([201, 201]);
    expect(ta.body.id).not.toBe(tb.body.id);
  });

  it("does not store failed responses; a key expires after 24 hours", async () => {
    const c = clock();
    const sb = make({ now: c.now });
    const u = await createUser(sb, "taken");
    const headers = { "idempotency-key": "k-3" };
    expect((await call(sb, "POST", `${S}/api-users`, { body: { name: "taken" }, headers })).status).toBe(409);
    await call(sb, "DELETE", `${S}/api-users/${u.id}`);
    expect((await call(sb, "POST", `${S}/api-users`, { body: { name: "taken" }, headers })).status).toBe(201);

    c.advance(24 * 60 * 60 * 1000 - 1);
    expect((await call(sb, "POST", `${S}/api-users`, { body: { name: "other" }, headers })).status).toBe(422);
    c.advance(1);
    expect((await call(sb, "POST", `${S}/api-users`, { body: { name: "other" }, headers })).status).toBe(201);
  });

  it("replays a change that committed before an injected failure", async () => {
    const sb = make({ faults: { fail_after_commit_rate: 1 } });
    const headers = { "idempotency-key": "retry-me" };
    const failed = await call(sb, "POST", `${S}/api-users`, { body: { name: "bot" }, headers });
    expect(failed.status).toBe(500);
    expect(sb.store.userCount).toBe(1);
    sb.setFaults({});
    const retry = await call(sb, "POST", `${S}/api-users`, { body: { name: "bot" }, headers });
    expect(retry.status).toBe(201);
    expect(retry.body.name).toBe("bot");
    expect(sb.store.userCount).toBe(1);
    // Without the key, a naive retry hits the duplicate.
    expect((await call(sb, "POST", `${S}/api-users`, { body: { name: "bot" } })).status).toBe(409);
  });

  it("rejects an over-long key", async () => {
    const sb = make();
    const res = await call(sb, "POST", `${S}/api-users`, {
      body: { name: "a" },
      headers: { "idempotency-key": "x".repeat(256) },
    });
    expect(res.status).toBe(422);
    expect(sb.store.userCount).toBe(0);
  });
});

describe("pagination", () => {
  it("pages in creation order with a default limit of 100", async () => {
    const sb = make();
    for (let i = 0; i < 105; i++) await createUser(sb, `user ${i}`);
    const first = await call(sb, "GET", `${S}/api-users`);
    expect(first.body.data).toHaveLength(100);
    expect(first.body.data[0].name).toBe("user 0");
    const second = await call(sb, "GET", `${S}/api-users?cursor=${first.body.next_cursor}`);
    expect(second.body.data.map((u: Json) => u.name)).toEqual(
      [100, 101, 102, 103, 104].map((i) => `user ${i}`),
    );
    expect(second.body.next_cursor).toBeNull();
    const exact = await call(sb, "GET", `${S}/api-users?limit=105`);
    expect(exact.body.next_cursor).toBeNull();
  });

  it("sees every user present for the whole walk exactly once while others come and go", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 1, max: 7 }),
        fc.array(fc.record({ deletes: fc.array(fc.nat(), { maxLength: 3 }), inserts: fc.nat({ max: 3 }) }), {
          maxLength: 12,
        }),
        async (initial, limit, steps) => {
          const sb = make();
          const alive: string[] = [];
          let n = 0;
          for (let i = 0; i < initial; i++) alive.push((await createUser(sb, `u${n++}`)).id);
          const throughout = new Set(alive);
          const seen: string[] = [];
          let cursor: string | null = null;
          let step = 0;
          do {
            expect(step, "the walk must end").toBeLessThan(200);
            const q: string = cursor === null ? "" : `&cursor=${cursor}`;
            const page = await call(sb, "GET", `${S}/api-users?limit=${limit}${q}`);
            expect(page.status).toBe(200);
            expect(page.body.data.length).toBeLessThanOrEqual(limit);
            seen.push(...page.body.data.map((u: Json) => u.id));
            cursor = page.body.next_cursor;
            const change = steps[step++];
            if (change) {
              for (const d of change.deletes) {
                if (alive.length === 0) break;
                const [id] = alive.splice(d % alive.length, 1);
                if (id === undefined) continue;
                throughout.delete(id);
                expect((await call(sb, "DELETE", `${S}/api-users/${id}`)).status).toBe(204);
              }
              for (let i = 0; i < change.inserts; i++) alive.push((await createUser(sb, `u${n++}`)).id);
            }
          } while (cursor !== null);
          expect(new Set(seen).size).toBe(seen.length);
          for (const id of throughout) expect(seen).toContain(id);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("keeps a cursor valid when the user it points at is deleted", async () => {
    const sb = make();
    const users = [];
    for (let i = 0; i < 5; i++) users.push(await createUser(sb, `u${i}`));
    const page = await call(sb, "GET", `${S}/api-users?limit=2`);
    await call(sb, "DELETE", `${S}/api-users/${users[1].id}`);
    const next = await call(sb, "GET", `${S}/api-users?limit=2&cursor=${page.body.next_cursor}`);
    expect(next.body.data.map((u: Json) => u.name)).toEqual(["u2", "u3"]);
  });
});

describe("versions and If-Match", () => {
  it("bumps versions on change only and honours every If-Match form", async () => {
    const sb = make();
    const u = await createUser(sb, "v");
    const path = `${S}/api-users/${u.id}`;
    expect(u.version).toBe(1);
    const same = await call(sb, "PATCH", path, { body: { name: "v" } });
    expect(same.body.version).toBe(1);
    const weak = await call(sb, "PATCH", path, {
      body: { description: "x" },
      headers: { "if-match": 'W/"1"' },
    });
    expect(weak.status).toBe(200);
    expect(weak.headers.get("etag")).toBe('"2"');
    expect(
      (await call(sb, "PATCH", path, { body: { description: "y" }, headers: { "if-match": "*" } })).status,
    ).toBe(200);
    const list = await call(sb, "PATCH", path, {
      body: { description: "z" },
      headers: { "if-match": '"1", "3"' },
    });
    expect(list.status).toBe(200);
    const stale = await call(sb, "PATCH", path, {
      body: { description: "q" },
      headers: { "if-match": '"3"' },
    });
    expect(stale.status).toBe(412);
    expect(stale.body.error.code).toBe("precondition_failed");
    expect(stale.body.error.message).toContain("version 4");
    expect((await call(sb, "DELETE", path, { headers: { "if-match": "garbage" } })).status).toBe(412);
    expect((await call(sb, "GET", path)).body.description).toBe("z");
  });

  it("renaming to the user's own name in another case is allowed; to another's is 409", async () => {
    const sb = make();
    const a = await createUser(sb, "alpha");
    await createUser(sb, "beta");
    expect((await call(sb, "PATCH", `${S}/api-users/${a.id}`, { body: { name: "ALPHA" } })).status).toBe(200);
    expect((await call(sb, "PATCH", `${S}/api-users/${a.id}`, { body: { name: "Beta" } })).status).toBe(409);
  });
});

describe("authentication", () => {
  it("checks the key before refusing an oversized body over HTTP: 401 without it, 413 with it", async () => {
    const server = await make().listen({ port: 0 });
    try {
      const big = JSON.stringify({ name: "x".repeat(2 * 1024 * 1024) });
      const post = (headers: Record<string, string>) =>
        fetch(`${server.url}${S}/api-users`, {
          method: "POST",
          headers: { "content-type": "application/json", ...headers },
          body: big,
        });
      const anonymous = await post({});
      expect(anonymous.status).toBe(401);
      const keyed = await post({ authorization: `Bearer ${API_KEY}` });
      expect(keyed.status).toBe(413);
      expect(((await keyed.json()) as Json).error.code).toBe("validation_failed");
    } finally {
      await server.close();
    }
  });

  it.each([
    ["no header", null],
    ["wrong key", "nope"],
    ["empty key", ""],
  ])("answers 401 with %s, before routing", async (_name, key) => {
    const sb = make();
    for (const path of [`${S}/teams`, `${S}/no-such-route`, "/__sandbox/stats", "/"]) {
      const res = await call(sb, "GET", path, { key });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe("unauthorized");
      expect(res.headers.get("www-authenticate")).toContain("Bearer");
      expect(res.text).not.toContain(API_KEY);
    }
  });

  it("accepts a case-insensitive Bearer scheme", async () => {
    const sb = make();
    const res = await sb.handle(
      new Request(`http://x${S}/teams`, { headers: { authorization: `bearer ${API_KEY}` } }),
    );
    expect(res.status).toBe(200);
  });
});

describe("grants", () => {
  it("checks role grants take system roles and connector grants take connector role names", async () => {
    const sb = make();
    const u = await createUser(sb, "g");
    const post = (body: unknown) => call(sb, "POST", `${S}/api-users/${u.id}/grants`, { body });
    const connRole = await post({ type: "role", role_id: "role_connector_reader" });
    expect(connRole.status).toBe(422);
    expect(connRole.body.error.details[0]).toMatchObject({ path: "role_id" });
    const systemName = await post({
      type: "connector",
      connector_id: "con_salesforce",
      roles: ["Administrator"],
    });
    expect(systemName.status).toBe(422);
    expect(systemName.body.error.details[0].message).toContain("system role");
    // "User" exists in both scopes: fine in both places.
    expect((await post({ type: "role", role_id: "role_user" })).status).toBe(201);
    const c = await post({
      type: "connector",
      connector_id: "con_salesforce",
      roles: ["User"],
      lists: ["Accounts"],
    });
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({ companies: [], actions: [], details: [], lists: ["Accounts"] });
    expect((await post({ type: "team", team_id: "team_nope" })).body.error.details[0].path).toBe("team_id");
    expect((await post({ type: "connector", connector_id: "con_nope" })).body.error.details[0].path).toBe(
      "connector_id",
    );
    const dupItem = await call(sb, "PATCH", `${S}/api-users/${u.id}/grants/${c.body.id}`, {
      body: { lists: ["Accounts", "Accounts"], companies: ["X"] },
    });
    expect(dupItem.status).toBe(422);
    expect(dupItem.body.error.details.map((d: Json) => d.path)).toEqual(["companies[0]", "lists[1]"]);
  });
});

describe("faults", () => {
  it("rate limits with 429 and Retry-After, refilling with time", async () => {
    const c = clock();
    const sb = make({ now: c.now, faults: { rate_limit_rps: 2 } });
    const get = () => call(sb, "GET", `${S}/teams`);
    expect((await get()).status).toBe(200);
    expect((await get()).status).toBe(200);
    const limited = await get();
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe("rate_limited");
    expect(limited.headers.get("retry-after")).toBe("1");
    c.advance(500);
    expect((await get()).status).toBe(200);
    expect((await get()).status).toBe(429);
    // Hooks are never limited.
    expect((await call(sb, "GET", "/__sandbox/stats")).status).toBe(200);
  });

  it("error_rate 1 answers 500/503 and does no work", async () => {
    const sb = make({ faults: { error_rate: 1 } });
    const statuses = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const res = await call(sb, "POST", `${S}/api-users`, { body: { name: `n${i}` } });
      statuses.add(res.status);
      expect(res.body.error.code).toBe("internal");
      if (res.status === 503) expect(res.headers.get("retry-after")).toBe("1");
    }
    expect([...statuses].sort()).toEqual([500, 503]);
    expect(sb.store.userCount).toBe(0);
    expect((await call(sb, "PUT", "/__sandbox/faults", { body: {} })).status).toBe(200);
  });

  it("fail_after_commit does the work, then fails (500, or a drop in-process shown as 500)", async () => {
    const sb = make({ faults: { fail_after_commit_rate: 1 } });
    const res = await call(sb, "POST", `${S}/api-users`, { body: { name: "x" } });
    expect(res.status).toBe(500);
    expect(sb.store.userCount).toBe(1);
    // Reads and failed mutations are not affected.
    expect((await call(sb, "GET", `${S}/api-users`)).status).toBe(200);
    expect((await call(sb, "POST", `${S}/api-users`, { body: { name: "X" } })).status).toBe(409);

    sb.setFaults({ fail_after_commit_rate: 1, fail_after_commit_mode: "drop" });
    const dropped = await sb.handle(
      new Request(`http://x${S}/api-users`, {
        method: "POST",
        headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "y" }),
      }),
    );
    expect(isDropResponse(dropped)).toBe(true);
    expect(sb.store.userCount).toBe(2);
  });

  it("drops the connection over HTTP after committing", async () => {
    const sb = make({ faults: { fail_after_commit_rate: 1, fail_after_commit_mode: "drop" } });
    const server = await sb.listen({ port: 0 });
    try {
      const attempt = fetch(`${server.url}${S}/api-users`, {
        method: "POST",
        headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "dropped" }),
      });
      await expect(attempt).rejects.toThrow();
      expect(sb.store.userCount).toBe(1);
      const list = await fetch(`${server.url}${S}/api-users`, {
        headers: { authorization: `Bearer ${API_KEY}` },
      });
      expect(((await list.json()) as Json).data[0].name).toBe("dropped");
    } finally {
      await server.close();
    }
  });

  it("adds latency", async () => {
    const sb = make({ faults: { latency_ms: 60 } });
    const t0 = performance.now();
    expect((await call(sb, "GET", `${S}/teams`)).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(55);
  });

  it("repeats the same faults for the same seed", async () => {
    const run = async (seed: number) => {
      const sb = make({ faults: { error_rate: 0.5, seed } });
      const out: number[] = [];
      for (let i = 0; i < 40; i++) out.push((await call(sb, "GET", `${S}/roles`)).status);
      return out.join(",");
    };
    const a = await run(42);
    expect(await run(42)).toBe(a);
    expect(a).toMatch(/200/);
    expect(a).toMatch(/50[03]/);
    expect(await run(43)).not.toBe(a);
    // PUT /__sandbox/faults restarts the PRNG.
    const sb = make();
    const seq = async () => {
      await call(sb, "PUT", "/__sandbox/faults", { body: { error_rate: 0.5, seed: 42 } });
      const out: number[] = [];
      for (let i = 0; i < 40; i++) out.push((await call(sb, "GET", `${S}/roles`)).status);
      return out.join(",");
    };
    expect(await seq()).toBe(a);
    expect(await seq()).toBe(a);
  });
});

describe("stats and reset", () => {
  it("counts /api/v1 requests by route template and status, not hooks", async () => {
    const sb = make();
    const u = await createUser(sb, "s");
    await call(sb, "GET", `${S}/api-users/${u.id}`);
    await call(sb, "GET", `${S}/api-users/usr_nope`);
    await call(sb, "GET", `${S}/teams`, { key: null });
    await call(sb, "GET", `${S}/nothing`);
    await call(sb, "GET", "/__sandbox/faults");
    const stats = (await call(sb, "GET", "/__sandbox/stats")).body;
    expect(stats.total).toBe(5);
    expect(stats.by_route).toEqual({
      "POST /api/v1/security/api-users": 1,
      "GET /api/v1/security/api-users/{userId}": 2,
      "GET /api/v1/security/teams": 1,
      "GET (unmatched)": 1,
    });
    expect(stats.by_status).toEqual({ "201": 1, "200": 1, "404": 2, "401": 1 });
    expect(sb.stats()).toEqual(stats);
  });

  it("resets stats, and with data=true the users", async () => {
    const c = clock();
    const sb = make({ now: c.now });
    await createUser(sb, "r");
    c.advance(1000);
    expect((await call(sb, "POST", "/__sandbox/reset")).status).toBe(204);
    const stats = (await call(sb, "GET", "/__sandbox/stats")).body;
    expect(stats).toEqual({ since: "2025-01-01T00:00:01.000Z", total: 0, by_route: {}, by_status: {} });
    expect(sb.store.userCount).toBe(1);
    expect((await call(sb, "POST", "/__sandbox/reset?data=true")).status).toBe(204);
    expect(sb.store.userCount).toBe(0);
    await createUser(sb, "r");
    expect((await call(sb, "POST", "/__sandbox/reset", { body: { data: true } })).status).toBe(204);
    expect(sb.store.userCount).toBe(0);
    expect((await call(sb, "GET", `${S}/teams`)).body.data).toHaveLength(4);
  });
});

describe("request parsing", () => {
  it("refuses a missing body and non-object bodies with 422", async () => {
    const sb = make();
    for (const raw of ["", "[]", "null", '"x"']) {
      const res = await call(sb, "POST", `${S}/api-users`, { raw });
      expect(res.status, raw).toBe(422);
      expect(res.body.error.code).toBe("validation_failed");
    }
  });

  it.each([
    ["malformed JSON", "{"],
    ["JSON nested too deep", `${"[".repeat(100_000)}${"]".repeat(100_000)}`],
    ["an object nested too deep", `${'{"a":'.repeat(65)}1${"}".repeat(65)}`],
  ])("refuses %s with 400", async (_name, raw) => {
    const res = await call(make(), "POST", `${S}/api-users`, { raw });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      code: "validation_failed",
      message: "request body is not valid JSON",
    });
  });

  it("takes JSON nested up to the depth limit (422 from the schema, not 400)", async () => {
    const raw = `{"name":${"[".repeat(63)}1${"]".repeat(63)}}`;
    expect((await call(make(), "POST", `${S}/api-users`, { raw })).status).toBe(422);
  });

  it.each(["text/plain", "application/x-www-form-urlencoded", "application/jsonp"])(
    "refuses a body sent as %s with 415",
    async (type) => {
      const res = await call(make(), "POST", `${S}/api-users`, {
        body: { name: "x" },
        headers: { "content-type": type },
      });
      expect(res.status).toBe(415);
      expect(res.body.error.code).toBe("validation_failed");
    },
  );

  it.each(["application/json; charset=utf-8", "application/merge-patch+json"])(
    "takes a body sent as %s",
    async (type) => {
      const res = await call(make(), "POST", `${S}/api-users`, {
        body: { name: "x" },
        headers: { "content-type": type },
      });
      expect(res.status).toBe(201);
    },
  );

  it("trims names and rejects blank ones", async () => {
    const sb = make();
    expect((await createUser(sb, "  padded  ")).name).toBe("padded");
    expect((await call(sb, "POST", `${S}/api-users`, { body: { name: "   " } })).status).toBe(422);
    expect((await call(sb, "POST", `${S}/api-users`, { body: { name: "PADDED" } })).status).toBe(409);
  });
});
