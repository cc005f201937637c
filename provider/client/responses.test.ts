/**
 * PopdockClient against a real HTTP server (msw handlers on 127.0.0.1): requests it sends,
 * response validation, status → error mapping, pagination, request counters.
 */
import { HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import type { ApiUser } from "../../schema/api.js";
import { API_KEY, api, apiUser, makeClient, teamGrant, token } from "../../test/fixtures/client/client.js";
import { type MswHttpServer, useMswServer } from "../../test/helpers/msw-server.js";
import { PopdockError } from "../model/errors.js";
import type { PopdockClient } from "./client.js";
import {
  PopdockApiError,
  PopdockConflictError,
  PopdockForbiddenError,
  PopdockInvalidResponseError,
  PopdockPreconditionFailedError,
  PopdockUnauthorizedError,
  type PopdockValidationError,
} from "./errors.js";
import { statusError } from "./responses.js";

let server: MswHttpServer;
const clients = useMswServer<PopdockClient>(
  (s) => {
    server = s;
  },
  http.get(api("/teams"), () =>
    HttpResponse.json({ data: [{ id: "t_fin", name: "Finance", description: "" }] }),
  ),
  http.get(api("/roles"), () =>
    HttpResponse.json({ data: [{ id: "r_admin", name: "Admin", scope: "system", description: "" }] }),
  ),
  http.get(api("/connectors"), () =>
    HttpResponse.json({
      data: [{ id: "c_gp", name: "GP", companies: ["A"], lists: [], actions: [], details: [] }],
    }),
  ),
);

const errorBody = (status: number, code: string, message: string, details?: unknown[]) =>
  HttpResponse.json({ error: { code, message, ...(details ? { details } : {}) } }, { status });

describe("requests", () => {
  it("sends Bearer auth, JSON and the base path on every call; reads reference data", async () => {
    const { client } = makeClient(server.url, {}, clients);
    await expect(client.listTeams()).resolves.toEqual([{ id: "t_fin", name: "Finance", description: "" }]);
    await expect(client.listRoles()).resolves.toHaveLength(1);
    await expect(client.listConnectors()).resolves.toHaveLength(1);
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "GET /api/v1/security/teams",
      "GET /api/v1/security/roles",
      "GET /api/v1/security/connectors",
    ]);
    for (const r of server.requests) {
      expect(r.headers.authorization).toBe(`Bearer ${API_KEY}`);
      expect(r.headers.accept).toBe("application/json");
    }
  });

  it("keeps an endpoint's path prefix and strips trailing slashes", async () => {
    const { client } = makeClient(`${server.url}/popdock//`, {}, clients);
    expect(client.endpoint).toBe(`${server.url}/popdock`);
    await client.listTeams();
    expect(server.requests[0]?.path).toBe("/popdock/api/v1/security/teams");
  });

  it("covers every route with the right method, path, body and headers", async () => {
    const grant = teamGrant("g1", "u 1");
    server.use(
      http.get(api("/api-users/:userId"), () => HttpResponse.json(apiUser("u 1"))),
      http.post(api("/api-users"), () => HttpResponse.json(apiUser("u 1"), { status: 201 })),
      http.patch(api("/api-users/:userId"), () => HttpResponse.json(apiUser("u 1", { version: 2 }))),
      http.delete(api("/api-users/:userId"), () => new HttpResponse(null, { status: 204 })),
      http.get(api("/api-users/:userId/grants"), () => HttpResponse.json({ data: [grant] })),
      http.post(api("/api-users/:userId/grants"), () => HttpResponse.json(grant, { status: 201 })),
      http.patch(api("/api-users/:userId/grants/:grantId"), () => HttpResponse.json(grant)),
      http.delete(api("/api-users/:userId/grants/:grantId"), () => new HttpResponse(null, { status: 204 })),
      http.get(api("/api-users/:userId/tokens"), () => {
        const { token_id: _, ...meta } = token("tk1", "u 1");
        return HttpResponse.json({ data: [meta] });
      }),
      http.post(api("/api-users/:userId/tokens"), () =>
        HttpResponse.json(token("tk1", "u 1"), { status: 201 }),
      ),
      http.get(api("/api-users/:userId/tokens/:tokenId"), () => HttpResponse.json(token("tk1", "u 1"))),
      http.delete(api("/api-users/:userId/tokens/:tokenId"), () => new HttpResponse(null, { status: 204 })),
    );
    const { client } = makeClient(server.url, {}, clients);
    await client.getApiUser("u 1");
    await client.createApiUser({ name: "bot", description: "d" });
    await client.updateApiUser("u 1", { name: "bot2" }, { ifMatchVersion: 1 });
    await client.deleteApiUser("u 1", { ifMatchVersion: 2 });
    await expect(client.listGrants("u 1")).resolves.toEqual([grant]);
    await client.createGrant("u 1", { type: "team", team_id: "t_fin" });
    await client.updateGrant("u 1", "g1", { companies: ["A"] });
    await client.deleteGrant("u 1", "g1");
    await expect(client.listTokens("u 1")).resolves.toHaveLength(1);
    await expect(client.createToken("u 1", { name: "ci" })).resolves.toHaveProperty("token_id");
    await expect(client.getToken("u 1", "tk1")).resolves.toHaveProperty("token_id");
    await client.deleteToken("u 1", "tk1");

    const seen = server.requests.map((r) => [
      `${r.method} ${r.path}`,
      r.body,
      r.headers["content-type"] ?? null,
      r.headers["if-match"] ?? null,
      r.method === "POST" ? typeof r.headers["idempotency-key"] : (r.headers["idempotency-key"] ?? null),
    ]);
    const u = "/api/v1/security/api-users/u%201";
    const json = "application/json";
    expect(seen).toEqual([
      [`GET ${u}`, "", null, null, null],
      ["POST /api/v1/security/api-users", '{"name":"bot","description":"d"}', json, null, "string"],
      [`PATCH ${u}`, '{"name":"bot2"}', json, '"1"', null],
      [`DELETE ${u}`, "", null, '"2"', null],
      [`GET ${u}/grants`, "", null, null, null],
      [`POST ${u}/grants`, '{"type":"team","team_id":"t_fin"}', json, null, "string"],
      [`PATCH ${u}/grants/g1`, '{"companies":["A"]}', json, null, null],
      [`DELETE ${u}/grants/g1`, "", null, null, null],
      [`GET ${u}/tokens`, "", null, null, null],
      [`POST ${u}/tokens`, '{"name":"ci"}', json, null, "string"],
      [`GET ${u}/tokens/tk1`, "", null, null, null],
      [`DELETE ${u}/tokens/tk1`, "", null, null, null],
    ]);
  });
});

