import { describe, expect, it } from "vitest";
import { HttpError } from "./http-error.js";
import { parseIfMatch } from "./if-match.js";
import { decodeCursor, encodeCursor, fingerprint, generateTokenId } from "./keys.js";
import { DEFAULT_SEED } from "./seed.js";
import { StoreState } from "./state.js";
import { foldName, SandboxStore } from "./store.js";

const store = () => new SandboxStore({ seed: DEFAULT_SEED, now: () => new Date("2025-02-03T04:05:06Z") });

function thrown(fn: () => unknown): HttpError {
  try {
    fn();
  } catch (err) {
    if (err instanceof HttpError) return err;
    throw err;
  }
  throw new Error("expected an HttpError");
}

describe("store helpers", () => {
  it("round-trips cursors and refuses foreign ones", () => {
    expect(decodeCursor(encodeCursor(42))).toBe(42);
    for (const bad of ["", "abc", Buffer.from('{"v":2,"after":1}').toString("base64url"), encodeCursor(-1)]) {
      expect(thrown(() => decodeCursor(bad)).status).toBe(422);
    }
  });

  it("parses If-Match forms", () => {
    expect(parseIfMatch(null)).toBeUndefined();
    expect(parseIfMatch('"3"')?.matches(3)).toBe(true);
    expect(parseIfMatch('"3"')?.matches(4)).toBe(false);
    expect(parseIfMatch('W/"7"')?.matches(7)).toBe(true);
    expect(parseIfMatch("5")?.matches(5)).toBe(true);
    expect(parseIfMatch("*")?.matches(99)).toBe(true);
    expect(parseIfMatch('"1", "2"')?.matches(2)).toBe(true);
    expect(parseIfMatch("banana")?.matches(1)).toBe(false);
  });

  it("generates pdk_ tokens of 40 base62 characters, all different", () => {
    const ids = new Set(Array.from({ length: 200 }, generateTokenId));
    expect(ids.size).toBe(200);
    for (const id of ids) expect(id).toMatch(/^pdk_[0-9A-Za-z]{40}$/);
  });

  it("fingerprints JSON independent of key order, and folds names", () => {
    expect(fingerprint({ a: 1, b: [1, { c: 2, d: 3 }] })).toBe(fingerprint({ b: [1, { d: 3, c: 2 }], a: 1 }));
    expect(fingerprint({ a: 1 })).not.toBe(fingerprint({ a: 2 }));
    expect(foldName("ReportING Bot")).toBe(foldName("reporting bot"));
  });
});

describe("SandboxStore", () => {
  it("restores a snapshot exactly, with sequence numbers continuing", () => {
    const s = store();
    const u = s.createUser({ name: "a" });
    s.createGrant(u.id, { type: "team", team_id: "team_it" });
    const t = s.createToken(u.id, { name: "t" });
    s.putIdempotent({ scope: "x", key: "k", fingerprint: "f", status: 201, headers: {}, body: "{}" });
    const snap = StoreState.parse(JSON.parse(JSON.stringify(s.snapshot())));
    const r = new SandboxStore({ seed: DEFAULT_SEED, state: snap });
    expect(r.snapshot()).toEqual(s.snapshot());
    expect(r.getToken(u.id, t.id).token_id).toBe(t.token_id);
    const v = r.createUser({ name: "b" });
    expect(r.listUsers().data.map((x) => x.id)).toEqual([u.id, v.id]);
    expect(r.snapshot().seq).toBe(snap.seq + 1);
  });

  it("deletes a user's grants and tokens with it", () => {
    const s = store();
    const u = s.createUser({ name: "a" });
    const keep = s.createUser({ name: "b" });
    s.createGrant(u.id, { type: "role", role_id: "role_administrator" });
    s.createGrant(keep.id, { type: "role", role_id: "role_administrator" });
    s.createToken(u.id, { name: "t" });
    s.deleteUser(u.id);
    const snap = s.snapshot();
    expect(snap.grants.map((g) => g.api_user_id)).toEqual([keep.id]);
    expect(snap.tokens).toEqual([]);
    expect(thrown(() => s.listGrants(u.id)).status).toBe(404);
  });

  it("names every unknown scope item in the 422 details", () => {
    const s = store();
    const u = s.createUser({ name: "a" });
    const err = thrown(() =>
      s.createGrant(u.id, {
        type: "connector",
        connector_id: "con_gp_production",
        roles: ["Reader", "Owner"],
        companies: ["Fabrikam Inc", "Globex"],
        lists: ["Customers"],
        actions: ["Print"],
        details: [],
      }),
    );
    expect(err.status).toBe(422);
    expect(err.details?.map((d) => d.path)).toEqual(["roles[1]", "companies[1]", "actions[0]"]);
    expect(err.details?.[1]?.message).toContain('"Globex"');
    expect(err.details?.[1]?.message).toContain("GP Production");
  });

  it("refuses to patch team and role grants, and keeps the version for a no-op patch", () => {
    const s = store();
    const u = s.createUser({ name: "a" });
    const team = s.createGrant(u.id, { type: "team", team_id: "team_sales" });
    expect(thrown(() => s.updateGrant(u.id, team.id, { lists: [] })).status).toBe(422);
    const c = s.createGrant(u.id, {
      type: "connector",
      connector_id: "con_salesforce",
      roles: [],
      companies: [],
      lists: ["Accounts"],
      actions: [],
      details: [],
    });
    expect(s.updateGrant(u.id, c.id, { lists: ["Accounts"] }).version).toBe(1);
    expect(s.updateGrant(u.id, c.id, { lists: ["Contacts"] }).version).toBe(2);
    expect(thrown(() => s.updateGrant(u.id, c.id, { lists: ["Nope"] })).status).toBe(422);
  });

  it("stamps timestamps from the clock", () => {
    const u = store().createUser({ name: "a" });
    expect(u.created_at).toBe("2025-02-03T04:05:06.000Z");
    expect(u.updated_at).toBe(u.created_at);
  });
});

