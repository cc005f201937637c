/**
 * From validated YAML files to the DesiredConfig: merges the files (a key may be defined in only
 * one), resolves variables, expands API users into resources with addresses from natural keys,
 * and checks what the schema cannot: duplicate names, references in outputs, sensitivity.
 *
 * Addresses:
 * - `api_users.<user>`               → `popdock_api_user.<user>`
 * - `grants[*]`                      → `popdock_api_user_grant.<user>["team:Finance"]` (see `grantKey`)
 * - `tokens.<token>`                 → `popdock_api_token.<user>["<token>"]`
 * - `tokens.<token>.rotation`        → `null_resource.<user>__<token>_rotation`, with the
 *   interpolated triggers; the token gets `replaceTriggeredBy` and `dependsOn` on it and
 *   `createBeforeDestroy`, so changing a trigger creates a new token before deleting the old one.
 * - every token also gets an automatic sensitive output `<user>.<token>` with its token_id
 *   (user-written output names cannot contain a dot, so they never collide).
 *
 * Entries that failed schema validation are left out, and references to them are not reported
 * again, so that one mistake gives one diagnostic.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: "${var.x}" and "${<address>.<attr>}" are the YAML format's own syntax, quoted on purpose.
import {
  ApiUser,
  Output,
  ProviderBlock,
  RESOURCE_KEY,
  VARIABLE_NAME,
  Variable,
} from "../../../schema/config.js";
import { type Diagnostic, didYouMean } from "../../diagnostics.js";
import {
  type DesiredConfig,
  type DesiredOutput,
  type DesiredResource,
  defaultLifecycle,
  formatAddress,
  type GrantSpec,
  grantKey,
  SENSITIVE_ATTRS,
  type TemplatePart,
} from "../../engine/desired.js";
import { compactParts, parseExpr, scanTemplate } from "./interpolate.js";
import type { ParsedFile } from "./parse.js";
import type { DocPath, SourceFile } from "./source.js";

/** `provider.endpoint: local` means the embedded sandbox (see `engine/workspace.ts`). */
const LOCAL_ENDPOINT = "local";

/** The attributes an output may refer to, by resource type. */
export const REFERENCEABLE_ATTRS: Readonly<Record<DesiredResource["type"], readonly string[]>> = {
  popdock_api_user: ["id", "name", "description"],
  popdock_api_user_grant: ["id"],
  popdock_api_token: ["id", "name", "token_id"],
  null_resource: ["id"],
};

export interface ExpandOptions {
  /** `--var name=value`, highest precedence. */
  vars: Readonly<Record<string, string>>;
  /** Environment; `POPDOCK_VAR_<name>` sets a variable. */
  env: Readonly<Record<string, string | undefined>>;
}

export type ExpandedConfig = Pick<DesiredConfig, "provider" | "resources" | "outputs">;

const SECTIONS = {
  variables: { label: "variable", schema: Variable, key: VARIABLE_NAME },
  api_users: { label: "API user", schema: ApiUser, key: RESOURCE_KEY },
  outputs: { label: "output", schema: Output, key: RESOURCE_KEY },
} as const;
type Section = keyof typeof SECTIONS;

interface Entry<T> {
  src: SourceFile;
  key: string;
  value: T;
}

interface VarValue {
  value: string | undefined;
  sensitive: boolean;
}

/** Merges and expands `files` (in order). Diagnostics are not sorted. */
export function expandFiles(
  files: readonly ParsedFile[],
  opts: ExpandOptions,
): { config: ExpandedConfig; diagnostics: Diagnostic[] } {
  return new Expander(opts).run(files);
}

class Expander {
  private readonly diags: Diagnostic[] = [];
  private readonly vars = new Map<string, VarValue>();
  /** Keys of entries that failed validation, by section; `*` when the whole section did. */
  private readonly broken: Record<Section, Set<string>> = {
    variables: new Set(),
    api_users: new Set(),
    outputs: new Set(),
  };
  private readonly resources: DesiredResource[] = [];
  private readonly outputs: DesiredOutput[] = [];
  /** API user names, case-folded, to where they were first used. */
  private readonly userNames = new Map<string, { src: SourceFile; key: string }>();

  constructor(private readonly opts: ExpandOptions) {}

