/**
 * From Terraform JSON documents (hand-written `*.tf.json` or CDKTF's `cdk.tf.json`) to the
 * DesiredConfig. Pure: parsed documents in, resources, outputs and diagnostics out.
 *
 * Addresses (the same as the YAML format's, so that a configuration can move between formats):
 * - `popdock_api_user.N`                                → `popdock_api_user.N`
 * - `popdock_api_user_grant.G` with `api_user_id = "${popdock_api_user.U.id}"`
 *                                                       → `popdock_api_user_grant.U["team:Finance"]` (`grantKey`)
 * - `popdock_api_token.T` with `api_user_id = "${popdock_api_user.U.id}"`
 *                                                       → `popdock_api_token.U["<key>"]`, key = its `key` argument, else T
 * - `null_resource.N`                                   → `null_resource.N`
 * Every token also gets the automatic sensitive output `U.<key>` with its token_id, as in YAML.
 *
 * References (`${type.name.attr}`, whole strings or inside strings and maps) to a resource's own
 * arguments (a user's `name`) are resolved when the configuration is read; references to what only
 * exists after apply (`id`, `token_id`) are allowed only in outputs and `api_user_id`. Every
 * reference, `depends_on` and `replace_triggered_by` entry is a dependency, as in Terraform; a
 * cycle is an error. Anything the reader cannot honour is an error naming the file, the JSON path
 * and the CDKTF construct path.
 */
import { RESOURCE_KEY } from "../../../schema/config.js";
import { NAME_MAX, nameProblem } from "../../../schema/limits.js";
import {
  type AttrRef,
  type DesiredConfig,
  type DesiredOutput,
  type DesiredResource,
  formatAddress,
  type GrantSpec,
  grantKey,
  type Lifecycle,
  parseAddress,
  SENSITIVE_ATTRS,
  type TemplatePart,
} from "../../model/desired.js";
import { type Diagnostic, didYouMean } from "../../model/diagnostics.js";
import { compareStrings, isRecord } from "../../model/values.js";
import { REFERENCEABLE_ATTRS } from "../attributes.js";
import { compactParts } from "../template.js";
import type { DraftResource, FrontendOutput, Phrasing } from "../types.js";
import {
  exactReference,
  parseTemplate,
  parseWholeReference,
  refKey,
  refText,
  type TemplatePiece,
  type TfRef,
} from "./expressions.js";
import {
  type ApiTokenArgs,
  type ApiUserArgs,
  ARGUMENTS,
  checkArgs,
  checkStoredValues,
  describeValue,
  GRANT_TYPE,
  type GrantArgs,
  NULL_TYPE,
  type NullResourceArgs,
  PROVIDER_NAME,
  ProviderArgs,
  SUPPORTED_TYPES,
  type SupportedType,
  TOKEN_TYPE,
  USER_TYPE,
} from "./schema.js";
import {
  constructPathOf,
  type DiagOptions,
  type DocPath,
  type JsonSource,
  outputConstructPaths,
} from "./source.js";

export type ReadConfig = Pick<FrontendOutput<Block>, "provider" | "resources" | "outputs">;

/** Arguments that may be referenced and are known when the configuration is read. */
const STATIC_ATTRS: Readonly<Record<SupportedType, readonly string[]>> = {
  popdock_api_user: ["name", "description"],
  popdock_api_user_grant: ["team", "role", "connector"],
  popdock_api_token: ["name", "key"],
  null_resource: [],
};

/** Attributes known only after apply. */
const COMPUTED_ATTRS: Readonly<Record<SupportedType, readonly string[]>> = {
  popdock_api_user: ["id"],
  popdock_api_user_grant: ["id", "api_user_id"],
  popdock_api_token: ["id", "token_id", "api_user_id"],
  null_resource: ["id", "triggers"],
};

/** What `lifecycle.ignore_changes` may name, by type (`all` means all of them). */
const IGNORABLE_ATTRS: Readonly<Record<SupportedType, readonly string[]>> = {
  popdock_api_user: ["name", "description"],
  popdock_api_user_grant: ["roles", "companies", "lists", "actions", "details"],
  popdock_api_token: ["name"],
  null_resource: ["triggers"],
};

const META_ARGUMENTS = new Set([
  "//",
  "count",
  "for_each",
  "provider",
  "depends_on",
  "lifecycle",
  "provisioner",
  "connection",
]);

const UNSUPPORTED_BLOCKS: Readonly<Record<string, { what: string; hint?: string }>> = {
  data: {
    what: "data sources are not supported",
    hint: "popdock-iac reads only resources; look values up in your program and pass them in",
  },
  variable: {
    what: "input variables are not supported",
    hint: "pass values into your CDKTF program (e.g. from process.env), or use the YAML format's variables",
  },
  locals: { what: "locals are not supported", hint: "write the values where they are used" },
  module: { what: "modules are not supported", hint: "use constructs (CDKTF) to share structure" },
  moved: { what: "moved blocks are not supported", hint: "use `popdock state mv`" },
  import: { what: "import blocks are not supported", hint: "use `popdock import`" },
  removed: { what: "removed blocks are not supported", hint: "use `popdock state rm`" },
  check: { what: "check blocks are not supported" },
};

const IGNORED_BLOCKS = new Set(["//", "terraform"]);

interface LifecycleIn {
  createBeforeDestroy?: boolean;
  preventDestroy?: boolean;
  ignoreChanges: string[];
  replaceTriggeredBy: { ref: TfRef; path: DocPath }[];
}

export interface Block {
  src: JsonSource;
  type: SupportedType;
  name: string;
  key: string;
  path: DocPath;
  constructPath: string | undefined;
  body: Record<string, unknown>;
  /** Left out of the configuration (already reported); references to it are not reported again. */
  broken: boolean;
  state: "pending" | "resolving" | "done";
  /** Resolved arguments, once `state` is done. */
  values: Record<string, unknown>;
  /** Resources this one refers to in its arguments (Terraform keys). */
  refs: Set<string>;
  dependsOn: { ref: TfRef; path: DocPath }[];
  lifecycle: LifecycleIn;
  /** Terraform key of the owning `popdock_api_user` (grants and tokens). */
  user?: string;
  address?: string;
  index?: string;
}

interface OutputBlock {
  src: JsonSource;
  name: string;
  path: DocPath;
  constructPath: string | undefined;
  body: Record<string, unknown>;
}

