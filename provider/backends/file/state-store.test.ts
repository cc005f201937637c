import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { StateFile } from "../../../schema/state.js";
import {
  emptyState,
  removeTempFiles,
  StateInvalidError,
  StateSecretError,
  StateStore,
  stringifyState,
} from "./state-store.js";

let dir: string;
let statePath: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "popdock-state-"));
  statePath = path.join(dir, ".popdock", "state.json");
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function sampleState(overrides: Partial<StateFile> = {}): StateFile {
  return {
    ...emptyState("local"),
    resources: {
      "popdock_api_user.bot": {
        type: "popdock_api_user",
        id: "usr_1",
        version: 3,
        attributes: { name: "bot", teams: ["a", "b"] },
        dependencies: [],
      },
    },
    ...overrides,
  };
}

async function loadError(store: StateStore): Promise<StateInvalidError> {
  const err = await store.load().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StateInvalidError);
  return err as StateInvalidError;
}

describe("StateStore.load", () => {
  it("gives a fresh empty state for a missing file and creates nothing", async () => {
    const store = new StateStore(statePath);
    expect(await store.exists()).toBe(false);
    const a = await store.load();
    const b = await new StateStore(statePath).load();
    expect(a).toMatchObject({
      format_version: 1,
      tool: "popdock-iac",
      serial: 0,
      resources: {},
      pending: [],
      outputs: {},
    });
    expect(a.lineage).toMatch(/^[0-9a-f-]{36}$/);
    expect(b.lineage).not.toBe(a.lineage);
    expect(await store.exists()).toBe(false);
    await expect(stat(path.dirname(statePath))).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("reads back what write() wrote", async () => {
    const store = new StateStore(statePath);
    const state = sampleState();
    await store.write(state);
    const loaded = await new StateStore(statePath).load();
    expect(loaded).toEqual({ ...state, serial: 1 });
  });

  it("fills defaults for omitted pending and outputs", async () => {
    const p = path.join(dir, "s.json");
    const { pending: _p, outputs: _o, ...rest } = emptyState();
    await writeFile(p, JSON.stringify(rest));
    const loaded = await new StateStore(p).load();
    expect(loaded.pending).toEqual([]);
    expect(loaded.outputs).toEqual({});
  });

  it("refuses a corrupt file, naming the path and pointing at the backup", async () => {
    const p = path.join(dir, "state.json");
    await writeFile(p, '{"format_version": 1, "tool": "popdock-iac",');
    const err = await loadError(new StateStore(p));
    expect(err.code).toBe("POPDOCK_STATE_INVALID");
    expect(err.message).toContain(`state file ${p} is not valid JSON`);
    expect(err.hint).toContain(`${p}.backup`);
    // never replaced
    expect(await readFile(p, "utf8")).toBe('{"format_version": 1, "tool": "popdock-iac",');
  });

  it.each([
    [
      "another tool",
      { format_version: 1, tool: "other", lineage: "x" },
      'tool is "other", expected "popdock-iac"',
    ],
    ["no tool", { format_version: 1 }, "tool is missing"],
    ["a Terraform state", { version: 4, terraform_version: "1.9.0" }, "looks like a Terraform state"],
    ["an array", [], "is not a JSON object"],
  ])("refuses a foreign file: %s", async (_name, content, expected) => {
    const p = path.join(dir, "state.json");
    await writeFile(p, JSON.stringify(content));
    const err = await loadError(new StateStore(p));
    expect(err.message).toContain(expected);
    expect(err.message).toContain(p);
  });

  it("refuses a newer format_version with an upgrade hint", async () => {
    const p = path.join(dir, "state.json");
    await writeFile(p, JSON.stringify({ ...emptyState(), format_version: 2 }));
    const err = await loadError(new StateStore(p));
    expect(err.message).toContain("format_version 2, written by a newer popdock-iac (this one reads 1)");
    expect(err.hint).toBe("upgrade popdock-iac to read this state");
  });

  it("refuses an unknown format_version", async () => {
    const p = path.join(dir, "state.json");
    await writeFile(p, JSON.stringify({ ...emptyState(), format_version: "1" }));
    const err = await loadError(new StateStore(p));
    expect(err.message).toContain('unknown format_version "1"');
    expect(err.hint).toContain(".backup");
  });

  it("refuses a file that fails the schema, listing the first problems by path", async () => {
    const p = path.join(dir, "state.json");
    const bad = {
      ...sampleState(),
      serial: -1,
      resources: {
        "popdock_api_user.bot": { type: "popdock_api_user", id: "usr_1", version: "3", attributes: {} },
      },
      extra: true,
    };
    await writeFile(p, JSON.stringify(bad));
    const err = await loadError(new StateStore(p));
    expect(err.problems).toEqual([
      expect.stringMatching(/^serial: /),
      expect.stringMatching(/^resources\["popdock_api_user\.bot"\]\.version: .*expected number/),
      expect.stringMatching(/^\(top level\): Unrecognized key: "extra"/),
    ]);
    expect(err.message).toContain(`state file ${p} is invalid: serial:`);
  });
});

describe("StateStore.write", () => {
  it("creates the directory (0700) and file (0600), bumps the serial, leaves no temp files", async () => {
    const store = new StateStore(statePath);
    const state = await store.load();
    expect(await store.write(state)).toBe(1);
    expect((await stat(path.dirname(statePath))).mode & 0o777).toBe(0o700);
    expect((await stat(statePath)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(statePath, "utf8")).serial).toBe(1);
    expect(state.serial).toBe(0); // the caller's object is not modified
    expect(await readdir(path.dirname(statePath))).toEqual(["state.json"]);
  });

  it("keeps the complete previous version as <path>.backup", async () => {
    const store = new StateStore(statePath);
    const s = sampleState();
    await store.write(s);
    const first = await readFile(statePath, "utf8");
    await store.write({ ...s, endpoint: "https://popdock.example" });
    const second = await readFile(statePath, "utf8");
    expect(await readFile(`${statePath}.backup`, "utf8")).toBe(first);
    await store.write({ ...s, endpoint: "https://other.example" });
    expect(await readFile(`${statePath}.backup`, "utf8")).toBe(second);
    expect((await stat(`${statePath}.backup`)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(statePath, "utf8"))).toMatchObject({
      serial: 3,
      endpoint: "https://other.example",
    });
    expect((await readdir(path.dirname(statePath))).sort()).toEqual(["state.json", "state.json.backup"]);
  });

  it("continues from the loaded serial", async () => {
    await new StateStore(statePath).write({ ...sampleState(), serial: 41 });
    const store = new StateStore(statePath);
    const loaded = await store.load();
    expect(loaded.serial).toBe(42);
    expect(await store.write(loaded)).toBe(43);
  });

  it("serializes concurrent writes: the last one wins and every write bumps the serial", async () => {
    const store = new StateStore(statePath);
    const base = await store.load();
    const serials = await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.write({ ...base, endpoint: `e${i}` })),
    );
    expect(serials).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const final = JSON.parse(await readFile(statePath, "utf8"));
    expect(final).toMatchObject({ serial: 20, endpoint: "e19" });
    expect(JSON.parse(await readFile(`${statePath}.backup`, "utf8"))).toMatchObject({
      serial: 19,
      endpoint: "e18",
    });
    expect((await readdir(path.dirname(statePath))).sort()).toEqual(["state.json", "state.json.backup"]);
  });

  it("a failed write does not block the queue", async () => {
    const store = new StateStore(statePath);
    const base = await store.load();
    const bad = store.write({ ...base, lineage: "not-a-uuid" });
    const good = store.write(base);
    await expect(bad).rejects.toBeInstanceOf(StateInvalidError);
    expect(await good).toBe(1);
  });

  it("load() waits for the store's queued writes", async () => {
    const store = new StateStore(statePath);
    const base = await store.load();
    void store.write({ ...base, endpoint: "queued" });
    expect(await store.load()).toMatchObject({ serial: 1, endpoint: "queued" });
  });

  it("a write that fails leaves the old file and no temp files behind", async () => {
    const store = new StateStore(statePath);
    await store.write(sampleState());
    const before = await readFile(statePath, "utf8");
    // A directory where the backup goes makes the step before the final rename fail.
    await mkdir(`${statePath}.backup`);
    await expect(store.write(sampleState())).rejects.toMatchObject({ code: expect.any(String) });
    expect(await readFile(statePath, "utf8")).toBe(before);
    expect((await readdir(path.dirname(statePath))).sort()).toEqual(["state.json", "state.json.backup"]);
    await rm(`${statePath}.backup`, { recursive: true });
    expect(await store.write(sampleState())).toBe(2);
  });

  it.each([
    ["a resource attribute", ["resources", "popdock_api_token.ci", "attributes", "token_id"]],
    ["a nested value", ["resources", "popdock_api_token.ci", "attributes", "meta", "tokenId"]],
    ["a pending request", ["pending", 0, "request", "Token-ID"]],
  ])("refuses a token_id key in %s and writes nothing", async (_name, keyPath) => {
    const state = sampleState({
      resources: {
        "popdock_api_token.ci": {
          type: "popdock_api_token",
          id: "tok_1",
          version: 1,
          attributes: { meta: {} },
          dependencies: [],
        },
      },
      pending: [{ address: "a", action: "create", type: "popdock_api_token", request: {}, started_at: "t" }],
    });
    let target: Record<string | number, unknown> = state as unknown as Record<string, unknown>;
    for (const k of keyPath.slice(0, -1)) target = target[k as string] as Record<string, unknown>;
    target[keyPath.at(-1) as string] = "SECRET-VALUE";

    const store = new StateStore(statePath);
    const err = await store.write(state).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StateSecretError);
    expect((err as StateSecretError).code).toBe("POPDOCK_STATE_SECRET");
    expect((err as StateSecretError).message).not.toContain("SECRET-VALUE");
    expect(await store.exists()).toBe(false);
  });

  it("names where the token_id key is", async () => {
    const state = sampleState();
    (state.resources["popdock_api_user.bot"]?.attributes as Record<string, unknown>).token_id = "x";
    await expect(new StateStore(statePath).write(state)).rejects.toMatchObject({
      keyPath: '.resources["popdock_api_user.bot"].attributes.token_id',
    });
  });
});