describe("token use and the clock", () => {
  const withToken = () => {
    const s = store();
    const user = s.createUser({ name: "bot" });
    const token = s.createToken(user.id, { name: "ci" });
    return { s, user, token };
  };

  it("finds a token by its Token ID only", () => {
    const { s, user, token } = withToken();
    expect(s.tokenBySecret(token.token_id)).toEqual({ userId: user.id, tokenId: token.id });
    expect(s.tokenBySecret(token.id)).toBeUndefined();
    expect(s.tokenBySecret(`${token.token_id}x`)).toBeUndefined();
    expect(s.tokenBySecret("")).toBeUndefined();
  });

  it("records a use at the sandbox time without bumping the version, as a change to persist", () => {
    const { s, user, token } = withToken();
    s.advanceClock(30);
    const before = s.revision;
    expect(s.useToken({ userId: user.id, tokenId: token.id })).toEqual({ api_user_id: user.id, name: "bot" });
    expect(s.revision).toBe(before + 1);
    const meta = s.getToken(user.id, token.id);
    expect(meta.last_used_at).toBe("2025-02-03T04:05:36.000Z");
    expect(meta.version).toBe(1);
  });

  it("answers 401 for a use of a token deleted since it authenticated", () => {
    const { s, user, token } = withToken();
    s.deleteToken(user.id, token.id);
    const err = thrown(() => s.useToken({ userId: user.id, tokenId: token.id }));
    expect([err.status, err.code]).toEqual([401, "unauthorized"]);
  });

  it("moves the clock forward only, and every new timestamp follows it", () => {
    const s = store();
    expect(s.setClock(new Date("2026-01-01T00:00:00Z")).toISOString()).toBe("2026-01-01T00:00:00.000Z");
    const err = thrown(() => s.setClock(new Date("2025-12-31T23:59:59Z")));
    expect(err.status).toBe(422);
    expect(err.details?.[0]?.path).toBe("now");
    s.advanceClock(60);
    expect(s.createUser({ name: "later" }).created_at).toBe("2026-01-01T00:01:00.000Z");
  });

  it("snapshots the clock offset (only when moved), restores it, and keeps it on a data reset", () => {
    const s = store();
    expect(s.snapshot()).not.toHaveProperty("clock_offset_ms");
    s.advanceClock(10);
    expect(s.snapshot().clock_offset_ms).toBe(10_000);
    expect(StoreState.safeParse(s.snapshot()).success).toBe(true);
    s.resetData();
    expect(s.snapshot().clock_offset_ms).toBe(10_000);
    const restored = new SandboxStore({
      seed: DEFAULT_SEED,
      now: () => new Date("2025-02-03T04:05:06Z"),
      state: s.snapshot(),
    });
    expect(restored.clock.now().toISOString()).toBe("2025-02-03T04:05:16.000Z");
  });
});

