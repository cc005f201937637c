/** Loading custom rule modules: what is a rule, and every way a module can be wrong, as diagnostics. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../test/helpers/tmp.js";
import { definePolicy } from "./define.js";
import { loadPolicyModules, policyModulesIn } from "./modules.js";

describe("policy modules", () => {
  it("finds .ts .mts .js .mjs files in policies/, sorted, and nothing when it is missing", async () => {
    const dir = tempDir("popdock-policies-");
    const p = join(dir, "policies");
    mkdirSync(p);
    for (const n of ["b.ts", "a.mjs", "c.mts", "d.js", "types.d.ts", "notes.md", "e.cjs"])
      writeFileSync(join(p, n), "");
    expect((await policyModulesIn(p)).map((f) => f.slice(p.length + 1))).toEqual([
      "a.mjs",
      "b.ts",
      "c.mts",
      "d.js",
    ]);
    expect(await policyModulesIn(join(dir, "nope"))).toEqual([]);
  });

  it("loads rules (one or a list) from JS and TS; bad modules are diagnostics naming the file", async () => {
    const dir = tempDir("popdock-policies-");
    const w = (n: string, text: string) => {
      writeFileSync(join(dir, n), text);
      return join(dir, n);
    };
    const files = [
      w("one.mjs", `export default { id: "one", check: () => undefined };\n`),
      w(
        "two.ts",
        `const n: number = 2;\nexport default [{ id: "two-a", level: "hard", check: () => undefined }, { id: "two-b", check: () => String(n) }];\n`,
      ),
      w("none.mjs", `export const x = 1;\n`),
      w("bad-id.mjs", `export default { id: "Bad Id", check() {} };\n`),
      w("builtin.mjs", `export default { id: "no-admin-role", check() {} };\n`),
      w("dup.mjs", `export default { id: "one", check() {} };\n`),
      w("throws.mjs", `throw new Error("cannot start");\n`),
      w("syntax.ts", `export default {{;\n`),
      join(dir, "missing.mjs"),
    ];
    const r = await loadPolicyModules(files, dir, (p) => p.slice(dir.length + 1));
    expect(r.rules.map((x) => [x.def.id, x.def.level, x.source])).toEqual([
      ["one", undefined, "one.mjs"],
      ["two-a", "hard", "two.ts"],
      ["two-b", undefined, "two.ts"],
    ]);
    expect(r.diagnostics.map((d) => [d.file, d.code, d.message.split(":")[0]])).toEqual([
      ["none.mjs", "POLICY_MODULE_INVALID", "the policy module has no default export"],
      [
        "bad-id.mjs",
        "POLICY_MODULE_INVALID",
        'a policy id must be lower-case words joined by "-" (e.g. "no-wildcard-lists"), not "Bad Id"',
      ],
      ["builtin.mjs", "POLICY_MODULE_INVALID", 'policy "no-admin-role" has the id of a built-in rule'],
      ["dup.mjs", "POLICY_MODULE_INVALID", 'policy "one" is defined twice (also in one.mjs)'],
      ["throws.mjs", "POLICY_MODULE_INVALID", "the policy module could not be loaded"],
      ["syntax.ts", "POLICY_MODULE_INVALID", "the policy module could not be loaded"],
      ["missing.mjs", "POLICY_MODULE_INVALID", "no such file"],
    ]);
    expect(r.diagnostics.find((d) => d.file === "throws.mjs")?.message).toContain("cannot start");
  });

  it("definePolicy checks the definition at once", () => {
    expect(definePolicy({ id: "ok-rule", check: () => undefined }).id).toBe("ok-rule");
    expect(() => definePolicy({ id: "x", level: "strict" as never, check: () => undefined })).toThrow(
      /level must be advisory, mandatory or hard/,
    );
    expect(() => definePolicy({ id: "x" } as never)).toThrow(/has no check/);
  });
});
