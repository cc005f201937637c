import { describe, expect, it } from "vitest";
import { HttpError } from "../http-error.js";
import { type Ctx, newContext } from "../pipeline.js";
import { auth, isDataPath, keyDigest } from "./auth.js";

const ADMIN = "admin-key";
const TOKEN = "pdk_secret";
const caller = { userId: "usr_1", tokenId: "tok_1" };
const step = auth(keyDigest(ADMIN).digest, (secret) => (secret === TOKEN ? caller : undefined));

function ctxFor(path: string, key?: string): Ctx {
  const url = new URL(`http://x${path}`);
  const req = new Request(url, key === undefined ? {} : { headers: { authorization: `Bearer ${key}` } });
  return newContext(req, url, "GET");
}

async function run(path: string, key?: string): Promise<{ status: number; message?: string; ctx: Ctx }> {
  const ctx = ctxFor(path, key);
  try {
    const res = await step(ctx, async () => new Response(null, { status: 204 }));
    return { status: res.status, ctx };
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    expect(err.headers["www-authenticate"]).toBe('Bearer realm="popdock"');
    return { status: err.status, message: err.message, ctx };
  }
}

describe("auth", () => {
  it("tells the data API from the rest", () => {
    expect(isDataPath("/api/v2")).toBe(true);
    expect(isDataPath("/api/v2/user")).toBe(true);
    expect(isDataPath("/api/v20/user")).toBe(false);
    expect(isDataPath("/api/v1/security/teams")).toBe(false);
  });

  it("takes the admin key, and only it, outside the data API", async () => {
    expect((await run("/api/v1/security/teams", ADMIN)).status).toBe(204);
    expect((await run("/__sandbox/clock", ADMIN)).status).toBe(204);
    expect((await run("/api/v1/security/teams", TOKEN)).status).toBe(401);
    expect((await run("/api/v1/security/teams")).status).toBe(401);
  });

  it("takes a token, and never the admin key, on the data API; sets the caller", async () => {
    const ok = await run("/api/v2/user", TOKEN);
    expect(ok.status).toBe(204);
    expect(ok.ctx.caller).toEqual(caller);
    expect(await run("/api/v2/user", ADMIN)).toMatchObject({
      status: 401,
      message: /admin API key is not accepted/,
    });
    expect(await run("/api/v2/user", "pdk_other")).toMatchObject({
      status: 401,
      message: /unknown or deleted/,
    });
    expect(await run("/api/v2/user")).toMatchObject({ status: 401, message: /missing Authorization/ });
    // Unknown data paths are authenticated the same way, before routing.
    expect((await run("/api/v2/nothing", ADMIN)).status).toBe(401);
  });
});