/**
 * Reads the documents (in order, as one Terraform module) into drafts for the semantic pass.
 * Diagnostics are not sorted.
 */
export function readTerraformJson(sources: readonly JsonSource[]): {
  config: ReadConfig;
  diagnostics: Diagnostic[];
} {
  const reader = new Reader();
  const config = reader.run(sources);
  return { config, diagnostics: reader.diags };
}

class Reader {
  readonly diags: Diagnostic[] = [];
  private readonly blocks = new Map<string, Block>();
  /** Terraform keys of resources of unsupported types (reported once, where declared). */
  private readonly foreign = new Set<string>();
  private readonly outputs: OutputBlock[] = [];
  private provider: DesiredConfig["provider"] = {};
  private providerSeen: { src: JsonSource; path: DocPath } | undefined;
  private readonly resolving: string[] = [];

  run(sources: readonly JsonSource[]): ReadConfig {
    for (const src of sources) this.collect(src);
    for (const b of this.blocks.values()) this.resolve(b);
    for (const b of this.blocks.values()) this.identify(b);
    const live = [...this.blocks.values()].filter((b) => !b.broken);
    const resources: DraftResource<Block>[] = [];
    for (const b of live) {
      const resource = this.toResource(b);
      if (resource !== undefined) resources.push({ resource, origin: b });
    }
    this.checkCycles(live);
    const outputs: DesiredOutput[] = [];
    for (const o of this.outputs) {
      const out = this.toOutput(o);
      if (out) outputs.push(out);
    }
    return { provider: this.provider, resources, outputs };
  }

  private diag(src: JsonSource, code: string, message: string, path: DocPath, opts: DiagOptions = {}): void {
    this.diags.push(src.diag(code, message, path, opts));
  }

  // ------------------------------------------------------------------ collecting blocks

  private collect(src: JsonSource): void {
    const doc = src.data;
    if (!isRecord(doc)) {
      this.diag(
        src,
        "TF_JSON_INVALID",
        `expected a JSON object at the top level, got ${describeValue(doc)}`,
        [],
      );
      return;
    }
    const outputPaths = outputConstructPaths(doc);
    for (const [blockType, value] of Object.entries(doc)) {
      if (IGNORED_BLOCKS.has(blockType)) continue;
      const path: DocPath = [blockType];
      const unsupported = UNSUPPORTED_BLOCKS[blockType];
      if (unsupported !== undefined) {
        const names = isRecord(value) ? Object.keys(value) : [];
        const first = names[0];
        const cp = isRecord(value) && first !== undefined ? firstConstructPath(value[first]) : undefined;
        this.diag(src, "TF_JSON_UNSUPPORTED_BLOCK", `"${blockType}" blocks: ${unsupported.what}`, path, {
          at: "key",
          hint: unsupported.hint,
          constructPath: cp,
        });
        continue;
      }
      if (!isRecord(value)) {
        this.diag(
          src,
          "TF_JSON_INVALID",
          `"${blockType}" must be an object, got ${describeValue(value)}`,
          path,
        );
        continue;
      }
      if (blockType === "resource") this.collectResources(src, value);
      else if (blockType === "output") {
        for (const [name, body] of Object.entries(value)) {
          const opath: DocPath = ["output", name];
          if (!isRecord(body)) {
            this.diag(
              src,
              "TF_JSON_INVALID",
              `output "${name}" must be an object, got ${describeValue(body)}`,
              opath,
            );
            continue;
          }
          this.outputs.push({ src, name, path: opath, constructPath: outputPaths.get(name), body });
        }
      } else if (blockType === "provider") this.collectProviders(src, value);
      else {
        const guess = didYouMean(blockType, ["resource", "output", "provider", "terraform"]);
        this.diag(src, "TF_JSON_UNKNOWN_BLOCK", `unknown top-level block "${blockType}"`, path, {
          at: "key",
          hint:
            guess !== undefined
              ? `did you mean "${guess}"?`
              : "popdock-iac reads resource, output, provider and terraform",
        });
      }
    }
  }

  private collectProviders(src: JsonSource, providers: Record<string, unknown>): void {
    for (const [name, value] of Object.entries(providers)) {
      const path: DocPath = ["provider", name];
      if (name === "null") continue;
      if (name !== PROVIDER_NAME) {
        this.diag(src, "TF_JSON_UNSUPPORTED_PROVIDER", `provider "${name}" is not supported`, path, {
          at: "key",
          hint: "popdock-iac manages only Popdock resources (and null_resource); put other providers' resources in a separate stack",
        });
        continue;
      }
      const configs = Array.isArray(value) ? value : [value];
      configs.forEach((cfg, i) => {
        const cpath: DocPath = Array.isArray(value) ? [...path, i] : path;
        if (this.providerSeen !== undefined) {
          this.diag(
            src,
            "TF_JSON_UNSUPPORTED_ARGUMENT",
            "only one popdock provider configuration is supported",
            cpath,
            {
              hint: "provider aliases are not supported; use one stack per Popdock instance",
            },
          );
          return;
        }
        this.providerSeen = { src, path: cpath };
        if (!isRecord(cfg)) {
          this.diag(src, "TF_JSON_INVALID", `expected an object, got ${describeValue(cfg)}`, cpath);
          return;
        }
        const { "//": _meta, alias, ...given } = cfg;
        // JSON null is "unset", as in Terraform.
        const rest = Object.fromEntries(Object.entries(given).map(([k, v]) => [k, v ?? undefined]));
        if (alias != null) {
          this.diag(
            src,
            "TF_JSON_UNSUPPORTED_ARGUMENT",
            "provider aliases are not supported",
            [...cpath, "alias"],
            {
              at: "key",
              hint: "use one stack per Popdock instance",
            },
          );
          return;
        }
        const r = ProviderArgs.safeParse(rest);
        if (!r.success) {
          const allowed = Object.keys(ProviderArgs.shape);
          for (const key of Object.keys(rest)) {
            if (allowed.includes(key)) continue;
            this.diag(src, "CONFIG_UNKNOWN_KEY", `unknown argument "${key}"`, [...cpath, key], {
              at: "key",
              hint: `arguments: ${allowed.join(", ")}`,
            });
          }
          if (rest.endpoint !== undefined && typeof rest.endpoint !== "string") {
            this.diag(src, "CONFIG_INVALID_TYPE", `expected a string, got ${describeValue(rest.endpoint)}`, [
              ...cpath,
              "endpoint",
            ]);
          }
          return;
        }
        const endpoint = r.data.endpoint;
        if (endpoint === undefined) return;
        const epath: DocPath = [...cpath, "endpoint"];
        const t = parseTemplate(endpoint);
        if (!t.ok || t.pieces.some((p) => p.kind === "ref")) {
          this.diag(
            src,
            "TF_JSON_UNSUPPORTED_EXPRESSION",
            "the provider's endpoint must be a literal URL",
            epath,
            {
              hint: t.ok ? "provider arguments cannot refer to resources" : t.error.message,
            },
          );
          return;
        }
        const text = t.pieces.map((p) => (p.kind === "text" ? p.text : "")).join("");
        let url: URL | undefined;
        try {
          url = new URL(text);
        } catch {
          url = undefined;
        }
        if (url === undefined || (url.protocol !== "https:" && url.protocol !== "http:")) {
          this.diag(
            src,
            "CONFIG_INVALID_VALUE",
            `endpoint ${JSON.stringify(text)} is not an http(s) URL`,
            epath,
            {
              hint: "e.g. https://example.popdock.com",
            },
          );
          return;
        }
        this.provider = { endpoint: text };
      });
    }
  }

