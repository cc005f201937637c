/**
 * What the YAML frontend makes of a path. YAML is the default format: `../index.ts` picks it for
 * any path no other frontend owns; here it reports the YAML files a directory holds, for the
 * message about mixed formats.
 */
import { basename } from "node:path";
import { POLICY_FILE_NAME } from "../../policy/config.js";
import { firstFileIn, isDirectory } from "../detect.js";
import type { Detection } from "../types.js";

const YAML_FILE = /\.ya?ml$/i;

export async function detectYaml(path: string): Promise<Detection> {
  if (!(await isDirectory(path))) return YAML_FILE.test(basename(path)) ? { kind: "owns" } : { kind: "none" };
  const example = await firstFileIn(path, (n) => YAML_FILE.test(n) && n !== POLICY_FILE_NAME);
  return example === undefined ? { kind: "none" } : { kind: "contains", example };
}
