/**
 * The README's Rego example (Policies → OPA / conftest) is read from the README and checked
 * without OPA: parsed (a small parser for the subset it uses: `package`, `import rego.v1`, a
 * `deny contains msg if { … }` rule of `some x in input.path`, `path == "string"` and
 * `msg := sprintf(…)`; anything else fails the test), then evaluated over our real plan JSON
 * (`renderPlanJson`), so a field renamed in that JSON breaks the documented example here.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { renderPlanJson } from "../../provider/engine/render/json.js";
import type { Plan, ResourceChange } from "../../schema/plan.js";

const README = readFileSync(resolve(import.meta.dirname, "../../README.md"), "utf8");

type Stmt =
  | { kind: "some"; name: string; path: string[] }
  | { kind: "eq"; path: string[]; value: string }
  | { kind: "msg"; format: string; args: string[][] };

interface Rule {
  pkg: string;
  head: string;
  body: Stmt[];
}

const PATH = /^[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*$/;

function parseRego(text: string): Rule {
  const lines = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  const pkg = /^package ([a-z_][a-z0-9_.]*)$/.exec(lines.shift() ?? "")?.[1];
  if (pkg === undefined) throw new Error("no package line");
  if (lines.shift() !== "import rego.v1") throw new Error("expected `import rego.v1`");
  const head = /^(deny|warn|violation) contains msg if \{$/.exec(lines.shift() ?? "")?.[1];
  if (head === undefined) throw new Error("expected `deny contains msg if {`");
  if (lines.pop() !== "}") throw new Error("the rule body is not closed");
  const body: Stmt[] = lines.map((l) => {
    let m = /^some ([a-z_][a-z0-9_]*) in (\S+)$/.exec(l);
    if (m && PATH.test(m[2] as string))
      return { kind: "some", name: m[1] as string, path: (m[2] as string).split(".") };
    m = /^(\S+) == ("(?:[^"\\]|\\.)*")$/.exec(l);
    if (m && PATH.test(m[1] as string))
      return { kind: "eq", path: (m[1] as string).split("."), value: JSON.parse(m[2] as string) as string };
    m = /^msg := sprintf\(("(?:[^"\\]|\\.)*"), \[([^\]]*)\]\)$/.exec(l);
    if (m) {
      const args = (m[2] as string).split(",").map((a) => a.trim());
      if (!args.every((a) => PATH.test(a))) throw new Error(`sprintf arguments must be paths: ${l}`);
      return {
        kind: "msg",
        format: JSON.parse(m[1] as string) as string,
        args: args.map((a) => a.split(".")),
      };
    }
    throw new Error(`unsupported Rego line: ${l}`);
  });
  return { pkg, head, body };
}

function evaluate(rule: Rule, input: unknown): string[] {
  const out: string[] = [];
  const get = (env: Map<string, unknown>, path: string[]): unknown => {
    const [root, ...rest] = path;
    let v: unknown = root === "input" ? input : env.get(root as string);
    for (const k of rest)
      v = typeof v === "object" && v !== null ? (v as Record<string, unknown>)[k] : undefined;
    return v;
  };
  const run = (i: number, env: Map<string, unknown>): void => {
    const s = rule.body[i];
    if (s === undefined) return;
    if (s.kind === "some") {
      const coll = get(env, s.path);
      if (!Array.isArray(coll)) return; // undefined in Rego: the rule does not fire
      for (const x of coll) run(i + 1, new Map(env).set(s.name, x));
    } else if (s.kind === "eq") {
      if (get(env, s.path) === s.value) run(i + 1, env);
    } else {
      const vals = s.args.map((a) => String(get(env, a)));
      let k = 0;
      out.push(s.format.replace(/%s/g, () => vals[k++] ?? ""));
      run(i + 1, env);
    }
  };
  run(0, new Map());
  return out;
}

function change(c: Partial<ResourceChange> & Pick<ResourceChange, "address" | "type">): ResourceChange {
  return {
    name: "bot",
    group: "popdock_api_user.bot",
    action: "create",
    reasons: [],
    before: null,
    after: null,
    after_unknown: [],
    sensitive: [],
    changed: [],
    depends_on: [],
    waits_for: [],
    ...c,
  };
}

function plan(role: string): Plan {
  return {
    format_version: 1,
    tool: "popdock-iac",
    created_at: "2026-12-03T12:00:00Z",
    endpoint: "local",
    config_digest: "d",
    config_files: [],
    state_lineage: "l",
    state_serial: 0,
    mode: "normal",
    changes: [
      change({
        address: "popdock_api_user.bot",
        type: "popdock_api_user",
        after: { name: "bot", description: "" },
      }),
      change({
        address: `popdock_api_user_grant.bot["role:${role}"]`,
        type: "popdock_api_user_grant",
        parent: "popdock_api_user.bot",
        after: { kind: "role", role, role_id: "role_x" },
        after_unknown: ["id"],
      }),
    ],
    drift: [],
    outputs: [],
    summary: { add: 2, change: 0, destroy: 0, tokens_to_create: 0 },
  };
}

describe("the README's Rego example", () => {
  const block = /```rego\n([\s\S]*?)```/.exec(README)?.[1];

  it("is in the README and parses", () => {
    expect(block).toBeDefined();
    const rule = parseRego(block as string);
    expect(rule.pkg).toBe("popdock");
    expect(rule.head).toBe("deny");
    expect(rule.body[0]).toEqual({ kind: "some", name: "rc", path: ["input", "resource_changes"] });
  });

  it("denies an Administrator grant in our plan JSON, and nothing else", () => {
    const rule = parseRego(block as string);
    const json = JSON.parse(JSON.stringify(renderPlanJson(plan("Administrator"))));
    expect(evaluate(rule, json)).toEqual([
      'popdock_api_user_grant.bot["role:Administrator"]: an API user must not hold the Administrator role',
    ]);
    expect(evaluate(rule, JSON.parse(JSON.stringify(renderPlanJson(plan("Contributor")))))).toEqual([]);
  });

  it("the parser refuses what it does not know (so the check cannot pass vacuously)", () => {
    expect(() => parseRego("package p\nimport rego.v1\ndeny contains msg if {\n  count(x) > 1\n}\n")).toThrow(
      /unsupported Rego line/,
    );
  });
});
