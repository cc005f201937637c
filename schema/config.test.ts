// biome-ignore-all lint/suspicious/noTemplateCurlyInString: "${var.x}" and "${<address>.<attr>}" are the YAML format's own syntax, quoted on purpose.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { configFileSchema } from "../provider/frontends/yaml/config-file.js";
import { generateJsonSchema, schemaFilePath } from "../provider/frontends/yaml/json-schema.js";

const ConfigFile = configFileSchema();

describe("schema/popdock.schema.json", () => {
  it("is up to date with schema/config.ts and the types' config.ts (run `npm run schema:generate`)", () => {
    expect(readFileSync(schemaFilePath(), "utf8")).toBe(generateJsonSchema());
  });

  it("is strict and documented", () => {
    const schema = JSON.parse(generateJsonSchema()) as Record<string, unknown>;
    expect(schema.additionalProperties).toBe(false);
    expect(schema.description).toMatch(/Popdock/);
    expect(generateJsonSchema()).toContain('"propertyNames"');
  });
});

describe("ConfigFile", () => {
  it("accepts the documented example", () => {
    const r = ConfigFile.safeParse({
      provider: { endpoint: "https://example.popdock.com" },
      variables: { env: { default: "dev", description: "deployment environment" } },
      api_users: {
        reporting_bot: {
          name: "reporting-bot-${var.env}",
          prevent_destroy: true,
          grants: [
            { team: "Finance" },
            { role: "User" },
            {
              connector: "GP Production",
              roles: ["Reader"],
              companies: ["Fabrikam Inc"],
              lists: ["Customers"],
            },
          ],
          tokens: { powerbi: { name: "powerbi-refresh", rotation: { triggers: { quarter: "2026-Q4" } } } },
        },
      },
      outputs: { t: { value: '${popdock_api_token.reporting_bot["powerbi"].token_id}', sensitive: true } },
    });
    expect(r.success).toBe(true);
  });

  it("rejects unknown keys and bad keys", () => {
    expect(ConfigFile.safeParse({ api_user: {} }).success).toBe(false);
    expect(ConfigFile.safeParse({ api_users: { "a b": { name: "x" } } }).success).toBe(false);
    expect(ConfigFile.safeParse({ variables: { "my-var": {} } }).success).toBe(false);
  });
});
