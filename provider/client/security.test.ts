/**
 * PopdockClient secrets: plain-http endpoints refused, and neither the API key nor a token_id
 * in any debug line or error, whatever the server sends back.
 */
import { inspect } from "node:util";
import { HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import { API_KEY, api, apiUser, makeClient, TOKEN_SECRET, token } from "../../test/fixtures/client/client.js";
import { dropConnection, type MswHttpServer, useMswServer } from "../../test/helpers/msw-server.js";
import { UsageError } from "../model/errors.js";
import { PopdockClient } from "./client.js";
import { PopdockInsecureEndpointError, PopdockInvalidResponseError } from "./errors.js";

let server: MswHttpServer;
const clients = useMswServer<PopdockClient>((s) => {
  server = s;
});

describe("endpoint", () => {
  it.each([
    "http://popdock.example.com",
    "http://10.0.0.7:8080",
    "http://[2001:db8::1]/",
    "http://128.0.0.1",
  ])("refuses plain http to %s", (endpoint) => {
    const make = () => new PopdockClient({ endpoint, apiKey: API_KEY });
    expect(make).toThrow(PopdockInsecureEndpointError);
    try {
      make();
    } catch (e) {
      const err = e as PopdockInsecureEndpointError;
      expect(err.code).toBe("POPDOCK_INSECURE_ENDPOINT");
      expect(err.exitCode).toBe(1);
      expect(err.message).toContain("refusing plain-http endpoint");
      expect(err.hint).toMatch(/^use https:\/\//);
    }
  });

  it.each([
    ["http://localhost:8080/", "http://localhost:8080"],
    ["http://127.0.0.1:1", "http://127.0.0.1:1"],
    ["http://127.8.9.10", "http://127.8.9.10"],
    ["http://[::1]:9000///", "http://[::1]:9000"],
    ["https://popdock.example.com/tenant/a/", "https://popdock.example.com/tenant/a"],
    ["https://popdock.example.com/api/v1/security/", "https://popdock.example.com"],
  ])("accepts %s as %s", async (endpoint, normalised) => {
    const client = new PopdockClient({ endpoint, apiKey: API_KEY });
    expect(client.endpoint).toBe(normalised);
    await client.close();
  });

  it.each([
    "popdock.example.com",
    "ftp://popdock.example.com",
    "https://u:p@popdock.example.com",
    "https://h/?x=1",
  ])("rejects %s as a usage error", (endpoint) => {
    expect(() => new PopdockClient({ endpoint, apiKey: API_KEY })).toThrow(UsageError);
  });

  it("does not echo an unparseable endpoint (it might be a pasted key)", () => {
    expect(() => new PopdockClient({ endpoint: API_KEY, apiKey: API_KEY })).toThrow(
      /^the Popdock endpoint is not a URL$/,
    );
  });

  it("requires an API key", () => {
    expect(() => new PopdockClient({ endpoint: "https://h", apiKey: " " })).toThrow(UsageError);
  });
});

describe("redaction", () => {
  /** Everything a person could see of an error. */
  const visible = (err: unknown): string =>
    [String(err), inspect(err, { depth: 6 }), JSON.stringify(err)].join("\n");

  it("debug lines show each attempt with the key and token_id masked", async () => {
    let n = 0;
    server.use(
      http.post(api("/api-users/:id/tokens"), () => {
        n++;
        return n === 1 ? dropConnection() : HttpResponse.json(token("tk1", "u1"), { status: 201 });
      }),
      http.get(api("/api-users/:id/tokens/:tid"), () => HttpResponse.json(token("tk1", "u1"))),
    );
    const { client, lines } = makeClient(server.url, {}, clients);
    const created = await client.createToken("u1", { name: "ci" });
    expect(created.token_id).toBe(TOKEN_SECRET);
    await client.getToken("u1", "tk1");

    const log = lines.join("\n");
    expect(log).not.toContain(API_KEY);
    expect(log).not.toContain(TOKEN_SECRET);
    expect(log).toContain("authorization: Bearer ***");
    expect(log).toContain('"token_id":"***"');
    // One request line and one outcome line per attempt, with method, path, attempt and duration.
    expect(lines.filter((l) => l.includes("→ POST /api/v1/security/api-users/u1/tokens"))).toHaveLength(2);
    expect(log).toMatch(
      /✗ POST \/api\/v1\/security\/api-users\/u1\/tokens UND_ERR_SOCKET after \d+ms attempt 1\/5/,
    );
    expect(log).toMatch(/← POST \/api\/v1\/security\/api-users\/u1\/tokens 201 in \d+ms attempt 2\/5/);
    expect(log).toMatch(/retrying after UND_ERR_SOCKET in \d+ms/);
    expect(log).toMatch(/← GET \/api\/v1\/security\/api-users\/u1\/tokens\/tk1 200 in \d+ms attempt 1\/5/);
  });

  it("logs nothing unless debug is on", async () => {
    server.use(http.get(api("/teams"), () => HttpResponse.json({ data: [] })));
    const { client, lines } = makeClient(server.url, { debug: false }, clients);
    await client.listTeams();
    expect(lines).toEqual([]);
  });

  it("an error from a response holding a token_id and echoing the Authorization header reveals neither", async () => {
    server.use(
      http.get(api("/api-users/:id/tokens/:tid"), () =>
        HttpResponse.json({ ...token("tk1", "u1"), version: "one" }, { headers: { "x-request-id": "r1" } }),
      ),
      http.post(api("/api-users/:id/tokens"), ({ request }) =>
        HttpResponse.json(
          {
            error: {
              code: "internal",
              message: `failed for authorization: ${request.headers.get("authorization")} with {"token_id":"${TOKEN_SECRET}"}`,
              details: [{ message: `token_id=${TOKEN_SECRET} key ${API_KEY}` }],
            },
          },
          { status: 500 },
        ),
      ),
    );
    const { client, lines } = makeClient(server.url, { retry: { maxAttempts: 2 } }, clients);

    const shape = await client.getToken("u1", "tk1").catch((e: unknown) => e);
    expect(shape).toBeInstanceOf(PopdockInvalidResponseError);
    expect((shape as Error).message).toContain("version");

    const echoed = await client.createToken("u1", { name: "ci" }).catch((e: unknown) => e);
    expect((echoed as Error).message).toContain("Bearer ***");

    for (const err of [shape, echoed]) {
      const text = visible(err);
      expect(text).not.toContain(API_KEY);
      expect(text).not.toContain(TOKEN_SECRET);
    }
    const log = lines.join("\n");
    expect(log).not.toContain(API_KEY);
    expect(log).not.toContain(TOKEN_SECRET);
  });

  it("a body that is not JSON is never quoted in the error", async () => {
    server.use(
      http.get(api("/api-users/:id"), () => new HttpResponse(`token_id: ${TOKEN_SECRET} <`, { status: 200 })),
    );
    const { client } = makeClient(server.url, {}, clients);
    const err = await client.getApiUser("u1").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PopdockInvalidResponseError);
    expect(visible(err)).not.toContain(TOKEN_SECRET);
  });

  it("the API key is not in a network error either", async () => {
    server.use(http.get(api("/api-users/:id"), dropConnection));
    const { client } = makeClient(server.url, { retry: { maxAttempts: 2 } }, clients);
    const err = await client.getApiUser("u1").catch((e: unknown) => e);
    expect(visible(err)).not.toContain(API_KEY);
    void apiUser;
  });
});
