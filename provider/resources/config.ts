/**
 * The configuration side of a resource type: how a Terraform JSON resource block (and a CDKTF
 * construct) spells its arguments, how a YAML file may declare it, and how checked arguments
 * become the desired resource's attributes. A type attaches one as `config` in its definition
 * (`<type>/config.ts`); the frontends ask the registry for it and never name a type.
 *
 * Written with `defineResourceConfig<V>`, typed by the arguments `V` its zod schema accepts; the
 * registry holds it erased, and the values a frontend hands in are checked against the schema
 * at that boundary (as `defineResourceType` does for attributes), so nobody casts.
 */
import type { z } from "zod";
import { InternalError } from "../model/errors.js";
import { type ArgIssue, type ArgsResult, parseWith } from "./args.js";

/** A problem found while converting arguments: a warning (a duplicate list item) or an error. */
export interface ConvertIssue extends ArgIssue {
  severity?: "error" | "warning";
}

/** What a conversion may report; `path` is relative to the resource body. */
export type Report = (issue: ConvertIssue) => void;

/** How Terraform JSON (and CDKTF) spells a type: arguments, references, conversion. */
export interface TerraformSpec<V> {
  /** The arguments (snake_case), as checked for a resource block and by the CDKTF construct. */
  readonly schema: z.ZodType<V>;
  /** Every argument the type takes (a grant: those of all its kinds), for JSON `null` = unset. */
  readonly arguments: readonly string[];
  /** Checks a body (meta-arguments removed) with issues a person can act on; default: `schema`. */
  check?(body: Record<string, unknown>): ArgsResult<V>;
  /** Checks the values as Popdock will store them, after references are resolved (`schema/limits.ts`). */
  checkStored?(values: V, name: string): ArgIssue[];
  /** The provider a block may name in `provider`; default `popdock`. */
  readonly provider?: string;
  /** The argument holding `${<parent type>.<name>.id}` (a grant's, a token's `api_user_id`). */
  readonly parentArgument?: string;
  /** Arguments references may use that are known when the configuration is read (a user's `name`). */
  readonly known: readonly string[];
  /** Attributes references may name that are known only after apply (`id`, `token_id`). */
  readonly computed: readonly string[];
  /** What `lifecycle.ignore_changes` may name (`all` means all of them). */
  readonly ignorable: readonly string[];
  /** The value of a `known` argument for a reference (a token's `name` defaults to its key); default: the argument. */
  knownValue?(values: V, name: string, attr: string): string | undefined;
  /** The address index of a child (grant: `team:Finance`; token: its key). Required with `parentArgument`. */
  index?(values: V, name: string): string;
  /** `lifecycle.create_before_destroy` when the block does not set it (tokens: true). */
  readonly createBeforeDestroy?: boolean;
  /** The desired resource's attributes from checked, resolved values. */
  attrs(values: V, name: string, report: Report): Record<string, unknown>;
}

/** Where a type may be declared in a YAML file. */
export type YamlPlacement =
  /** Under each entry of its parent's section: `api_users.<user>.<key>`, a list or a map by key. */
  | { kind: "child"; key: string; shape: "list" | "map"; description: string }
  /** A top-level section of its own, by key: `api_users: { <key>: {…} }` (`description`: the section's). */
  | { kind: "section"; section: string; description: string; entryDescription: string }
  /** In the generic `resources: { <type>: { <name>: {…} } }` section. */
  | { kind: "resources" };

/** Interpolated values for a YAML conversion (the YAML frontend's `${var.x}` and its checks). */
export interface YamlValues {
  /**
   * A string attribute, interpolated; `ok` false when a problem has been reported. `required`
   * (default true): not empty; `limit`: what Popdock would refuse (`schema/limits.ts`), checked
   * when the value is otherwise fine.
   */
  text(
    path: readonly (string | number)[],
    value: string,
    opts?: {
      required?: boolean;
      limit?: (value: string) => { message: string; hint: string } | undefined;
      /** The value is kept in state and plans but never sent to Popdock (a trigger). */
      stateOnly?: boolean;
    },
  ): {
    value: string;
    ok: boolean;
  };
  /** A value taken as it is (a key used as a name), checked against a limit; reported at the key when `at` says so. */
  check(
    path: readonly (string | number)[],
    value: string,
    problem: { message: string; hint: string } | undefined,
    at?: "key" | "value",
  ): { value: string; ok: boolean };
  /** A name Popdock trims and limits (`what`: "token name"). */
  name(path: readonly (string | number)[], value: string, what: string): { value: string; ok: boolean };
  /** A list of names as a set: sorted, duplicates dropped with a warning. */
  nameSet(path: readonly (string | number)[], items: readonly string[]): string[];
}

/** How a YAML file declares a type, when it can. */
export interface YamlSpec<E> {
  readonly placement: YamlPlacement;
  /** One entry, before interpolation (every string may hold `${var.x}`). */
  readonly entry: z.ZodType<E>;
  /**
   * Attributes and address index from a valid entry; `path` is the entry's document path,
   * `parentKey` the key of the entry it is under (a child's). A child
   * is addressed `<type>.<parent key>["<index>"]` (index default: its map key or list position);
   * an entry of the generic `resources` section names its parent's key in `parent`, if it has one.
   * A type that YAML cannot declare directly (`null_resource`) leaves it out.
   */
  convert?(
    entry: E,
    key: string,
    path: readonly (string | number)[],
    values: YamlValues,
    parentKey: string | undefined,
  ): YamlConverted;
}