describe("response validation", () => {
  it("malformed JSON is POPDOCK_API_INVALID_RESPONSE naming method, path and operation", async () => {
    server.use(http.get(api("/teams"), () => new HttpResponse('{"data": [', { status: 200 })));
    const { client } = makeClient(server.url, {}, clients);
    const err = (await client.listTeams().catch((e: unknown) => e)) as PopdockInvalidResponseError;
    expect(err).toBeInstanceOf(PopdockInvalidResponseError);
    expect(err.code).toBe("POPDOCK_API_INVALID_RESPONSE");
    expect(err.message).toBe(
      "invalid response to GET /api/v1/security/teams (listTeams): 200 with a body that is not JSON (10 characters)",
    );
  });

  it("a wrong shape names the zod issue path", async () => {
    server.use(
      http.get(api("/api-users"), () =>
        HttpResponse.json({ data: [apiUser("u1"), { ...apiUser("u2"), version: "7" }], next_cursor: null }),
      ),
    );
    const { client } = makeClient(server.url, {}, clients);
    const err = (await client.listApiUsersPage().catch((e: unknown) => e)) as PopdockInvalidResponseError;
    expect(err).toBeInstanceOf(PopdockInvalidResponseError);
    expect(err.message).toMatch(
      /^invalid response to GET \/api\/v1\/security\/api-users \(listApiUsersPage\): 200 with an unexpected shape: data\[1\]\.version: /,
    );
    expect(err.hint).toContain("check the endpoint");
  });

  it("an empty body where JSON is due is invalid, not a crash", async () => {
    server.use(http.post(api("/api-users"), () => new HttpResponse(null, { status: 201 })));
    const { client } = makeClient(server.url, {}, clients);
    await expect(client.createApiUser({ name: "x" })).rejects.toThrow(/201 with an empty body/);
  });
});