describe("indexes (issue 9: a sandbox that scales)", () => {
  it("finds name clashes by the folded name after renames and deletes", () => {
    const s = store();
    const a = s.createUser({ name: "Alpha" });
    const b = s.createUser({ name: "Beta" });
    expect(thrown(() => s.createUser({ name: "alpha" })).status).toBe(409);
    s.updateUser(a.id, { name: "Gamma" });
    expect(s.createUser({ name: "ALPHA" }).name).toBe("ALPHA");
    expect(thrown(() => s.createUser({ name: "gamma" })).status).toBe(409);
    expect(thrown(() => s.updateUser(b.id, { name: "GAMMA" })).status).toBe(409);
    expect(s.updateUser(a.id, { name: "gAmmA" }).name).toBe("gAmmA"); // its own name, another case
    s.deleteUser(b.id);
    expect(s.createUser({ name: "beta" }).name).toBe("beta");
  });

  it("pages from the cursor's position, skipping deleted users, in creation order", () => {
    const s = store();
    const ids = Array.from({ length: 25 }, (_, i) => s.createUser({ name: `u${i}` }).id);
    for (const i of [0, 3, 4, 10, 24]) s.deleteUser(ids[i] as string);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let n = 0; n < 10; n++) {
      const page = s.listUsers({ limit: 4, ...(cursor === undefined ? {} : { cursor }) });
      seen.push(...page.data.map((u) => u.name));
      if (page.next_cursor === null) break;
      cursor = page.next_cursor;
      // a user deleted right after its page was served does not disturb the next page
      if (n === 1) s.deleteUser(ids[7] as string);
    }
    const expected = ids
      .map((_, i) => i)
      .filter((i) => ![0, 3, 4, 10, 24].includes(i))
      .map((i) => `u${i}`);
    expect(seen).toEqual(expected);
    expect(s.listUsers({ limit: 100 }).data).toHaveLength(19);
  });

  it("drops expired idempotency records on the next put, and only those", () => {
    let now = Date.parse("2025-02-03T00:00:00Z");
    const s = new SandboxStore({ seed: DEFAULT_SEED, now: () => new Date(now) });
    const rec = (key: string) => ({
      scope: "s",
      key,
      fingerprint: "f",
      status: 201,
      headers: {},
      body: null,
    });
    s.putIdempotent(rec("old"));
    now += 12 * 3600_000;
    s.putIdempotent(rec("mid"));
    now += 12 * 3600_000; // "old" is exactly 24 h old now
    s.putIdempotent(rec("new"));
    const keys = s.snapshot().idempotency.map((r) => r.key);
    expect(keys).toEqual(["mid", "new"]);
    // a key put again moves to the end (its new creation time)
    s.putIdempotent(rec("mid"));
    expect(s.snapshot().idempotency.map((r) => r.key)).toEqual(["new", "mid"]);
  });

  it("keeps the indexes through a snapshot round trip", () => {
    const s = store();
    s.seedUsers(3, "x");
    const restored = new SandboxStore({ seed: DEFAULT_SEED, state: StoreState.parse(s.snapshot()) });
    expect(thrown(() => restored.createUser({ name: "X-1" })).status).toBe(409);
    expect(restored.listUsers({ limit: 2 }).next_cursor).not.toBeNull();
  });
});

describe("seedUsers (bulk seed without HTTP)", () => {
  it("adds users with three grants and two tokens each, readable through the API operations", () => {
    const s = store();
    const ids = s.seedUsers(4, "bench");
    expect(ids).toHaveLength(4);
    const page = s.listUsers({ limit: 10, expand: ["grants", "tokens"] });
    expect(page.data.map((u) => u.name)).toEqual(["bench-0", "bench-1", "bench-2", "bench-3"]);
    for (const u of page.data) {
      expect(u.grants?.map((g) => g.type)).toEqual(["team", "role", "connector"]);
      expect(u.tokens?.map((t) => t.name)).toEqual(["a", "b"]);
    }
    // the API sees the same clashes as for users it created
    expect(thrown(() => s.createUser({ name: "BENCH-2" })).status).toBe(409);
    expect(thrown(() => s.createToken(ids[0] as string, { name: "A" })).status).toBe(409);
  });

  it("refuses a name already taken before adding anything", () => {
    const s = store();
    s.createUser({ name: "seed-1" });
    expect(thrown(() => s.seedUsers(3)).status).toBe(409);
    expect(s.userCount).toBe(1);
    expect(s.seedUsers(2, "seed", 2)).toHaveLength(2);
    expect(s.userCount).toBe(3);
  });
});