  private collectResources(src: JsonSource, byType: Record<string, unknown>): void {
    for (const [type, byName] of Object.entries(byType)) {
      const tpath: DocPath = ["resource", type];
      if (!isRecord(byName)) {
        this.diag(src, "TF_JSON_INVALID", `resource "${type}" must be an object of resources by name`, tpath);
        continue;
      }
      if (!(SUPPORTED_TYPES as readonly string[]).includes(type)) {
        for (const [name, body] of Object.entries(byName)) {
          this.foreign.add(`${type}.${name}`);
          const guess = didYouMean(type, SUPPORTED_TYPES);
          this.diag(
            src,
            "TF_JSON_UNSUPPORTED_TYPE",
            `resource type "${type}" is not supported by popdock-iac`,
            [...tpath, name],
            {
              at: "key",
              constructPath: constructPathOf(body),
              hint:
                guess !== undefined
                  ? `did you mean "${guess}"?`
                  : `supported: ${SUPPORTED_TYPES.join(", ")}; put other resources in a separate stack`,
            },
          );
        }
        continue;
      }
      for (const [name, body] of Object.entries(byName)) {
        const path: DocPath = [...tpath, name];
        const key = `${type}.${name}`;
        const cp = constructPathOf(body);
        if (!isRecord(body)) {
          this.diag(
            src,
            "TF_JSON_INVALID",
            `resource ${key} must be an object, got ${describeValue(body)}`,
            path,
            {
              constructPath: cp,
            },
          );
          continue;
        }
        const prev = this.blocks.get(key);
        if (prev !== undefined) {
          this.diag(
            src,
            "CONFIG_DUPLICATE_KEY",
            `resource ${key} is also declared in ${prev.src.file}`,
            path,
            {
              at: "key",
              constructPath: cp,
              hint: "each resource may be declared once across all files",
            },
          );
          continue;
        }
        const block: Block = {
          src,
          type: type as SupportedType,
          name,
          key,
          path,
          constructPath: cp,
          body,
          broken: false,
          state: "pending",
          values: {},
          refs: new Set(),
          dependsOn: [],
          lifecycle: { ignoreChanges: [], replaceTriggeredBy: [] },
        };
        this.blocks.set(key, block);
        if (!RESOURCE_KEY.test(name)) {
          this.blockDiag(
            block,
            "TF_JSON_INVALID_NAME",
            `resource name "${name}" is not a valid identifier`,
            path,
            {
              at: "key",
              hint: "names start with a letter or _ and contain only letters, digits, _ and -",
            },
          );
          block.broken = true;
          continue;
        }
        this.readMeta(block);
      }
    }
  }

  private blockDiag(b: Block, code: string, message: string, path: DocPath, opts: DiagOptions = {}): void {
    this.diag(b.src, code, message, path, { constructPath: b.constructPath, ...opts });
  }

  /** Meta-arguments: what is supported is recorded, the rest is reported. */
  private readMeta(b: Block): void {
    const { body, path } = b;
    for (const arg of ["count", "for_each"] as const) {
      if (body[arg] == null) continue;
      this.blockDiag(b, "TF_JSON_UNSUPPORTED_ARGUMENT", `${arg} is not supported`, [...path, arg], {
        at: "key",
        hint: "declare each resource on its own (in CDKTF, create constructs in a loop in your program)",
      });
      b.broken = true;
    }
    for (const arg of ["provisioner", "connection"] as const) {
      if (body[arg] == null) continue;
      this.blockDiag(b, "TF_JSON_UNSUPPORTED_ARGUMENT", `${arg} is not supported`, [...path, arg], {
        at: "key",
      });
      b.broken = true;
    }
    const provider = body.provider;
    if (provider != null) {
      const expected = b.type === NULL_TYPE ? "null" : PROVIDER_NAME;
      const text = typeof provider === "string" ? provider.replace(/^\$\{(.*)\}$/, "$1") : undefined;
      if (text !== expected) {
        this.blockDiag(
          b,
          "TF_JSON_UNSUPPORTED_ARGUMENT",
          `provider ${JSON.stringify(provider)} is not supported (only the default "${expected}" provider)`,
          [...path, "provider"],
          { hint: "provider aliases are not supported; use one stack per Popdock instance" },
        );
        b.broken = true;
      }
    }
    const dependsOn = body.depends_on;
    if (dependsOn != null) {
      if (!Array.isArray(dependsOn)) {
        this.blockDiag(b, "CONFIG_INVALID_TYPE", `expected a list, got ${describeValue(dependsOn)}`, [
          ...path,
          "depends_on",
        ]);
      } else {
        dependsOn.forEach((item: unknown, i: number) => {
          const ref = this.wholeRef(b, item, [...path, "depends_on", i], false);
          if (ref) b.dependsOn.push({ ref, path: [...path, "depends_on", i] });
        });
      }
    }
    const lifecycle = body.lifecycle;
    if (lifecycle == null) return;
    // A block may also be written as a list of blocks; lifecycle takes one.
    if (!Array.isArray(lifecycle)) this.readLifecycle(b, lifecycle, [...path, "lifecycle"]);
    else if (lifecycle.length > 1) {
      this.blockDiag(
        b,
        "CONFIG_INVALID_VALUE",
        `a resource takes one lifecycle block, this one has ${lifecycle.length}`,
        [...path, "lifecycle", 1],
        { hint: "merge them into one" },
      );
    } else if (lifecycle.length === 1) this.readLifecycle(b, lifecycle[0], [...path, "lifecycle", 0]);
  }

