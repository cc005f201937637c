/**
 * Contract test: the sandbox against `schema/popdock-security-api.openapi.yaml`, and the OpenAPI
 * components against the zod schemas of `schema/api.ts`.
 *
 * Every request goes through `exercise()`, which finds the documented operation for the path,
 * fails on an undocumented status, validates the body against the documented response schema
 * and checks the documented headers. The last test fails unless every documented
 * (path, method, status) was produced at least once.
 */
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";
import { createSandbox, type Sandbox } from "../../provider/sandbox/index.js";
import * as api from "../../schema/api.js";
import { type CallOptions, type CallResult, call, type Json, S } from "./call.js";
import { type JsonSchema, resolveRef, validate } from "./json-schema.js";

const SPEC_PATH = new URL("../../schema/popdock-security-api.openapi.yaml", import.meta.url);
const doc = parse(readFileSync(SPEC_PATH, "utf8")) as Json;
const METHODS = ["get", "put", "post", "patch", "delete"] as const;

const deref = (node: Json): Json =>
  node && typeof node.$ref === "string" ? deref(resolveRef(doc, node.$ref)) : node;

const templates: { template: string; regex: RegExp }[] = Object.keys(doc.paths).map((template) => ({
  template,
  regex: new RegExp(`^${template.replace(/\{\w+\}/g, "[^/]+")}$`),
}));

/** Every documented `METHOD path status`. */
const documented = new Set<string>();
for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
  for (const m of METHODS) {
    if (!item[m]) continue;
    for (const status of Object.keys(item[m].responses))
      documented.add(`${m.toUpperCase()} ${path} ${status}`);
  }
}
const exercised = new Set<string>();

let sb: Sandbox;
const BODY_TIMEOUT_MS = 100;

/** A body that sends a few bytes and then never ends. */
const stalledBody = () =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('{"name":'));
    },
  });

/** Calls the sandbox and checks the response against the documented operation. */
async function exercise(method: string, path: string, opts: CallOptions = {}): Promise<CallResult> {
  const res = await call(sb, method, path, opts);
  const pathname = new URL(path, "http://x").pathname;
  const match = templates.find((t) => t.regex.test(pathname));
  expect(match, `no documented path for ${pathname}`).toBeDefined();
  const template = match?.template ?? "";
  const op = doc.paths[template][method.toLowerCase()];
  expect(op, `${method} ${template} is not documented`).toBeDefined();
  const response = deref(op.responses[String(res.status)]);
  expect(
    response,
    `${method} ${template} answered ${res.status}, which is not documented: ${res.text.slice(0, 300)}`,
  ).toBeDefined();
  const schema = response.content?.["application/json"]?.schema as JsonSchema | undefined;
  if (schema === undefined) {
    expect(res.text, `${method} ${template} ${res.status} must have no body`).toBe("");
  } else {
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const errors = validate(schema, res.body, doc);
    expect(errors, `${method} ${template} ${res.status} body: ${res.text.slice(0, 500)}`).toEqual([]);
  }
  for (const header of Object.keys(response.headers ?? {})) {
    expect(
      res.headers.get(header),
      `${method} ${template} ${res.status} lacks header ${header}`,
    ).not.toBeNull();
  }
  if (res.headers.has("etag")) expect(res.headers.get("etag")).toBe(`"${(res.body as Json).version}"`);
  exercised.add(`${method} ${template} ${res.status}`);
  return res;
}

/** The body sent with a request, validated against the documented request schema when it is one. */
function requestBodyErrors(method: string, template: string, body: unknown): string[] {
  const schema = doc.paths[template][method.toLowerCase()].requestBody?.content?.["application/json"]?.schema;
  return schema ? validate(schema, body, doc) : ["no request body documented"];
}

