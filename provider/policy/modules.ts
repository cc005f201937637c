/**
 * Custom rule modules: `*.ts`, `*.mts`, `*.js`, `*.mjs` in a `policies/` folder beside the
 * configuration, and `--policy-module FILE`s. A module's default export is a rule
 * (`definePolicy({...})`) or a list of them. TypeScript is loaded with tsx (a runtime
 * dependency for exactly this), JavaScript with Node's own `import()`. Problems (a module that
 * does not load, throws while loading, or exports no rule; two rules with one id) are
 * diagnostics naming the file, never a crash.
 */
import { readdir } from "node:fs/promises";
import { extname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Diagnostic } from "../model/diagnostics.js";
import { BUILTIN_POLICIES } from "./builtin.js";
import { definitionProblem } from "./define.js";
import type { PolicyDefinition } from "./types.js";

export const POLICY_MODULE_EXTENSIONS = [".ts", ".mts", ".js", ".mjs"] as const;

/** The module files in `dir` (sorted), or none when it does not exist. */
export async function policyModulesIn(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT" || e.code === "ENOTDIR") return [] as string[];
    throw e;
  });
  return names
    .filter(
      (n) => (POLICY_MODULE_EXTENSIONS as readonly string[]).includes(extname(n)) && !n.endsWith(".d.ts"),
    )
    .sort()
    .map((n) => join(dir, n));
}

async function importModule(path: string): Promise<unknown> {
  const ext = extname(path);
  if (ext === ".ts" || ext === ".mts") {
    const { tsImport } = await import("tsx/esm/api");
    return tsImport(pathToFileURL(path).href, import.meta.url);
  }
  return import(pathToFileURL(path).href);
}

export interface LoadedRule {
  def: PolicyDefinition;
  /** The module file, as shown in messages. */
  source: string;
}

/**
 * Loads the modules. `display` turns a path into what messages show. Later duplicates of an id
 * (or a custom rule named like a built-in one) are diagnostics and are left out.
 */
export async function loadPolicyModules(
  files: readonly string[],
  cwd: string,
  display: (path: string) => string = (p) => p,
): Promise<{ rules: LoadedRule[]; diagnostics: Diagnostic[] }> {
  const rules: LoadedRule[] = [];
  const diagnostics: Diagnostic[] = [];
  const seen = new Map<string, string>();
  for (const f of files) {
    const path = resolve(cwd, f);
    const file = display(path);
    const bad = (message: string, hint?: string) =>
      diagnostics.push({
        code: "POLICY_MODULE_INVALID",
        severity: "error",
        message,
        file,
        ...(hint !== undefined ? { hint } : {}),
      });
    if (!(POLICY_MODULE_EXTENSIONS as readonly string[]).includes(extname(path))) {
      bad(`a policy module is a .ts, .mts, .js or .mjs file`);
      continue;
    }
    let mod: unknown;
    try {
      mod = await importModule(path);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === "ERR_MODULE_NOT_FOUND" && String(e.message).includes(path)) {
        bad("no such file");
        continue;
      }
      bad(`the policy module could not be loaded: ${e.message?.split("\n")[0] ?? String(err)}`);
      continue;
    }
    let exported = (mod as { default?: unknown }).default;
    // tsx may hand a CommonJS-shaped namespace: { default: { default: … } }.
    if (
      typeof exported === "object" &&
      exported !== null &&
      !Array.isArray(exported) &&
      "default" in exported &&
      !("check" in exported)
    )
      exported = (exported as { default: unknown }).default;
    if (exported === undefined) {
      bad("the policy module has no default export", "export default definePolicy({ id, check })");
      continue;
    }
    const list = Array.isArray(exported) ? exported : [exported];
    for (const def of list) {
      const problem = definitionProblem(def);
      if (problem !== undefined) {
        bad(problem);
        continue;
      }
      const d = def as PolicyDefinition;
      if (BUILTIN_POLICIES.has(d.id)) {
        bad(`policy "${d.id}" has the id of a built-in rule`, "give the custom rule an id of its own");
        continue;
      }
      const first = seen.get(d.id);
      if (first !== undefined) {
        bad(`policy "${d.id}" is defined twice (also in ${first})`);
        continue;
      }
      seen.set(d.id, file);
      rules.push({ def: d, source: file });
    }
  }
  return { rules, diagnostics };
}