/** What a YAML conversion makes of an entry. */
export interface YamlConverted {
  attrs: Record<string, unknown>;
  /** The address index of a child (default: its key or list position). */
  index?: string;
  /** In the generic `resources` section: the parent entry's key. */
  parent?: string;
  /** `lifecycle.prevent_destroy` as the entry says (an API user's `prevent_destroy`). */
  preventDestroy?: boolean;
  /** A problem with the name has been reported: it is not compared with other names. */
  nameReported?: boolean;
  /** Where the name is, for messages about duplicate names: its key when `nameAtKey`. */
  namePath?: readonly (string | number)[];
  nameAtKey?: boolean;
  /** `lifecycle.create_before_destroy` for the entry (a token: true). */
  createBeforeDestroy?: boolean;
  /**
   * A resource declared with it that it follows (a token's rotation keeper, a `null_resource`):
   * created as `<type>.<name>`, listed before it, and in its `depends_on` and `replace_triggered_by`.
   */
  keeper?: { type: string; name: string; path: readonly (string | number)[]; attrs: Record<string, unknown> };
}

/** A type's configuration, typed by its Terraform arguments `V` and YAML entry `E`. */
export interface ResourceConfigDef<V, E = unknown> {
  readonly terraform: TerraformSpec<V>;
  readonly yaml?: YamlSpec<E>;
}

/** A type's configuration as the registry holds it: values are plain records, checked on the way in. */
export interface ResourceConfig {
  readonly terraform: {
    readonly schema: z.ZodType;
    readonly arguments: readonly string[];
    check(body: Record<string, unknown>): ArgsResult<Record<string, unknown>>;
    checkStored(values: Record<string, unknown>, name: string): ArgIssue[];
    readonly provider: string | undefined;
    readonly parentArgument: string | undefined;
    readonly known: readonly string[];
    readonly computed: readonly string[];
    readonly ignorable: readonly string[];
    knownValue(values: Record<string, unknown>, name: string, attr: string): string | undefined;
    index(values: Record<string, unknown>, name: string): string | undefined;
    readonly createBeforeDestroy: boolean | undefined;
    attrs(values: Record<string, unknown>, name: string, report: Report): Record<string, unknown>;
  };
  readonly yaml?: {
    readonly placement: YamlPlacement;
    readonly entry: z.ZodType;
    convert?(
      entry: unknown,
      key: string,
      path: readonly (string | number)[],
      values: YamlValues,
      parentKey: string | undefined,
    ): YamlConverted;
  };
}

/** A configuration that still carries its typed definition (the CDKTF constructs use its schema). */
export interface DefinedResourceConfig<V, E> extends ResourceConfig {
  readonly def: ResourceConfigDef<V, E>;
}

function isPlainRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Erases a typed configuration for the registry; values entering it are checked against its schemas. */
export function defineResourceConfig<V, E = unknown>(
  type: string,
  def: ResourceConfigDef<V, E>,
): DefinedResourceConfig<V, E> {
  const tf = def.terraform;
  /** Values the frontend checked with `check` (and resolved): as the type's own. */
  const own = (values: Record<string, unknown>): V => {
    const r = tf.schema.safeParse(values);
    if (r.success) return r.data;
    const issues = r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw new InternalError(`${type}: arguments that were checked do not fit the type (${issues})`, {
      cause: r.error,
    });
  };
  const plain = (r: ArgsResult<V>): ArgsResult<Record<string, unknown>> => {
    if (!r.ok) return r;
    if (!isPlainRecord(r.value)) throw new InternalError(`${type}: arguments must be an object`);
    return { ok: true, value: r.value };
  };
  const yaml = def.yaml;
  const convert = yaml?.convert;
  return {
    def,
    terraform: {
      schema: tf.schema,
      arguments: tf.arguments,
      check: (body) => plain(tf.check ? tf.check(body) : parseWith(tf.schema, body)),
      checkStored: (values, name) => (tf.checkStored ? tf.checkStored(own(values), name) : []),
      provider: tf.provider,
      parentArgument: tf.parentArgument,
      known: tf.known,
      computed: tf.computed,
      ignorable: tf.ignorable,
      knownValue: (values, name, attr) => {
        if (tf.knownValue) return tf.knownValue(own(values), name, attr);
        const v = values[attr];
        return typeof v === "string" ? v : undefined;
      },
      index: (values, name) => tf.index?.(own(values), name),
      createBeforeDestroy: tf.createBeforeDestroy,
      attrs: (values, name, report) => tf.attrs(own(values), name, report),
    },
    ...(yaml
      ? {
          yaml: {
            placement: yaml.placement,
            entry: yaml.entry,
            ...(convert
              ? {
                  convert: (
                    entry: unknown,
                    key: string,
                    path: readonly (string | number)[],
                    values: YamlValues,
                    parentKey: string | undefined,
                  ) => convert(yaml.entry.parse(entry), key, path, values, parentKey),
                }
              : {}),
          },
        }
      : {}),
  };
}
