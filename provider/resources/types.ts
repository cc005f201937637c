/**
 * What a resource type is (after Terraform's resource scaffolding and Pulumi's dynamic
 * ResourceProvider: check / diff / create / read / update / delete / import). Everything the
 * engine, the renderers, `popdock import`, the graph and crash recovery know about a type comes
 * from its `ResourceType`: one folder under provider/resources/ plus a registry line.
 *
 * A type is written against its own typed attributes (`A`) with `defineResourceType`; the
 * registry holds it erased to plain `Attrs` (what plans and state carry), and checks the
 * attributes against the type's zod schema at that boundary, so no caller casts.
 */
import type { z } from "zod";
import type { Attrs } from "../../schema/plan.js";
import type { StateResource } from "../../schema/state.js";
import type { PopdockApi } from "../client/types.js";
import type { AnyDesiredResource } from "../model/desired.js";
import type { Diagnostic } from "../model/diagnostics.js";
import type { LiveSnapshot } from "../model/live.js";
import type { ResourceConfig } from "./config.js";

/** What refresh knows of one remote object. */
export interface LiveObject<A extends Attrs = Attrs> {
  id: string;
  parentId?: string;
  version: number;
  attrs: A;
  /** When Popdock created it (crash recovery adopts only objects created after its attempt). */
  createdAt?: string;
}

/** What a create/update/import returns: the state entry's remote part and, for tokens, the secret. */
export interface Written<A extends Attrs = Attrs> {
  id: string;
  parentId?: string;
  version: number;
  attrs: A;
  /** The credential returned by a token create (never stored; handed to outputs in memory). */
  secret?: string;
}

export interface CallContext {
  api: PopdockApi;
  signal: AbortSignal;
  /** Idempotency-Key for a create, recorded in state before the call. */
  idempotencyKey?: string;
}

/** An import id taken apart: the object's id and, for a child, its parent's id. */
export interface ImportId {
  id: string;
  parentId?: string;
}

/** Every attribute name of `A`, across the members of a union (a grant's `team_id` or `connector_id`). */
export type AttrName<A> = A extends unknown ? keyof A & string : never;

/** How a type is shown: messages, plan `before` blocks and graphs. */
export interface RenderHints<A extends Attrs> {
  /** What one object is called in messages: `API user`, `grant`, `token`, `object`. */
  noun: string;
  /** The object for a message: `an API user named "bot"`, `a token named "ci" of this API user`. */
  describe(after: A): string;
  /** Display-only attributes shown beside ids to make them readable (grant: team, role, connector). */
  displayNames: readonly string[];
  /** Display order of attributes in a diff; others follow alphabetically. */
  attributeOrder: readonly string[];
  /** Attributes shown in a plan's `before` but never compared (token: token_id_hint, created_at). */
  informational: readonly string[];
  /** A group of changes headed by this type's object is titled `<groupTitle> <address>` (`API user`). */
  groupTitle?: string;
  /** Graphviz node attributes (`shape = "note"`). */
  dotShape: string;
  /** Mermaid node brackets, open and close (`["[/", "/]"]`). */
  mermaidShape: readonly [string, string];
}

/** The owning resource of a child type (a grant's or token's API user). */
export interface ParentSpec<D> {
  /** The parent's resource type name. */
  type: string;
  /** The parent's address, from a desired resource of this type. */
  address(res: D): string;
}

/**
 * A resource type, typed: `D` is its desired resource (what the frontends build), `A` its
 * attributes as planned and stored. Write one with `defineResourceType`.
 */
