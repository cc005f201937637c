/**
 * `null_resource` in configuration: Terraform's `triggers` map (from the `null` provider). YAML
 * declares none directly: a token's `rotation` becomes one (provider/frontends/yaml).
 */
import { z } from "zod";
import { defineResourceConfig } from "../config.js";

/** `null_resource`: only `triggers`, a map of strings. */
export const NullResourceArgs = z.strictObject({
  triggers: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
    .optional()
    .describe(
      "Changing any value replaces the resource. Numbers and booleans become strings, as in Terraform.",
    ),
});
export type NullResourceArgs = z.infer<typeof NullResourceArgs>;

export const nullResourceConfig = defineResourceConfig<NullResourceArgs>("null_resource", {
  terraform: {
    schema: NullResourceArgs,
    arguments: Object.keys(NullResourceArgs.shape),
    provider: "null",
    known: [],
    computed: ["id", "triggers"],
    ignorable: ["triggers"],
    attrs(v) {
      const triggers: Record<string, string> = {};
      for (const [k, t] of Object.entries(v.triggers ?? {})) triggers[k] = String(t);
      return { triggers };
    },
  },
});
