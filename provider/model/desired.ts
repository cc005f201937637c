/**
 * The desired configuration: what every frontend (YAML, Terraform JSON / CDKTF synth) produces
 * and the planner consumes. Format-independent, already zod-checked and variable-expanded.
 *
 * Names of teams, roles, connectors and scope items are kept as names here; refresh resolves
 * them to Popdock IDs (and reports unknown names with a "did you mean").
 */
import { createHash } from "node:crypto";
import { canonicalJson, compareStrings } from "./values.js";

/** Where a resource or output came from, for diagnostics. */
export interface SourceRef {
  file: string;
  line?: number;
  column?: number;
  /** Document path (`api_users.bot.grants[0]`), or JSON path for Terraform JSON. */
  path?: string;
  /** CDKTF construct path, when the input was synthesized by CDKTF. */
  constructPath?: string;
}

export interface Lifecycle {
  /** Refuse any plan that deletes (or replaces) this resource. */
  preventDestroy: boolean;
  /**
   * For replacements: create the new object before deleting the old one (the default for
   * tokens; grants and users are replaced delete-first unless this is set).
   */
  createBeforeDestroy?: boolean;
  /** Attribute names whose differences are ignored when diffing. */
  ignoreChanges: string[];
  /** Addresses (or `address.attribute`) whose replacement or change forces this resource's replacement. */
  replaceTriggeredBy: string[];
}

interface ResourceBase {
  /** Stable address, e.g. `popdock_api_user.reporting_bot`, `popdock_api_token.reporting_bot["powerbi"]`. */
  address: string;
  /** The resource name part of the address (`reporting_bot`). */
  name: string;
  /** The index part of the address, unquoted (`powerbi`, `team:Finance`), if any. */
  index?: string;
  /** Explicit extra dependencies (addresses). Implicit ones (a grant's user) are derived. */
  dependsOn: string[];
  lifecycle: Lifecycle;
  source: SourceRef;
}

export interface ApiUserAttrs {
  name: string;
  description: string;
}

export type GrantSpec =
  | { kind: "team"; team: string }
  | { kind: "role"; role: string }
  | {
      kind: "connector";
      connector: string;
      roles: string[];
      companies: string[];
      lists: string[];
      actions: string[];
      details: string[];
    };

export interface DesiredApiUser extends ResourceBase {
  type: "popdock_api_user";
  attrs: ApiUserAttrs;
}

export interface DesiredGrant extends ResourceBase {
  type: "popdock_api_user_grant";
  /** Address of the owning `popdock_api_user`. */
  user: string;
  attrs: GrantSpec;
}

export interface DesiredToken extends ResourceBase {
  type: "popdock_api_token";
  /** Address of the owning `popdock_api_user`. */
  user: string;
  /** `rotation` with `overlap`: generations (provider/engine/rotation.ts); the name is their base. */
  attrs: { name: string; rotation?: RotationPolicy };
}

/** A token's rotation policy as planned: durations in seconds, triggers as strings. */
export interface RotationPolicy {
  every_seconds?: number;
  overlap_seconds: number;
  retire_when_unused_seconds?: number;
  triggers?: Record<string, string>;
}

/** Terraform's `null_resource`: no API calls, kept in state, replaced when its triggers change. */
export interface DesiredNull extends ResourceBase {
  type: "null_resource";
  attrs: { triggers: Record<string, string> };
}

export type DesiredResource = DesiredApiUser | DesiredGrant | DesiredToken | DesiredNull;

/**
 * A desired resource of a type registered at run time (provider/resources registry) rather than
 * one of the built-in types above: its attributes are open, `user` names its parent if it has
 * one. The engine accepts these beside `DesiredResource`; frontends need not build them.
 */
export interface DesiredCustom<T extends string = string, A = Record<string, unknown>> extends ResourceBase {
  type: T;
  /** Address of the owning resource, for child types. */
  user?: string;
  attrs: A;
}

/** What the engine plans: a built-in desired resource, or one of a type registered at run time. */
export type AnyDesiredResource = DesiredResource | DesiredCustom;

/** A configuration as the engine reads it: `DesiredConfig`, whose resources may be of any registered type. */
export interface PlannedConfig extends Omit<DesiredConfig, "resources"> {
  resources: readonly AnyDesiredResource[];
}

/** A reference to another resource's attribute: `${popdock_api_token.bot["pbi"].token_id}`. */
export interface AttrRef {
  address: string;
  attr: string;
}