  private readLifecycle(b: Block, lifecycle: unknown, lpath: DocPath): void {
    if (!isRecord(lifecycle)) {
      this.blockDiag(b, "CONFIG_INVALID_TYPE", `expected an object, got ${describeValue(lifecycle)}`, lpath);
      return;
    }
    for (const [key, value] of Object.entries(lifecycle)) {
      if (value === null) continue;
      const path: DocPath = [...lpath, key];
      switch (key) {
        case "create_before_destroy":
        case "prevent_destroy":
          if (typeof value !== "boolean") {
            this.blockDiag(
              b,
              "CONFIG_INVALID_TYPE",
              `expected true or false, got ${describeValue(value)}`,
              path,
            );
          } else if (key === "create_before_destroy") b.lifecycle.createBeforeDestroy = value;
          else b.lifecycle.preventDestroy = value;
          break;
        case "ignore_changes": {
          const allowed = IGNORABLE_ATTRS[b.type];
          if (value === "all" || (Array.isArray(value) && value.length === 1 && value[0] === "all")) {
            b.lifecycle.ignoreChanges = [...allowed];
            break;
          }
          if (!Array.isArray(value)) {
            this.blockDiag(
              b,
              "CONFIG_INVALID_TYPE",
              `expected a list of attribute names or "all", got ${describeValue(value)}`,
              path,
            );
            break;
          }
          value.forEach((item: unknown, i: number) => {
            if (typeof item !== "string") {
              this.blockDiag(
                b,
                "CONFIG_INVALID_TYPE",
                `expected an attribute name, got ${describeValue(item)}`,
                [...path, i],
              );
            } else if (!allowed.includes(item)) {
              const guess = didYouMean(item, allowed);
              this.blockDiag(
                b,
                "CONFIG_INVALID_VALUE",
                `ignore_changes: ${b.type} has no attribute "${item}" that can change`,
                [...path, i],
                {
                  hint:
                    guess !== undefined
                      ? `did you mean "${guess}"?`
                      : `attributes: ${allowed.join(", ")}, or "all"`,
                },
              );
            } else if (!b.lifecycle.ignoreChanges.includes(item)) b.lifecycle.ignoreChanges.push(item);
          });
          break;
        }
        case "replace_triggered_by":
          if (!Array.isArray(value)) {
            this.blockDiag(
              b,
              "CONFIG_INVALID_TYPE",
              `expected a list of references, got ${describeValue(value)}`,
              path,
            );
            break;
          }
          value.forEach((item: unknown, i: number) => {
            const ref = this.wholeRef(b, item, [...path, i], true);
            if (ref) b.lifecycle.replaceTriggeredBy.push({ ref, path: [...path, i] });
          });
          break;
        case "precondition":
        case "postcondition":
          this.blockDiag(b, "TF_JSON_UNSUPPORTED_ARGUMENT", `lifecycle ${key} is not supported`, path, {
            at: "key",
          });
          break;
        default: {
          const known = [
            "create_before_destroy",
            "prevent_destroy",
            "ignore_changes",
            "replace_triggered_by",
          ];
          const guess = didYouMean(key, known);
          this.blockDiag(b, "CONFIG_UNKNOWN_KEY", `unknown lifecycle argument "${key}"`, path, {
            at: "key",
            hint: guess !== undefined ? `did you mean "${guess}"?` : `arguments: ${known.join(", ")}`,
          });
        }
      }
    }
  }

  /** A `depends_on` / `replace_triggered_by` entry. */
  private wholeRef(b: Block, item: unknown, path: DocPath, allowAttr: boolean): TfRef | undefined {
    if (typeof item !== "string") {
      this.blockDiag(
        b,
        "CONFIG_INVALID_TYPE",
        `expected a resource reference, got ${describeValue(item)}`,
        path,
      );
      return undefined;
    }
    const r = parseWholeReference(item);
    if (!r.ok) {
      this.blockDiag(b, r.error.code, r.error.message, path, { hint: r.error.hint });
      return undefined;
    }
    if (r.ref.attr !== undefined && !allowAttr) {
      this.blockDiag(
        b,
        "CONFIG_INVALID_VALUE",
        `depends_on takes resources, not attributes: "${item}"`,
        path,
        {
          hint: `write "${refKey(r.ref)}"`,
        },
      );
      return undefined;
    }
    return r.ref;
  }

  // ------------------------------------------------------------------ resolving arguments