  run(files: readonly ParsedFile[]): { config: ExpandedConfig; diagnostics: Diagnostic[] } {
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
          this.diags.push(
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
          this.broken[section].add("*");
          continue;
        }
        const { label, schema, key: keyPattern } = SECTIONS[section];
        for (const [key, value] of Object.entries(raw)) {
          const prev = seen[section].get(key);
          if (prev !== undefined) {
            this.diags.push(
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
          if (!r.success || !keyPattern.test(key)) {
            this.broken[section].add(key);
            brokenEntries.push({ src, key, value: { section, raw: value } });
            continue;
          }
          if (section === "variables") variables.push({ src, key, value: r.data as Variable });
          else if (section === "api_users") users.push({ src, key, value: r.data as ApiUser });
          else outputs.push({ src, key, value: r.data as Output });
        }
      }
    }

    this.resolveVariables(variables);
    const config: ExpandedConfig = { provider: {}, resources: this.resources, outputs: this.outputs };
    if (provider) config.provider = this.expandProvider(provider);
    for (const u of users) this.expandUser(u);
    this.checkAddresses();
    for (const o of outputs) this.expandOutput(o);
    for (const { src, key, value } of brokenEntries) this.checkStrings(src, [value.section, key], value.raw);
    return { config, diagnostics: this.diags };
  }

  // ------------------------------------------------------------------ variables

  private resolveVariables(variables: readonly Entry<Variable>[]): void {
    for (const { key, value } of variables) {
      let v: string | undefined = value.default === undefined ? undefined : String(value.default);
      const fromEnv = this.opts.env[`POPDOCK_VAR_${key}`];
      if (fromEnv !== undefined) v = fromEnv;
      const fromCli = this.opts.vars[key];
      if (fromCli !== undefined) v = fromCli;
      this.vars.set(key, { value: v, sensitive: value.sensitive ?? false });
    }
    const declared = [...this.vars.keys()];
    for (const name of Object.keys(this.opts.vars)) {
      if (this.vars.has(name) || this.isBroken("variables", name)) continue;
      const guess = didYouMean(name, declared);
      this.diags.push({
        code: "VAR_UNDECLARED",
        severity: "error",
        message: `--var ${name}=… sets a variable that no file declares`,
        hint: guess !== undefined ? `did you mean "${guess}"?` : `declare it under "variables:"`,
      });
    }
  }

  /** `${var.x}` in `text` replaced by values. Undefined (after reporting) when something is wrong. */
  private interpolate(src: SourceFile, path: DocPath, text: string): string | undefined {
    const parts = this.template(src, path, text, false);
    if (parts === undefined) return undefined;
    return parts.parts.filter((p): p is string => typeof p === "string").join("");
  }

  private template(
    src: SourceFile,
    path: DocPath,
    text: string,
    allowRefs: boolean,
  ): { parts: TemplatePart[]; sensitiveVars: string[] } | undefined {
    const scan = scanTemplate(text);
    if (!scan.ok) {
      this.diags.push(
        src.diag("CONFIG_INVALID_INTERPOLATION", scan.message, path, {
          hint: 'close it with "}", or write "$${" for a literal "${"',
        }),
      );
      return undefined;
    }
    const parts: TemplatePart[] = [];
    const sensitiveVars: string[] = [];
    const reported = new Set<string>();
    let ok = true;
    for (const seg of scan.segments) {
      if (seg.kind === "text") {
        parts.push(seg.text);
        continue;
      }
      const expr = parseExpr(seg.expr);
      if (expr.kind === "var") {
        const v = this.variable(src, path, expr.name, reported);
        if (v === undefined) ok = false;
        else {
          parts.push(v.value);
          if (v.sensitive) sensitiveVars.push(expr.name);
        }
      } else if (expr.kind === "ref" && allowRefs) {
        parts.push({ address: formatAddress(expr.type, expr.name, expr.index), attr: expr.attr });
      } else if (expr.kind === "ref") {
        ok = false;
        this.diags.push(
          src.diag(
            "CONFIG_INVALID_INTERPOLATION",
            `"\${${seg.expr}}": resource references are allowed only in output values`,
            path,
            {
              hint: "names and descriptions are fixed when the configuration is loaded; use ${var.<name>}",
            },
          ),
        );
      } else {
        ok = false;
        this.diags.push(
          src.diag("CONFIG_INVALID_INTERPOLATION", `unsupported expression "\${${seg.expr}}"`, path, {
            hint: allowRefs
              ? 'use ${var.<name>} or ${<address>.<attribute>}; write "$${" for a literal "${"'
              : 'use ${var.<name>}; write "$${" for a literal "${"',
          }),
        );
      }
    }
    return ok ? { parts: compactParts(parts), sensitiveVars } : undefined;
  }

