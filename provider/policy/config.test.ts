/** Policy configuration: diagnostics with file:line:col, merging, and the rules it activates. */
import { describe, expect, it } from "vitest";
import { activeRules, readPolicyConfig } from "./config.js";

const read = (text: string, kind: "config" | "policy-file" = "policy-file", custom: string[] = []) =>
  readPolicyConfig([{ file: "p.yaml", path: "/nope/p.yaml", text, kind }], new Set(custom));

describe("policy configuration", () => {
  it("unknown rules, bad levels and bad parameters with file:line:col", async () => {
    const r = await read(
      [
        "rules:",
        "  no-admin-roles: {}",
        "  token-max-age:",
        "    level: strict",
        "  token-unused:",
        "    days: -3",
        "  name-pattern:",
        "    user: x",
        "  description-required: yes",
        "extra: 1",
      ].join("\n"),
    );
    expect(r.diagnostics.map((d) => [d.code, d.line, d.column, d.message, d.hint])).toEqual([
      ["POLICY_UNKNOWN_KEY", 10, 1, 'unknown key "extra" in a policy (only `rules`)', undefined],
      ["POLICY_UNKNOWN_RULE", 2, 3, 'unknown policy rule "no-admin-roles"', 'did you mean "no-admin-role"?'],
      [
        "POLICY_BAD_LEVEL",
        4,
        12,
        'level of rule "token-max-age" must be advisory, mandatory, hard or off, not "strict"',
        undefined,
      ],
      [
        "POLICY_BAD_PARAMETER",
        6,
        11,
        'rule "token-unused", parameter days: Too small: expected number to be >0',
        undefined,
      ],
      ["POLICY_BAD_PARAMETER", 8, 5, 'rule "name-pattern" has no parameter "user"', undefined],
      [
        "POLICY_BAD_PARAMETER",
        7,
        3,
        'rule "name-pattern": name-pattern needs `users` or `tokens` (a regular expression)',
        undefined,
      ],
      [
        "POLICY_INVALID",
        9,
        25,
        'the settings of rule "description-required" must be a mapping ({ level, ...parameters }), not "yes"',
        undefined,
      ],
    ]);
    expect(r.diagnostics.every((d) => d.file === "p.yaml" && d.severity === "error")).toBe(true);
  });

  it("a bad regular expression is refused where it is written", async () => {
    const r = await read('rules:\n  name-pattern: { users: "^(svc" }\n');
    expect(r.diagnostics.map((d) => [d.line, d.column, d.message])).toEqual([
      [2, 26, 'rule "name-pattern", parameter users: not a valid regular expression'],
    ]);
  });

  it("a config file's `policy:` section; custom rule ids are known", async () => {
    const r = await read("api_users: {}\npolicy:\n  rules:\n    my-rule: { level: hard }\n", "config", [
      "my-rule",
    ]);
    expect(r.diagnostics).toEqual([]);
    expect(r.settings.get("my-rule")).toEqual({ level: "hard", params: {}, file: "p.yaml" });
    const none = await read("api_users: {}\n", "config");
    expect(none.found).toBe(false);
  });

  it("merging: the strictest level wins, later parameters replace earlier ones", async () => {
    const r = await readPolicyConfig(
      [
        {
          file: "org.yaml",
          path: "",
          text: "rules:\n  token-max-age: { level: mandatory, days: 90 }\n",
          kind: "policy-file",
        },
        {
          file: "team.yaml",
          path: "",
          text: "rules:\n  token-max-age: { level: off, days: 30 }\n",
          kind: "policy-file",
        },
      ],
      new Set(),
    );
    expect(r.diagnostics).toEqual([]);
    const rules = activeRules(r.settings, []);
    expect(rules.map((x) => [x.def.id, x.level, x.params])).toEqual([
      ["token-max-age", "mandatory", { days: 30 }],
    ]);
  });

  it("defaults: a listed rule takes its default level and parameters; off leaves it out", async () => {
    const r = await read(
      "rules:\n  no-admin-role: {}\n  token-max-age:\n  description-required: { level: off }\n",
    );
    expect(activeRules(r.settings, []).map((x) => [x.def.id, x.level, x.params])).toEqual([
      ["no-admin-role", "mandatory", { roles: ["Administrator"] }],
      ["token-max-age", "advisory", { days: 90 }],
    ]);
  });

  it("YAML syntax errors have positions", async () => {
    const r = await read("rules:\n  a: [\n");
    expect(r.diagnostics[0]?.code).toBe("POLICY_YAML_SYNTAX");
    expect(r.diagnostics[0]?.line).toBeGreaterThan(1);
  });
});
