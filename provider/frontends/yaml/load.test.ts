// biome-ignore-all lint/suspicious/noTemplateCurlyInString: "${var.x}" and "${<address>.<attr>}" are the YAML format's own syntax, quoted on purpose.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { open, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import type { AnyDesiredResource, DesiredConfig } from "../../model/desired.js";
import { formatDiagnostic } from "../../model/diagnostics.js";
import { formatCodeFrame, loadYamlConfig, parseYamlSources, type YamlVarsOptions } from "./index.js";

// The real file system, with `readdir` and `open` replaceable per test (for errors that a test
// running as root cannot provoke with permissions).
vi.mock("node:fs/promises", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:fs/promises")>();
  return { ...actual, readdir: vi.fn(actual.readdir), open: vi.fn(actual.open) };
});

const EXAMPLE = `
provider:
  endpoint: https://example.popdock.com
variables:
  env: { default: dev, description: deployment environment }
api_users:
  reporting_bot:
    name: reporting-bot-\${var.env}
    description: Power BI refresh
    prevent_destroy: true
    grants:
      - team: Finance
      - role: User
      - connector: GP Production
        roles: [User, Reader]
        companies: [Fabrikam Inc]
        lists: [Open receivables, Customers]
    tokens:
      powerbi:
        name: powerbi-refresh
        rotation:
          triggers: { quarter: 2026-Q4 }
outputs:
  powerbi_token:
    value: \${popdock_api_token.reporting_bot["powerbi"].token_id}
    sensitive: true
    description: optional
`;

function load(text: string, opts: YamlVarsOptions = {}, file = "popdock.yaml") {
  return parseYamlSources([{ file, text }], opts);
}

function ok(text: string, opts: YamlVarsOptions = {}): DesiredConfig {
  const r = load(text, opts);
  expect(r.diagnostics.map(formatDiagnostic)).toEqual([]);
  if (!r.config) throw new Error("no config");
  return r.config;
}

function byAddress(config: DesiredConfig, address: string): AnyDesiredResource {
  const r = config.resources.find((x) => x.address === address);
  if (!r) throw new Error(`no ${address} in ${config.resources.map((x) => x.address).join(", ")}`);
  return r;
}

describe("expansion", () => {
  const config = ok(EXAMPLE);

  it("gives addresses from natural keys", () => {
    expect(config.resources.map((r) => r.address)).toEqual([
      "popdock_api_user.reporting_bot",
      'popdock_api_user_grant.reporting_bot["team:Finance"]',
      'popdock_api_user_grant.reporting_bot["role:User"]',
      'popdock_api_user_grant.reporting_bot["connector:GP Production"]',
      "null_resource.reporting_bot__powerbi_rotation",
      'popdock_api_token.reporting_bot["powerbi"]',
    ]);
  });

  it("interpolates variables and keeps the user's lifecycle", () => {
    const user = byAddress(config, "popdock_api_user.reporting_bot");
    expect(user).toMatchObject({
      type: "popdock_api_user",
      name: "reporting_bot",
      attrs: { name: "reporting-bot-dev", description: "Power BI refresh" },
      lifecycle: { preventDestroy: true },
      source: { file: "popdock.yaml", line: 7, column: 3, path: "api_users.reporting_bot" },
    });
  });

  it("links grants and tokens to their user and normalizes scope lists", () => {
    const grant = byAddress(config, 'popdock_api_user_grant.reporting_bot["connector:GP Production"]');
    expect(grant).toMatchObject({
      user: "popdock_api_user.reporting_bot",
      index: "connector:GP Production",
      attrs: {
        kind: "connector",
        connector: "GP Production",
        roles: ["Reader", "User"],
        companies: ["Fabrikam Inc"],
        lists: ["Customers", "Open receivables"],
        actions: [],
        details: [],
      },
    });
    expect(byAddress(config, 'popdock_api_token.reporting_bot["powerbi"]')).toMatchObject({
      user: "popdock_api_user.reporting_bot",
    });
  });

  it("turns rotation triggers into a null_resource that replaces the token, new one first", () => {
    expect(byAddress(config, "null_resource.reporting_bot__powerbi_rotation")).toMatchObject({
      type: "null_resource",
      attrs: { triggers: { quarter: "2026-Q4" } },
    });
    expect(byAddress(config, 'popdock_api_token.reporting_bot["powerbi"]')).toMatchObject({
      attrs: { name: "powerbi-refresh" },
      dependsOn: ["null_resource.reporting_bot__powerbi_rotation"],
      lifecycle: {
        createBeforeDestroy: true,
        replaceTriggeredBy: ["null_resource.reporting_bot__powerbi_rotation"],
      },
    });
  });

  it("adds an automatic sensitive output per token and parses references in outputs", () => {
    expect(config.outputs.map((o) => [o.name, o.sensitive, o.automatic ?? false])).toEqual([
      ["reporting_bot.powerbi", true, true],
      ["powerbi_token", true, false],
    ]);
    const ref = { address: 'popdock_api_token.reporting_bot["powerbi"]', attr: "token_id" };
    expect(config.outputs[0]?.parts).toEqual([ref]);
    expect(config.outputs[1]).toMatchObject({ parts: [ref], description: "optional" });
  });

  it("keeps the provider endpoint and lists the files", () => {
    expect(config.provider).toEqual({ endpoint: "https://example.popdock.com" });
    expect(config.files).toEqual(["popdock.yaml"]);
  });

  it("names a token after its key when it has no name", () => {
    const c = ok("api_users:\n  bot:\n    name: bot\n    tokens:\n      main: {}\n");
    expect(byAddress(c, 'popdock_api_token.bot["main"]').attrs).toEqual({ name: "main" });
  });

  it("warns about duplicates in a scope list and drops them", () => {
    const r = load(
      "api_users:\n  bot:\n    name: bot\n    grants:\n      - connector: GP\n        lists: [B, A, B]\n",
    );
    expect(r.diagnostics.map((d) => [d.code, d.severity, d.path])).toEqual([
      ["CONFIG_DUPLICATE_ITEM", "warning", "api_users.bot.grants[0].lists[2]"],
    ]);
    expect(r.config?.resources[1]?.attrs).toMatchObject({ lists: ["A", "B"] });
  });
});