  private variable(
    src: SourceFile,
    path: DocPath,
    name: string,
    reported: Set<string>,
  ): { value: string; sensitive: boolean } | undefined {
    const v = this.vars.get(name);
    if (v?.value !== undefined) return { value: v.value, sensitive: v.sensitive };
    if (reported.has(name)) return undefined;
    reported.add(name);
    if (v === undefined) {
      if (this.isBroken("variables", name)) return undefined;
      const guess = didYouMean(name, [...this.vars.keys()]);
      this.diags.push(
        src.diag("VAR_UNDEFINED", `variable "${name}" is not declared`, path, {
          hint: guess !== undefined ? `did you mean "var.${guess}"?` : `declare it under "variables:"`,
        }),
      );
    } else {
      this.diags.push(
        src.diag("VAR_UNDEFINED", `variable "${name}" has no value`, path, {
          hint: `pass --var ${name}=…, set POPDOCK_VAR_${name}, or give it a default`,
        }),
      );
    }
    return undefined;
  }

  /**
   * Interpolation checks on every string of an entry that failed the schema (and so is not
   * expanded), so that a misspelt variable is reported in the same run as a misspelt key.
   */
  private checkStrings(src: SourceFile, path: DocPath, raw: unknown): void {
    if (typeof raw === "string") {
      const inOutputValue = path[0] === "outputs" && path.length === 3 && path[2] === "value";
      this.template(src, path, raw, inOutputValue);
    } else if (Array.isArray(raw)) {
      raw.forEach((item, i) => {
        this.checkStrings(src, [...path, i], item);
      });
    } else if (isRecord(raw)) {
      for (const [k, v] of Object.entries(raw)) this.checkStrings(src, [...path, k], v);
    }
  }

  /** A string attribute of a resource: interpolated, with a warning when a secret leaks into it. */
  private attr(src: SourceFile, path: DocPath, text: string, required = true): string {
    const t = this.template(src, path, text, false);
    if (t === undefined) return "";
    const value = t.parts.filter((p): p is string => typeof p === "string").join("");
    if (required && value.trim() === "") {
      this.diags.push(
        src.diag(
          "CONFIG_INVALID_VALUE",
          `value is empty after interpolation (${JSON.stringify(text)})`,
          path,
          {
            hint: "give the variable a non-empty value",
          },
        ),
      );
    }
    for (const name of t.sensitiveVars) {
      this.diags.push(
        src.diag(
          "VAR_SENSITIVE_EXPOSED",
          `sensitive variable "${name}" is used in a value that is sent to Popdock and shown in plans`,
          path,
          { severity: "warning" },
        ),
      );
    }
    return value;
  }

  // ------------------------------------------------------------------ provider

