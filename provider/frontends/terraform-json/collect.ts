/**
 * Stage 1, collect: JSON documents → typed blocks. Splits each document into provider, resource and
 * output blocks, reports unsupported and unknown top-level blocks, resource types and names, and
 * reads meta-arguments (`depends_on`, `lifecycle`, `provider`, `count`…) into the block.
 *   in: JsonSource   out: ctx.blocks, ctx.foreign, ctx.outputs, ctx.provider
 */
import { RESOURCE_KEY } from "../../../schema/config.js";
import { didYouMean } from "../../model/diagnostics.js";
import { isRecord } from "../../model/values.js";
import { configuredType, configuredTypeNames } from "../resource-config.js";
import type { Block, ReadContext } from "./context.js";
import { parseTemplate, parseWholeReference, refKey, type TfRef } from "./expressions.js";
import { describeValue, PROVIDER_NAME, ProviderArgs } from "./schema.js";
import { constructPathOf, type DocPath, type JsonSource, outputConstructPaths } from "./source.js";
import { collectStateBlocks, STATE_BLOCK_KINDS, type StateBlockKind } from "./state-blocks.js";

function isStateBlockKind(blockType: string): blockType is StateBlockKind {
  return (STATE_BLOCK_KINDS as readonly string[]).includes(blockType);
}

export const UNSUPPORTED_BLOCKS: Readonly<Record<string, { what: string; hint?: string }>> = {
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
  check: { what: "check blocks are not supported" },
};

export const IGNORED_BLOCKS = new Set(["//", "terraform"]);

export function collect(ctx: ReadContext, src: JsonSource): void {
  const doc = src.data;
  if (!isRecord(doc)) {
    ctx.diag(
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
      ctx.diag(src, "TF_JSON_UNSUPPORTED_BLOCK", `"${blockType}" blocks: ${unsupported.what}`, path, {
        at: "key",
        hint: unsupported.hint,
        constructPath: cp,
      });
      continue;
    }
    if (isStateBlockKind(blockType)) {
      collectStateBlocks(ctx, src, blockType, value, ctx.stateBlocks);
      continue;
    }
    if (!isRecord(value)) {
      ctx.diag(src, "TF_JSON_INVALID", `"${blockType}" must be an object, got ${describeValue(value)}`, path);
      continue;
    }
    if (blockType === "resource") collectResources(ctx, src, value);
    else if (blockType === "output") {
      for (const [name, body] of Object.entries(value)) {
        const opath: DocPath = ["output", name];
        if (!isRecord(body)) {
          ctx.diag(
            src,
            "TF_JSON_INVALID",
            `output "${name}" must be an object, got ${describeValue(body)}`,
            opath,
          );
          continue;
        }
        ctx.outputs.push({ src, name, path: opath, constructPath: outputPaths.get(name), body });
      }
    } else if (blockType === "provider") collectProviders(ctx, src, value);
    else {
      const guess = didYouMean(blockType, [
        "resource",
        "output",
        "provider",
        "terraform",
        ...STATE_BLOCK_KINDS,
      ]);
      ctx.diag(src, "TF_JSON_UNKNOWN_BLOCK", `unknown top-level block "${blockType}"`, path, {
        at: "key",
        hint:
          guess !== undefined
            ? `did you mean "${guess}"?`
            : "popdock-iac reads resource, output, provider and terraform",
      });
    }
  }
}

