/**
 * The YAML file's schema, `ConfigFile`, assembled from the parts that belong to no type
 * (`schema/config.ts`: provider, variables, outputs) and the registry: a type with a YAML
 * placement of its own section (`api_users`) gets that section; types placed under a parent
 * (grants, tokens) become keys of the parent's entry; types placed in the generic `resources`
 * section get `resources.<type>`. The same schema is the source of `schema/popdock.schema.json`
 * (./json-schema.ts). Rebuilt when the registry changes (a type registered at run time).
 */
import { z } from "zod";
import {
  BackendBlock,
  CONFIG_FILE_META,
  ImportEntry,
  MovedEntry,
  Output,
  ProviderBlock,
  RemovedEntry,
  ResourceKey,
  VARIABLE_NAME,
  Variable,
} from "../../../schema/config.js";
import { policySectionSchema } from "../../policy/config.js";
import type { ResourceType } from "../../resources/index.js";
import { type ConfiguredType, configuredTypes } from "../resource-config.js";

/** A type placed under each entry of a section's type. */
export interface YamlChild {
  type: ConfiguredType;
  key: string;
  shape: "list" | "map";
}

/** A top-level section holding one type's entries by key (`api_users`). */
export interface YamlSection {
  name: string;
  type: ConfiguredType;
  /** The entry's schema, with its children's keys. */
  entry: z.ZodType;
  children: YamlChild[];
}

export interface YamlLayout {
  /** The whole file. */
  schema: z.ZodType;
  sections: YamlSection[];
  /** Types declared in the generic `resources: { <type>: { <name>: {…} } }` section. */
  resources: ConfiguredType[];
}

let cached: { types: readonly ResourceType[]; layout: YamlLayout } | undefined;

/** The file's layout for the types registered now. */
export function yamlLayout(): YamlLayout {
  const types = configuredTypes();
  const same =
    cached !== undefined &&
    cached.types.length === types.length &&
    cached.types.every((t, i) => t === types[i]?.type);
  if (same && cached !== undefined) return cached.layout;
  const layout = buildLayout(types);
  cached = { types: types.map((t) => t.type), layout };
  return layout;
}

function buildLayout(types: readonly ConfiguredType[]): YamlLayout {
  const sections: YamlSection[] = [];
  const resources: ConfiguredType[] = [];
  for (const t of types) {
    const placement = t.config.yaml?.placement;
    if (placement?.kind === "resources") resources.push(t);
    if (placement?.kind !== "section" || t.config.yaml === undefined) continue;
    const children: YamlChild[] = [];
    const shape: Record<string, z.ZodType> = {};
    for (const c of types) {
      const p = c.config.yaml?.placement;
      if (p?.kind !== "child" || c.type.parent?.type !== t.type.type || c.config.yaml === undefined) continue;
      children.push({ type: c, key: p.key, shape: p.shape });
      const list =
        p.shape === "list" ? z.array(c.config.yaml.entry) : z.record(ResourceKey, c.config.yaml.entry);
      shape[p.key] = list.optional().describe(p.description);
    }
    const own = t.config.yaml.entry;
    const entry = (own instanceof z.ZodObject ? own.extend(shape) : own).describe(placement.entryDescription);
    sections.push({ name: placement.section, type: t, entry, children });
  }
  const file: Record<string, z.ZodType> = {
    provider: ProviderBlock.optional(),
    backend: BackendBlock.optional(),
    variables: z
      .record(z.string().regex(VARIABLE_NAME), Variable)
      .optional()
      .describe("Input variables, by name."),
  };
  for (const s of sections) {
    const placement = s.type.config.yaml?.placement;
    const description = placement?.kind === "section" ? placement.description : "";
    file[s.name] = z.record(ResourceKey, s.entry).optional().describe(description);
  }
  file.outputs = z.record(ResourceKey, Output).optional().describe("Outputs, by name.");
  file.policy = policySectionSchema().optional();
  file.moved = z.array(MovedEntry).optional().describe("Address moves (renames) in state.");
  file.removed = z.array(RemovedEntry).optional().describe("Objects to forget without destroying them.");
  file.import = z.array(ImportEntry).optional().describe("Existing Popdock objects to adopt.");
  if (resources.length > 0) {
    const byType: Record<string, z.ZodType> = {};
    for (const t of resources) {
      if (t.config.yaml === undefined) continue;
      byType[t.type.type] = z
        .record(ResourceKey, t.config.yaml.entry)
        .optional()
        .describe(`\`${t.type.type}\` resources, by name.`);
    }
    file.resources = z
      .strictObject(byType)
      .optional()
      .describe("Resources of the other registered types, by type and name.");
  }
  return { schema: z.strictObject(file).meta(CONFIG_FILE_META), sections, resources };
}

/** The schema of a whole YAML file, for the types registered now. */
export function configFileSchema(): z.ZodType {
  return yamlLayout().schema;
}