  private expandProvider({ src, value }: Entry<ProviderBlock>): DesiredConfig["provider"] {
    if (value.endpoint === undefined) return {};
    const path = ["provider", "endpoint"];
    const endpoint = this.interpolate(src, path, value.endpoint);
    if (endpoint === undefined) return {};
    if (endpoint === LOCAL_ENDPOINT) return { endpoint };
    let url: URL | undefined;
    try {
      url = new URL(endpoint);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== "https:" && url.protocol !== "http:")) {
      this.diags.push(
        src.diag("CONFIG_INVALID_VALUE", `endpoint ${JSON.stringify(endpoint)} is not an http(s) URL`, path, {
          hint: 'e.g. https://example.popdock.com, or "local" for the embedded sandbox',
        }),
      );
      return {};
    }
    return { endpoint };
  }

  // ------------------------------------------------------------------ API users

  private expandUser({ src, key, value: u }: Entry<ApiUser>): void {
    const base: DocPath = ["api_users", key];
    const userAddress = formatAddress("popdock_api_user", key);
    const name = this.attr(src, [...base, "name"], u.name);
    this.checkUniqueName(src, key, name);
    this.resources.push({
      type: "popdock_api_user",
      address: userAddress,
      name: key,
      dependsOn: [],
      lifecycle: { ...defaultLifecycle(), preventDestroy: u.prevent_destroy ?? false },
      source: src.sourceRef(base),
      attrs: {
        name,
        description:
          u.description === undefined ? "" : this.attr(src, [...base, "description"], u.description, false),
      },
    });

    const grantKeys = new Map<string, DocPath>();
    (u.grants ?? []).forEach((g, i) => {
      const path: DocPath = [...base, "grants", i];
      let spec: GrantSpec;
      if ("team" in g) spec = { kind: "team", team: this.attr(src, [...path, "team"], g.team) };
      else if ("role" in g) spec = { kind: "role", role: this.attr(src, [...path, "role"], g.role) };
      else {
        const set = (k: "roles" | "companies" | "lists" | "actions" | "details") =>
          this.nameSet(src, [...path, k], g[k] ?? []);
        spec = {
          kind: "connector",
          connector: this.attr(src, [...path, "connector"], g.connector),
          roles: set("roles"),
          companies: set("companies"),
          lists: set("lists"),
          actions: set("actions"),
          details: set("details"),
        };
      }
      const index = grantKey(spec);
      const prev = grantKeys.get(index.toLowerCase());
      if (prev !== undefined) {
        this.diags.push(
          src.diag("CONFIG_DUPLICATE_GRANT", `grant "${index}" is also given at ${src.where(prev)}`, path, {
            hint:
              spec.kind === "connector" ? "merge the two connector grants into one" : "remove one of them",
          }),
        );
        return;
      }
      grantKeys.set(index.toLowerCase(), path);
      this.resources.push({
        type: "popdock_api_user_grant",
        address: formatAddress("popdock_api_user_grant", key, index),
        name: key,
        index,
        user: userAddress,
        dependsOn: [],
        lifecycle: defaultLifecycle(),
        source: src.sourceRef(path),
        attrs: spec,
      });
    });

    const tokenNames = new Map<string, { tokenKey: string; path: DocPath }>();
    for (const [tokenKey, t] of Object.entries(u.tokens ?? {})) {
      const path: DocPath = [...base, "tokens", tokenKey];
      const namePath: DocPath = t.name === undefined ? path : [...path, "name"];
      const name = t.name === undefined ? tokenKey : this.attr(src, namePath, t.name);
      const prev = tokenNames.get(name.toLowerCase());
      if (prev !== undefined && name !== "") {
        this.diags.push(
          src.diag(
            "CONFIG_DUPLICATE_TOKEN_NAME",
            `token name "${name}" is also used by token "${prev.tokenKey}" at ${src.where(prev.path)}`,
            namePath,
            {
              at: t.name === undefined ? "key" : "value",
              hint: "token names are unique per user, case-insensitively (a token without name is named after its key)",
            },
          ),
        );
      } else {
        tokenNames.set(name.toLowerCase(), { tokenKey, path: namePath });
      }
      const address = formatAddress("popdock_api_token", key, tokenKey);
      const lifecycle = { ...defaultLifecycle(), createBeforeDestroy: true };
      const dependsOn: string[] = [];
      if (t.rotation !== undefined) {
        const rotationPath: DocPath = [...path, "rotation"];
        const nullName = `${key}__${tokenKey}_rotation`;
        const nullAddress = formatAddress("null_resource", nullName);
        const triggers: Record<string, string> = {};
        for (const [k, v] of Object.entries(t.rotation.triggers)) {
          triggers[k] =
            typeof v === "string" ? this.attr(src, [...rotationPath, "triggers", k], v, false) : String(v);
        }
        this.resources.push({
          type: "null_resource",
          address: nullAddress,
          name: nullName,
          dependsOn: [],
          lifecycle: defaultLifecycle(),
          source: src.sourceRef(rotationPath),
          attrs: { triggers },
        });
        lifecycle.replaceTriggeredBy = [nullAddress];
        dependsOn.push(nullAddress);
      }
      this.resources.push({
        type: "popdock_api_token",
        address,
        name: key,
        index: tokenKey,
        user: userAddress,
        dependsOn,
        lifecycle,
        source: src.sourceRef(path),
        attrs: { name },
      });
      this.outputs.push({
        name: `${key}.${tokenKey}`,
        parts: [{ address, attr: "token_id" }],
        sensitive: true,
        description: `Token ID of ${address}`,
        automatic: true,
        source: src.sourceRef(path),
      });
    }
  }

  /** API user names are unique in Popdock, case-insensitively. */
  private checkUniqueName(src: SourceFile, key: string, name: string): void {
    if (name === "") return;
    const folded = name.toLowerCase();
    const prev = this.userNames.get(folded);
    if (prev === undefined) {
      this.userNames.set(folded, { src, key });
      return;
    }
    this.diags.push(
      src.diag(
        "CONFIG_DUPLICATE_USER_NAME",
        `API user name "${name}" is also used by api_users.${prev.key} at ${prev.src.where(["api_users", prev.key, "name"])}`,
        ["api_users", key, "name"],
        { hint: "API user names are unique in Popdock, case-insensitively" },
      ),
    );
  }

  /** A scope list as a set: sorted, duplicates dropped with a warning. */
  private nameSet(src: SourceFile, path: DocPath, items: readonly string[]): string[] {
    const seen = new Map<string, number>();
    items.forEach((item, i) => {
      const v = this.attr(src, [...path, i], item);
      const first = seen.get(v);
      if (first !== undefined) {
        this.diags.push(
          src.diag(
            "CONFIG_DUPLICATE_ITEM",
            `"${v}" is listed twice (also at ${src.where([...path, first])}); lists are sets, the duplicate is ignored`,
            [...path, i],
            { severity: "warning" },
          ),
        );
      } else {
        seen.set(v, i);
      }
    });
    return [...seen.keys()].sort(compareStrings);
  }

  /** Generated addresses (rotation `null_resource`s) must not collide. */
  private checkAddresses(): void {
    const seen = new Set<string>();
    for (const r of this.resources) {
      if (seen.has(r.address)) {
        this.diags.push({
          code: "CONFIG_DUPLICATE_ADDRESS",
          severity: "error",
          message: `two resources would have the address ${r.address}`,
          file: r.source.file,
          ...(r.source.line !== undefined ? { line: r.source.line } : {}),
          ...(r.source.column !== undefined ? { column: r.source.column } : {}),
          ...(r.source.path !== undefined ? { path: r.source.path } : {}),
          hint: 'rename a user or token key so that "<user>__<token>" differs',
        });
      }
      seen.add(r.address);
    }
  }

  // ------------------------------------------------------------------ outputs

  private expandOutput({ src, key, value: o }: Entry<Output>): void {
    const path: DocPath = ["outputs", key, "value"];
    const t = this.template(src, path, o.value, true);
    const description =
      o.description === undefined
        ? undefined
        : this.interpolate(src, ["outputs", key, "description"], o.description);
    if (t === undefined) return;
    const sensitive = o.sensitive ?? false;
    const addresses = this.resources.map((r) => r.address);
    const known = new Set(addresses);
    let secret: string | undefined =
      t.sensitiveVars[0] !== undefined ? `variable "${t.sensitiveVars[0]}"` : undefined;
    for (const part of t.parts) {
      if (typeof part === "string") continue;
      const dot = part.address.indexOf(".");
      const type = part.address.slice(0, dot);
      const attrs = (REFERENCEABLE_ATTRS as Readonly<Record<string, readonly string[]>>)[type];
      if (attrs === undefined) {
        const guess = didYouMean(type, Object.keys(REFERENCEABLE_ATTRS));
        this.diags.push(
          src.diag("REF_UNKNOWN_RESOURCE", `unknown resource type "${type}"`, path, {
            hint:
              guess !== undefined
                ? `did you mean "${guess}"?`
                : `types: ${Object.keys(REFERENCEABLE_ATTRS).join(", ")}`,
          }),
        );
        continue;
      }
      if (secret === undefined && SENSITIVE_ATTRS[type]?.includes(part.attr)) secret = refText(part);
      if (!known.has(part.address)) {
        if (this.refersToBroken(part.address)) continue;
        const guess = didYouMean(part.address, addresses);
        this.diags.push(
          src.diag("REF_UNKNOWN_RESOURCE", `reference to undeclared resource ${part.address}`, path, {
            hint: guess !== undefined ? `did you mean ${guess}?` : undefined,
          }),
        );
        continue;
      }
      if (!attrs.includes(part.attr)) {
        const guess = didYouMean(part.attr, attrs);
        this.diags.push(
          src.diag("REF_UNKNOWN_ATTRIBUTE", `${type} has no attribute "${part.attr}"`, path, {
            hint: guess !== undefined ? `did you mean "${guess}"?` : `attributes: ${attrs.join(", ")}`,
          }),
        );
      }
    }
    if (secret !== undefined && !sensitive) {
      this.diags.push(
        src.diag(
          "OUTPUT_SENSITIVE_REQUIRED",
          `output "${key}" refers to ${secret}, which is sensitive`,
          ["outputs", key],
          { at: "key", hint: "add `sensitive: true` to the output" },
        ),
      );
    }
    const out: DesiredOutput = {
      name: key,
      parts: t.parts,
      sensitive,
      source: src.sourceRef(["outputs", key]),
    };
    if (description !== undefined && description !== "") out.description = description;
    this.outputs.push(out);
  }

  private isBroken(section: Section, key: string): boolean {
    return this.broken[section].has("*") || this.broken[section].has(key);
  }

  /** Whether `address` may belong to an API user left out because it was invalid. */
  private refersToBroken(address: string): boolean {
    const broken = this.broken.api_users;
    if (broken.size === 0) return false;
    if (broken.has("*") || address.startsWith("null_resource.")) return true;
    const name = /^[a-z_]+\.([A-Za-z0-9_-]+)/.exec(address)?.[1];
    return name !== undefined && broken.has(name);
  }
}

function refText(ref: { address: string; attr: string }): string {
  return `${ref.address}.${ref.attr}`;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