  /** Validates and resolves a resource's arguments (depth-first through references). */
  private resolve(b: Block): void {
    if (b.state !== "pending" || b.broken) return;
    b.state = "resolving";
    this.resolving.push(b.key);
    // JSON null is "unset", as in Terraform; a misspelt argument is reported all the same.
    const args: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(b.body)) {
      if (META_ARGUMENTS.has(k) || (v === null && ARGUMENTS[b.type].includes(k))) continue;
      args[k] = v;
    }
    const checked = checkArgs(b.type, args);
    if (!checked.ok) {
      for (const issue of checked.issues) {
        const missing = issue.code === "CONFIG_MISSING_KEY";
        const at =
          missing || issue.code === "CONFIG_UNKNOWN_KEY" || issue.code === "CONFIG_GRANT_SHAPE"
            ? "key"
            : "value";
        const path = [...b.path, ...(missing ? issue.path.slice(0, -1) : issue.path)];
        this.blockDiag(b, issue.code, issue.message, path, { at, hint: issue.hint });
      }
      b.broken = true;
    } else {
      const values: Record<string, unknown> = {};
      let ok = true;
      for (const [k, v] of Object.entries(checked.value as Record<string, unknown>)) {
        if (v === undefined) continue;
        const path: DocPath = [...b.path, k];
        if (k === "api_user_id") {
          const user = this.userRef(b, v as string, path);
          if (user === undefined) ok = false;
          else b.user = user;
          continue;
        }
        const r = this.resolveValue(b, v, path);
        if (r === undefined) ok = false;
        else values[k] = r;
      }
      b.values = values;
      if (!ok || !this.recheck(b, args, values)) b.broken = true;
    }
    this.resolving.pop();
    b.state = "done";
  }

  /**
   * The resolved values checked again — a reference may resolve to "" — and as Popdock will store
   * them (`checkStoredValues`; a token without `name` is named after its key). Reports and
   * returns false when something is wrong.
   */
  private recheck(b: Block, raw: Record<string, unknown>, values: Record<string, unknown>): boolean {
    const resolved = raw.api_user_id === undefined ? values : { ...values, api_user_id: raw.api_user_id };
    const checked = checkArgs(b.type, resolved);
    const issues = checked.ok ? checkStoredValues(b.type, values) : checked.issues;
    if (checked.ok && b.type === TOKEN_TYPE && values.name === undefined) {
      // Named after its key, else its resource name: identifiers, so only the length can be wrong.
      const from = values.key === undefined ? "resource name" : "key";
      const problem = nameProblem(`token name (its ${from})`, tokenName(b));
      if (problem !== undefined) {
        issues.push({
          code: "CONFIG_INVALID_VALUE",
          message: problem.message,
          path: values.key === undefined ? [] : ["key"],
          hint: `give the token a "name" of at most ${NAME_MAX} characters, or a shorter ${from}`,
        });
      }
    }
    for (const issue of issues) {
      const from = valueAt(raw, issue.path);
      const now = valueAt(resolved, issue.path);
      const message =
        typeof from === "string" && from !== now
          ? `${issue.message} (the value of ${JSON.stringify(from)})`
          : issue.message;
      this.blockDiag(b, issue.code, message, [...b.path, ...issue.path], {
        at: issue.path.length === 0 ? "key" : "value",
        hint: issue.hint,
      });
    }
    return issues.length === 0;
  }

  private resolveValue(b: Block, v: unknown, path: DocPath): unknown {
    if (typeof v === "string") return this.resolveString(b, v, path);
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      let ok = true;
      v.forEach((item, i) => {
        const r = this.resolveValue(b, item, [...path, i]);
        if (r === undefined) ok = false;
        out.push(r);
      });
      return ok ? out : undefined;
    }
    if (isRecord(v)) {
      const out: Record<string, unknown> = {};
      let ok = true;
      for (const [k, item] of Object.entries(v)) {
        const r = this.resolveValue(b, item, [...path, k]);
        if (r === undefined) ok = false;
        out[k] = r;
      }
      return ok ? out : undefined;
    }
    return v;
  }

  /** The pieces of a `${…}` template in a block's argument, or undefined after reporting why not. */
  private templatePieces(b: Block, s: string, path: DocPath): TemplatePiece[] | undefined {
    const t = parseTemplate(s);
    if (t.ok) return t.pieces;
    this.blockDiag(b, t.error.code, t.error.message, path, { hint: t.error.hint });
    return undefined;
  }

  /** A string argument with its references to other resources' arguments replaced by their values. */
  private resolveString(b: Block, s: string, path: DocPath): string | undefined {
    const pieces = this.templatePieces(b, s, path);
    if (pieces === undefined) return undefined;
    let out = "";
    for (const piece of pieces) {
      if (piece.kind === "text") {
        out += piece.text;
        continue;
      }
      const value = this.staticValue(b, piece.ref, path);
      if (value === undefined) return undefined;
      out += value;
    }
    return out;
  }

  /** The value of `ref` when it is known now; otherwise reports why not. */
  private staticValue(b: Block, ref: TfRef, path: DocPath): string | undefined {
    const target = this.target(b, ref, path);
    if (target === undefined) return undefined;
    const attr = ref.attr;
    if (attr === undefined) {
      this.blockDiag(
        b,
        "REF_UNKNOWN_ATTRIBUTE",
        `"\${${refText(ref)}}" refers to a whole resource; name an attribute`,
        path,
        {
          hint: `attributes: ${allAttrs(target.type).join(", ")}`,
        },
      );
      return undefined;
    }
    if (STATIC_ATTRS[target.type].includes(attr)) {
      if (target.state === "resolving") {
        const chain = [...this.resolving.slice(this.resolving.indexOf(target.key)), target.key];
        this.blockDiag(b, "TF_JSON_CYCLE", `reference cycle: ${chain.join(" → ")}`, path, {
          hint: "break the cycle: write one of the values out",
        });
        return undefined;
      }
      this.resolve(target);
      if (target.broken) return undefined;
      b.refs.add(target.key);
      const value = staticAttr(target, attr);
      if (value === undefined) {
        this.blockDiag(b, "REF_UNKNOWN_ATTRIBUTE", `${refText(ref)} is not set`, path);
        return undefined;
      }
      return value;
    }
    if (COMPUTED_ATTRS[target.type].includes(attr)) {
      this.blockDiag(
        b,
        "REF_COMPUTED",
        `${refText(ref)} is known only after apply; popdock-iac needs argument values when it reads the configuration`,
        path,
        { hint: "references to ids and token IDs are allowed in outputs and in api_user_id" },
      );
      return undefined;
    }
    this.unknownAttribute(b.src, target.type, ref, path, b.constructPath);
    return undefined;
  }

  /** `api_user_id` must be `${popdock_api_user.<name>.id}`; returns the user's Terraform key. */
  private userRef(b: Block, s: string, path: DocPath): string | undefined {
    const pieces = this.templatePieces(b, s, path);
    if (pieces === undefined) return undefined;
    const ref = exactReference(pieces);
    if (ref === undefined || ref.type !== USER_TYPE || ref.attr !== "id") {
      this.blockDiag(
        b,
        "TF_JSON_INVALID_USER_REF",
        `api_user_id must be a reference to an API user's id in this configuration, like "\${popdock_api_user.reporting_bot.id}"; got ${JSON.stringify(s)}`,
        path,
        { hint: "in CDKTF: apiUserId: user.id" },
      );
      return undefined;
    }
    const target = this.target(b, ref, path);
    if (target === undefined) return undefined;
    if (target.broken) return undefined;
    return target.key;
  }

  /** The block `ref` names; reports unknown ones (unless declared with an unsupported type). */
  private target(b: Block | OutputBlock, ref: TfRef, path: DocPath): Block | undefined {
    const key = refKey(ref);
    const target = this.blocks.get(key);
    if (target !== undefined) return target.broken && target.state === "done" ? undefined : target;
    if (this.foreign.has(key)) return undefined;
    const src = b.src;
    const cp = b.constructPath;
    if (!(SUPPORTED_TYPES as readonly string[]).includes(ref.type)) {
      const guess = didYouMean(ref.type, SUPPORTED_TYPES);
      this.diag(
        src,
        "REF_UNKNOWN_RESOURCE",
        `unknown resource type "${ref.type}" in "\${${refText(ref)}}"`,
        path,
        {
          constructPath: cp,
          hint: guess !== undefined ? `did you mean "${guess}"?` : `types: ${SUPPORTED_TYPES.join(", ")}`,
        },
      );
      return undefined;
    }
    const guess = didYouMean(key, [...this.blocks.keys()]);
    this.diag(src, "REF_UNKNOWN_RESOURCE", `reference to undeclared resource ${key}`, path, {
      constructPath: cp,
      hint: guess !== undefined ? `did you mean ${guess}?` : undefined,
    });
    return undefined;
  }

  private unknownAttribute(
    src: JsonSource,
    type: SupportedType,
    ref: TfRef,
    path: DocPath,
    cp: string | undefined,
  ): void {
    const attrs = allAttrs(type);
    const guess = didYouMean(ref.attr ?? "", attrs);
    this.diag(src, "REF_UNKNOWN_ATTRIBUTE", `${type} has no attribute "${ref.attr}"`, path, {
      constructPath: cp,
      hint: guess !== undefined ? `did you mean "${guess}"?` : `attributes: ${attrs.join(", ")}`,
    });
  }

  // ------------------------------------------------------------------ addresses

  private identify(b: Block): void {
    if (b.broken) return;
    switch (b.type) {
      case USER_TYPE:
      case NULL_TYPE:
        b.address = formatAddress(b.type, b.name);
        return;
      case GRANT_TYPE:
      case TOKEN_TYPE: {
        const user = b.user === undefined ? undefined : this.blocks.get(b.user);
        if (user === undefined || user.broken) {
          b.broken = true;
          return;
        }
        if (b.type === GRANT_TYPE) {
          b.index = grantKey(grantSpec(b.values as GrantArgs));
        } else {
          b.index = (b.values as Partial<ApiTokenArgs>).key ?? b.name;
        }
        b.address = formatAddress(b.type, user.name, b.index);
      }
    }
  }

  // ------------------------------------------------------------------ resources

  private toResource(b: Block): DesiredResource | undefined {
    const address = b.address;
    if (address === undefined) return undefined;
    const lifecycle: Lifecycle = {
      preventDestroy: b.lifecycle.preventDestroy ?? false,
      ignoreChanges: b.lifecycle.ignoreChanges,
      replaceTriggeredBy: [],
    };
    const cbd = b.lifecycle.createBeforeDestroy ?? (b.type === TOKEN_TYPE ? true : undefined);
    if (cbd !== undefined) lifecycle.createBeforeDestroy = cbd;
    const deps: string[] = [];
    const addDep = (a: string) => {
      if (a !== address && !deps.includes(a)) deps.push(a);
    };
    for (const { ref, path } of b.dependsOn) {
      const t = this.target(b, ref, path);
      if (t?.address !== undefined) addDep(t.address);
    }
    for (const { ref, path } of b.lifecycle.replaceTriggeredBy) {
      const t = this.target(b, ref, path);
      if (t?.address === undefined) continue;
      if (ref.attr !== undefined && !allAttrs(t.type).includes(ref.attr)) {
        this.unknownAttribute(b.src, t.type, ref, path, b.constructPath);
        continue;
      }
      lifecycle.replaceTriggeredBy.push(ref.attr === undefined ? t.address : `${t.address}.${ref.attr}`);
      addDep(t.address);
    }
    for (const key of b.refs) {
      const t = this.blocks.get(key);
      if (t?.address !== undefined && key !== b.user) addDep(t.address);
    }
    const source = b.src.sourceRef(b.path, b.constructPath);
    const name = parseAddress(address)?.name ?? b.name;
    const user = b.user === undefined ? undefined : this.blocks.get(b.user)?.address;
    switch (b.type) {
      case USER_TYPE: {
        const v = b.values as ApiUserArgs;
        const attrs = { name: v.name, description: v.description ?? "" };
        return { type: USER_TYPE, address, name, dependsOn: deps, lifecycle, source, attrs };
      }
      case NULL_TYPE: {
        const triggers: Record<string, string> = {};
        for (const [k, v] of Object.entries((b.values as NullResourceArgs).triggers ?? {}))
          triggers[k] = String(v);
        const attrs = { triggers };
        return { type: NULL_TYPE, address, name, dependsOn: deps, lifecycle, source, attrs };
      }
      case GRANT_TYPE: {
        if (user === undefined || b.index === undefined) return undefined;
        const attrs = this.grantAttrs(b);
        return {
          type: GRANT_TYPE,
          address,
          name,
          index: b.index,
          user,
          dependsOn: deps,
          lifecycle,
          source,
          attrs,
        };
      }
      case TOKEN_TYPE: {
        if (user === undefined || b.index === undefined) return undefined;
        const attrs = { name: tokenName(b) };
        return {
          type: TOKEN_TYPE,
          address,
          name,
          index: b.index,
          user,
          dependsOn: deps,
          lifecycle,
          source,
          attrs,
        };
      }
    }
  }

  /** The grant's spec, scope lists as sets: sorted, duplicates dropped with a warning (as in YAML). */
  private grantAttrs(b: Block): GrantSpec {
    const spec = grantSpec(b.values as GrantArgs);
    if (spec.kind !== "connector") return spec;
    for (const k of ["roles", "companies", "lists", "actions", "details"] as const) {
      const seen = new Map<string, number>();
      spec[k].forEach((item, i) => {
        const first = seen.get(item);
        if (first !== undefined) {
          this.blockDiag(
            b,
            "CONFIG_DUPLICATE_ITEM",
            `"${item}" is listed twice (also at [${first}]); lists are sets, the duplicate is ignored`,
            [...b.path, k, i],
            { severity: "warning" },
          );
        } else seen.set(item, i);
      });
      spec[k] = [...seen.keys()].sort(compareStrings);
    }
    return spec;
  }

  // ------------------------------------------------------------------ cycles

  /** Tarjan's strongly connected components over Terraform keys; one diagnostic per cycle. */
  private checkCycles(blocks: readonly Block[]): void {
    const edges = new Map<string, string[]>();
    const live = new Set(blocks.map((b) => b.key));
    for (const b of blocks) {
      const out = new Set<string>();
      for (const d of b.dependsOn) out.add(refKey(d.ref));
      for (const r of b.lifecycle.replaceTriggeredBy) out.add(refKey(r.ref));
      for (const r of b.refs) out.add(r);
      if (b.user !== undefined) out.add(b.user);
      edges.set(
        b.key,
        [...out].filter((k) => live.has(k)),
      );
    }
    let counter = 0;
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const sccs: string[][] = [];
    const strong = (v: string) => {
      index.set(v, counter);
      low.set(v, counter);
      counter++;
      stack.push(v);
      onStack.add(v);
      for (const w of edges.get(v) ?? []) {
        if (!index.has(w)) {
          strong(w);
          low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
        } else if (onStack.has(w)) {
          low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
        }
      }
      if (low.get(v) === index.get(v)) {
        const scc: string[] = [];
        let w: string | undefined;
        do {
          w = stack.pop();
          if (w === undefined) break;
          onStack.delete(w);
          scc.push(w);
        } while (w !== v);
        sccs.push(scc);
      }
    };
    for (const b of blocks) if (!index.has(b.key)) strong(b.key);
    const order = blocks.map((b) => b.key);
    for (const scc of sccs) {
      const first = order.find((k) => scc.includes(k));
      if (first === undefined) continue;
      const selfLoop = (edges.get(first) ?? []).includes(first);
      if (scc.length < 2 && !selfLoop) continue;
      const members = new Set(scc);
      const path = cyclePath(first, (k) => (edges.get(k) ?? []).filter((w) => members.has(w)));
      const b = this.blocks.get(first);
      if (b === undefined) continue;
      this.blockDiag(b, "TF_JSON_CYCLE", `dependency cycle: ${path.join(" → ")}`, b.path, {
        at: "key",
        hint: "remove one of the depends_on, replace_triggered_by or references that form it",
      });
      for (const k of scc) {
        const m = this.blocks.get(k);
        if (m) m.broken = true;
      }
    }
  }

  // ------------------------------------------------------------------ outputs

  private toOutput(o: OutputBlock): DesiredOutput | undefined {
    const { src, name, body, path, constructPath: cp } = o;
    const diag = (code: string, message: string, p: DocPath, opts: DiagOptions = {}) =>
      this.diag(src, code, message, p, { constructPath: cp, ...opts });
    if (!RESOURCE_KEY.test(name)) {
      diag("TF_JSON_INVALID_NAME", `output name "${name}" is not a valid identifier`, path, { at: "key" });
      return undefined;
    }
    let ok = true;
    for (const key of Object.keys(body)) {
      if (["//", "value", "sensitive", "description", "depends_on"].includes(key)) continue;
      ok = false;
      if (key === "precondition") {
        diag("TF_JSON_UNSUPPORTED_ARGUMENT", "output preconditions are not supported", [...path, key], {
          at: "key",
        });
      } else {
        diag("CONFIG_UNKNOWN_KEY", `unknown output argument "${key}"`, [...path, key], {
          at: "key",
          hint: "arguments: value, sensitive, description, depends_on",
        });
      }
    }
    // JSON null is "unset", as in Terraform.
    const sensitive = body.sensitive ?? false;
    if (typeof sensitive !== "boolean") {
      diag("CONFIG_INVALID_TYPE", `expected true or false, got ${describeValue(sensitive)}`, [
        ...path,
        "sensitive",
      ]);
      ok = false;
    }
    const description = body.description ?? undefined;
    if (description !== undefined && typeof description !== "string") {
      diag("CONFIG_INVALID_TYPE", `expected a string, got ${describeValue(description)}`, [
        ...path,
        "description",
      ]);
      ok = false;
    }
    if (Array.isArray(body.depends_on)) {
      body.depends_on.forEach((item: unknown, i: number) => {
        const p: DocPath = [...path, "depends_on", i];
        const r = typeof item === "string" ? parseWholeReference(item) : undefined;
        if (r?.ok) this.target(o, r.ref, p);
        else {
          diag("CONFIG_INVALID_VALUE", `expected a resource reference, got ${describeValue(item)}`, p);
          ok = false;
        }
      });
    }
    const vpath: DocPath = [...path, "value"];
    const value = body.value ?? undefined;
    let parts: TemplatePart[] | undefined;
    let secret: string | undefined;
    if (value === undefined) {
      diag("CONFIG_MISSING_KEY", `output "${name}" has no value`, path, { at: "key" });
    } else if (typeof value === "number" || typeof value === "boolean") {
      parts = [String(value)];
    } else if (typeof value !== "string") {
      diag(
        "TF_JSON_UNSUPPORTED_EXPRESSION",
        `output values must be text, got ${describeValue(value)}`,
        vpath,
      );
    } else {
      const t = parseTemplate(value);
      if (!t.ok) diag(t.error.code, t.error.message, vpath, { hint: t.error.hint });
      else {
        const out: TemplatePart[] = [];
        let good = true;
        for (const piece of t.pieces) {
          if (piece.kind === "text") {
            out.push(piece.text);
            continue;
          }
          const r = this.outputRef(o, piece.ref, vpath);
          if (r === undefined) good = false;
          else {
            out.push(r);
            if (
              typeof r !== "string" &&
              secret === undefined &&
              SENSITIVE_ATTRS[r.address.split(".")[0] ?? ""]?.includes(r.attr)
            ) {
              secret = `\${${piece.expr}}`;
            }
          }
        }
        if (good) parts = compactParts(out);
      }
    }
    if (parts === undefined || !ok || typeof sensitive !== "boolean") return undefined;
    if (secret !== undefined && !sensitive) {
      diag("OUTPUT_SENSITIVE_REQUIRED", `output "${name}" refers to ${secret}, which is sensitive`, path, {
        at: "key",
        hint: '"sensitive": true (in CDKTF: new TerraformOutput(this, id, { value, sensitive: true }))',
      });
      return undefined;
    }
    const d: DesiredOutput = { name, parts, sensitive, source: src.sourceRef(path, cp) };
    if (typeof description === "string" && description !== "") d.description = description;
    return d;
  }

  /** A reference in an output: an attribute reference, or a literal for an argument known now. */
  private outputRef(o: OutputBlock, ref: TfRef, path: DocPath): AttrRef | string | undefined {
    const target = this.target(o, ref, path);
    if (target === undefined || target.broken || target.address === undefined) return undefined;
    const attr = ref.attr;
    if (attr === undefined) {
      this.diag(
        o.src,
        "REF_UNKNOWN_ATTRIBUTE",
        `"\${${refText(ref)}}" refers to a whole resource; name an attribute`,
        path,
        {
          constructPath: o.constructPath,
          hint: `attributes: ${allAttrs(target.type).join(", ")}`,
        },
      );
      return undefined;
    }
    if (REFERENCEABLE_ATTRS[target.type].includes(attr)) return { address: target.address, attr };
    if (attr === "api_user_id") {
      const user = target.user === undefined ? undefined : this.blocks.get(target.user)?.address;
      return user === undefined ? undefined : { address: user, attr: "id" };
    }
    if (STATIC_ATTRS[target.type].includes(attr)) {
      const v = staticAttr(target, attr);
      if (v !== undefined) return v;
      this.diag(o.src, "REF_UNKNOWN_ATTRIBUTE", `${refText(ref)} is not set`, path, {
        constructPath: o.constructPath,
      });
      return undefined;
    }
    this.unknownAttribute(o.src, target.type, ref, path, o.constructPath);
    return undefined;
  }
}

