/**
 * Policy configuration: the YAML `policy:` section of a config, a `popdock-policy.yaml` beside the
 * configuration, and `--policy FILE`s. One shape everywhere:
 *
 *     rules:
 *       no-admin-role: {}                       # on, at its default level
 *       token-max-age: { level: mandatory, days: 90 }
 *       name-pattern: { users: "^svc-[a-z0-9-]+$" }
 *
 * (a file may also wrap it in `policy:`, so the same text works in both places). Rules are
 * checked here with positions: unknown ids, bad levels and bad parameters are diagnostics with
 * file:line:col. Several sources merge per rule: the strictest level wins (a project file cannot
 * weaken an organisation's rule), and parameters given later replace earlier ones.
 */
import { readFile } from "node:fs/promises";
import { type Document, isMap, isPair, isScalar, LineCounter, type Node, parseDocument } from "yaml";
import { z } from "zod";
import { PolicyLevel } from "../../schema/policy.js";
import { type Diagnostic, didYouMean, fileDiagnostic } from "../model/diagnostics.js";
import { BUILTIN_POLICIES } from "./builtin.js";
import type { ActiveRule } from "./evaluate.js";
import type { PolicyDefinition } from "./types.js";

/**
 * The policy file looked for beside any configuration (and the one YAML name in a configuration
 * directory that is never read as configuration).
 */
export const POLICY_FILE_NAME = "popdock-policy.yaml";

/**
 * The `policy:` section's schema as the YAML frontend and the JSON Schema know it: loose on
 * parameters (this module checks those, with positions), with each built-in rule described.
 */
export function policySectionSchema(): z.ZodType {
  const Setting = z.looseObject({ level: PolicyLevel.optional() }).nullable();
  const shape: Record<string, z.ZodType> = {};
  for (const r of BUILTIN_POLICIES.values())
    shape[r.id] = Setting.optional().describe(`${r.description} Default level: ${r.level}.`);
  return z
    .strictObject({
      rules: z
        .object(shape)
        .catchall(Setting)
        .optional()
        .describe("Rules by id (built-in or from policies/ modules): { level, ...parameters }."),
    })
    .describe("Policy rules every plan is checked against (see README, Policies).");
}

/** One place policy settings come from. */
export interface PolicySource {
  /** As shown in messages. */
  file: string;
  /** Read from disk when `text` is absent. */
  path: string;
  text?: string;
  /** `config`: a configuration file, whose `policy:` section is read (absent: no policy). */
  kind: "config" | "policy-file";
}

/** A rule's merged settings. */
export interface RuleSetting {
  level?: PolicyLevel;
  params: Record<string, unknown>;
  /** Where it was (last) set, for messages. */
  file: string;
}

const RANK: Record<PolicyLevel, number> = { off: 0, advisory: 1, mandatory: 2, hard: 3 };

function position(lc: LineCounter, node: Node | null | undefined): { line?: number; column?: number } {
  const offset = node?.range?.[0];
  if (offset === undefined) return {};
  const p = lc.linePos(offset);
  return { line: p.line, column: p.col };
}

/** The node at `path` (keys), or the key node of its last step with `key`. */
function nodeAt(doc: Document, path: readonly (string | number)[], key = false): Node | undefined {
  if (!key) return (doc.getIn(path, true) as Node | undefined) ?? undefined;
  const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  if (!isMap(parent)) return undefined;
  const last = path[path.length - 1];
  const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === last);
  return (pair?.key as Node | undefined) ?? undefined;
}

/**
 * Reads and checks the sources. `customIds` are the ids of custom rules loaded from modules
 * (they may be levelled here too). Returns the merged settings by rule id.
 */
