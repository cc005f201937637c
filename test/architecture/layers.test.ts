/**
 * The layering check that runs with `npm test` (and so in CI): no import in provider/ or schema/
 * (test files excepted) climbs a layer — see ./layers.ts for the layers and their rules. Known
 * violations being removed are listed by exact file → target; the check fails on any other
 * violation, and also when a listed one is gone, so that the list can only shrink.
 */
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/cli.js";
import {
  compareWithKnown,
  describeViolation,
  findViolations,
  importsOf,
  type KnownViolation,
  readSources,
} from "./layers.js";

/**
 * Violations that exist today and are being removed by other work. Each entry is one importing
 * file and one imported file (repository paths), with why it is there; delete an entry in the
 * change that removes its import (the check below fails until you do).
 *
 * Empty on this branch: since the model layer (a716c5b) and the per-type resource folders
 * (875d263), no import in provider/ or schema/ climbs. (main before those had 63, nearly all
 * provider/resources/* → provider/engine/{desired,live,resolve}.ts and → provider/errors.ts.)
 * Example of an entry:
 *   { file: "provider/resources/types.ts", target: "provider/engine/live.ts",
 *     why: "LiveObject moves to provider/model (arch-model)" },
 */
const KNOWN_VIOLATIONS: readonly KnownViolation[] = [];

describe("layers of provider/ and schema/", () => {
  const found = findViolations(readSources(REPO_ROOT));
  const { unexpected, fixed } = compareWithKnown(found, KNOWN_VIOLATIONS);

  it("no import climbs a layer (other than the known violations being removed)", () => {
    expect(unexpected.map(describeViolation), "imports that climb a layer").toEqual([]);
  });

  it("every known violation still exists (remove the fixed ones from KNOWN_VIOLATIONS)", () => {
    expect(
      fixed.map((k) => `${k.file} → ${k.target} no longer exists: delete it from KNOWN_VIOLATIONS`),
    ).toEqual([]);
  });

  it("reads the repository's imports (a checker that reads nothing would pass)", () => {
    const files = readSources(REPO_ROOT);
    expect(files.has("provider/cli/main.ts")).toBe(true);
    expect(files.has("schema/config.ts")).toBe(true);
    const main = importsOf("provider/cli/main.ts", files.get("provider/cli/main.ts") ?? "");
    expect(main.map((i) => i.specifier)).toContain("./commands/plan.js"); // a dynamic import()
  });
});

describe("the layering checker itself", () => {
  /** A tiny repository: a model file importing the engine climbs; the rest is allowed. */
  const tiny = new Map<string, string>([
    ["schema/config.ts", `export const x = 1;\n`],
    [
      "provider/model/desired.ts",
      `import { x } from "../../schema/config.js";\nimport { plan } from "../engine/plan.js";\nexport const y = x + plan;\n`,
    ],
    ["provider/engine/plan.ts", `import { x } from "../../schema/config.js";\nexport const plan = x;\n`],
    ["provider/engine/plan.test.ts", `import { main } from "../cli/main.js";\n`],
    ["provider/cli/main.ts", `export async function main() { return import("../engine/plan.js"); }\n`],
    ["provider/client/client.ts", `export type { Sandbox } from "../sandbox/app.js";\n`],
    ["provider/sandbox/app.ts", `export interface Sandbox {}\n`],
    [
      "provider/resources/user.ts",
      `import type { Api } from "../client/types.js";\nimport { call } from "../client/call.js";\n`,
    ],
    ["provider/client/types.ts", `export interface Api {}\n`],
    ["provider/client/call.ts", `export const call = 1;\n`],
    [
      "provider/index.ts",
      `export { main } from "./cli/main.js";\nexport { plan } from "./engine/plan.js";\n`,
    ],
    ["provider/misc/util.ts", `export const u = 1;\n`],
  ]);

  it("fails the tiny example, naming file:line, the imported module and both layers", () => {
    const messages = findViolations(tiny).map(describeViolation);
    expect(messages).toEqual([
      "provider/client/client.ts:1 imports ../sandbox/app.js (provider/sandbox/app.ts): client (layer 2) → sandbox (layer 2): client must not import sandbox (one layer, kept apart)",
      "provider/index.ts:1 imports ./cli/main.js (provider/cli/main.ts): entry (layer 6) → cli (layer 5): the library entry must not import the CLI",
      "provider/misc/util.ts:1 imports (none) (provider/misc/util.ts): no layer → no layer: the file is in no layer: give its folder a place in test/architecture/layers.ts",
      "provider/model/desired.ts:2 imports ../engine/plan.js (provider/engine/plan.ts): model (layer 1) → engine (layer 3): an import climbs a layer",
      "provider/resources/user.ts:2 imports ../client/call.js (provider/client/call.ts): resources (layer 2) → client (layer 2): resources may import client types only (`import type`)",
    ]);
    // The test file's import of the CLI and the CLI's dynamic import of the engine are fine.
  });

  it("fails on an unlisted violation and on a listed one that is gone", () => {
    const found = findViolations(tiny);
    const known: KnownViolation[] = [
      { file: "provider/model/desired.ts", target: "provider/engine/plan.ts", why: "being moved" },
      { file: "provider/engine/plan.ts", target: "provider/cli/main.ts", why: "already fixed" },
    ];
    const { unexpected, fixed } = compareWithKnown(found, known);
    expect(unexpected.map((v) => `${v.file} → ${v.target}`)).toEqual([
      "provider/client/client.ts → provider/sandbox/app.ts",
      "provider/index.ts → provider/cli/main.ts",
      "provider/misc/util.ts → provider/misc/util.ts",
      "provider/resources/user.ts → provider/client/call.ts",
    ]);
    expect(fixed.map((k) => k.why)).toEqual(["already fixed"]);
  });

  it("reads every form of import, type-only ones marked", () => {
    const text = [
      `import a from "./a.js";`,
      `import type { B } from "./b.js";`,
      `import { type C, type D } from "./c.js";`,
      `import { type E, f } from "./e.js";`,
      `export * from "./g.js";`,
      `export type { H } from "./h.js";`,
      `const i = await import("./i.js");`,
      `type J = typeof import("./j.js");`,
      `import k = require("./k.js");`,
    ].join("\n");
    expect(importsOf("provider/x.ts", text).map((i) => [i.line, i.specifier, i.typeOnly])).toEqual([
      [1, "./a.js", false],
      [2, "./b.js", true],
      [3, "./c.js", true],
      [4, "./e.js", false],
      [5, "./g.js", false],
      [6, "./h.js", true],
      [7, "./i.js", false],
      [8, "./j.js", true],
      [9, "./k.js", false],
    ]);
  });
});