describe("variables", () => {
  const text = "variables:\n  env: { default: dev }\napi_users:\n  bot:\n    name: bot-${var.env}\n";
  const name = (opts: YamlVarsOptions) => ok(text, opts).resources[0]?.attrs;

  it("takes default < POPDOCK_VAR_<name> < --var", () => {
    expect(name({})).toEqual({ name: "bot-dev", description: "" });
    expect(name({ env: { POPDOCK_VAR_env: "test" } })).toMatchObject({ name: "bot-test" });
    expect(name({ env: { POPDOCK_VAR_env: "test" }, vars: { env: "prod" } })).toMatchObject({
      name: "bot-prod",
    });
  });

  it("reports a variable without value where it is used", () => {
    const r = load("variables:\n  env: {}\napi_users:\n  bot:\n    name: bot-${var.env}\n");
    expect(r.config).toBeUndefined();
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([
      'popdock.yaml:5:11: error VAR_UNDEFINED: variable "env" has no value (at api_users.bot.name)\n' +
        "  hint: pass --var env=…, set POPDOCK_VAR_env, or give it a default",
    ]);
  });

  it("refuses a sensitive variable in a resource attribute, without quoting its value", () => {
    const r = load(
      'variables:\n  s: { default: hunter2, sensitive: true }\napi_users:\n  bot:\n    name: "bot-${var.s} "\n',
    );
    expect(r.config).toBeUndefined();
    expect(r.diagnostics.map((d) => [d.code, d.severity, d.path])).toEqual([
      ["VAR_SENSITIVE_EXPOSED", "error", "api_users.bot.name"],
    ]);
    expect(JSON.stringify(r.diagnostics)).not.toContain("hunter2");
  });

  it("allows a sensitive variable in the value of a sensitive output", () => {
    const c = ok(
      "variables:\n  s: { default: hunter2, sensitive: true }\noutputs:\n  dsn:\n    value: https://u:${var.s}@h\n    sensitive: true\n",
    );
    expect(c.outputs).toMatchObject([{ name: "dsn", parts: ["https://u:hunter2@h"], sensitive: true }]);
  });

  it("treats variables named like Object.prototype members as ordinary variables", () => {
    const text =
      "variables:\n  hasOwnProperty: { default: a }\n  toString: { default: b }\n  valueOf: {}\n" +
      "api_users:\n  bot:\n    name: bot-${var.hasOwnProperty}-${var.toString}-${var.valueOf}\n";
    const userName = (opts: YamlVarsOptions) => ok(text, opts).resources[0]?.attrs;
    expect(userName({ vars: { valueOf: "c" } })).toMatchObject({ name: "bot-a-b-c" });
    expect(userName({ env: { POPDOCK_VAR_hasOwnProperty: "x", POPDOCK_VAR_valueOf: "y" } })).toMatchObject({
      name: "bot-x-b-y",
    });
    const r = load(text);
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([
      'popdock.yaml:7:11: error VAR_UNDEFINED: variable "valueOf" has no value (at api_users.bot.name)\n' +
        "  hint: pass --var valueOf=…, set POPDOCK_VAR_valueOf, or give it a default",
    ]);
  });

  it.each(["__proto__", "constructor", "prototype"])("refuses %s as a key anywhere", (key) => {
    const r = load(
      `variables:\n  ${key}: { default: a }\napi_users:\n  bot:\n    name: bot\n    tokens:\n      ${key}: {}\n`,
    );
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([
      `popdock.yaml:2:3: error CONFIG_INVALID_KEY: invalid key "${key}": it is reserved (at variables.${key})\n  hint: choose another name`,
      `popdock.yaml:7:7: error CONFIG_INVALID_KEY: invalid key "${key}": it is reserved (at api_users.bot.tokens.${key})\n  hint: choose another name`,
    ]);
  });

  it("reports --var __proto__=… as undeclared, like any name no file declares", () => {
    const vars = JSON.parse('{"__proto__": "x"}') as Record<string, string>;
    const r = load("variables:\n  env: { default: dev }\n", { vars, env: Object.create(null) });
    expect(r.diagnostics.map((d) => d.code)).toEqual(["VAR_UNDECLARED"]);
  });

  it("uses defaults as they are, with $${ for a literal ${", () => {
    const c = ok('variables:\n  x: { default: "a$${b}" }\napi_users:\n  bot:\n    name: ${var.x}\n');
    expect(c.resources[0]?.attrs).toMatchObject({ name: "a${b}" });
  });
});

