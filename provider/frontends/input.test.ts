/**
 * The input rules both frontends share (input.ts, semantic.ts), each checked through both
 * frontends' real loaders: what an empty configuration means, NFC names, strict UTF-8, JSON's
 * duplicate and prototype keys, one size cap, bounded depth, and at most 50 diagnostics.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configDigest } from "../model/desired.js";
import { formatDiagnostic } from "../model/diagnostics.js";
import { MAX_NESTING_DEPTH } from "../model/input-guards.js";
import { loadConfiguration } from "./index.js";
import { MAX_CONFIG_FILE_BYTES, MAX_DIAGNOSTICS } from "./input.js";
import { parseTerraformSources } from "./terraform-json/index.js";
import { parseYamlSources } from "./yaml/index.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "popdock-input-test-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Loads `content` written to `name` through the real entry point (frontend picked by name). */
async function loadFile(name: string, content: string | Uint8Array) {
  await writeFile(join(dir, name), content);
  return loadConfiguration({ paths: [join(dir, name)], cwd: dir, env: {}, vars: {} });
}

const yaml = (text: string) => parseYamlSources([{ file: "popdock.yaml", text }]);
const tf = (text: string) => parseTerraformSources([{ file: "main.tf.json", text }]);
const lines = (r: { diagnostics: Parameters<typeof formatDiagnostic>[0][] }) =>
  r.diagnostics.map(formatDiagnostic);

describe("declaredEmpty", () => {
  it.each(["", "  \n\n", "# nothing here\n", "---\n"])(
    "is false for a YAML file that is empty by accident (%j)",
    (text) => {
      expect(yaml(text).config?.declaredEmpty).toBe(false);
    },
  );

  it("is true for an explicit `api_users: {}`, in any file", () => {
    expect(yaml("api_users: {}\n").config?.declaredEmpty).toBe(true);
    const two = parseYamlSources([
      { file: "a.yaml", text: "provider: { endpoint: local }\n" },
      { file: "b.yaml", text: "api_users: {}\n" },
    ]);
    expect(two.config?.declaredEmpty).toBe(true);
  });

  it("is false when there are resources, and does not change the digest", () => {
    const r = yaml("api_users:\n  bot:\n    name: bot\n");
    expect(r.config?.declaredEmpty).toBe(false);
    const c = r.config;
    if (c === undefined) throw new Error("no config");
    const { declaredEmpty: _, ...withoutFlag } = c;
    expect(configDigest(withoutFlag)).toBe(c.digest);
  });

  it('is true for Terraform JSON with `"resource": {}`, false for `{}`', () => {
    expect(tf("{}").config?.declaredEmpty).toBe(false);
    expect(tf('{"terraform": {}}').config?.declaredEmpty).toBe(false);
    expect(tf('{"resource": {}}').config?.declaredEmpty).toBe(true);
  });
});

describe("Unicode NFC", () => {
  const nfc = "caf\u00e9-bot";
  const nfd = "cafe\u0301-bot";

  it("sends names and descriptions in NFC, whichever form the file used", () => {
    const r = yaml(
      `api_users:\n  bot:\n    name: ${nfd}\n    description: ${nfd}\n    tokens:\n      t: { name: ${nfd} }\n`,
    );
    expect(r.config?.resources.map((x) => x.attrs)).toEqual([{ name: nfc, description: nfc }, { name: nfc }]);
    const t = tf(
      JSON.stringify({ resource: { popdock_api_user: { bot: { name: nfd, description: nfd } } } }),
    );
    expect(t.config?.resources[0]?.attrs).toEqual({ name: nfc, description: nfc });
  });

  it("finds one name written in both forms, case-insensitively, as a duplicate", () => {
    const r = yaml(`api_users:\n  a:\n    name: ${nfc.toUpperCase()}\n  b:\n    name: ${nfd}\n`);
    expect(r.diagnostics.map((d) => d.code)).toEqual(["CONFIG_DUPLICATE_USER_NAME"]);
    const t = tf(JSON.stringify({ resource: { popdock_api_user: { a: { name: nfc }, b: { name: nfd } } } }));
    expect(t.diagnostics.map((d) => d.code)).toEqual(["CONFIG_DUPLICATE_USER_NAME"]);
  });
});

describe("encodings", () => {
  const bad = Buffer.concat([
    Buffer.from("api_users:\n  bot:\n    name: alpha-"),
    Buffer.from([0xff, 0xfe]),
    Buffer.from("bot\n"),
  ]);

  it("refuses invalid UTF-8 in YAML at the byte's line and column, never replacing it", async () => {
    expect(lines(await loadFile("bad.yaml", bad))).toEqual([
      "bad.yaml:3:17: error FILE_ENCODING: the file is not valid UTF-8: byte \\xff (in \\xff\\xfe\\x62\\x6f) cannot be decoded\n  hint: save the file as UTF-8; nothing in it was read",
    ]);
  });

  it("refuses invalid UTF-8 in Terraform JSON the same way", async () => {
    const json = Buffer.concat([
      Buffer.from('{"resource": {"popdock_api_user": {"bot": {"name": "alpha-'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('bot"}}}}\n'),
    ]);
    expect(lines(await loadFile("bad.tf.json", json))).toEqual([
      "bad.tf.json:1:59: error FILE_ENCODING: the file is not valid UTF-8: byte \\xff (in \\xff\\xfe\\x62\\x6f) cannot be decoded\n  hint: save the file as UTF-8; nothing in it was read",
    ]);
  });

  it("names a UTF-16 file as such", async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("api_users: {}\n", "utf16le")]);
    expect(lines(await loadFile("wide.yaml", utf16))).toEqual([
      "wide.yaml:1:1: error FILE_ENCODING: the file is UTF-16LE (it starts with a UTF-16 byte order mark), not UTF-8\n  hint: save it as UTF-8",
    ]);
  });
});

