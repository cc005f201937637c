/**
 * From validated YAML files to the DesiredConfig: merges the files (a key may be defined in only
 * one), resolves variables, expands API users into resources with addresses from natural keys,
 * and checks what the schema cannot: duplicate names, references in outputs, what Popdock would
 * refuse or change (names it trims, values over its length limits), and where sensitive variables go.
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
 * Sensitive variables: a value that uses one may appear only in the value of a `sensitive: true`
 * output. Anywhere else it would be sent to Popdock or stored in state and plan files (which are
 * shown in PR comments), so it is an error, and the value is not checked further, nor quoted in
 * any other diagnostic.
 *
 * Entries that failed schema validation are left out, and references to them are not reported
 * again, so that one mistake gives one diagnostic.
 *
 * Maps read here (variables, `--var`, the environment, attribute tables) are looked up by own
 * property only, so that a variable named `constructor` or `toString` is just a variable.
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
import { descriptionProblem, type LimitProblem, nameProblem } from "../../../schema/limits.js";
import {
  type DesiredConfig,
  type DesiredOutput,
  defaultLifecycle,
  formatAddress,
  type GrantSpec,
  grantKey,
  SENSITIVE_ATTRS,
  type TemplatePart,
} from "../../model/desired.js";
import { type Diagnostic, didYouMean } from "../../model/diagnostics.js";
import { LOCAL_ENDPOINT } from "../../model/provider.js";
import { compareStrings, isRecord } from "../../model/values.js";
import { REFERENCEABLE_ATTRS } from "../attributes.js";
import { type DocPath, RESERVED_KEY, type SourceFile } from "../source.js";
import { compactParts, parseExpr, scanTemplate } from "../template.js";
import type { DraftResource, FrontendOutput, Phrasing } from "../types.js";
import type { ParsedFile } from "./parse.js";

export interface ExpandOptions {
  /** `--var name=value`, highest precedence. */
  vars: Readonly<Record<string, string>>;
  /** Environment; `POPDOCK_VAR_<name>` sets a variable. */
  env: Readonly<Record<string, string | undefined>>;
}

export type ExpandedConfig = Pick<
  FrontendOutput<YamlOrigin>,
  "provider" | "resources" | "outputs" | "variables"
>;

/** Where a YAML resource comes from, for the semantic pass's diagnostics (`yamlPhrasing`). */
export interface YamlOrigin {
  src: SourceFile;
  /** The entry's document path (`api_users.<key>`, a grant, a token, a rotation). */
  path: DocPath;
  /** The API user's key. */
  key: string;
  tokenKey?: string;
  /** Where a token's name is: its `name`, or its key when it has none (`nameAtKey`). */
  namePath?: DocPath;
  nameAtKey?: boolean;
}

/** The semantic pass's findings, in the YAML format's terms. */
export const yamlPhrasing: Phrasing<YamlOrigin> = {
  duplicateGrant({ resource: r, origin: { src, path } }, first) {
    const index = r.type === "popdock_api_user_grant" ? r.index : "";
    const connector = r.type === "popdock_api_user_grant" && r.attrs.kind === "connector";
    return src.diag(
      "CONFIG_DUPLICATE_GRANT",
      `grant "${index}" is also given at ${src.where(first.origin.path)}`,
      path,
      {
        hint: connector ? "merge the two connector grants into one" : "remove one of them",
      },
    );
  },
  duplicateAddress({ resource: r }) {
    return {
      code: "CONFIG_DUPLICATE_ADDRESS",
      severity: "error",
      message: `two resources would have the address ${r.address}`,
      file: r.source.file,
      ...(r.source.line !== undefined ? { line: r.source.line } : {}),
      ...(r.source.column !== undefined ? { column: r.source.column } : {}),
      ...(r.source.path !== undefined ? { path: r.source.path } : {}),
      hint: 'rename a user or token key so that "<user>__<token>" differs',
    };
  },
  duplicateUserName({ resource: r, origin: { src, key } }, { origin: prev }) {
    const name = r.type === "popdock_api_user" ? r.attrs.name : "";
    return src.diag(
      "CONFIG_DUPLICATE_USER_NAME",
      `API user name "${name}" is also used by api_users.${prev.key} at ${prev.src.where(["api_users", prev.key, "name"])}`,
      ["api_users", key, "name"],
      { hint: "API user names are unique in Popdock, case-insensitively" },
    );
  },
  duplicateTokenName({ resource: r, origin }, { origin: prev }) {
    const name = r.type === "popdock_api_token" ? r.attrs.name : "";
    return origin.src.diag(
      "CONFIG_DUPLICATE_TOKEN_NAME",
      `token name "${name}" is also used by token "${prev.tokenKey}" at ${origin.src.where(prev.namePath ?? prev.path)}`,
      origin.namePath ?? origin.path,
      {
        at: origin.nameAtKey === true ? "key" : "value",
        hint: "token names are unique per user, case-insensitively (a token without name is named after its key)",
      },
    );
  },
};

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