describe("status mapping", () => {
  it("401 says the API key was rejected and what to set", async () => {
    server.use(http.get(api("/teams"), () => errorBody(401, "unauthorized", "invalid API key")));
    const { client } = makeClient(server.url, {}, clients);
    const err = (await client.listTeams().catch((e: unknown) => e)) as PopdockUnauthorizedError;
    expect(err).toBeInstanceOf(PopdockUnauthorizedError);
    expect(err).toBeInstanceOf(PopdockApiError);
    expect(err).toBeInstanceOf(PopdockError);
    expect(err.code).toBe("POPDOCK_API_UNAUTHORIZED");
    expect(err.message).toBe(
      "Popdock rejected the API key (401 on GET /api/v1/security/teams): invalid API key",
    );
    expect(err.hint).toContain("POPDOCK_API_KEY");
    expect(err).toMatchObject({
      status: 401,
      method: "GET",
      path: "/api/v1/security/teams",
      serverCode: "unauthorized",
    });
    expect(server.requests).toHaveLength(1);
  });

  it("412: If-Match is sent and the failure says to re-run plan", async () => {
    server.use(
      http.patch(api("/api-users/:id/grants/:gid"), () =>
        errorBody(412, "precondition_failed", "version is 5, not 4"),
      ),
    );
    const { client } = makeClient(server.url, {}, clients);
    const err = (await client
      .updateGrant("u1", "g1", { roles: ["Reader"] }, { ifMatchVersion: 4 })
      .catch((e: unknown) => e)) as PopdockPreconditionFailedError;
    expect(server.requests[0]?.headers["if-match"]).toBe('"4"');
    expect(err).toBeInstanceOf(PopdockPreconditionFailedError);
    expect(err.code).toBe("POPDOCK_API_PRECONDITION_FAILED");
    expect(err.message).toBe(
      "PATCH /api/v1/security/api-users/u1/grants/g1: the object changed since it was read (412, If-Match did not match): version is 5, not 4",
    );
    expect(err.hint).toContain("re-run plan");
    expect(err.afterUnknownOutcome).toBe(false);
  });

  it("422 carries the server's details", async () => {
    server.use(
      http.post(api("/api-users/:id/grants"), () =>
        errorBody(422, "validation_failed", "bad grant", [
          { path: "companies[1]", message: "unknown company" },
        ]),
      ),
    );
    const { client } = makeClient(server.url, {}, clients);
    const err = (await client
      .createGrant("u1", { type: "connector", connector_id: "c_gp", companies: ["A", "Z"] })
      .catch((e: unknown) => e)) as PopdockValidationError;
    expect(err.code).toBe("POPDOCK_API_VALIDATION");
    expect(err.details).toEqual([{ path: "companies[1]", message: "unknown company" }]);
    expect(err.message).toBe(
      "Popdock rejected the request POST /api/v1/security/api-users/u1/grants (422): bad grant [companies[1]: unknown company]",
    );
  });

  it.each([
    [403, "forbidden", PopdockForbiddenError, "POPDOCK_API_FORBIDDEN"],
    [409, "conflict", PopdockConflictError, "POPDOCK_API_CONFLICT"],
    [418, "internal", PopdockApiError, "POPDOCK_API_ERROR"],
  ] as const)("%i maps to %s", async (status, serverCode, cls, code) => {
    server.use(
      http.post(api("/api-users"), () =>
        HttpResponse.json(
          { error: { code: serverCode, message: "nope" } },
          { status, headers: { "x-request-id": "req-42" } },
        ),
      ),
    );
    const { client } = makeClient(server.url, {}, clients);
    const err = (await client.createApiUser({ name: "x" }).catch((e: unknown) => e)) as PopdockApiError;
    expect(err).toBeInstanceOf(cls);
    expect(err.code).toBe(code);
    expect(err).toMatchObject({
      status,
      serverCode,
      serverMessage: "nope",
      requestId: "req-42",
      attempts: 1,
    });
    expect(server.requests).toHaveLength(1);
  });

  it("an error response without the error envelope still maps by status", async () => {
    server.use(http.get(api("/teams"), () => new HttpResponse("<html>forbidden</html>", { status: 403 })));
    const { client } = makeClient(server.url, {}, clients);
    const err = (await client.listTeams().catch((e: unknown) => e)) as PopdockForbiddenError;
    expect(err).toBeInstanceOf(PopdockForbiddenError);
    expect(err.serverMessage).toBeUndefined();
    expect(err.message).toBe("the API key may not GET /api/v1/security/teams (403)");
  });
});