describe("several files", () => {
  const users = "api_users:\n  bot:\n    name: bot-${var.env}\n";
  const vars = "variables:\n  env: { default: dev }\n";
  const outputs = "outputs:\n  bot_id:\n    value: ${popdock_api_user.bot.id}\n";

  it("merges api_users, variables and outputs across files", () => {
    const r = parseYamlSources([
      { file: "a.yaml", text: users },
      { file: "b.yaml", text: vars },
      { file: "c.yaml", text: outputs },
    ]);
    expect(r.diagnostics).toEqual([]);
    expect(r.config?.files).toEqual(["a.yaml", "b.yaml", "c.yaml"]);
    expect(r.config?.resources[0]?.source.file).toBe("a.yaml");
    expect(r.config?.outputs[0]?.source.file).toBe("c.yaml");
  });

  it("refuses a key defined in two files, pointing at both", () => {
    const r = parseYamlSources([
      { file: "a.yaml", text: users + vars },
      { file: "b.yaml", text: `# comment\n${users}` },
    ]);
    expect(r.config).toBeUndefined();
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([
      'b.yaml:3:3: error CONFIG_DUPLICATE_KEY: API user "bot" is also defined at a.yaml:2:3 (at api_users.bot)\n' +
        "  hint: each key may be defined in only one file",
    ]);
  });
});

