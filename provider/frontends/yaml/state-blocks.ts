/**
 * The YAML file's `moved`, `removed` and `import` lists → the configuration's state blocks
 * (model/desired.ts `StateBlocks`), each with its file:line:col. Entries the schema refused are
 * left out (the schema check reported them). Values are taken as written: addresses and import
 * ids are not interpolated, as in Terraform.
 */
import { ImportEntry, MovedEntry, RemovedEntry } from "../../../schema/config.js";
import type { StateBlocks } from "../../model/desired.js";
import { isRecord } from "../../model/values.js";
import type { ParsedFile } from "./parse.js";

export function yamlStateBlocks(files: readonly ParsedFile[]): StateBlocks {
  const out: Required<StateBlocks> = { moved: [], removed: [], imports: [] };
  for (const { src, data } of files) {
    if (!isRecord(data)) continue;
    const list = (key: string): unknown[] => (Array.isArray(data[key]) ? (data[key] as unknown[]) : []);
    list("moved").forEach((raw, i) => {
      const r = MovedEntry.safeParse(raw);
      if (r.success) out.moved.push({ ...r.data, source: src.sourceRef(["moved", i]) });
    });
    list("removed").forEach((raw, i) => {
      const r = RemovedEntry.safeParse(raw);
      if (r.success) out.removed.push({ from: r.data.from, source: src.sourceRef(["removed", i]) });
    });
    list("import").forEach((raw, i) => {
      const r = ImportEntry.safeParse(raw);
      if (r.success) out.imports.push({ ...r.data, source: src.sourceRef(["import", i]) });
    });
  }
  return out;
}