describe("pagination", () => {
  const users = Array.from({ length: 5 }, (_, i) => apiUser(`u${i + 1}`));

  it("walks three pages of cursors, passing limit and expand", async () => {
    server.use(
      http.get(api("/api-users"), ({ request }) => {
        const url = new URL(request.url);
        const start = Number(url.searchParams.get("cursor") ?? "0");
        const limit = Number(url.searchParams.get("limit"));
        const data = users.slice(start, start + limit);
        const next = start + limit < users.length ? String(start + limit) : null;
        return HttpResponse.json({ data, next_cursor: next });
      }),
    );
    const { client } = makeClient(server.url, {}, clients);
    const all: ApiUser[] = await client.listAllApiUsers({ limit: 2, expand: ["grants", "tokens"] });
    expect(all.map((u) => u.id)).toEqual(["u1", "u2", "u3", "u4", "u5"]);
    expect(server.requests.map((r) => r.path)).toEqual([
      "/api/v1/security/api-users?limit=2&expand=grants,tokens",
      "/api/v1/security/api-users?limit=2&cursor=2&expand=grants,tokens",
      "/api/v1/security/api-users?limit=2&cursor=4&expand=grants,tokens",
    ]);
    expect(client.stats().byRoute).toEqual({ "GET /api/v1/security/api-users": 3 });
  });

  it("a server repeating a cursor is an error, not an endless loop", async () => {
    server.use(
      http.get(api("/api-users"), ({ request }) => {
        const cursor = new URL(request.url).searchParams.get("cursor");
        return HttpResponse.json({
          data: [apiUser(cursor ?? "first")],
          next_cursor: cursor === null ? "c1" : "c1",
        });
      }),
    );
    const { client } = makeClient(server.url, {}, clients);
    const err = (await client.listAllApiUsers().catch((e: unknown) => e)) as PopdockInvalidResponseError;
    expect(err).toBeInstanceOf(PopdockInvalidResponseError);
    expect(err.message).toContain("page 2 returned a next_cursor that an earlier page already returned");
    expect(server.requests).toHaveLength(2);
  });

  it("detects a cycle longer than one page", async () => {
    const next: Record<string, string> = { "": "a", a: "b", b: "a" };
    server.use(
      http.get(api("/api-users"), ({ request }) => {
        const cursor = new URL(request.url).searchParams.get("cursor") ?? "";
        return HttpResponse.json({ data: [apiUser(`u-${cursor}`)], next_cursor: next[cursor] ?? null });
      }),
    );
    const { client } = makeClient(server.url, {}, clients);
    await expect(client.listAllApiUsers()).rejects.toBeInstanceOf(PopdockInvalidResponseError);
    expect(server.requests).toHaveLength(3);
  });

  it("an empty page that still hands out a cursor is an error, not an endless walk", async () => {
    let n = 0;
    server.use(
      http.get(api("/api-users"), () => HttpResponse.json({ data: [], next_cursor: `fresh-${++n}` })),
    );
    const { client } = makeClient(server.url, {}, clients);
    const err = (await client.listAllApiUsers().catch((e: unknown) => e)) as PopdockInvalidResponseError;
    expect(err).toBeInstanceOf(PopdockInvalidResponseError);
    expect(err.message).toContain("page 1 was empty but still returned a next_cursor");
    expect(server.requests).toHaveLength(1);
  });
});