export async function readPolicyConfig(
  sources: readonly PolicySource[],
  customIds: ReadonlySet<string>,
): Promise<{ settings: Map<string, RuleSetting>; diagnostics: Diagnostic[]; found: boolean }> {
  const settings = new Map<string, RuleSetting>();
  const diagnostics: Diagnostic[] = [];
  let found = false;
  for (const src of sources) {
    let text: string;
    try {
      text = src.text ?? (await readFile(src.path, "utf8"));
    } catch (e) {
      diagnostics.push(fileDiagnostic(src.file, e as NodeJS.ErrnoException));
      continue;
    }
    const lc = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
    const at = (path: readonly (string | number)[], key = false) => ({
      file: src.file,
      ...position(lc, nodeAt(doc, path, key)),
      path: path.join("."),
    });
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const p = lc.linePos(e.pos[0]);
        diagnostics.push({
          code: "POLICY_YAML_SYNTAX",
          severity: "error",
          message: e.message.split("\n")[0] ?? "YAML syntax error",
          file: src.file,
          line: p.line,
          column: p.col,
        });
      }
      continue;
    }
    const root = doc.toJS() as unknown;
    let prefix: string[] = [];
    let body: unknown = root;
    const isObj = (v: unknown): v is Record<string, unknown> =>
      typeof v === "object" && v !== null && !Array.isArray(v);
    if (src.kind === "config") {
      if (!isObj(root) || !("policy" in root)) continue;
      prefix = ["policy"];
      body = root.policy;
    } else if (isObj(root) && "policy" in root && !("rules" in root)) {
      prefix = ["policy"];
      body = root.policy;
    }
    found = true;
    if (body === null || body === undefined) continue;
    if (!isObj(body)) {
      diagnostics.push({
        code: "POLICY_INVALID",
        severity: "error",
        message: "a policy is a mapping with `rules`",
        ...at(prefix),
      });
      continue;
    }
    for (const k of Object.keys(body)) {
      if (k === "rules") continue;
      diagnostics.push({
        code: "POLICY_UNKNOWN_KEY",
        severity: "error",
        message: `unknown key "${k}" in a policy (only \`rules\`)`,
        ...at([...prefix, k], true),
      });
    }
    const rules = body.rules;
    if (rules === undefined || rules === null) continue;
    if (!isObj(rules)) {
      diagnostics.push({
        code: "POLICY_INVALID",
        severity: "error",
        message: "`rules` is a mapping of rule id → settings",
        ...at([...prefix, "rules"]),
      });
      continue;
    }
    const known = [...BUILTIN_POLICIES.keys(), ...customIds];
    for (const [id, raw] of Object.entries(rules)) {
      const path = [...prefix, "rules", id];
      const builtin = BUILTIN_POLICIES.get(id);
      if (builtin === undefined && !customIds.has(id)) {
        const guess = didYouMean(id, known);
        diagnostics.push({
          code: "POLICY_UNKNOWN_RULE",
          severity: "error",
          message: `unknown policy rule "${id}"`,
          ...at(path, true),
          hint: guess
            ? `did you mean "${guess}"?`
            : "run `popdock policy list` for the rules there are; custom rules come from policies/ or --policy-module",
        });
        continue;
      }
      const setting = raw === null ? {} : raw;
      if (!isObj(setting)) {
        diagnostics.push({
          code: "POLICY_INVALID",
          severity: "error",
          message: `the settings of rule "${id}" must be a mapping ({ level, ...parameters }), not ${JSON.stringify(setting)}`,
          ...at(path),
        });
        continue;
      }
      const { level: rawLevel, ...params } = setting;
      let level: PolicyLevel | undefined;
      if (rawLevel !== undefined) {
        const l = PolicyLevel.safeParse(rawLevel);
        if (!l.success) {
          diagnostics.push({
            code: "POLICY_BAD_LEVEL",
            severity: "error",
            message: `level of rule "${id}" must be advisory, mandatory, hard or off, not ${JSON.stringify(rawLevel)}`,
            ...at([...path, "level"]),
          });
          continue;
        }
        level = l.data;
      }
      const prev = settings.get(id);
      const mergedParams = { ...(prev?.params ?? {}), ...params };
      if (builtin !== undefined) {
        const r = builtin.params.safeParse(mergedParams);
        if (!r.success) {
          for (const issue of r.error.issues) {
            const p = issue.path.filter((x): x is string | number => typeof x !== "symbol");
            const where =
              issue.code === "unrecognized_keys"
                ? at([...path, ...p, ...(issue.keys.length > 0 ? [issue.keys[0] as string] : [])], true)
                : p.length > 0 && p[0] !== undefined && p[0] in params
                  ? at([...path, ...p])
                  : at(path, true);
            diagnostics.push({
              code: "POLICY_BAD_PARAMETER",
              severity: "error",
              message:
                issue.code === "unrecognized_keys"
                  ? `rule "${id}" has no parameter ${issue.keys.map((k) => `"${k}"`).join(", ")}`
                  : `rule "${id}"${p.length > 0 ? `, parameter ${p.join(".")}` : ""}: ${issue.message}`,
              ...where,
            });
          }
          continue;
        }
      }
      const strictest =
        prev?.level === undefined
          ? level
          : level === undefined || RANK[prev.level] > RANK[level]
            ? prev.level
            : level;
      settings.set(id, {
        ...(strictest !== undefined ? { level: strictest } : {}),
        params: mergedParams,
        file: src.file,
      });
    }
  }
  return { settings, diagnostics, found };
}

/** The rules to evaluate: configured built-ins, and every loaded custom rule (unless set `off`). */
export function activeRules(
  settings: ReadonlyMap<string, RuleSetting>,
  custom: readonly { def: PolicyDefinition; source: string }[],
): ActiveRule[] {
  const out: ActiveRule[] = [];
  for (const [id, s] of settings) {
    const b = BUILTIN_POLICIES.get(id);
    if (b === undefined) continue;
    const level = s.level ?? b.level;
    if (level === "off") continue;
    out.push({ def: b, level, params: b.params.parse(s.params), source: "built-in" });
  }
  for (const c of custom) {
    const s = settings.get(c.def.id);
    const level = s?.level ?? c.def.level ?? "advisory";
    if (level === "off") continue;
    out.push({ def: c.def, level, params: s?.params ?? {}, source: c.source });
  }
  return out;
}
