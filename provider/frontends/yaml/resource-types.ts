/**
 * A type's section entries and their children → desired resources, each by its type's
 * `config.yaml.convert` (provider/resources/<type>/config.ts):
 * - `api_users.<user>`               → `popdock_api_user.<user>`
 * - `grants[*]`                      → `popdock_api_user_grant.<user>["team:Finance"]` (`grantKey`)
 * - `tokens.<token>`                 → `popdock_api_token.<user>["<token>"]`; with `rotation`, a keeper
 *   `null_resource.<user>__<token>_rotation` with the interpolated triggers, which the token
 *   depends on and is replaced with (`createBeforeDestroy`: the new token before the old one goes)
 * - any other type placed under API users → `<type>.<user>["<index>"]`; an entry of
 *   `resources.<type>` → `<type>.<key>`, or `<type>.<parent>["<key>"]` when it names its parent.
 * Duplicates and the automatic token outputs are the semantic pass's (../semantic.ts).
 */
import { defaultLifecycle, formatAddress } from "../../model/desired.js";
import { isRecord } from "../../model/values.js";
import type { YamlValues } from "../../resources/config.js";
import type { ConfiguredType } from "../resource-config.js";
import type { DocPath, SourceFile } from "../source.js";
import type { DraftResource } from "../types.js";
import { yamlLayout } from "./config-file.js";
import type { Interpolator } from "./interpolation.js";
import type { Entry, ResourceEntry } from "./merge.js";
import type { YamlOrigin } from "./phrasing.js";

type Draft = DraftResource<YamlOrigin>;

/** An API user entry → the user, then its children in the registry's order (grants, tokens with their keepers, …). */
export function expandUser(
  ip: Interpolator,
  out: { resources: Draft[] },
  { src, key, value: u }: Entry<{ raw: Record<string, unknown> }>,
): void {
  const section = yamlLayout().sections.find((s) => s.name === "api_users");
  if (section === undefined) return;
  // The entry without its children's keys, which are the children's.
  const childKeys = new Set(section.children.map((c) => c.key));
  const own = Object.fromEntries(Object.entries(u.raw).filter(([k]) => !childKeys.has(k)));
  const [self] = convertedDrafts(ip, src, section.type, own, key, ["api_users", key], undefined);
  if (self === undefined) return;
  out.resources.push(self);
  // Children in the registry's order: grants, tokens, then any other registered type's.
  const user = self.resource.address;
  for (const child of section.children) {
    const raw = u.raw[child.key];
    if (raw === undefined) continue;
    const items: [string | number, unknown][] = Array.isArray(raw)
      ? raw.map((v, i): [number, unknown] => [i, v])
      : isRecord(raw)
        ? Object.entries(raw)
        : [];
    for (const [at, entry] of items) {
      const path: DocPath = ["api_users", key, child.key, at];
      out.resources.push(
        ...convertedDrafts(ip, src, child.type, entry, String(at), path, { name: key, user }),
      );
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
  out.resources.push(...convertedDrafts(ip, src, value.type, value.raw, key, path, undefined));
}

/** The YAML frontend's interpolation, for a type's own conversion. */
function yamlValues(ip: Interpolator, src: SourceFile): YamlValues {
  return {
    text: (path, value, opts) => {
      const a = ip.attr(src, [...path], value, {
        ...(opts?.required !== undefined ? { required: opts.required } : {}),
        ...(opts?.stateOnly === true ? { exposure: "state" as const } : {}),
      });
      return a.ok && opts?.limit !== undefined ? ip.limit(src, [...path], a, opts.limit(a.value)) : a;
    },
    name: (path, value, what) => ip.name(src, [...path], value, what),
    nameSet: (path, items) => ip.nameSet(src, [...path], items),
    check: (path, value, problem, at) => ip.limit(src, [...path], { value, ok: true }, problem, at),
  };
}

/**
 * The resources from a type's `config.yaml.convert`: a child of `parent` (`<type>.<parent>["<index>"]`),
 * a section entry naming its parent (`convert` returns `parent`), or `<type>.<key>`; a keeper it
 * declares (a token's rotation `null_resource`) comes first.
 */
function convertedDrafts(
  ip: Interpolator,
  src: SourceFile,
  t: ConfiguredType,
  entry: unknown,
  key: string,
  path: DocPath,
  parent: { name: string; user: string } | undefined,
): Draft[] {
  const convert = t.config.yaml?.convert;
  if (convert === undefined) return [];
  const c = convert(entry, key, path, yamlValues(ip, src), parent?.name);
  const type = t.type.type;
  const parentType = t.type.parent?.type;
  const owner =
    parent ??
    (c.parent !== undefined && parentType !== undefined
      ? { name: c.parent, user: formatAddress(parentType, c.parent) }
      : undefined);
  const drafts: Draft[] = [];
  const lifecycle = defaultLifecycle();
  if (c.preventDestroy !== undefined) lifecycle.preventDestroy = c.preventDestroy;
  if (c.createBeforeDestroy !== undefined) lifecycle.createBeforeDestroy = c.createBeforeDestroy;
  const dependsOn: string[] = [];
  if (c.keeper !== undefined) {
    const k = c.keeper;
    const address = formatAddress(k.type, k.name);
    const keeperPath: DocPath = [...k.path];
    drafts.push({
      resource: {
        type: k.type,
        address,
        name: k.name,
        dependsOn: [],
        lifecycle: defaultLifecycle(),
        source: src.sourceRef(keeperPath),
        attrs: k.attrs,
      },
      origin: { src, path: keeperPath, key: owner?.name ?? key },
    });
    lifecycle.replaceTriggeredBy = [address];
    dependsOn.push(address);
  }
  const source = src.sourceRef(path);
  const origin: YamlOrigin = { src, path, key: owner?.name ?? key };
  if (c.namePath !== undefined) {
    origin.tokenKey = key;
    origin.namePath = [...c.namePath];
    origin.nameAtKey = c.nameAtKey ?? false;
  }
  const reported = c.nameReported === undefined ? {} : { nameReported: c.nameReported };
  if (owner === undefined) {
    const address = formatAddress(type, key);
    drafts.push({
      resource: { type, address, name: key, dependsOn, lifecycle, source, attrs: c.attrs },
      origin,
      ...reported,
    });
    return drafts;
  }
  const index = c.index ?? key;
  drafts.push({
    resource: {
      type,
      address: formatAddress(type, owner.name, index),
      name: owner.name,
      index,
      user: owner.user,
      dependsOn,
      lifecycle,
      source,
      attrs: c.attrs,
    },
    origin,
    ...reported,
  });
  return drafts;
}