describe("stats", () => {
  it("counts logical requests by route template, attempts and retries", async () => {
    let n = 0;
    server.use(
      http.post(api("/api-users/:id/tokens"), () => {
        n++;
        return n === 1
          ? errorBody(503, "internal", "busy")
          : HttpResponse.json(token(`tk${n}`, "u1"), { status: 201 });
      }),
      http.get(api("/api-users/:id"), () => HttpResponse.json(apiUser("u1"))),
    );
    const { client } = makeClient(server.url, {}, clients);
    await client.createToken("u1", { name: "a" });
    await client.createToken("u2", { name: "b" });
    await client.getApiUser("u1");
    await client.listTeams();
    expect(client.stats()).toEqual({
      byRoute: {
        "POST /api/v1/security/api-users/{userId}/tokens": 2,
        "GET /api/v1/security/api-users/{userId}": 1,
        "GET /api/v1/security/teams": 1,
      },
      attempts: 5,
      retries: 1,
    });
    client.resetStats();
    expect(client.stats()).toEqual({ byRoute: {}, attempts: 0, retries: 0 });
  });

  it("stats() returns a copy", async () => {
    const { client } = makeClient(server.url, {}, clients);
    await client.listTeams();
    const s = client.stats();
    s.byRoute["GET /x"] = 9;
    expect(client.stats().byRoute).toEqual({ "GET /api/v1/security/teams": 1 });
  });
});

describe("lifecycle", () => {
  it("close() is idempotent and later calls fail clearly", async () => {
    const { client } = makeClient(server.url);
    await client.listTeams();
    await client.close();
    await client.close();
    await expect(client.listTeams()).rejects.toThrow("PopdockClient.listTeams called after close()");
  });
});

describe("statusError (pure)", () => {
  const base = { method: "GET", path: "/api/v1/security/teams", attempts: 1 };
  it.each([
    [400, "POPDOCK_API_VALIDATION"],
    [401, "POPDOCK_API_UNAUTHORIZED"],
    [403, "POPDOCK_API_FORBIDDEN"],
    [404, "POPDOCK_API_NOT_FOUND"],
    [409, "POPDOCK_API_CONFLICT"],
    [412, "POPDOCK_API_PRECONDITION_FAILED"],
    [418, "POPDOCK_API_ERROR"],
    [422, "POPDOCK_API_VALIDATION"],
    [429, "POPDOCK_API_RATE_LIMITED"],
    [500, "POPDOCK_API_UNAVAILABLE"],
    [503, "POPDOCK_API_UNAVAILABLE"],
  ] as const)("%i → %s, carrying the status and a redacted server message", (status, code) => {
    const err = statusError(
      "GET /api/v1/security/teams",
      status,
      { code: "internal", message: `said ${API_KEY}` },
      { ...base, status },
      false,
      [API_KEY],
    );
    expect(err).toBeInstanceOf(PopdockApiError);
    expect(err.code).toBe(code);
    expect(err.status).toBe(status);
    expect(err.message).not.toContain(API_KEY);
    expect(err.serverMessage).not.toContain(API_KEY);
  });
});
