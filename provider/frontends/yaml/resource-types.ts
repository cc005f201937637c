/**
 * A type's section entries and their children → desired resources, each by its type's
 * `config.yaml.convert` (`convertedDraft`), except the token, still this module's own:
 * - `api_users.<user>`               → `popdock_api_user.<user>` (provider/resources/api-user/config.ts)
 * - `grants[*]`                      → `popdock_api_user_grant.<user>["team:Finance"]` (the grant
 *   type's own conversion, provider/resources/api-user-grant/config.ts)
 * - `tokens.<token>`                 → `popdock_api_token.<user>["<token>"]`
 * - `tokens.<token>.rotation`        → `null_resource.<user>__<token>_rotation`, with the
 *   interpolated triggers; the token gets `replaceTriggeredBy` and `dependsOn` on it and
 *   `createBeforeDestroy`, so changing a trigger creates a new token before deleting the old one.
 * - any other type placed under API users (`<key>:` as its placement says) → `<type>.<user>["<index>"]`;
 *   an entry of `resources.<type>` → `<type>.<key>`, or `<type>.<parent>["<key>"]` when it names one.
 * Duplicates and the automatic token outputs are the semantic pass's (../semantic.ts).
 */
import { nameProblem } from "../../../schema/limits.js";
import { defaultLifecycle, formatAddress } from "../../model/desired.js";
import { isRecord } from "../../model/values.js";
import type { YamlValues } from "../../resources/config.js";
import type { ConfiguredType } from "../resource-config.js";
import type { DocPath, SourceFile } from "../source.js";
import type { DraftResource } from "../types.js";
import { yamlLayout } from "./config-file.js";
import type { Interpolator } from "./interpolation.js";
import type { ApiUser, Entry, ResourceEntry } from "./merge.js";
import type { YamlOrigin } from "./phrasing.js";

type Token = NonNullable<ApiUser["tokens"]>[string];
type Draft = DraftResource<YamlOrigin>;

/** An API user entry → its user, grants, tokens and rotation keepers, in that order. */
export function expandUser(
  ip: Interpolator,
  out: { resources: Draft[] },
  { src, key, value: u }: Entry<ApiUser & { raw: Record<string, unknown> }>,
): void {
  const section = yamlLayout().sections.find((s) => s.name === "api_users");
  if (section === undefined) return;
  // The entry without its children's keys, which are the children's.
  const childKeys = new Set(section.children.map((c) => c.key));
  const own = Object.fromEntries(Object.entries(u.raw).filter(([k]) => !childKeys.has(k)));
  const self = convertedDraft(ip, src, section.type, own, key, ["api_users", key], undefined);
  if (self === undefined) return;
  out.resources.push(self);
  // Children in the registry's order: grants, tokens, then any other registered type's.
  const user = self.resource.address;
  for (const child of section.children) {
    if (child.key === "tokens" && child.type.type.type === "popdock_api_token") {
      // A token's rotation keeper (a null_resource) is still this module's: see `tokenDraft`.
      for (const [tokenKey, t] of Object.entries(u.tokens ?? {})) {
        const rotation =
          t.rotation === undefined ? undefined : rotationDraft(ip, src, key, tokenKey, t.rotation);
        if (rotation !== undefined) out.resources.push(rotation);
        out.resources.push(tokenDraft(ip, src, key, tokenKey, t, rotation?.resource.address));
      }
      continue;
    }
    const raw = u.raw[child.key];
    if (raw === undefined) continue;
    const items: [string | number, unknown][] = Array.isArray(raw)
      ? raw.map((v, i): [number, unknown] => [i, v])
      : isRecord(raw)
        ? Object.entries(raw)
        : [];
    for (const [at, entry] of items) {
      const path: DocPath = ["api_users", key, child.key, at];
      const d = convertedDraft(ip, src, child.type, entry, String(at), path, { name: key, user });
      if (d !== undefined) out.resources.push(d);
    }
  }
}

/** An entry of `resources.<type>` (or of another type's own section) → its resource. */
export function expandResource(
  ip: Interpolator,
  out: { resources: Draft[] },
  { src, key, value }: Entry<ResourceEntry>,
): void {
  const path: DocPath = [...value.section.split("."), key];
  const d = convertedDraft(ip, src, value.type, value.raw, key, path, undefined);
  if (d !== undefined) out.resources.push(d);
}

/** The YAML frontend's interpolation, for a type's own conversion. */
function yamlValues(ip: Interpolator, src: SourceFile): YamlValues {
  return {
    text: (path, value, opts) => {
      const a = ip.attr(
        src,
        [...path],
        value,
        opts?.required === undefined ? {} : { required: opts.required },
      );
      return a.ok && opts?.limit !== undefined ? ip.limit(src, [...path], a, opts.limit(a.value)) : a;
    },
    name: (path, value, what) => ip.name(src, [...path], value, what),
    nameSet: (path, items) => ip.nameSet(src, [...path], items),
  };
}