/** An output value: literal text and references, concatenated. */
export type TemplatePart = string | AttrRef;

export interface DesiredOutput {
  name: string;
  parts: TemplatePart[];
  sensitive: boolean;
  description?: string;
  /** Generated for every token (`<user_key>.<token_key>`) rather than written by the user. */
  automatic?: boolean;
  source: SourceRef;
}

/** `moved { from = …, to = … }`: the object in state at `from` is now configured at `to`. */
export interface MovedBlock {
  from: string;
  to: string;
  source: SourceRef;
}

/** `removed { from = …, lifecycle { destroy = false } }`: forget `from` (and its children), keep it in Popdock. */
export interface RemovedBlock {
  from: string;
  source: SourceRef;
}

/** `import { to = …, id = … }`: adopt the Popdock object `id` at `to` (an import id as `popdock import` takes it). */
export interface ImportBlock {
  to: string;
  id: string;
  source: SourceRef;
}

/** Blocks that act on the state's addresses rather than on Popdock objects. */
export interface StateBlocks {
  moved?: MovedBlock[];
  removed?: RemovedBlock[];
  imports?: ImportBlock[];
}

export interface DesiredConfig extends StateBlocks {
  /** Files the configuration was read from (for the config digest and messages). */
  files: string[];
  /** Digest over the normalized configuration (sha256 hex), recorded in saved plans. */
  digest: string;
  provider: { endpoint?: string };
  resources: AnyDesiredResource[];
  outputs: DesiredOutput[];
  /**
   * The configuration declares on purpose that nothing is managed: an explicit `api_users: {}`
   * (YAML) or `"resource": {}` (Terraform JSON), and no resources. False for a configuration that
   * is empty by accident (an empty file, only comments, `---`, `{}`), which planning refuses to
   * turn into a plan that destroys everything. Not part of the digest. Absent means false.
   */
  declaredEmpty?: boolean;
}

export function defaultLifecycle(): Lifecycle {
  return { preventDestroy: false, ignoreChanges: [], replaceTriggeredBy: [] };
}

/** `popdock_api_token.bot["pbi"]` from its parts. */
export function formatAddress(type: string, name: string, index?: string): string {
  return index === undefined ? `${type}.${name}` : `${type}.${name}[${JSON.stringify(index)}]`;
}

/** The inverse of `formatAddress`; undefined when the text is not an address. */
export function parseAddress(text: string): { type: string; name: string; index?: string } | undefined {
  const m = /^([a-z][a-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_-]*)(?:\[("(?:[^"\\]|\\.)*")\])?$/.exec(text);
  if (!m) return undefined;
  const [, type, name, idx] = m;
  if (type === undefined || name === undefined) return undefined;
  if (idx === undefined) return { type, name };
  return { type, name, index: JSON.parse(idx) as string };
}

/** The grant's natural key, used as its address index: `team:Finance`, `role:User`, `connector:GP Production`. */
export function grantKey(spec: GrantSpec): string {
  switch (spec.kind) {
    case "team":
      return `team:${spec.team}`;
    case "role":
      return `role:${spec.role}`;
    case "connector":
      return `connector:${spec.connector}`;
  }
}

/**
 * The config digest (sha256 hex) every frontend records in `DesiredConfig.digest`: over the
 * provider settings, resources sorted by address and outputs sorted by name, without `source`
 * positions and file names, so reformatting, reordering or splitting files does not change it.
 */
export function configDigest(
  config: Pick<DesiredConfig, "provider" | "resources" | "outputs" | "moved" | "removed" | "imports">,
): string {
  const byKey =
    <T>(key: (x: T) => string) =>
    (a: T, b: T) =>
      compareStrings(key(a), key(b));
  const resources = config.resources
    .map(({ source: _source, ...rest }) => rest)
    .sort(byKey((r) => r.address));
  const outputs = config.outputs.map(({ source: _source, ...rest }) => rest).sort(byKey((o) => o.name));
  // The state blocks count only when present, so a configuration without them keeps its digest.
  const blocks: Record<string, unknown> = {};
  for (const k of ["moved", "removed", "imports"] as const) {
    const list = config[k];
    if (list !== undefined && list.length > 0) blocks[k] = list.map(({ source: _source, ...rest }) => rest);
  }
  const canonical = canonicalJson({ provider: config.provider, resources, outputs, ...blocks });
  return createHash("sha256").update(canonical).digest("hex");
}
