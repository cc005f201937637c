/**
 * Writes `schema/popdock.schema.json`, the JSON Schema of the YAML format, from the file's zod
 * schema as the registry's built-in types assemble it (./config-file.ts). Run with
 * `npm run schema:generate`; `schema/config.test.ts` fails when the committed file differs from
 * what this produces. (It lives with the YAML frontend because `schema/`, the lowest layer,
 * cannot ask the resource registry.)
 */
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { configFileSchema } from "./config-file.js";

/** The JSON Schema (draft-07, which yaml-language-server and most editors support), as formatted JSON text. */
export function generateJsonSchema(): string {
  const schema = z.toJSONSchema(configFileSchema(), {
    target: "draft-7",
    io: "input",
    unrepresentable: "throw",
  });
  return `${JSON.stringify(schema, null, 2)}\n`;
}

/** Where the schema lives in the source tree, whether this runs from `provider/frontends/yaml/` or `dist/…`. */
export function schemaFilePath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const inDist = here.endsWith(join("dist", "provider", "frontends", "yaml"));
  const root = inDist ? join(here, "..", "..", "..", "..") : join(here, "..", "..", "..");
  return join(root, "schema", "popdock.schema.json");
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = schemaFilePath();
  writeFileSync(out, generateJsonSchema());
  process.stdout.write(`wrote ${out}\n`);
}
