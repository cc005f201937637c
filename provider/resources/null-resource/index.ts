/**
 * `null_resource`: Terraform's resource that does nothing but exist. It makes no API calls, is
 * kept in state, and is replaced when its `triggers` change — with `replace_triggered_by` on a
 * token, the standard keeper pattern for token rotation.
 */
import { randomUUID } from "node:crypto";
import type { DesiredNull } from "../../model/desired.js";
import { locate } from "../../model/diagnostics.js";
import { UsageError } from "../../model/errors.js";
import type { ResourceHandler } from "../types.js";

export const nullResource: ResourceHandler<DesiredNull> = {
  type: "null_resource",
  sensitive: [],
  compared: ["triggers"],
  updatable: [],
  computed: ["id"],
  sets: [],
  local: true,
  importIdFormat: "(not importable)",

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
  read: (_live, entry) => ({ id: entry.id, version: entry.version, attrs: { ...entry.attributes } }),
  conflict: () => undefined,

  create: async (_ctx, after) => ({ id: randomUUID(), version: 1, attrs: { ...after } }),
  update: async (_ctx, remote, after) => ({
    id: remote.id,
    version: remote.version + 1,
    attrs: { ...after },
  }),
  delete: async () => {},
  import: () => Promise.reject(new UsageError("null_resource cannot be imported: it exists only in state")),
};