/** Where an interpolated value ends up, for the rule on sensitive variables. */
type Exposure = "popdock" | "state";

const EXPOSED_TO: Readonly<Record<Exposure, string>> = {
  popdock: "sent to Popdock and stored in state, plan files and PR comments",
  state: "stored in state, plan files and PR comments",
};

/** An interpolated string attribute. */
interface Interpolated {
  value: string;
  /**
   * False when a problem with the value has been reported already (a bad template, an empty
   * value, a sensitive variable): it is not checked further, nor quoted in other diagnostics.
   */
  ok: boolean;
}

/** The result of `template`. */
interface Template {
  parts: TemplatePart[];
  /** Sensitive variables used, each once. */
  sensitiveVars: string[];
  /** Whether the text has any `${var.x}`. */
  usesVars: boolean;
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
  private readonly resources: DraftResource<YamlOrigin>[] = [];
  private readonly outputs: DesiredOutput[] = [];

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
          if (!r.success || !keyPattern.test(key) || key === RESERVED_KEY) {
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
    const config: ExpandedConfig = {
      provider: {},
      resources: this.resources,
      outputs: this.outputs,
      variables: [...this.vars].map(([name, v]) => ({ name, sensitive: v.sensitive })),
    };
    if (provider) config.provider = this.expandProvider(provider);
    for (const u of users) this.expandUser(u);
    for (const o of outputs) this.expandOutput(o);
    for (const { src, key, value } of brokenEntries) {
      if (value.section === "variables") this.checkBrokenVariable(src, key, value.raw);
      else this.checkStrings(src, [value.section, key], value.raw);
    }
    return { config, diagnostics: this.diags };
  }

  // ------------------------------------------------------------------ variables