export function collectProviders(
  ctx: ReadContext,
  src: JsonSource,
  providers: Record<string, unknown>,
): void {
  for (const [name, value] of Object.entries(providers)) {
    const path: DocPath = ["provider", name];
    if (name === "null") continue;
    if (name !== PROVIDER_NAME) {
      ctx.diag(src, "TF_JSON_UNSUPPORTED_PROVIDER", `provider "${name}" is not supported`, path, {
        at: "key",
        hint: "popdock-iac manages only Popdock resources (and null_resource); put other providers' resources in a separate stack",
      });
      continue;
    }
    const configs = Array.isArray(value) ? value : [value];
    configs.forEach((cfg, i) => {
      const cpath: DocPath = Array.isArray(value) ? [...path, i] : path;
      if (ctx.providerSeen !== undefined) {
        ctx.diag(
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
      ctx.providerSeen = { src, path: cpath };
      if (!isRecord(cfg)) {
        ctx.diag(src, "TF_JSON_INVALID", `expected an object, got ${describeValue(cfg)}`, cpath);
        return;
      }
      const { "//": _meta, alias, ...given } = cfg;
      // JSON null is "unset", as in Terraform.
      const rest = Object.fromEntries(Object.entries(given).map(([k, v]) => [k, v ?? undefined]));
      if (alias != null) {
        ctx.diag(
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
          ctx.diag(src, "CONFIG_UNKNOWN_KEY", `unknown argument "${key}"`, [...cpath, key], {
            at: "key",
            hint: `arguments: ${allowed.join(", ")}`,
          });
        }
        if (rest.endpoint !== undefined && typeof rest.endpoint !== "string") {
          ctx.diag(src, "CONFIG_INVALID_TYPE", `expected a string, got ${describeValue(rest.endpoint)}`, [
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
        ctx.diag(
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
        ctx.diag(
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
      ctx.provider = { endpoint: text };
    });
  }
}

export function collectResources(ctx: ReadContext, src: JsonSource, byType: Record<string, unknown>): void {
  for (const [type, byName] of Object.entries(byType)) {
    const tpath: DocPath = ["resource", type];
    if (!isRecord(byName)) {
      ctx.diag(src, "TF_JSON_INVALID", `resource "${type}" must be an object of resources by name`, tpath);
      continue;
    }
    const configured = configuredType(type);
    if (configured === undefined) {
      const supported = configuredTypeNames();
      for (const [name, body] of Object.entries(byName)) {
        ctx.foreign.add(`${type}.${name}`);
        const guess = didYouMean(type, supported);
        ctx.diag(
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
                : `supported: ${supported.join(", ")}; put other resources in a separate stack`,
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
        ctx.diag(
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
      const prev = ctx.blocks.get(key);
      if (prev !== undefined) {
        ctx.diag(src, "CONFIG_DUPLICATE_KEY", `resource ${key} is also declared in ${prev.src.file}`, path, {
          at: "key",
          constructPath: cp,
          hint: "each resource may be declared once across all files",
        });
        continue;
      }
      const block: Block = {
        src,
        type,
        tf: configured.config.terraform,
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
      ctx.blocks.set(key, block);
      if (!RESOURCE_KEY.test(name)) {
        ctx.blockDiag(
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
      readMeta(ctx, block);
    }
  }
}

/** Meta-arguments: what is supported is recorded, the rest is reported. */
export function readMeta(ctx: ReadContext, b: Block): void {
  const { body, path } = b;
  for (const arg of ["count", "for_each"] as const) {
    if (body[arg] == null) continue;
    ctx.blockDiag(b, "TF_JSON_UNSUPPORTED_ARGUMENT", `${arg} is not supported`, [...path, arg], {
      at: "key",
      hint: "declare each resource on its own (in CDKTF, create constructs in a loop in your program)",
    });
    b.broken = true;
  }
  for (const arg of ["provisioner", "connection"] as const) {
    if (body[arg] == null) continue;
    ctx.blockDiag(b, "TF_JSON_UNSUPPORTED_ARGUMENT", `${arg} is not supported`, [...path, arg], {
      at: "key",
    });
    b.broken = true;
  }
  const provider = body.provider;
  if (provider != null) {
    const expected = b.tf.provider ?? PROVIDER_NAME;
    const text = typeof provider === "string" ? provider.replace(/^\$\{(.*)\}$/, "$1") : undefined;
    if (text !== expected) {
      ctx.blockDiag(
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
      ctx.blockDiag(b, "CONFIG_INVALID_TYPE", `expected a list, got ${describeValue(dependsOn)}`, [
        ...path,
        "depends_on",
      ]);
    } else {
      dependsOn.forEach((item: unknown, i: number) => {
        const ref = wholeRef(ctx, b, item, [...path, "depends_on", i], false);
        if (ref) b.dependsOn.push({ ref, path: [...path, "depends_on", i] });
      });
    }
  }
  const lifecycle = body.lifecycle;
  if (lifecycle == null) return;
  // A block may also be written as a list of blocks; lifecycle takes one.
  if (!Array.isArray(lifecycle)) readLifecycle(ctx, b, lifecycle, [...path, "lifecycle"]);
  else if (lifecycle.length > 1) {
    ctx.blockDiag(
      b,
      "CONFIG_INVALID_VALUE",
      `a resource takes one lifecycle block, this one has ${lifecycle.length}`,
      [...path, "lifecycle", 1],
      { hint: "merge them into one" },
    );
  } else if (lifecycle.length === 1) readLifecycle(ctx, b, lifecycle[0], [...path, "lifecycle", 0]);
}

export function readLifecycle(ctx: ReadContext, b: Block, lifecycle: unknown, lpath: DocPath): void {
  if (!isRecord(lifecycle)) {
    ctx.blockDiag(b, "CONFIG_INVALID_TYPE", `expected an object, got ${describeValue(lifecycle)}`, lpath);
    return;
  }
  for (const [key, value] of Object.entries(lifecycle)) {
    if (value === null) continue;
    const path: DocPath = [...lpath, key];
    switch (key) {
      case "create_before_destroy":
      case "prevent_destroy":
        if (typeof value !== "boolean") {
          ctx.blockDiag(
            b,
            "CONFIG_INVALID_TYPE",
            `expected true or false, got ${describeValue(value)}`,
            path,
          );
        } else if (key === "create_before_destroy") b.lifecycle.createBeforeDestroy = value;
        else b.lifecycle.preventDestroy = value;
        break;
      case "ignore_changes": {
        const allowed = b.tf.ignorable;
        if (value === "all" || (Array.isArray(value) && value.length === 1 && value[0] === "all")) {
          b.lifecycle.ignoreChanges = [...allowed];
          break;
        }
        if (!Array.isArray(value)) {
          ctx.blockDiag(
            b,
            "CONFIG_INVALID_TYPE",
            `expected a list of attribute names or "all", got ${describeValue(value)}`,
            path,
          );
          break;
        }
        value.forEach((item: unknown, i: number) => {
          if (typeof item !== "string") {
            ctx.blockDiag(
              b,
              "CONFIG_INVALID_TYPE",
              `expected an attribute name, got ${describeValue(item)}`,
              [...path, i],
            );
          } else if (!allowed.includes(item)) {
            const guess = didYouMean(item, allowed);
            ctx.blockDiag(
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
          ctx.blockDiag(
            b,
            "CONFIG_INVALID_TYPE",
            `expected a list of references, got ${describeValue(value)}`,
            path,
          );
          break;
        }
        value.forEach((item: unknown, i: number) => {
          const ref = wholeRef(ctx, b, item, [...path, i], true);
          if (ref) b.lifecycle.replaceTriggeredBy.push({ ref, path: [...path, i] });
        });
        break;
      case "precondition":
      case "postcondition":
        ctx.blockDiag(b, "TF_JSON_UNSUPPORTED_ARGUMENT", `lifecycle ${key} is not supported`, path, {
          at: "key",
        });
        break;
      default: {
        const known = ["create_before_destroy", "prevent_destroy", "ignore_changes", "replace_triggered_by"];
        const guess = didYouMean(key, known);
        ctx.blockDiag(b, "CONFIG_UNKNOWN_KEY", `unknown lifecycle argument "${key}"`, path, {
          at: "key",
          hint: guess !== undefined ? `did you mean "${guess}"?` : `arguments: ${known.join(", ")}`,
        });
      }
    }
  }
}

/** A `depends_on` / `replace_triggered_by` entry. */
export function wholeRef(
  ctx: ReadContext,
  b: Block,
  item: unknown,
  path: DocPath,
  allowAttr: boolean,
): TfRef | undefined {
  if (typeof item !== "string") {
    ctx.blockDiag(
      b,
      "CONFIG_INVALID_TYPE",
      `expected a resource reference, got ${describeValue(item)}`,
      path,
    );
    return undefined;
  }
  const r = parseWholeReference(item);
  if (!r.ok) {
    ctx.blockDiag(b, r.error.code, r.error.message, path, { hint: r.error.hint });
    return undefined;
  }
  if (r.ref.attr !== undefined && !allowAttr) {
    ctx.blockDiag(b, "CONFIG_INVALID_VALUE", `depends_on takes resources, not attributes: "${item}"`, path, {
      hint: `write "${refKey(r.ref)}"`,
    });
    return undefined;
  }
  return r.ref;
}

export function firstConstructPath(value: unknown): string | undefined {
  if (!isRecord(value)) return undefined;
  const direct = constructPathOf(value);
  if (direct !== undefined) return direct;
  for (const v of Object.values(value)) {
    const cp = constructPathOf(v);
    if (cp !== undefined) return cp;
  }
  return undefined;
}
