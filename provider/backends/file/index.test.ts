import { copyFile, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { StateFile, StateResource } from "../../../schema/state.js";
import { tempDir } from "../../../test/helpers/tmp.js";
import { UsageError } from "../../model/errors.js";
import { emptyState, StateConflictError, StateInvalidError, StateSecretError } from "../state-codec.js";
import { LocalBackend } from "./index.js";
import { StateLockedError } from "./lock.js";

const user = (id: string): StateResource => ({
  type: "popdock_api_user",
  id,
  version: 1,
  attributes: { name: id },
  dependencies: [],
});

const opened: LocalBackend[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((b) => b.close()));
});

function backend(dir = tempDir("popdock-local-"), workspace?: string): LocalBackend {
  const b = new LocalBackend({
    path: join(dir, ".popdock", "state.json"),
    ...(workspace === undefined ? {} : { workspace }),
  });
  opened.push(b);
  return b;
}

async function seeded(b: LocalBackend): Promise<{ state: StateFile; serial: number }> {
  const state = { ...emptyState("local"), serial: 1, resources: { "popdock_api_user.a": user("usr_a") } };
  const serial = await b.write(state, -1);
  return { state, serial };
}

describe("LocalBackend", () => {
  it("load() of a missing state is undefined and creates nothing", async () => {
    const dir = tempDir("popdock-local-");
    expect(await backend(dir).load()).toBeUndefined();
    expect(await readdir(dir)).toEqual([]);
  });

  it("write() is a compare-and-swap on the serial", async () => {
    const b = backend();
    const { state, serial } = await seeded(b);
    expect(serial).toBe(1);
    await expect(b.write(state, -1)).rejects.toBeInstanceOf(StateConflictError);
    await expect(b.write(state, 0)).rejects.toThrow(/at serial 1, not 0/);
    // Another process (another object) that read serial 1 wins; this one's next write loses.
    expect(await backend(join(b.path, "..", "..")).write(state, 1)).toBe(2);
    await expect(b.write(state, 1)).rejects.toBeInstanceOf(StateConflictError);
    expect((await b.load())?.serial).toBe(2);
    // A state ahead of the stored one (pushed, migrated) keeps its serial.
    expect(await b.write({ ...state, serial: 9 }, 2)).toBe(9);
  });

  it("compares serials of a snapshot edited by hand (fields in another order) too", async () => {
    const b = backend();
    const { state } = await seeded(b);
    const { serial, lineage, ...rest } = JSON.parse(await readFile(b.path, "utf8")) as StateFile;
    await writeFile(b.path, JSON.stringify({ serial, ...rest, lineage }));
    await expect(backend(join(b.path, "..", "..")).write(state, 0)).rejects.toThrow(/at serial 1, not 0/);
    expect(await backend(join(b.path, "..", "..")).write(state, 1)).toBe(2);
  });

  it("append() records deltas that load() replays, one serial per record", async () => {
    const b = backend();
    const { serial } = await seeded(b);
    const s2 = await b.append(
      [{ op: "put", address: "popdock_api_user.b", resource: user("usr_b") }],
      serial,
    );
    const s3 = await b.append(
      [
        { op: "remove", address: "popdock_api_user.a" },
        {
          op: "pending",
          step: {
            address: "popdock_api_user.c",
            action: "create",
            type: "popdock_api_user",
            started_at: "t",
          },
        },
      ],
      s2,
    );
    expect([s2, s3]).toEqual([2, 3]);
    await expect(b.append([], 2)).rejects.toBeInstanceOf(StateConflictError);
    const loaded = await backend(join(b.path, "..", "..")).load();
    expect(loaded?.serial).toBe(3);
    expect(Object.keys(loaded?.resources ?? {})).toEqual(["popdock_api_user.b"]);
    expect(loaded?.pending.map((p) => p.address)).toEqual(["popdock_api_user.c"]);
    // The snapshot itself is untouched until the next write, which empties the journal.
    expect(JSON.parse(await readFile(b.path, "utf8")).serial).toBe(1);
    if (loaded === undefined) throw new Error("no state");
    expect(await b.write(loaded, 3)).toBe(4);
    expect(await readFile(b.journalPath, "utf8")).toBe("");
    expect((await b.load())?.resources).toEqual(loaded.resources);
  });

  it("ignores a torn last record, and cuts it off before the next append", async () => {
    const b = backend();
    const { serial } = await seeded(b);
    await b.append([{ op: "put", address: "popdock_api_user.b", resource: user("usr_b") }], serial);
    await b.close();
    await writeFile(b.journalPath, `${await readFile(b.journalPath, "utf8")}{"serial":3,"line`);
    const reader = backend(join(b.path, "..", ".."));
    const loaded = await reader.load();
    expect(loaded?.serial).toBe(2);
    expect(Object.keys(loaded?.resources ?? {}).sort()).toEqual(["popdock_api_user.a", "popdock_api_user.b"]);
    await reader.append([{ op: "remove", address: "popdock_api_user.a" }], 2);
    expect((await readFile(b.journalPath, "utf8")).split("\n")).toHaveLength(3); // two records and ""
    expect(Object.keys((await backend(join(b.path, "..", "..")).load())?.resources ?? {})).toEqual([
      "popdock_api_user.b",
    ]);
  });

  it("skips records the snapshot already holds (a kill between the snapshot and emptying the journal)", async () => {
    const b = backend();
    const { state, serial } = await seeded(b);
    await b.append([{ op: "remove", address: "popdock_api_user.a" }], serial);
    const saved = join(b.path, "..", "journal.saved");
    await copyFile(b.journalPath, saved);
    const now = (await b.load()) as StateFile;
    now.resources["popdock_api_user.a"] = user("usr_a2"); // re-added after the remove
    expect(await b.write(now, 2)).toBe(3);
    await b.close();
    await copyFile(saved, b.journalPath); // as if the kill came before the journal was emptied
    const loaded = await backend(join(b.path, "..", "..")).load();
    expect(loaded?.serial).toBe(3);
    expect(loaded?.resources["popdock_api_user.a"]?.id).toBe("usr_a2");
    expect(state.lineage).toBe(loaded?.lineage);
  });

  it("ignores records of another lineage and refuses a gap", async () => {
    const b = backend();
    const { serial } = await seeded(b);
    await b.close();
    const other = JSON.stringify({
      serial: 2,
      lineage: "00000000-0000-4000-8000-000000000000",
      deltas: [{ op: "remove", address: "popdock_api_user.a" }],
    });
    await writeFile(b.journalPath, `${other}\n`);
    expect(Object.keys((await b.load())?.resources ?? {})).toEqual(["popdock_api_user.a"]);
    const lineage = (await b.load())?.lineage;
    await writeFile(b.journalPath, `${JSON.stringify({ serial: serial + 2, lineage, deltas: [] })}\n`);
    await expect(b.load()).rejects.toBeInstanceOf(StateInvalidError);
  });

  it("refuses a delta holding a token ID and writes nothing of it", async () => {
    const b = backend();
    const { serial } = await seeded(b);
    const leaky = { ...user("tok_a"), attributes: { token_id: "secret-value" } };
    await expect(b.append([{ op: "put", address: "x", resource: leaky }], serial)).rejects.toBeInstanceOf(
      StateSecretError,
    );
    const journal = await readFile(b.journalPath, "utf8").catch(() => "");
    expect(journal).not.toContain("secret-value");
    expect((await b.load())?.serial).toBe(serial);
  });

  it("keeps workspaces apart; default stays at .popdock/state.json", async () => {
    const dir = tempDir("popdock-local-");
    const b = backend(dir);
    await seeded(b);
    const prod = b.forWorkspace("prod");
    expect(prod.path).toBe(join(dir, ".popdock", "workspaces", "prod", "state.json"));
    expect(prod.identity()).toEqual({ kind: "local", location: b.path, workspace: "prod" });
    expect(await prod.load()).toBeUndefined();
    await seeded(prod);
    await prod.forWorkspace("empty").write(emptyState(), -1);
    expect(await b.listWorkspaces()).toEqual(["default", "empty", "prod"]);
    await expect(b.deleteWorkspace("default", { force: true })).rejects.toBeInstanceOf(UsageError);
    await expect(b.deleteWorkspace("prod", { force: false })).rejects.toThrow(
      /not empty: its state has 1 object/,
    );
    await b.deleteWorkspace("empty", { force: false });
    await b.deleteWorkspace("prod", { force: true });
    expect(await b.listWorkspaces()).toEqual(["default"]);
    expect(() => b.forWorkspace("../x")).toThrow(UsageError);
  });

  it("keeps the last snapshots as history", async () => {
    const dir = tempDir("popdock-local-");
    const b = new LocalBackend({ path: join(dir, ".popdock", "state.json"), historyLimit: 2 });
    const { state } = await seeded(b);
    await b.write(state, 1);
    await b.write(state, 2);
    expect((await b.history(10)).map((h) => h.serial)).toEqual([3, 2]);
    expect((await b.loadSerial(2))?.serial).toBe(2);
    expect(await b.loadSerial(1)).toBeUndefined();
  });

  it("keeps no checkpoint (an apply's compaction part-way) in history", async () => {
    const dir = tempDir("popdock-local-");
    const b = new LocalBackend({ path: join(dir, ".popdock", "state.json"), historyLimit: 5 });
    const { state } = await seeded(b);
    await b.write(state, 1, { checkpoint: true });
    await b.write(state, 2, { checkpoint: true });
    await b.write(state, 3);
    expect((await b.history(10)).map((h) => h.serial)).toEqual([4, 1]);
    expect((await b.load())?.serial).toBe(4);
  });

  it("locks per workspace; force-unlock takes the exact id", async () => {
    const b = backend();
    const held = await b.lock({ command: "test", timeoutMs: 0 });
    await expect(b.lock({ command: "test", timeoutMs: 0 })).rejects.toBeInstanceOf(StateLockedError);
    const other = await b.forWorkspace("prod").lock({ command: "test", timeoutMs: 0 });
    await other.release();
    await expect(b.forceUnlock("not-the-id")).rejects.toThrow();
    await b.forceUnlock(held.id);
    await stat(`${b.path}.lock`).then(
      () => expect.fail("lock still there"),
      () => undefined,
    );
    await held.release(); // idempotent, and removes no one else's lock
  });
});
