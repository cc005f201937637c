import { describe, expect, it } from "vitest";
import { loadStore } from "../../provider/sandbox/persistence.js";
import { startSandboxProcess } from "../helpers/sandbox-process.js";
import { tempDir } from "../helpers/tmp.js";
import type { Json } from "./call.js";

const S = "/api/v1/security";

function client(url: string, key: string) {
  return async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text === "" ? undefined : (JSON.parse(text) as Json) };
  };
}

describe("data directory with the real process", () => {
  it("keeps users, grants, tokens and cursors across a restart", async () => {
    const dir = tempDir("popdock-restart-");
    const first = await startSandboxProcess({ apiKey: "k", args: ["--data", dir] });
    let userId: string;
    let tokenId: string;
    let credential: string;
    let cursor: string;
    try {
      const api = client(first.url, "k");
      const user = await api("POST", `${S}/api-users`, { name: "persisted" });
      userId = user.body.id;
      await api("POST", `${S}/api-users`, { name: "second" });
      await api("POST", `${S}/api-users/${userId}/grants`, { type: "team", team_id: "team_finance" });
      const token = await api("POST", `${S}/api-users/${userId}/tokens`, { name: "ci" });
      tokenId = token.body.id;
      credential = token.body.token_id;
      cursor = (await api("GET", `${S}/api-users?limit=1`)).body.next_cursor;
    } finally {
      expect(await first.stop()).toBe(0);
    }
    const second = await startSandboxProcess({ apiKey: "k", args: ["--data", dir] });
    try {
      const api = client(second.url, "k");
      const user = await api("GET", `${S}/api-users/${userId}?expand=grants,tokens`);
      expect(user.status).toBe(200);
      expect(user.body.grants.map((g: Json) => g.team_id)).toEqual(["team_finance"]);
      expect((await api("GET", `${S}/api-users/${userId}/tokens/${tokenId}`)).body.token_id).toBe(credential);
      const next = await api("GET", `${S}/api-users?limit=1&cursor=${cursor}`);
      expect(next.body.data.map((u: Json) => u.name)).toEqual(["second"]);
      expect((await api("POST", `${S}/api-users`, { name: "PERSISTED" })).status).toBe(409);
    } finally {
      expect(await second.stop()).toBe(0);
    }
  });

  it("survives kill -9 during writes: the store always loads and keeps every acknowledged create", async () => {
    const dir = tempDir("popdock-crash-");
    const acknowledged = new Set<string>();
    const seenIds = new Set<string>();
    let counter = 0;
    for (let round = 0; round < 4; round++) {
      const sb = await startSandboxProcess({ apiKey: "k", args: ["--data", dir] });
      const api = client(sb.url, "k");
      // Kill once this round has had `wanted` creates acknowledged (a condition, not a delay: on
      // a loaded machine a fixed sleep could end before the first create was written), while
      // the workers are still writing. More each round, to kill at different points.
      const wanted = 6 + round * 4;
      let ackedThisRound = 0;
      let reached = () => {};
      const enough = new Promise<void>((resolve) => {
        reached = resolve;
      });
      let stop = false;
      const worker = async () => {
        while (!stop) {
          const name = `bot-${counter++}`;
          try {
            const res = await api("POST", `${S}/api-users`, { name, description: "x".repeat(200) });
            if (res.status === 201) {
              acknowledged.add(name);
              if (++ackedThisRound === wanted) reached();
            }
          } catch {
            return; // the server is gone
          }
        }
      };
      const workers = Array.from({ length: 8 }, worker);
      const allStopped = Promise.all(workers).then(() => {
        throw new Error(`round ${round}: every worker stopped after ${ackedThisRound} of ${wanted} creates`);
      });
      await Promise.race([enough, allStopped]);
      allStopped.catch(() => {}); // ends when the process is killed below; not a failure then
      expect(await sb.stop("SIGKILL")).toBeNull();
      stop = true;
      await Promise.all(workers);

      const state = loadStore(dir);
      expect(state, `round ${round}: the store must exist`).toBeDefined();
      const names = new Set(state?.users.map((u) => u.name));
      for (const name of acknowledged)
        expect(names.has(name), `acknowledged ${name} lost in round ${round}`).toBe(true);
      for (const u of state?.users ?? []) seenIds.add(u.id);
      expect(state?.users.length).toBe(new Set(state?.users.map((u) => u.id)).size);
    }
    expect(acknowledged.size).toBeGreaterThanOrEqual(6 + 10 + 14 + 18);
    expect(seenIds.size).toBeGreaterThanOrEqual(acknowledged.size);
  }, 60_000);
});