describe("digest", () => {
  const digest = (...texts: string[]) => {
    const r = parseYamlSources(texts.map((text, i) => ({ file: `f${i}.yaml`, text })));
    expect(r.diagnostics).toEqual([]);
    return r.config?.digest;
  };

  it("is a sha256 hex", () => {
    expect(digest(EXAMPLE)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("does not change when the file is reformatted, reordered or split", () => {
    const reformatted = `
# the same configuration, written differently
outputs: { powerbi_token: { description: optional, sensitive: true, value: "\${popdock_api_token.reporting_bot[\\"powerbi\\"].token_id}" } }
api_users:
  reporting_bot:
    tokens: { powerbi: { rotation: { triggers: { quarter: "2026-Q4" } }, name: powerbi-refresh } }
    grants:
      - connector: GP Production
        lists: [Customers, Open receivables, Customers]
        companies: [Fabrikam Inc]
        roles: [Reader, User]
      - role: User
      - team: Finance
    prevent_destroy: true
    description: "Power BI refresh"
    name: "reporting-bot-\${var.env}"
variables: { env: { default: dev } }
provider: { endpoint: "https://example.popdock.com" }
`;
    const base = digest(EXAMPLE);
    const r = parseYamlSources([{ file: "x.yaml", text: reformatted }]);
    expect(r.config?.digest).toBe(base);
    const [head, tail] = EXAMPLE.split("outputs:");
    expect(digest(`outputs:${tail}`, head ?? "")).toBe(base);
  });

  it("changes when anything that is sent to Popdock changes", () => {
    const base = digest(EXAMPLE);
    expect(digest(EXAMPLE.replace("Customers", "Vendors"))).not.toBe(base);
    expect(digest(EXAMPLE.replace("2026-Q4", "2027-Q1"))).not.toBe(base);
    expect(
      parseYamlSources([{ file: "a.yaml", text: EXAMPLE }], { vars: { env: "prod" } }).config?.digest,
    ).not.toBe(base);
  });
});

describe("bounded parsing", () => {
  const laughs = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
  for (let i = 1; i < 10; i++) {
    const prev = String.fromCharCode(96 + i);
    const cur = String.fromCharCode(97 + i);
    laughs.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(", ")}]`);
  }

  // Refused by the alias-expansion limit before anything is expanded (no timing assertion: a
  // busy machine must not fail it; the limit itself is what keeps it fast).
  it("refuses a billion-laughs file by its alias limit", () => {
    const r = load(laughs.join("\n"));
    expect(r.diagnostics.map((d) => d.code)).toEqual(["YAML_ALIAS_LIMIT"]);
  });

  it("refuses a file over the size limit without parsing it", () => {
    const r = load("a".repeat(2000), { limits: { maxFileBytes: 1000 } });
    expect(r.diagnostics.map((d) => d.code)).toEqual(["YAML_TOO_LARGE"]);
  });

  it("accepts a few aliases", () => {
    const c = ok(
      "api_users:\n  a:\n    name: a\n    grants: &g [{ team: Finance }]\n  b:\n    name: b\n    grants: *g\n",
    );
    expect(c.resources.map((r) => r.address)).toContain('popdock_api_user_grant.b["team:Finance"]');
  });
});

describe("loadYamlConfig", () => {
  const dir = mkdtempSync(join(tmpdir(), "popdock-yaml-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("loads a directory's *.yaml and *.yml files in name order, relative to cwd", async () => {
    mkdirSync(join(dir, "conf"));
    writeFileSync(join(dir, "conf", "b.yml"), "variables:\n  env: { default: dev }\n");
    writeFileSync(join(dir, "conf", "a.yaml"), "api_users:\n  bot:\n    name: bot-${var.env}\n");
    writeFileSync(join(dir, "conf", "c.txt"), "not: yaml: at all");
    const r = await loadYamlConfig({
      paths: ["conf", "conf/a.yaml"],
      cwd: dir,
      env: { POPDOCK_VAR_env: "ci" },
    });
    expect(r.diagnostics).toEqual([]);
    expect(r.config?.files).toEqual(["conf/a.yaml", "conf/b.yml"]);
    expect(r.config?.resources[0]?.attrs).toEqual({ name: "bot-ci", description: "" });
  });

  it("reports missing files and empty directories, and still checks the rest", async () => {
    mkdirSync(join(dir, "empty"));
    writeFileSync(join(dir, "bad.yaml"), "api_users:\n  bot:\n    nme: x\n");
    const r = await loadYamlConfig({ paths: ["nope.yaml", "empty", "bad.yaml"], cwd: dir });
    expect(r.config).toBeUndefined();
    expect(r.diagnostics.map((d) => `${d.file} ${d.code}`)).toEqual([
      "nope.yaml FILE_NOT_FOUND",
      "empty CONFIG_EMPTY_DIR",
      "bad.yaml CONFIG_MISSING_KEY",
      "bad.yaml CONFIG_UNKNOWN_KEY",
    ]);
  });
});

describe("loadYamlConfig: what is not a regular file", () => {
  const dir = mkdtempSync(join(tmpdir(), "popdock-yaml-special-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const user = "api_users:\n  bot:\n    name: bot\n";
  const posix = process.platform !== "win32";

  it("reports a dangling *.yaml symlink in a directory, naming the link; hidden files are skipped", async () => {
    mkdirSync(join(dir, "dangling"));
    writeFileSync(join(dir, "dangling", "a.yaml"), user);
    symlinkSync("gone.yaml", join(dir, "dangling", "b.yaml"));
    // An editor's lock link (Emacs) is hidden: not configuration, not an error.
    symlinkSync("user@host.1234", join(dir, "dangling", ".#a.yaml"));
    const r = await loadYamlConfig({ paths: ["dangling"], cwd: dir });
    expect(r.config).toBeUndefined();
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([
      'dangling/b.yaml: error FILE_NOT_FOUND: symbolic link to "gone.yaml", which does not exist\n' +
        "  hint: fix or remove the link: a configuration file left out would plan its resources for deletion",
    ]);
  });

  it.skipIf(!posix)(
    "refuses FIFOs and devices, in a directory or given directly, without reading them",
    async () => {
      mkdirSync(join(dir, "special"));
      writeFileSync(join(dir, "special", "a.yaml"), user);
      execFileSync("mkfifo", [join(dir, "special", "fifo.yaml")]);
      symlinkSync("/dev/zero", join(dir, "special", "zero.yaml"));
      mkdirSync(join(dir, "special", "nested.yaml"));
      const r = await loadYamlConfig({ paths: ["special", "/dev/null"], cwd: dir });
      expect(r.config).toBeUndefined();
      // Paths outside cwd are shown relative to it: "../../dev/null".
      const shown = (file: string | undefined) => file?.replace(/^(\.\.\/)+/, "/");
      expect(r.diagnostics.map((d) => `${shown(d.file)} ${d.code}: ${d.message}`)).toEqual([
        "special/fifo.yaml FILE_NOT_REGULAR: is a FIFO (named pipe), not a regular file; only regular files are read",
        "special/nested.yaml FILE_NOT_REGULAR: is a directory, not a regular file; only regular files are read",
        "special/zero.yaml FILE_NOT_REGULAR: is a device, not a regular file; only regular files are read",
        "/dev/null FILE_NOT_REGULAR: is a device, not a regular file; only regular files are read",
      ]);
    },
  );

  it("follows a symlink to a regular file", async () => {
    mkdirSync(join(dir, "linked"));
    writeFileSync(join(dir, "real.yaml"), user);
    symlinkSync(join(dir, "real.yaml"), join(dir, "linked", "a.yaml"));
    const r = await loadYamlConfig({ paths: ["linked"], cwd: dir });
    expect(r.diagnostics).toEqual([]);
    expect(r.config?.files).toEqual(["linked/a.yaml"]);
  });

  it("turns a directory that cannot be listed into a diagnostic", async () => {
    mkdirSync(join(dir, "locked"));
    vi.mocked(readdir).mockRejectedValueOnce(Object.assign(new Error("denied"), { code: "EACCES" }));
    const r = await loadYamlConfig({ paths: ["locked"], cwd: dir });
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([
      "locked: error FILE_READ_ERROR: cannot read: EACCES",
    ]);
  });

  it("turns a file that cannot be opened into a diagnostic", async () => {
    mkdirSync(join(dir, "unreadable"));
    writeFileSync(join(dir, "unreadable", "a.yaml"), user);
    vi.mocked(open).mockRejectedValueOnce(Object.assign(new Error("denied"), { code: "EACCES" }));
    const r = await loadYamlConfig({ paths: ["unreadable"], cwd: dir });
    expect(r.config).toBeUndefined();
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([
      "unreadable/a.yaml: error FILE_READ_ERROR: cannot read: EACCES",
    ]);
  });
});

describe("formatCodeFrame", () => {
  it("shows the line with a caret at the column", () => {
    const text = "api_users:\n  bot:\n    nme: x\n";
    const [d] = load(text).diagnostics.filter((x) => x.code === "CONFIG_UNKNOWN_KEY");
    expect(d).toBeDefined();
    if (!d) return;
    expect(formatCodeFrame(d, text)).toBe(
      ["  2 |   bot:", "> 3 |     nme: x", "    |     ^", "  4 |"].join("\n"),
    );
  });
});

describe("${workspace}", () => {
  const text = "api_users:\n  svc:\n    name: svc-${workspace}\n    description: literal $${workspace}\n";

  it("is the state workspace's name; default without one; $${ keeps it literal", () => {
    const prod = parseYamlSources([{ file: "popdock.yaml", text }], { workspace: "prod" });
    expect(prod.diagnostics).toEqual([]);
    expect(byAddress(prod.config as DesiredConfig, "popdock_api_user.svc").attrs).toMatchObject({
      name: "svc-prod",
      description: "literal ${workspace}",
    });
    const plain = parseYamlSources([{ file: "popdock.yaml", text }]);
    expect(byAddress(plain.config as DesiredConfig, "popdock_api_user.svc").attrs).toMatchObject({
      name: "svc-default",
    });
  });
});