export interface ResourceTypeDef<D extends AnyDesiredResource, A extends Attrs> {
  readonly type: D["type"];
  /** Plan, render and step order among types: parents before children (user 0, grant 10, …). */
  readonly order: number;
  /** The owning type, for children; their state entries record the parent's address in `parent`. */
  readonly parent?: ParentSpec<D>;
  /** Replacements create the new object first unless `lifecycle.create_before_destroy` says otherwise. */
  readonly createBeforeDestroy: boolean;
  /**
   * Names are unique (per parent) in Popdock: a create-before-destroy replacement that keeps its
   * name must delete first. False for types without a remote name.
   */
  readonly uniqueName: boolean;
  /**
   * Attributes outputs (and references in configuration) may name (`id`, `name`, `token_id`);
   * the frontends accept exactly these, and list them in "no such attribute" hints.
   */
  readonly referenceable: readonly string[];
  /** Attributes that are secrets: never in state, plans, or logs. */
  readonly sensitive: readonly string[];
  /** Attributes compared between desired and live. */
  readonly compared: readonly AttrName<A>[];
  /** Of `compared`, those that update in place; any other difference forces replacement. */
  readonly updatable: readonly AttrName<A>[];
  /** Attributes known only after a create. */
  readonly computed: readonly string[];
  /** Attributes compared as sets (order-insensitive). */
  readonly sets: readonly AttrName<A>[];
  /** Makes no API calls and has no remote object (null_resource). */
  readonly local?: boolean;
  /** A create returns a secret the user picks up after apply (counted in the plan summary). */
  readonly createsSecret?: boolean;
  /** The attributes as planned and stored; checked where plain `Attrs` enter the type. */
  readonly attrs: z.ZodType<A>;
  /**
   * How configuration declares the type (Terraform JSON / CDKTF arguments, YAML placement) and
   * becomes its desired resource: `<type>/config.ts`, written with `defineResourceConfig`. A type
   * without one can be planned and applied but not declared in a configuration file.
   */
  readonly config?: ResourceConfig;
  readonly render: RenderHints<A>;
  readonly import: {
    /** How `popdock import ADDRESS ID` spells the id, for help and errors. */
    readonly format: string;
    /** Takes an import id apart; throws `UsageError` when it does not fit `format`. */
    parse(importId: string): ImportId;
    /** The address index an imported object must have (grant: `team:Finance`), when the type has one. */
    addressIndex?(attrs: A): string;
  };

  /** Desired attributes with names resolved to Popdock ids, or the diagnostics that prevent it. */
  desired(res: D, live: LiveSnapshot): { attrs?: A; diagnostics: Diagnostic[] };
  /** The live object a state entry points at, from the refresh snapshot; undefined when it is gone. */
  read(live: LiveSnapshot, entry: StateResource): LiveObject<A> | undefined;
  /** A live object not managed by us that creating `after` would collide with. */
  conflict(live: LiveSnapshot, parentId: string | undefined, after: A): LiveObject<A> | undefined;

  /** Creates the object; must leave nothing behind when it throws (the client retries with one key). */
  create(ctx: CallContext, after: A, parentId: string | undefined): Promise<Written<A>>;
  /** Updates in place, sending If-Match with the version seen at plan time. */
  update(ctx: CallContext, remote: LiveObject, after: A): Promise<Written<A>>;
  /** Deletes, sending If-Match with the version seen at plan time. */
  delete(ctx: CallContext, remote: LiveObject): Promise<void>;
  /** Reads an existing object by its parsed import id for `popdock import`. */
  importRead(ctx: CallContext, id: ImportId): Promise<Written<A>>;
  /** Reads a sensitive attribute (`token_id`) of the object a state entry points at, live; never stored. */
  readSecret?(ctx: CallContext, entry: StateResource, attr: string): Promise<string>;
}

/**
 * A registered resource type, as the engine sees it: attributes are plain `Attrs` (checked
 * against the type's schema on the way in), desired resources any `AnyDesiredResource`.
 */
export interface ResourceType {
  readonly type: string;
  readonly order: number;
  readonly parent?: { type: string; address(res: AnyDesiredResource): string };
  readonly createBeforeDestroy: boolean;
  readonly uniqueName: boolean;
  readonly referenceable: readonly string[];
  readonly sensitive: readonly string[];
  readonly compared: readonly string[];
  readonly updatable: readonly string[];
  readonly computed: readonly string[];
  readonly sets: readonly string[];
  readonly local: boolean;
  readonly createsSecret: boolean;
  readonly config?: ResourceConfig;
  readonly render: RenderHints<Attrs>;
  readonly import: {
    readonly format: string;
    parse(importId: string): ImportId;
    addressIndex?(attrs: Attrs): string;
  };

  desired(res: AnyDesiredResource, live: LiveSnapshot): { attrs?: Attrs; diagnostics: Diagnostic[] };
  read(live: LiveSnapshot, entry: StateResource): LiveObject | undefined;
  conflict(live: LiveSnapshot, parentId: string | undefined, after: Attrs): LiveObject | undefined;
  create(ctx: CallContext, after: Attrs, parentId: string | undefined): Promise<Written>;
  update(ctx: CallContext, remote: LiveObject, after: Attrs): Promise<Written>;
  delete(ctx: CallContext, remote: LiveObject): Promise<void>;
  /** Parses the import id and reads the object. */
  importObject(ctx: CallContext, importId: string): Promise<Written>;
  readSecret?(ctx: CallContext, entry: StateResource, attr: string): Promise<string>;
}