describe("OpenAPI document", () => {
  it("is OpenAPI 3.1 with the expected paths", () => {
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths).filter((p) => p.startsWith("/api/v1/")).length).toBe(9);
    expect(Object.keys(doc.paths).filter((p) => p.startsWith("/api/v2/"))).toEqual(["/api/v2/user"]);
    expect(documented.size).toBeGreaterThan(100);
  });

  it("documents the error codes of schema/api.ts", () => {
    expect(doc.components.schemas.ErrorCode.enum).toEqual(api.ErrorCode.options);
  });

  /** OpenAPI component ↔ zod schema, compared after dropping annotations. */
  const pairs: [string, z.ZodType, "input" | "output"][] = [
    ["Error", api.ErrorBody, "output"],
    ["Team", api.Team, "output"],
    ["Role", api.Role, "output"],
    ["Connector", api.Connector, "output"],
    ["TeamList", api.TeamList, "output"],
    ["RoleList", api.RoleList, "output"],
    ["ConnectorList", api.ConnectorList, "output"],
    ["TeamGrant", api.TeamGrant, "output"],
    ["RoleGrant", api.RoleGrant, "output"],
    ["ConnectorGrant", api.ConnectorGrant, "output"],
    ["Grant", api.Grant, "output"],
    ["GrantList", api.GrantList, "output"],
    ["GrantCreate", api.GrantCreate, "input"],
    ["GrantPatch", api.GrantPatch, "input"],
    ["TokenMeta", api.TokenMeta, "output"],
    ["Token", api.Token, "output"],
    ["TokenList", api.TokenList, "output"],
    ["TokenCreate", api.TokenCreate, "input"],
    ["ApiUser", api.ApiUser, "output"],
    ["ApiUserPage", api.ApiUserPage, "output"],
    ["ApiUserCreate", api.ApiUserCreate, "input"],
    ["ApiUserPatch", api.ApiUserPatch, "input"],
    ["SandboxStats", api.SandboxStats, "output"],
    ["SandboxFaults", api.SandboxFaults, "output"],
    ["SandboxFaultsInput", api.SandboxFaults, "input"],
    ["SandboxClock", api.SandboxClock, "output"],
    ["SandboxClockSet", api.SandboxClockSet, "input"],
    ["WhoAmI", api.WhoAmI, "output"],
  ];
  const deepEqualJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const DROP = new Set(["description", "examples", "example", "format", "discriminator", "$schema", "title"]);
  const normalize = (node: Json): Json => {
    if (Array.isArray(node)) return node.map(normalize);
    if (node === null || typeof node !== "object") return node;
    if (typeof node.$ref === "string") return normalize(resolveRef(doc, node.$ref));
    const out: Json = {};
    for (const [k, v] of Object.entries(node).sort(([a], [b]) => a.localeCompare(b))) {
      if (DROP.has(k)) continue;
      if (k === "maximum" && v === Number.MAX_SAFE_INTEGER) continue;
      if (k === "minimum" && v === Number.MIN_SAFE_INTEGER) continue;
      if (k === "propertyNames" && deepEqualJson(v, { type: "string" })) continue;
      out[k] = k === "required" ? [...(v as string[])].sort() : normalize(v);
    }
    return out;
  };
  it.each(pairs)("component %s matches its zod schema", (name, schema, io) => {
    const fromZod = normalize(z.toJSONSchema(schema, { io }));
    const fromDoc = normalize(doc.components.schemas[name]);
    expect(fromDoc).toEqual(fromZod);
  });
});

