/**
 * Merging validated files: each top-level section's entries, a key defined in only one file, one
 * provider block. The sections are `variables`, `outputs`, one per type with a section of its own
 * (`api_users`) and the generic `resources.<type>` (./config-file.ts). Entries that failed the
 * schema are set aside (and recorded as broken, so that references to them are not reported
 * again: one mistake gives one diagnostic).
 */
import type { z } from "zod";
import { Output, ProviderBlock, RESOURCE_KEY, VARIABLE_NAME, Variable } from "../../../schema/config.js";
import { isRecord } from "../../model/values.js";
import type { ConfiguredType } from "../resource-config.js";
import { isReservedKey, type SourceFile } from "../source.js";
import { yamlLayout } from "./config-file.js";
import type { Interpolator } from "./interpolation.js";
import type { ParsedFile } from "./parse.js";

/** A section name: `variables`, `outputs`, a type's own (`api_users`), or `resources.<type>`. */
export type Section = string;

export interface Entry<T> {
  src: SourceFile;
  key: string;
  value: T;
}

/** An entry of a type's section or of `resources.<type>`: valid, as written. */
export interface ResourceEntry {
  type: ConfiguredType;
  /** `api_users`, or `resources.<type>`. */
  section: Section;
  raw: Record<string, unknown>;
}

/** The files' entries, by section. */
export interface Merged {
  variables: Entry<Variable>[];
  /** Entries of `api_users`, as written (valid). */
  users: Entry<{ raw: Record<string, unknown> }>[];
  /** Entries of other types' sections and of `resources.<type>`, in file order. */
  resources: Entry<ResourceEntry>[];
  outputs: Entry<Output>[];
  brokenEntries: Entry<{ section: Section; path: (string | number)[]; raw: unknown }>[];
  provider: Entry<ProviderBlock> | undefined;
}

interface SectionSpec {
  label: string;
  schema: z.ZodType;
  key: RegExp;
  /** Where the section is in a file. */
  path: string[];
  type?: ConfiguredType;
}

function sections(): Map<Section, SectionSpec> {
  const layout = yamlLayout();
  const out = new Map<Section, SectionSpec>();
  out.set("variables", { label: "variable", schema: Variable, key: VARIABLE_NAME, path: ["variables"] });
  for (const s of layout.sections) {
    const label = s.type.type.render.noun;
    out.set(s.name, { label, schema: s.entry, key: RESOURCE_KEY, path: [s.name], type: s.type });
  }
  out.set("outputs", { label: "output", schema: Output, key: RESOURCE_KEY, path: ["outputs"] });
  for (const t of layout.resources) {
    const entry = t.config.yaml?.entry;
    if (entry === undefined) continue;
    const name = t.type.type;
    out.set(`resources.${name}`, {
      label: `${name} resource`,
      schema: entry,
      key: RESOURCE_KEY,
      path: ["resources", name],
      type: t,
    });
  }
  return out;
}

export function mergeFiles(ip: Interpolator, files: readonly ParsedFile[]): Merged {
  const merged: Merged = {
    variables: [],
    users: [],
    resources: [],
    outputs: [],
    brokenEntries: [],
    provider: undefined,
  };
  let providerFile: SourceFile | undefined;
  const specs = sections();
  const seen = new Map<Section, Map<string, SourceFile>>();

  for (const { src, data } of files) {
    if (!isRecord(data)) continue; // reported by the schema check
    if (data.provider !== undefined) {
      if (providerFile !== undefined) {
        ip.diags.push(
          src.diag(
            "CONFIG_DUPLICATE_KEY",
            `provider is also configured at ${providerFile.where(["provider"])}`,
            ["provider"],
            { at: "key", hint: "keep one provider block" },
          ),
        );
      } else {
        providerFile = src;
        const r = ProviderBlock.safeParse(data.provider);
        if (r.success) merged.provider = { src, key: "provider", value: r.data };
      }
    }
    for (const [section, spec] of specs) {
      const [top, sub] = spec.path;
      if (top === undefined) continue;
      const container = data[top];
      const raw = sub === undefined ? container : isRecord(container) ? container[sub] : undefined;
      if (raw === undefined) continue;
      if (!isRecord(raw)) {
        ip.broken(section).add("*");
        continue;
      }
      const { label, schema, key: keyPattern } = spec;
      let keys = seen.get(section);
      if (keys === undefined) {
        keys = new Map();
        seen.set(section, keys);
      }
      for (const [key, value] of Object.entries(raw)) {
        const path = [...spec.path, key];
        const prev = keys.get(key);
        if (prev !== undefined) {
          ip.diags.push(
            src.diag(
              "CONFIG_DUPLICATE_KEY",
              `${label} "${key}" is also defined at ${prev.where(path)}`,
              path,
              {
                at: "key",
                hint: "each key may be defined in only one file",
              },
            ),
          );
          continue;
        }
        keys.set(key, src);
        const r = schema.safeParse(value);
        if (!r.success || !keyPattern.test(key) || isReservedKey(key) || !isRecord(value)) {
          ip.broken(section).add(key);
          merged.brokenEntries.push({ src, key, value: { section, path, raw: value } });
          continue;
        }
        if (section === "variables") {
          const v = Variable.safeParse(value);
          if (v.success) merged.variables.push({ src, key, value: v.data });
        } else if (section === "outputs") {
          const o = Output.safeParse(value);
          if (o.success) merged.outputs.push({ src, key, value: o.data });
        } else if (section === "api_users") {
          merged.users.push({ src, key, value: { raw: value } });
        } else if (spec.type !== undefined) {
          merged.resources.push({ src, key, value: { type: spec.type, section, raw: value } });
        }
      }
    }
  }
  return merged;
}
