/**
 * Request hardening over real HTTP (127.0.0.1, port 0): bodies nested too deep or not JSON
 * (400), a non-JSON Content-Type (415), a method no route has such as TRACE (405 with Allow),
 * and a body that stops arriving (408 after the body timeout, then the connection closes),
 * each still behind the API key (401 first).
 */
import { request } from "node:http";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, type RunningServer } from "../../provider/sandbox/index.js";
import { API_KEY, type Json, S } from "./call.js";

const BODY_TIMEOUT_MS = 150;
let server: RunningServer;

beforeAll(async () => {
  server = await createSandbox({ apiKey: API_KEY, bodyTimeoutMs: BODY_TIMEOUT_MS }).listen({ port: 0 });
});
afterAll(async () => {
  await server.close();
});

const auth = { authorization: `Bearer ${API_KEY}` };

async function post(body: string, headers: Record<string, string>) {
  const res = await fetch(`${server.url}${S}/api-users`, { method: "POST", headers, body });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: (text === "" ? undefined : JSON.parse(text)) as Json,
  };
}

/** One request through node:http, which sends any method (fetch refuses TRACE). */
function raw(method: string, path: string, headers: Record<string, string>) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: Json }>((resolve, reject) => {
    const req = request(`${server.url}${path}`, { method, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (c: string) => {
        text += c;
      });
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

/**
 * Sends a request whose Content-Length promises more than it sends, and resolves with all the
 * server wrote once it closes the connection (the condition: no timer on this side).
 */
function stalled(headers: string): Promise<string> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), "127.0.0.1", () => {
      socket.write(
        `POST ${S}/api-users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${headers}` +
          `Content-Length: 100\r\n\r\n{"name":`,
      );
    });
    let received = "";
    socket.setEncoding("utf8").on("data", (c: string) => {
      received += c;
    });
    socket.on("close", () => resolve(received));
    socket.on("error", reject);
  });
}

describe("request hardening over HTTP", () => {
  it("answers 400, not a stack overflow, to JSON nested 100 000 deep", async () => {
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    const res = await post(deep, { ...auth, "content-type": "application/json" });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("validation_failed");
    expect(res.body.error.details[0].message).toMatch(/nested deeper than 64/);
  });

  it("answers 400 to a body that is not JSON", async () => {
    const res = await post("{not json", { ...auth, "content-type": "application/json" });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe("request body is not valid JSON");
  });

  it("answers 415 to a body with a non-JSON Content-Type, and 401 before it without the key", async () => {
    const body = JSON.stringify({ name: "typed" });
    const res = await post(body, { ...auth, "content-type": "text/plain" });
    expect(res.status).toBe(415);
    expect(res.body.error.message).toMatch(/must be application\/json/);
    expect((await post(body, { "content-type": "text/plain" })).status).toBe(401);
    expect((await post(body, { ...auth, "content-type": "application/json" })).status).toBe(201);
  });

  it("answers 405 with Allow to TRACE on a route, 404 on no route, 401 without the key", async () => {
    const traced = await raw("TRACE", `${S}/api-users`, auth);
    expect(traced.status).toBe(405);
    expect(traced.headers.allow).toBe("GET, POST");
    expect(traced.body.error.code).toBe("not_found");
    expect((await raw("TRACE", `${S}/nothing`, auth)).status).toBe(404);
    expect((await raw("TRACE", `${S}/api-users`, {})).status).toBe(401);
  });

  it("answers 408 and closes the connection when the body stops arriving; 401 first without the key", async () => {
    const answer = await stalled(`Authorization: Bearer ${API_KEY}\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer.toLowerCase()).toContain("connection: close");
    expect(answer).toContain(`did not arrive within ${BODY_TIMEOUT_MS} ms`);
    expect(await stalled("")).toMatch(/^HTTP\/1\.1 401 /);
    // The server is still fine.
    const list = await fetch(`${server.url}${S}/api-users`, { headers: auth });
    expect(list.status).toBe(200);
  });
});