describe("stringifyState", () => {
  it("is deterministic: sorted addresses and attributes, schema field order, 2-space indent", () => {
    const a = sampleState({
      lineage: "00000000-0000-4000-8000-000000000000",
      resources: {
        "z.b": {
          type: "null_resource",
          id: "n2",
          version: 0,
          attributes: { b: 1, a: { d: 1, c: 2 } },
          dependencies: [],
        },
        "a.a": { type: "null_resource", id: "n1", version: 0, attributes: {}, dependencies: ["z.b"] },
      },
    });
    const b: StateFile = {
      outputs: {},
      deposed: [],
      pending: [],
      resources: {
        "a.a": a.resources["a.a"] as StateFile["resources"][string],
        "z.b": {
          dependencies: [],
          attributes: { a: { c: 2, d: 1 }, b: 1 },
          version: 0,
          id: "n2",
          type: "null_resource",
        },
      },
      endpoint: "local",
      serial: 0,
      lineage: "00000000-0000-4000-8000-000000000000",
      tool: "popdock-iac",
      format_version: 1,
    };
    const text = stringifyState(a);
    expect(stringifyState(b)).toBe(text);
    expect(text).toMatchInlineSnapshot(`
      "{
        "format_version": 1,
        "tool": "popdock-iac",
        "lineage": "00000000-0000-4000-8000-000000000000",
        "serial": 0,
        "endpoint": "local",
        "resources": {
          "a.a": {
            "type": "null_resource",
            "id": "n1",
            "version": 0,
            "attributes": {},
            "dependencies": [
              "z.b"
            ]
          },
          "z.b": {
            "type": "null_resource",
            "id": "n2",
            "version": 0,
            "attributes": {
              "a": {
                "c": 2,
                "d": 1
              },
              "b": 1
            },
            "dependencies": []
          }
        },
        "pending": [],
        "deposed": [],
        "outputs": {}
      }
      "
    `);
  });
});

describe("removeTempFiles", () => {
  it("removes only the temp files an interrupted write of this state left behind", async () => {
    const file = path.join(dir, "state.json");
    const left = [".state.json.4121.0123456789ab.tmp", ".state.json.backup.4121.0123456789ab.tmp"];
    const kept = [
      "state.json",
      "state.json.backup",
      ".other.json.4121.0123456789ab.tmp",
      ".state.json.notes",
    ];
    for (const n of [...left, ...kept]) await writeFile(path.join(dir, n), "x");
    expect(await removeTempFiles(file)).toBe(2);
    expect((await readdir(dir)).sort()).toEqual([...kept].sort());
    expect(await removeTempFiles(path.join(dir, "missing", "state.json"))).toBe(0);
  });
});
