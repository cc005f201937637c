import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../test/helpers/tmp.js";
import { createSandbox } from "./index.js";
import { loadStore, Persister, STORE_FILE, StoreFileError } from "./persistence.js";
import { emptyState, StoreState } from "./state.js";

const fresh = () => tempDir("popdock-persist-");
const auth = { authorization: "Bearer k" };
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  new Request(`http://x/api/v1/security${path}`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

describe("persistence", () => {
  it("writes each change before answering and restores it on restart", async () => {
    const dir = fresh();
    const a = createSandbox({ apiKey: "k", dataDir: dir });
    const user = (await (
      await a.handle(post("/api-users", { name: "kept" }, { "idempotency-key": "i1" }))
    ).json()) as {
      id: string;
    };
    // No flush: the response came after the write.
    const onDisk = StoreState.parse(JSON.parse(readFileSync(join(dir, STORE_FILE), "utf8")));
    expect(onDisk.users.map((u) => u.name)).toEqual(["kept"]);
    await a.handle(post(`/api-users/${user.id}/tokens`, { name: "t" }));
    await a.handle(post(`/api-users/${user.id}/grants`, { type: "team", team_id: "team_it" }));

    const b = createSandbox({ apiKey: "k", dataDir: dir });
    expect(b.store.snapshot()).toEqual(a.store.snapshot());
    // The idempotency record survived too.
    const replay = await b.handle(post("/api-users", { name: "kept" }, { "idempotency-key": "i1" }));
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    // Reset with data is persisted.
    await b.handle(new Request("http://x/__sandbox/reset?data=true", { method: "POST", headers: auth }));
    expect(createSandbox({ apiKey: "k", dataDir: dir }).store.userCount).toBe(0);
  });

  it("does not write for reads or failed requests", async () => {
    const dir = fresh();
    const sb = createSandbox({ apiKey: "k", dataDir: dir });
    await sb.handle(new Request("http://x/api/v1/security/api-users", { headers: auth }));
    await sb.handle(post("/api-users", { nope: 1 }));
    await sb.flush();
    expect(existsSync(join(dir, STORE_FILE))).toBe(false);
  });

  it("coalesces concurrent saves and ends with the latest state", async () => {
    const dir = fresh();
    const state = emptyState();
    const p = new Persister(dir, () => state);
    const saves: Promise<void>[] = [];
    for (let i = 1; i <= 50; i++) {
      state.seq = i;
      saves.push(p.save());
    }
    await Promise.all(saves);
    expect(new Set(saves).size).toBeLessThanOrEqual(2);
    expect(loadStore(dir)?.seq).toBe(50);
    expect(readdirSync(dir)).toEqual([STORE_FILE]);
  });

  it("refuses a corrupt or foreign store file and removes stale temp files", () => {
    const dir = fresh();
    writeFileSync(join(dir, `${STORE_FILE}.123.4.tmp`), "{half");
    expect(loadStore(dir)).toBeUndefined();
    expect(readdirSync(dir)).toEqual([]);
    writeFileSync(join(dir, STORE_FILE), "{half");
    expect(() => loadStore(dir)).toThrow(StoreFileError);
    writeFileSync(join(dir, STORE_FILE), JSON.stringify({ format: 2 }));
    expect(() => createSandbox({ apiKey: "k", dataDir: dir })).toThrow(/is not a sandbox store/);
  });
});