function allAttrs(type: SupportedType): string[] {
  return [...new Set([...REFERENCEABLE_ATTRS[type], ...STATIC_ATTRS[type], ...COMPUTED_ATTRS[type]])];
}

function staticAttr(b: Block, attr: string): string | undefined {
  if (b.type === TOKEN_TYPE) {
    if (attr === "name") return tokenName(b);
    if (attr === "key") return (b.values as Partial<ApiTokenArgs>).key ?? b.name;
  }
  if (b.type === USER_TYPE && attr === "description") return (b.values as ApiUserArgs).description ?? "";
  const v = b.values[attr];
  return typeof v === "string" ? v : undefined;
}

/** A token's Popdock name: its `name`, else its key (as in YAML). */
function tokenName(b: Block): string {
  const v = b.values as Partial<ApiTokenArgs>;
  return v.name ?? v.key ?? b.name;
}

function grantSpec(v: GrantArgs): GrantSpec {
  if ("team" in v) return { kind: "team", team: v.team };
  if ("role" in v) return { kind: "role", role: v.role };
  return {
    kind: "connector",
    connector: v.connector,
    roles: [...(v.roles ?? [])],
    companies: [...(v.companies ?? [])],
    lists: [...(v.lists ?? [])],
    actions: [...(v.actions ?? [])],
    details: [...(v.details ?? [])],
  };
}