describe("Terraform JSON structure", () => {
  it("refuses a key given twice in one object, with the line of the first", () => {
    const r = tf(
      '{\n  "resource": {\n    "popdock_api_user": {\n      "bot": {"name": "a"},\n      "bot": {"name": "b"}\n    }\n  }\n}\n',
    );
    expect(lines(r)).toEqual([
      'main.tf.json:5:7: error TF_JSON_DUPLICATE_KEY: key "bot" is given twice in this object; also at line 4 (at resource.popdock_api_user.bot)\n  hint: JSON parsers keep only the last one: remove or rename one of them',
    ]);
  });

  it.each(["__proto__", "constructor", "prototype"])("refuses %s as a key", (key) => {
    const r = tf(`{"resource": {"popdock_api_user": {"${key}": {"name": "a"}}}}`);
    expect(r.diagnostics.map((d) => [d.code, d.path])).toEqual([
      ["TF_JSON_INVALID_KEY", `resource.popdock_api_user.${key}`],
    ]);
    expect(r.config).toBeUndefined();
  });
});

describe("size", () => {
  it("caps both formats at the same 1 MiB", async () => {
    const big = `{"//": "${"x".repeat(2 * 1024 * 1024)}"}`;
    expect(lines(await loadFile("big.tf.json", big))).toEqual([
      `big.tf.json: error TF_JSON_TOO_LARGE: file is ${big.length} bytes, more than the limit of ${MAX_CONFIG_FILE_BYTES} bytes\n  hint: split the configuration into several files`,
    ]);
    const bigYaml = `# ${"x".repeat(MAX_CONFIG_FILE_BYTES)}\n`;
    expect(lines(await loadFile("big.yaml", bigYaml))).toEqual([
      `big.yaml: error YAML_TOO_LARGE: file is ${bigYaml.length} bytes, more than the limit of ${MAX_CONFIG_FILE_BYTES} bytes\n  hint: split the configuration into several files`,
    ]);
  });
});

describe("depth", () => {
  it("refuses 20,000 [ in YAML before parsing, without an internal error", () => {
    expect(lines(yaml(`a: ${"[".repeat(20_000)}`))).toEqual([
      `popdock.yaml:1:${3 + MAX_NESTING_DEPTH + 1}: error CONFIG_TOO_DEEP: nesting deeper than 64 levels; the file was not parsed\n  hint: a configuration needs a few levels; check for a runaway [ or {`,
    ]);
  });

  it("refuses 20,000 [ in Terraform JSON the same way", () => {
    expect(lines(tf(`{"a": ${"[".repeat(20_000)}`))).toEqual([
      `main.tf.json:1:${7 + MAX_NESTING_DEPTH - 1}: error CONFIG_TOO_DEEP: nesting deeper than 64 levels; the file was not parsed\n  hint: a configuration needs a few levels; check for a runaway [ or {`,
    ]);
  });
});

describe("the diagnostics cap", () => {
  it(`shows the first ${MAX_DIAGNOSTICS} of 25,000 unknown keys and counts the rest`, () => {
    let text = "api_users:\n  bot:\n    name: bot\n";
    for (let i = 0; i < 25_000; i++) text += `    unknown_key_${i}: x\n`;
    const r = yaml(text);
    expect(r.diagnostics).toHaveLength(MAX_DIAGNOSTICS + 1);
    expect(r.diagnostics[0]).toMatchObject({ code: "CONFIG_UNKNOWN_KEY", line: 4 });
    expect(r.diagnostics.at(-1)).toEqual({
      code: "DIAGNOSTICS_TRUNCATED",
      severity: "error",
      message: "and 24,950 more (only the first 50 are shown); fix these and run again",
      errorsLeftOut: 24_950,
    });
  });

  it("caps Terraform JSON the same way (one place for both)", () => {
    const users: Record<string, unknown> = {};
    for (let i = 0; i < 200; i++) users[`u${i}`] = { name: `u${i}`, colour: "x" };
    const r = tf(JSON.stringify({ resource: { popdock_api_user: users } }));
    expect(r.diagnostics).toHaveLength(MAX_DIAGNOSTICS + 1);
    expect(r.diagnostics.at(-1)?.message).toBe(
      "and 150 more (only the first 50 are shown); fix these and run again",
    );
  });
});