  private resolveVariables(variables: readonly Entry<Variable>[]): void {
    for (const { src, key, value } of variables) {
      let v: string | undefined;
      if (value.default !== undefined) {
        v = this.defaultValue(src, ["variables", key, "default"], value.default);
        if (v === undefined) {
          this.broken.variables.add(key); // reported; its uses are not reported again
          continue;
        }
      }
      const fromEnv = own(this.opts.env, `POPDOCK_VAR_${key}`);
      if (fromEnv !== undefined) v = fromEnv;
      const fromCli = own(this.opts.vars, key);
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

  /**
   * A variable's default, which is used as it is: `$${` is a literal `${` as in every string of
   * the format, but an expression is refused rather than kept as text (a user named
   * `${var.env}` helps nobody). Undefined (after reporting) when it has one.
   */
  private defaultValue(src: SourceFile, path: DocPath, value: string | number | boolean): string | undefined {
    if (typeof value !== "string") return String(value);
    const scan = scanTemplate(value);
    const expr = scan.ok ? scan.segments.find((s) => s.kind === "expr") : undefined;
    if (scan.ok && expr === undefined) {
      return scan.segments.map((s) => (s.kind === "text" ? s.text : "")).join("");
    }
    const what = expr?.kind === "expr" ? `uses "\${${expr.expr}}"` : 'contains "${"';
    this.diags.push(
      src.diag(
        "CONFIG_INVALID_INTERPOLATION",
        `a variable default ${what}, but defaults are not interpolated`,
        path,
        {
          hint: 'write "$${" for a literal "${", or put the template where the variable is used',
        },
      ),
    );
    return undefined;
  }

  /** A variable entry that failed the schema: its default is still checked. */
  private checkBrokenVariable(src: SourceFile, key: string, raw: unknown): void {
    if (isRecord(raw) && typeof raw.default === "string") {
      this.defaultValue(src, ["variables", key, "default"], raw.default);
    }
  }

  /**
   * `${var.x}` in `text` replaced by values, for a value that ends up as `exposure` says.
   * Undefined (after reporting) when something is wrong.
   */
  private interpolate(src: SourceFile, path: DocPath, text: string, exposure: Exposure): string | undefined {
    const t = this.template(src, path, text, false);
    if (t === undefined || this.exposed(src, path, t.sensitiveVars, exposure)) return undefined;
    return t.parts.filter((p): p is string => typeof p === "string").join("");
  }

  /** Reports each sensitive variable in a value that ends up as `exposure` says; whether there was one. */
  private exposed(
    src: SourceFile,
    path: DocPath,
    sensitiveVars: readonly string[],
    exposure: Exposure,
  ): boolean {
    for (const name of sensitiveVars) {
      this.diags.push(
        src.diag(
          "VAR_SENSITIVE_EXPOSED",
          `sensitive variable "${name}" is used here, so its value would be ${EXPOSED_TO[exposure]}`,
          path,
          {
            hint: 'a sensitive variable may be used only in the value of an output with "sensitive: true"; if it is not a secret, remove "sensitive: true" from the variable',
          },
        ),
      );
    }
    return sensitiveVars.length > 0;
  }

  private template(src: SourceFile, path: DocPath, text: string, allowRefs: boolean): Template | undefined {
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
    let usesVars = false;
    for (const seg of scan.segments) {
      if (seg.kind === "text") {
        parts.push(seg.text);
        continue;
      }
      const expr = parseExpr(seg.expr);
      if (expr.kind === "var") {
        usesVars = true;
        const v = this.variable(src, path, expr.name, reported);
        if (v === undefined) ok = false;
        else {
          parts.push(v.value);
          if (v.sensitive && !sensitiveVars.includes(expr.name)) sensitiveVars.push(expr.name);
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
    return ok ? { parts: compactParts(parts), sensitiveVars, usesVars } : undefined;
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
      const t = this.template(src, path, raw, inOutputValue);
      // An output's value may use a sensitive variable when the output is sensitive; that is
      // checked once the output is valid.
      if (t !== undefined && !inOutputValue) {
        const inState = path[0] === "outputs" || path[4] === "rotation";
        this.exposed(src, path, t.sensitiveVars, inState ? "state" : "popdock");
      }
    } else if (Array.isArray(raw)) {
      raw.forEach((item, i) => {
        this.checkStrings(src, [...path, i], item);
      });
    } else if (isRecord(raw)) {
      for (const [k, v] of Object.entries(raw)) this.checkStrings(src, [...path, k], v);
    }
  }

  /**
   * A string attribute of a resource, interpolated. `required`: it must not be empty or only
   * whitespace. `exposure`: where it ends up (`popdock` unless it is only kept in state).
   */
  private attr(
    src: SourceFile,
    path: DocPath,
    text: string,
    opts: { required?: boolean; exposure?: Exposure } = {},
  ): Interpolated {
    const t = this.template(src, path, text, false);
    if (t === undefined) return { value: "", ok: false };
    const value = t.parts.filter((p): p is string => typeof p === "string").join("");
    if (this.exposed(src, path, t.sensitiveVars, opts.exposure ?? "popdock")) return { value, ok: false };
    if ((opts.required ?? true) && value.trim() === "") {
      const what = value === "" ? "empty" : "only whitespace";
      this.diags.push(
        src.diag(
          "CONFIG_INVALID_VALUE",
          t.usesVars ? `value is ${what} after interpolation (${JSON.stringify(text)})` : `value is ${what}`,
          path,
          { hint: t.usesVars ? "give the variable a non-empty value" : "give it a value" },
        ),
      );
      return { value, ok: false };
    }
    return { value, ok: true };
  }

  /** An API user's or token's name (`what`): an attribute Popdock trims and limits in length. */
  private name(src: SourceFile, path: DocPath, text: string, what: string): Interpolated {
    const a = this.attr(src, path, text);
    return a.ok ? this.limit(src, path, a, nameProblem(what, a.value)) : a;
  }

  /** Reports `problem` (from `schema/limits.ts`) with `a`, at `path`. */
  private limit(
    src: SourceFile,
    path: DocPath,
    a: Interpolated,
    problem: LimitProblem | undefined,
    at: "key" | "value" = "value",
  ): Interpolated {
    if (problem === undefined) return a;
    this.diags.push(src.diag("CONFIG_INVALID_VALUE", problem.message, path, { at, hint: problem.hint }));
    return { value: a.value, ok: false };
  }

  // ------------------------------------------------------------------ provider

  private expandProvider({ src, value }: Entry<ProviderBlock>): DesiredConfig["provider"] {
    if (value.endpoint === undefined) return {};
    const path = ["provider", "endpoint"];
    const endpoint = this.interpolate(src, path, value.endpoint, "state");
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
    const name = this.name(src, [...base, "name"], u.name, "API user name");
    let description = "";
    if (u.description !== undefined) {
      const path: DocPath = [...base, "description"];
      const a = this.attr(src, path, u.description, { required: false });
      description = (a.ok ? this.limit(src, path, a, descriptionProblem(a.value)) : a).value;
    }
    this.resources.push({
      resource: {
        type: "popdock_api_user",
        address: userAddress,
        name: key,
        dependsOn: [],
        lifecycle: { ...defaultLifecycle(), preventDestroy: u.prevent_destroy ?? false },
        source: src.sourceRef(base),
        attrs: { name: name.value, description },
      },
      origin: { src, path: base, key },
      nameReported: !name.ok,
    });

    (u.grants ?? []).forEach((g, i) => {
      const path: DocPath = [...base, "grants", i];
      let spec: GrantSpec;
      if ("team" in g) spec = { kind: "team", team: this.attr(src, [...path, "team"], g.team).value };
      else if ("role" in g) spec = { kind: "role", role: this.attr(src, [...path, "role"], g.role).value };
      else {
        const set = (k: "roles" | "companies" | "lists" | "actions" | "details") =>
          this.nameSet(src, [...path, k], g[k] ?? []);
        spec = {
          kind: "connector",
          connector: this.attr(src, [...path, "connector"], g.connector).value,
          roles: set("roles"),
          companies: set("companies"),
          lists: set("lists"),
          actions: set("actions"),
          details: set("details"),
        };
      }
      const index = grantKey(spec);
      this.resources.push({
        resource: {
          type: "popdock_api_user_grant",
          address: formatAddress("popdock_api_user_grant", key, index),
          name: key,
          index,
          user: userAddress,
          dependsOn: [],
          lifecycle: defaultLifecycle(),
          source: src.sourceRef(path),
          attrs: spec,
        },
        origin: { src, path, key },
      });
    });

    for (const [tokenKey, t] of Object.entries(u.tokens ?? {})) {
      const path: DocPath = [...base, "tokens", tokenKey];
      const namePath: DocPath = t.name === undefined ? path : [...path, "name"];
      const { value: name, ok } =
        t.name === undefined
          ? this.limit(src, path, { value: tokenKey, ok: true }, nameProblem("token name", tokenKey), "key")
          : this.name(src, namePath, t.name, "token name");
      const address = formatAddress("popdock_api_token", key, tokenKey);
      const lifecycle = { ...defaultLifecycle(), createBeforeDestroy: true };
      const dependsOn: string[] = [];
      if (t.rotation !== undefined) {
        const rotationPath: DocPath = [...path, "rotation"];
        const nullName = `${key}__${tokenKey}_rotation`;
        const nullAddress = formatAddress("null_resource", nullName);
        const triggers: Record<string, string> = {};
        for (const [k, v] of Object.entries(t.rotation.triggers)) {
          // Triggers never reach Popdock, but are kept in state and shown in plans.
          const opts = { required: false, exposure: "state" } as const;
          triggers[k] =
            typeof v === "string"
              ? this.attr(src, [...rotationPath, "triggers", k], v, opts).value
              : String(v);
        }
        this.resources.push({
          resource: {
            type: "null_resource",
            address: nullAddress,
            name: nullName,
            dependsOn: [],
            lifecycle: defaultLifecycle(),
            source: src.sourceRef(rotationPath),
            attrs: { triggers },
          },
          origin: { src, path: rotationPath, key },
        });
        lifecycle.replaceTriggeredBy = [nullAddress];
        dependsOn.push(nullAddress);
      }
      this.resources.push({
        resource: {
          type: "popdock_api_token",
          address,
          name: key,
          index: tokenKey,
          user: userAddress,
          dependsOn,
          lifecycle,
          source: src.sourceRef(path),
          attrs: { name },
        },
        origin: { src, path, key, tokenKey, namePath, nameAtKey: t.name === undefined },
        // A name already reported (one Popdock would refuse) is not compared with the others.
        nameReported: !ok,
      });
    }
  }

  /** A scope list as a set: sorted, duplicates dropped with a warning. */
  private nameSet(src: SourceFile, path: DocPath, items: readonly string[]): string[] {
    const seen = new Map<string, number>();
    items.forEach((item, i) => {
      const { value: v, ok } = this.attr(src, [...path, i], item);
      const first = seen.get(v);
      if (first !== undefined && ok) {
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

  // ------------------------------------------------------------------ outputs

  private expandOutput({ src, key, value: o }: Entry<Output>): void {
    const path: DocPath = ["outputs", key, "value"];
    const t = this.template(src, path, o.value, true);
    const description =
      o.description === undefined
        ? undefined
        : this.interpolate(src, ["outputs", key, "description"], o.description, "state");
    if (t === undefined) return;
    const sensitive = o.sensitive ?? false;
    const addresses = this.resources.map((d) => d.resource.address);
    const known = new Set(addresses);
    let secret: string | undefined =
      t.sensitiveVars[0] !== undefined ? `variable "${t.sensitiveVars[0]}"` : undefined;
    for (const part of t.parts) {
      if (typeof part === "string") continue;
      const dot = part.address.indexOf(".");
      const type = part.address.slice(0, dot);
      const attrs = own<readonly string[]>(REFERENCEABLE_ATTRS, type);
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
      if (secret === undefined && own(SENSITIVE_ATTRS, type)?.includes(part.attr)) secret = refText(part);
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

/** `record[key]` when it is the record's own property: never an inherited `constructor` or `__proto__`. */
function own<T>(record: Readonly<Record<string, T | undefined>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