/** A cycle through `start` (which is in a strongly connected component with `next` edges). */
function cyclePath(start: string, next: (k: string) => string[]): string[] {
  const prev = new Map<string, string>();
  const queue = [start];
  const seen = new Set([start]);
  while (queue.length > 0) {
    const v = queue.shift() as string;
    for (const w of next(v)) {
      if (w === start) {
        const path = [v];
        let cur = v;
        while (cur !== start) {
          cur = prev.get(cur) as string;
          path.unshift(cur);
        }
        return [...path, start];
      }
      if (!seen.has(w)) {
        seen.add(w);
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

function firstConstructPath(value: unknown): string | undefined {
  if (!isRecord(value)) return undefined;
  const direct = constructPathOf(value);
  if (direct !== undefined) return direct;
  for (const v of Object.values(value)) {
    const cp = constructPathOf(v);
    if (cp !== undefined) return cp;
  }
  return undefined;
}

/** The value at `path` inside `data`, if any. */
function valueAt(data: unknown, path: readonly (string | number)[]): unknown {
  let cur = data;
  for (const seg of path) {
    if (typeof cur !== "object" || cur === null) return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

/** The semantic pass's findings, in Terraform terms: resource keys and construct paths. */
export const terraformPhrasing: Phrasing<Block> = {
  duplicateGrant({ resource: r, origin: b }, { origin: prev }) {
    const index = r.type === GRANT_TYPE ? r.index : "";
    const user = r.type === GRANT_TYPE ? r.user : "";
    return b.src.diag(
      "CONFIG_DUPLICATE_GRANT",
      `grant "${index}" of ${user} is also given by ${prev.key}`,
      b.path,
      {
        at: "key",
        constructPath: b.constructPath,
        hint: (index ?? "").startsWith("connector:")
          ? "merge the two connector grants into one"
          : "remove one of them",
      },
    );
  },
  duplicateAddress({ resource: r, origin: b }, { origin: prev }) {
    return b.src.diag(
      "CONFIG_DUPLICATE_ADDRESS",
      `${b.key} and ${prev.key} would both have the address ${r.address}`,
      b.path,
      {
        at: "key",
        constructPath: b.constructPath,
        hint: r.type === TOKEN_TYPE ? 'give one of the tokens a different "key"' : undefined,
      },
    );
  },
  duplicateUserName({ resource: r, origin: b }, { origin: other }) {
    const name = r.type === USER_TYPE ? r.attrs.name : "";
    return b.src.diag(
      "CONFIG_DUPLICATE_USER_NAME",
      `API user name "${name}" is also used by ${other.key}`,
      [...b.path, "name"],
      {
        constructPath: b.constructPath,
        hint: "API user names are unique in Popdock, case-insensitively",
      },
    );
  },
  duplicateTokenName({ resource: r, origin: b }, { origin: other }) {
    const name = r.type === TOKEN_TYPE ? r.attrs.name : "";
    return b.src.diag(
      "CONFIG_DUPLICATE_TOKEN_NAME",
      `token name "${name}" is also used by ${other.key} (token names are unique per user, case-insensitively)`,
      [...b.path, (b.values as Partial<ApiTokenArgs>).name === undefined ? "key" : "name"],
      { constructPath: b.constructPath },
    );
  },
};
