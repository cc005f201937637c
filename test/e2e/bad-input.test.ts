/**
 * Every bad input is refused before anything is sent: each invalid case of both corpora
 * (fixtures/yaml-invalid, fixtures/tf-json) and the generated ones too large to commit, run
 * through the real CLI `apply --auto-approve` against one sandbox. Each must exit non-zero, print
 * its diagnostics, and send no mutating request (GETs at most).
 *
 * The corpora are copied to a temporary directory first, so that nothing a run leaves behind
 * (state, locks) lands in the repository. Cases whose loader options the CLI has no flag for (a
 * smaller size limit, a shorter synth timeout) are left out: the generated 2 MiB files cover the
 * size limit through the CLI. A case with warnings only (a duplicate set item) is valid, so it is
 * not here. Diagnostics are compared line by line with the loader's, except where the CLI names
 * a path the case gives explicitly (it shows it resolved), and for `invalid-json`, whose `.txt`
 * file the CLI reads as YAML (it is still refused, with a diagnostic of its own).
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fixtureCases, GENERATED_CASES, TF_JSON_DIR, YAML_INVALID_DIR } from "../helpers/bad-inputs.js";
import { explain } from "../helpers/cli.js";
import { mutations, statsDiff, useSandbox } from "../helpers/e2e-sandbox.js";

const sb = useSandbox();

const root = mkdtempSync(join(tmpdir(), "popdock-bad-input-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const copies = { yaml: join(root, "yaml-invalid"), "tf-json": join(root, "tf-json") };
cpSync(YAML_INVALID_DIR, copies.yaml, { recursive: true });
cpSync(TF_JSON_DIR, copies["tf-json"], { recursive: true });

interface Run {
  name: string;
  cwd: string;
  args: string[];
  expected: string;
  /** How the expected lines are found in stderr: whole, after their location, or not at all. */
  match: "line" | "message" | "none";
}

const runs: Run[] = [];
for (const c of fixtureCases()) {
  if (c.loaderOnly || !/ error [A-Z_]+: /.test(c.expected)) continue;
  const cwd = join(copies[c.format], relative(c.format === "yaml" ? YAML_INVALID_DIR : TF_JSON_DIR, c.dir));
  const args = ["apply", "--auto-approve", ...c.paths.flatMap((p) => ["-c", p])];
  for (const [k, v] of Object.entries(c.vars)) args.push("--var", `${k}=${v}`);
  if (c.stack !== undefined) args.push("--stack", c.stack);
  const readAsTfJson = c.paths.every((p) => !/\.(ya?ml|txt)$/.test(p));
  const match = c.format === "tf-json" && !readAsTfJson ? "none" : c.explicitPaths ? "message" : "line";
  runs.push({ name: `${c.format}/${c.name}`, cwd, args, expected: c.expected, match });
}
for (const g of GENERATED_CASES) {
  const cwd = join(root, "generated", g.name);
  mkdirSync(cwd, { recursive: true });
  writeFileSync(join(cwd, g.file), g.content());
  const args = ["apply", "--auto-approve", "-c", g.file];
  runs.push({ name: g.name, cwd, args, expected: g.expected, match: "line" });
}

describe("bad input through `popdock apply --auto-approve`", () => {
  it("covers both corpora", () => {
    expect(runs.length).toBeGreaterThanOrEqual(120);
  });

  it("counts every error in its verdict, also those the capped list leaves out", async () => {
    const run = runs.find((r) => r.name === "generated-yaml-25000-unknown-keys");
    expect(run).toBeDefined();
    const r = await sb.popdock(run?.args ?? [], run?.cwd ?? "");
    expect(r.stderr).toContain("the configuration has 25000 errors; nothing was changed");
  });

  it.each(runs.map((r) => [r.name, r] as const))("%s: refused, nothing sent", async (_name, run) => {
    const before = await sb.stats();
    const r = await sb.popdock(run.args, run.cwd);
    const sent = mutations(statsDiff(before, await sb.stats()));
    expect(sent, explain(r)).toEqual({});
    expect(r.code, explain(r)).not.toBe(0);
    expect(r.stderr, explain(r)).toMatch(/ error [A-Z_]+: /);
    if (run.match === "none") return;
    // The CLI prints each diagnostic as the loader formats it (in order, among its other output).
    let from = 0;
    for (const whole of run.expected.split("\n")) {
      const line =
        run.match === "message" && !whole.startsWith(" ") ? whole.slice(whole.indexOf(": ") + 2) : whole;
      const at = r.stderr.indexOf(line, from);
      expect(at, `${line}\n${explain(r)}`).toBeGreaterThanOrEqual(0);
      from = at + line.length;
    }
  });
});
