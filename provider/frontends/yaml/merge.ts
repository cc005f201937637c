/**
 * Merging validated files: each top-level section's entries, a key defined in only one file, one
 * provider block. Entries that failed the schema are set aside (and recorded as broken, so that
 * references to them are not reported again: one mistake gives one diagnostic).
 */
import {
  ApiUser,
  Output,
  ProviderBlock,
  RESOURCE_KEY,
  VARIABLE_NAME,
  Variable,
} from "../../../schema/config.js";
import { isRecord } from "../../model/values.js";
import { isReservedKey, type SourceFile } from "../source.js";
import type { Interpolator } from "./interpolation.js";
import type { ParsedFile } from "./parse.js";

export const SECTIONS = {
  variables: { label: "variable", schema: Variable, key: VARIABLE_NAME },
  api_users: { label: "API user", schema: ApiUser, key: RESOURCE_KEY },
  outputs: { label: "output", schema: Output, key: RESOURCE_KEY },
} as const;
export type Section = keyof typeof SECTIONS;

export interface Entry<T> {
  src: SourceFile;
  key: string;
  value: T;
}

/** The files' entries, by section. */
export interface Merged {
  variables: Entry<Variable>[];
  users: Entry<ApiUser>[];
  outputs: Entry<Output>[];
  brokenEntries: Entry<{ section: Section; raw: unknown }>[];
  provider: Entry<ProviderBlock> | undefined;
}

export function mergeFiles(ip: Interpolator, files: readonly ParsedFile[]): Merged {
  const variables: Entry<Variable>[] = [];
  const users: Entry<ApiUser>[] = [];
  const outputs: Entry<Output>[] = [];
  const brokenEntries: Entry<{ section: Section; raw: unknown }>[] = [];
  let provider: Entry<ProviderBlock> | undefined;
  let providerFile: SourceFile | undefined;
  const seen: Record<Section, Map<string, SourceFile>> = {
    variables: new Map(),
    api_users: new Map(),
    outputs: new Map(),
  };

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
        if (r.success) provider = { src, key: "provider", value: r.data };
      }
    }
    for (const section of Object.keys(SECTIONS) as Section[]) {
      const raw = data[section];
      if (raw === undefined) continue;
      if (!isRecord(raw)) {
        ip.broken[section].add("*");
        continue;
      }
      const { label, schema, key: keyPattern } = SECTIONS[section];
      for (const [key, value] of Object.entries(raw)) {
        const prev = seen[section].get(key);
        if (prev !== undefined) {
          ip.diags.push(
            src.diag(
              "CONFIG_DUPLICATE_KEY",
              `${label} "${key}" is also defined at ${prev.where([section, key])}`,
              [section, key],
              { at: "key", hint: "each key may be defined in only one file" },
            ),
          );
          continue;
        }
        seen[section].set(key, src);
        const r = schema.safeParse(value);
        if (!r.success || !keyPattern.test(key) || isReservedKey(key)) {
          ip.broken[section].add(key);
          brokenEntries.push({ src, key, value: { section, raw: value } });
          continue;
        }
        if (section === "variables") variables.push({ src, key, value: r.data as Variable });
        else if (section === "api_users") users.push({ src, key, value: r.data as ApiUser });
        else outputs.push({ src, key, value: r.data as Output });
      }
    }
  }
  return { variables, users, outputs, brokenEntries, provider };
}
