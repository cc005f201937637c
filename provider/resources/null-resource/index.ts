/**
 * `null_resource`: Terraform's resource that does nothing but exist. It makes no API calls, is
 * kept in state, and is replaced when its `triggers` change — with `replace_triggered_by` on a
 * token, the standard keeper pattern for token rotation.
 */
import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { DesiredNull } from "../../model/desired.js";
import { locate } from "../../model/diagnostics.js";
import { UsageError } from "../../model/errors.js";
import { defineResourceType } from "../define.js";
import { nullResourceConfig } from "./config.js";

/** `triggers` is absent only in a state entry written without it (read back as it is). */
const NullAttrs = z.object({ triggers: z.record(z.string(), z.string()).optional() });
export type NullAttrs = z.infer<typeof NullAttrs>;

export const nullResource = defineResourceType<DesiredNull, NullAttrs>({
  type: "null_resource",
  order: 30,
  // A keeper has no remote object: the new one can always exist beside the old.
  createBeforeDestroy: true,
  uniqueName: false,
  referenceable: ["id"],
  sensitive: [],
  compared: ["triggers"],
  updatable: [],
  computed: ["id"],
  sets: [],
  local: true,
  attrs: NullAttrs,
  config: nullResourceConfig,
  render: {
    noun: "null_resource",
    describe: () => "a null_resource",
    attributeOrder: ["triggers", "id"],
    displayNames: [],
    informational: [],
    dotShape: 'shape = "diamond"',
    mermaidShape: ["{{", "}}"],
  },
  import: {
    format: "(not importable)",
    parse() {
      throw new UsageError("null_resource cannot be imported: it exists only in state");
    },
  },

  desired(res) {
    // Trigger values are kept in state, so a key that names a secret is refused (the state
    // writer rejects any token_id-like key anywhere, and a trigger is no place for a secret).
    const reserved = Object.keys(res.attrs.triggers).filter(
      (k) => k.toLowerCase().replace(/[^a-z]/g, "") === "tokenid",
    );
    if (reserved.length > 0) {
      return {
        diagnostics: reserved.map((k) => ({
          code: "CONFIG_RESERVED_TRIGGER",
          severity: "error" as const,
          message: `${res.address}: trigger "${k}" is reserved: state never holds a token ID, so no key may be named like one`,
          ...locate(res.source),
          hint: "name the trigger after what changes, e.g. quarter or version",
        })),
      };
    }
    return { attrs: { triggers: { ...res.attrs.triggers } }, diagnostics: [] };
  },

  /** Lives only in state: what state says is the truth. */
  read: (_live, entry) => {
    const triggers = entry.attributes.triggers;
    return {
      id: entry.id,
      version: entry.version,
      attrs: isStringRecord(triggers) ? { triggers: { ...triggers } } : {},
    };
  },
  conflict: () => undefined,

  create: async (_ctx, after) => ({ id: randomUUID(), version: 1, attrs: { ...after } }),
  update: async (_ctx, remote, after) => ({
    id: remote.id,
    version: remote.version + 1,
    attrs: { ...after },
  }),
  delete: async () => {},
  importRead: () =>
    Promise.reject(new UsageError("null_resource cannot be imported: it exists only in state")),
});

function isStringRecord(v: unknown): v is Record<string, string> {
  return (
    typeof v === "object" &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v).every((x) => typeof x === "string")
  );
}
