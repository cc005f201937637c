/**
 * Writes `schema/popdock.schema.json`, the JSON Schema of the YAML format, from the zod schema in
 * `schema/config.ts`. Run with `npm run schema:generate`; `schema/config.test.ts` fails when the
 * committed file differs from what this produces.
 */
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { ConfigFile } from "./config.js";

/** The JSON Schema (draft-07, which yaml-language-server and most editors support), as formatted JSON text. */
export function generateJsonSchema(): string {
  const schema = z.toJSONSchema(ConfigFile, { target: "draft-7", io: "input", unrepresentable: "throw" });
  return `${JSON.stringify(schema, null, 2)}\n`;
}

/** Where the schema lives in the source tree, whether this runs from `schema/` or `dist/schema/`. */
export function schemaFilePath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const root = here.endsWith(join("dist", "schema")) ? join(here, "..", "..") : join(here, "..");
  return join(root, "schema", "popdock.schema.json");
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = schemaFilePath();
  writeFileSync(out, generateJsonSchema());
  process.stdout.write(`wrote ${out}\n`);
}