describe("sandbox against the contract", () => {
  const ids = { user: "", other: "", teamGrant: "", roleGrant: "", connGrant: "", token: "", secret: "" };
  const userPath = () => `${S}/api-users/${ids.user}`;

  beforeAll(() => {
    // A short body timeout: the 408 case below waits for it once per operation.
    sb = createSandbox({ apiKey: "test-admin-key", bodyTimeoutMs: BODY_TIMEOUT_MS });
  });

  it("serves the reference data", async () => {
    const teams = await exercise("GET", `${S}/teams`);
    expect((teams.body as Json).data.map((t: Json) => t.name)).toEqual([
      "Finance",
      "Sales",
      "Operations",
      "IT",
    ]);
    const roles = await exercise("GET", `${S}/roles`);
    expect((roles.body as Json).data.map((r: Json) => `${r.scope}:${r.name}`)).toEqual([
      "system:Administrator",
      "system:Contributor",
      "system:User",
      "connector:Reader",
      "connector:User",
      "connector:CustomListContributor",
      "connector:CustomListAdministrator",
    ]);
    const connectors = await exercise("GET", `${S}/connectors`);
    expect((connectors.body as Json).data.map((c: Json) => c.name)).toEqual([
      "GP Production",
      "Business Central",
      "Salesforce",
    ]);
  });

  it("creates, reads and lists API users", async () => {
    const body = { name: "Reporting bot", description: "nightly exports" };
    expect(requestBodyErrors("POST", `${S}/api-users`, body)).toEqual([]);
    const created = await exercise("POST", `${S}/api-users`, { body });
    expect(created.status).toBe(201);
    ids.user = (created.body as Json).id;
    expect(created.headers.get("location")).toBe(`${S}/api-users/${ids.user}`);
    ids.other = ((await exercise("POST", `${S}/api-users`, { body: { name: "Other" } })).body as Json).id;

    expect((await exercise("POST", `${S}/api-users`, { body: { name: "reporting BOT" } })).status).toBe(409);
    expect((await exercise("POST", `${S}/api-users`, { body: { name: "x", admin: true } })).status).toBe(422);
    expect((await exercise("POST", `${S}/api-users`, { raw: "{not json" })).status).toBe(400);

    expect((await exercise("GET", userPath())).status).toBe(200);
    expect((await exercise("GET", `${S}/api-users/usr_missing`)).status).toBe(404);
    expect((await exercise("GET", `${userPath()}?expand=everything`)).status).toBe(422);
    expect((await exercise("GET", `${S}/api-users?limit=0`)).status).toBe(422);
    expect((await exercise("GET", `${S}/api-users?limit=501`)).status).toBe(422);
    expect((await exercise("GET", `${S}/api-users?cursor=garbage`)).status).toBe(422);
  });

  it("creates, patches and deletes grants", async () => {
    const team = { type: "team", team_id: "team_finance" };
    const role = { type: "role", role_id: "role_contributor" };
    const conn = {
      type: "connector",
      connector_id: "con_gp_production",
      roles: ["Reader", "User"],
      companies: ["Fabrikam Inc"],
      lists: ["Customers", "Invoices"],
      actions: ["Email invoice"],
      details: ["Customer detail"],
    };
    for (const b of [team, role, conn])
      expect(requestBodyErrors("POST", `${S}/api-users/{userId}/grants`, b)).toEqual([]);
    ids.teamGrant = ((await exercise("POST", `${userPath()}/grants`, { body: team })).body as Json).id;
    ids.roleGrant = ((await exercise("POST", `${userPath()}/grants`, { body: role })).body as Json).id;
    const c = await exercise("POST", `${userPath()}/grants`, { body: conn });
    expect(c.status).toBe(201);
    ids.connGrant = (c.body as Json).id;

    expect((await exercise("POST", `${userPath()}/grants`, { body: team })).status).toBe(409);
    const bad = await exercise("POST", `${userPath()}/grants`, {
      body: {
        ...conn,
        connector_id: "con_business_central",
        companies: ["CRONUS USA", "Fabrikam Inc"],
        lists: [],
        actions: [],
        details: [],
      },
    });
    expect(bad.status).toBe(422);
    expect((bad.body as Json).error.details).toEqual([
      { path: "companies[1]", message: expect.stringContaining('"Fabrikam Inc"') },
    ]);
    expect((await exercise("POST", `${S}/api-users/usr_missing/grants`, { body: team })).status).toBe(404);

    const grants = await exercise("GET", `${userPath()}/grants`);
    expect((grants.body as Json).data.map((g: Json) => g.type)).toEqual(["team", "role", "connector"]);
    expect((await exercise("GET", `${S}/api-users/usr_missing/grants`)).status).toBe(404);

    const gPath = `${userPath()}/grants/${ids.connGrant}`;
    const patched = await exercise("PATCH", gPath, {
      body: { lists: ["Vendors"] },
      headers: { "if-match": '"1"' },
    });
    expect(patched.status).toBe(200);
    expect((patched.body as Json).version).toBe(2);
    expect(
      (await exercise("PATCH", gPath, { body: { lists: [] }, headers: { "if-match": '"1"' } })).status,
    ).toBe(412);
    expect(
      (await exercise("PATCH", `${userPath()}/grants/${ids.teamGrant}`, { body: { lists: [] } })).status,
    ).toBe(422);
    expect((await exercise("PATCH", `${userPath()}/grants/grt_missing`, { body: {} })).status).toBe(404);

    expect(
      (await exercise("DELETE", `${userPath()}/grants/${ids.roleGrant}`, { headers: { "if-match": '"9"' } }))
        .status,
    ).toBe(412);
    expect((await exercise("DELETE", `${userPath()}/grants/${ids.roleGrant}`)).status).toBe(204);
    expect((await exercise("DELETE", `${userPath()}/grants/${ids.roleGrant}`)).status).toBe(404);
  });

  it("creates, reads and deletes tokens", async () => {
    expect(requestBodyErrors("POST", `${S}/api-users/{userId}/tokens`, { name: "ci" })).toEqual([]);
    const t = await exercise("POST", `${userPath()}/tokens`, { body: { name: "ci" } });
    expect(t.status).toBe(201);
    ids.token = (t.body as Json).id;
    ids.secret = (t.body as Json).token_id;
    expect((t.body as Json).token_id).toMatch(/^pdk_[0-9A-Za-z]{40}$/);
    expect(t.headers.get("cache-control")).toBe("no-store");
    expect((await exercise("POST", `${userPath()}/tokens`, { body: { name: "CI" } })).status).toBe(409);
    expect((await exercise("POST", `${userPath()}/tokens`, { body: { name: "" } })).status).toBe(422);
    expect(
      (await exercise("POST", `${S}/api-users/usr_missing/tokens`, { body: { name: "x" } })).status,
    ).toBe(404);

    const list = await exercise("GET", `${userPath()}/tokens`);
    expect(list.text).not.toContain((t.body as Json).token_id);
    expect((await exercise("GET", `${S}/api-users/usr_missing/tokens`)).status).toBe(404);
    const one = await exercise("GET", `${userPath()}/tokens/${ids.token}`);
    expect((one.body as Json).token_id).toBe((t.body as Json).token_id);
    expect((await exercise("GET", `${userPath()}/tokens/tok_missing`)).status).toBe(404);

    const page = await exercise("GET", `${S}/api-users?expand=grants,tokens&limit=1`);
    expect((page.body as Json).data[0].tokens).toHaveLength(1);
    expect(page.text).not.toContain((t.body as Json).token_id);
    expect((await exercise("GET", `${userPath()}?expand=grants&expand=tokens`)).status).toBe(200);

    const t2 = ((await exercise("POST", `${userPath()}/tokens`, { body: { name: "temp" } })).body as Json).id;
    expect(
      (await exercise("DELETE", `${userPath()}/tokens/${t2}`, { headers: { "if-match": '"2"' } })).status,
    ).toBe(412);
    expect((await exercise("DELETE", `${userPath()}/tokens/${t2}`)).status).toBe(204);
    expect((await exercise("DELETE", `${userPath()}/tokens/${t2}`)).status).toBe(404);
  });

  it("answers who am I on the data API with a token, never the admin key", async () => {
    const me = await exercise("GET", "/api/v2/user", { key: ids.secret });
    expect(me.body).toEqual({ data: { api_user_id: ids.user, name: "Reporting bot" } });
    const meta = await call(sb, "GET", `${userPath()}/tokens/${ids.token}`);
    expect(meta.body.last_used_at).toEqual(expect.any(String));
    for (const key of [null, "test-admin-key", "pdk_unknown"]) {
      const denied = await exercise("GET", "/api/v2/user", { key });
      expect(denied.status).toBe(401);
      expect(denied.body.error.code).toBe("unauthorized");
    }
  });

  it("patches and deletes API users", async () => {
    const p = await exercise("PATCH", `${S}/api-users/${ids.other}`, {
      body: { description: "changed" },
      headers: { "if-match": '"1"' },
    });
    expect((p.body as Json).version).toBe(2);
    expect(
      (
        await exercise("PATCH", `${S}/api-users/${ids.other}`, {
          body: { name: "x" },
          headers: { "if-match": '"1"' },
        })
      ).status,
    ).toBe(412);
    expect(
      (await exercise("PATCH", `${S}/api-users/${ids.other}`, { body: { name: "REPORTING bot" } })).status,
    ).toBe(409);
    expect((await exercise("PATCH", `${S}/api-users/${ids.other}`, { body: { name: 5 } })).status).toBe(422);
    expect((await exercise("PATCH", `${S}/api-users/usr_missing`, { body: {} })).status).toBe(404);
    expect(
      (await exercise("DELETE", `${S}/api-users/${ids.other}`, { headers: { "if-match": '"1"' } })).status,
    ).toBe(412);
    expect(
      (await exercise("DELETE", `${S}/api-users/${ids.other}`, { headers: { "if-match": '"2"' } })).status,
    ).toBe(204);
    expect((await exercise("DELETE", `${S}/api-users/${ids.other}`)).status).toBe(404);
  });

  it("serves the sandbox hooks", async () => {
    const stats = await exercise("GET", "/__sandbox/stats");
    expect((stats.body as Json).total).toBeGreaterThan(0);
    expect((await exercise("GET", "/__sandbox/faults")).status).toBe(200);
    expect((await exercise("PUT", "/__sandbox/faults", { body: { latency_ms: 0 } })).status).toBe(200);
    expect((await exercise("PUT", "/__sandbox/faults", { body: { error_rate: 2 } })).status).toBe(422);
    expect((await exercise("POST", "/__sandbox/reset", { body: { data: "yes" } })).status).toBe(422);
    expect((await exercise("POST", "/__sandbox/reset")).status).toBe(204);
    const clock = await exercise("GET", "/__sandbox/clock");
    const later = new Date(Date.parse((clock.body as Json).now) + 3_600_000).toISOString();
    expect((await exercise("PUT", "/__sandbox/clock", { body: { advance_seconds: 0 } })).status).toBe(200);
    expect((await exercise("PUT", "/__sandbox/clock", { body: { now: later } })).body).toEqual({
      now: later,
    });
    for (const body of [{ advance_seconds: -1 }, { now: "2000-01-01T00:00:00Z" }, { now: "soon" }, {}]) {
      expect((await exercise("PUT", "/__sandbox/clock", { body })).status).toBe(422);
    }
    for (const [m, p] of [
      ["GET", "/__sandbox/stats"],
      ["GET", "/__sandbox/faults"],
      ["PUT", "/__sandbox/faults"],
      ["POST", "/__sandbox/reset"],
      ["GET", "/__sandbox/clock"],
      ["PUT", "/__sandbox/clock"],
    ] as const) {
      expect((await exercise(m, p, { key: null, ...(m === "GET" ? {} : { body: {} }) })).status).toBe(401);
    }
  });

  it("answers 401, 429, 500 and 503 on every API operation", async () => {
    const concrete = (template: string) =>
      template
        .replace("{userId}", ids.user)
        .replace("{grantId}", ids.connGrant)
        .replace("{tokenId}", ids.token);
    for (const [template, item] of Object.entries(doc.paths as Record<string, Json>)) {
      if (!template.startsWith("/api/v1/") && !template.startsWith("/api/v2/")) continue;
      for (const m of METHODS) {
        if (!item[m]) continue;
        const method = m.toUpperCase();
        const path = concrete(template);
        const body = m === "post" || m === "patch" ? {} : undefined;
        // The data API (/api/v2) takes a token, the admin API the admin key.
        const key = template.startsWith("/api/v2/") ? { key: ids.secret } : {};
        const opts = { ...(body === undefined ? {} : { body }), ...key };

        expect((await exercise(method, path, { ...opts, key: null })).status).toBe(401);
        expect((await exercise(method, path, { ...opts, key: "wrong" })).status).toBe(401);

        sb.setFaults({ rate_limit_rps: 0.001 });
        await call(sb, "GET", `${S}/teams`); // takes the only token of the bucket
        const limited = await exercise(method, path, opts);
        expect(limited.status).toBe(429);
        expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);

        sb.setFaults({ error_rate: 1, seed: 7 });
        const seen = new Set<number>();
        for (let i = 0; i < 50 && seen.size < 2; i++) seen.add((await exercise(method, path, opts)).status);
        expect([...seen].sort()).toEqual([500, 503]);
        sb.setFaults({});
      }
    }
    // The injected errors did no work: the fixtures are all still there.
    expect((await call(sb, "GET", `${userPath()}/tokens/${ids.token}`)).status).toBe(200);
    expect((await call(sb, "GET", `${userPath()}/grants`)).body.data).toHaveLength(2);
  });

  it("answers 400, 408 and 415 on every operation that takes a body", async () => {
    const concrete = (template: string) =>
      template
        .replace("{userId}", ids.user)
        .replace("{grantId}", ids.connGrant)
        .replace("{tokenId}", ids.token);
    const deep = `${"[".repeat(10_000)}${"]".repeat(10_000)}`;
    let operations = 0;
    for (const [template, item] of Object.entries(doc.paths as Record<string, Json>)) {
      for (const m of METHODS) {
        if (!item[m]?.requestBody) continue;
        operations++;
        const method = m.toUpperCase();
        const path = concrete(template);
        expect((await exercise(method, path, { raw: "{" })).status).toBe(400);
        expect((await exercise(method, path, { raw: deep })).status).toBe(400);
        const typed = await exercise(method, path, { raw: "{}", headers: { "content-type": "text/plain" } });
        expect(typed.status).toBe(415);
        expect((await exercise(method, path, { stream: stalledBody() })).status).toBe(408);
        // The key is still checked first.
        expect((await exercise(method, path, { raw: "{", key: null })).status).toBe(401);
      }
    }
    expect(operations).toBe(8);
  });

  it("deletes a user with its grants and tokens", async () => {
    expect((await exercise("DELETE", userPath())).status).toBe(204);
    expect((await exercise("GET", `${userPath()}/grants`)).status).toBe(404);
    expect((await exercise("GET", `${userPath()}/tokens/${ids.token}`)).status).toBe(404);
    expect(sb.store.snapshot().grants).toHaveLength(0);
    expect(sb.store.snapshot().tokens).toHaveLength(0);
  });

  it("answers unknown routes 404 and wrong methods 405 with the error body", async () => {
    const errorSchema = { $ref: "#/components/schemas/Error" };
    const nf = await call(sb, "GET", "/api/v1/security/nothing");
    expect(nf.status).toBe(404);
    expect(validate(errorSchema, nf.body, doc)).toEqual([]);
    const na = await call(sb, "PUT", `${S}/teams`, { body: {} });
    expect(na.status).toBe(405);
    expect(na.headers.get("allow")).toBe("GET");
    expect(validate(errorSchema, na.body, doc)).toEqual([]);
    const documented405 = deref(doc.components.responses.MethodNotAllowed);
    expect(validate(documented405.content["application/json"].schema, na.body, doc)).toEqual([]);
    for (const header of Object.keys(documented405.headers)) expect(na.headers.get(header)).not.toBeNull();
    expect((await call(sb, "GET", "/api/v1/security/nothing", { key: null })).status).toBe(401);
  });

  it("exercised every documented path, method and status", () => {
    const missing = [...documented].filter((k) => !exercised.has(k));
    expect(missing).toEqual([]);
  });
});