/**
 * A resource from a type's `config.yaml.convert`: a child of `parent` (`<type>.<parent>["<index>"]`),
 * a section entry naming its parent (`convert` returns `parent`), or `<type>.<key>`.
 */
function convertedDraft(
  ip: Interpolator,
  src: SourceFile,
  t: ConfiguredType,
  entry: unknown,
  key: string,
  path: DocPath,
  parent: { name: string; user: string } | undefined,
): Draft | undefined {
  const convert = t.config.yaml?.convert;
  if (convert === undefined) return undefined;
  const c = convert(entry, key, path, yamlValues(ip, src));
  const type = t.type.type;
  const parentType = t.type.parent?.type;
  const owner =
    parent ??
    (c.parent !== undefined && parentType !== undefined
      ? { name: c.parent, user: formatAddress(parentType, c.parent) }
      : undefined);
  const source = src.sourceRef(path);
  const origin: YamlOrigin = { src, path, key: owner?.name ?? key };
  const lifecycle =
    c.preventDestroy === undefined
      ? defaultLifecycle()
      : { ...defaultLifecycle(), preventDestroy: c.preventDestroy };
  const reported = c.nameReported === undefined ? {} : { nameReported: c.nameReported };
  if (owner === undefined) {
    const address = formatAddress(type, key);
    return {
      resource: { type, address, name: key, dependsOn: [], lifecycle, source, attrs: c.attrs },
      origin,
      ...reported,
    };
  }
  const index = c.index ?? key;
  return {
    resource: {
      type,
      address: formatAddress(type, owner.name, index),
      name: owner.name,
      index,
      user: owner.user,
      dependsOn: [],
      lifecycle,
      source,
      attrs: c.attrs,
    },
    origin,
    ...reported,
  };
}

/** `tokens.<token>.rotation` → `null_resource.<user>__<token>_rotation` with the interpolated triggers. */
export function rotationDraft(
  ip: Interpolator,
  src: SourceFile,
  key: string,
  tokenKey: string,
  rotation: NonNullable<Token["rotation"]>,
): Draft {
  const rotationPath: DocPath = ["api_users", key, "tokens", tokenKey, "rotation"];
  const nullName = `${key}__${tokenKey}_rotation`;
  const triggers: Record<string, string> = {};
  for (const [k, v] of Object.entries(rotation.triggers)) {
    // Triggers never reach Popdock, but are kept in state and shown in plans.
    const opts = { required: false, exposure: "state" } as const;
    triggers[k] =
      typeof v === "string" ? ip.attr(src, [...rotationPath, "triggers", k], v, opts).value : String(v);
  }
  return {
    resource: {
      type: "null_resource",
      address: formatAddress("null_resource", nullName),
      name: nullName,
      dependsOn: [],
      lifecycle: defaultLifecycle(),
      source: src.sourceRef(rotationPath),
      attrs: { triggers },
    },
    origin: { src, path: rotationPath, key },
  };
}

/**
 * `tokens.<token>` → `popdock_api_token.<user>["<token>"]`, created before the old one is deleted;
 * with a rotation keeper (`rotation`, its address) it is replaced when the keeper is.
 */
export function tokenDraft(
  ip: Interpolator,
  src: SourceFile,
  key: string,
  tokenKey: string,
  t: Token,
  rotation: string | undefined,
): Draft {
  const path: DocPath = ["api_users", key, "tokens", tokenKey];
  const namePath: DocPath = t.name === undefined ? path : [...path, "name"];
  const { value: name, ok } =
    t.name === undefined
      ? ip.limit(src, path, { value: tokenKey, ok: true }, nameProblem("token name", tokenKey), "key")
      : ip.name(src, namePath, t.name, "token name");
  const lifecycle = { ...defaultLifecycle(), createBeforeDestroy: true };
  const dependsOn: string[] = [];
  if (rotation !== undefined) {
    lifecycle.replaceTriggeredBy = [rotation];
    dependsOn.push(rotation);
  }
  return {
    resource: {
      type: "popdock_api_token",
      address: formatAddress("popdock_api_token", key, tokenKey),
      name: key,
      index: tokenKey,
      user: formatAddress("popdock_api_user", key),
      dependsOn,
      lifecycle,
      source: src.sourceRef(path),
      attrs: { name },
    },
    origin: { src, path, key, tokenKey, namePath, nameAtKey: t.name === undefined },
    // A name already reported (one Popdock would refuse) is not compared with the others.
    nameReported: !ok,
  };
}
