/**
 * The small interface every resource type implements (after Terraform's resource scaffolding and
 * Pulumi's dynamic ResourceProvider: check / diff / create / read / update / delete / import).
 * Planning uses only the pure members; apply calls create/update/delete through the client.
 */
import type { Attrs } from "../../schema/plan.js";
import type { StateResource } from "../../schema/state.js";
import type { PopdockApi } from "../client/types.js";
import type { DesiredResource } from "../model/desired.js";
import type { Diagnostic } from "../model/diagnostics.js";
import type { LiveSnapshot } from "../model/live.js";

/** What refresh knows of one remote object. */
export interface LiveObject {
  id: string;
  parentId?: string;
  version: number;
  attrs: Attrs;
  /** When Popdock created it (crash recovery adopts only objects created after its attempt). */
  createdAt?: string;
}

/** What a create/update/import returns: the state entry's remote part and, for tokens, the secret. */
export interface Written {
  id: string;
  parentId?: string;
  version: number;
  attrs: Attrs;
  /** The credential returned by a token create (never stored; handed to outputs in memory). */
  secret?: string;
}

export interface CallContext {
  api: PopdockApi;
  signal: AbortSignal;
  /** Idempotency-Key for a create, recorded in state before the call. */
  idempotencyKey?: string;
}

export interface ResourceHandler<R extends DesiredResource = DesiredResource> {
  readonly type: R["type"];
  /** Attributes that are secrets: never in state, plans, or logs. */
  readonly sensitive: readonly string[];
  /** Attributes compared between desired and live. */
  readonly compared: readonly string[];
  /** Of `compared`, those that update in place; any other difference forces replacement. */
  readonly updatable: readonly string[];
  /** Attributes known only after a create. */
  readonly computed: readonly string[];
  /** Attributes compared as sets (order-insensitive). */
  readonly sets: readonly string[];
  /** Makes no API calls (null_resource). */
  readonly local?: boolean;
  /** How `popdock import ADDRESS ID` spells the id, for help and errors. */
  readonly importIdFormat: string;

  /** Desired attributes with names resolved to Popdock ids, or the diagnostics that prevent it. */
  desired(res: R, live: LiveSnapshot): { attrs?: Attrs; diagnostics: Diagnostic[] };
  /** The live object a state entry points at; undefined when it is gone. */
  read(live: LiveSnapshot, entry: StateResource): LiveObject | undefined;
  /** A live object not managed by us that creating `after` would collide with. */
  conflict(live: LiveSnapshot, parentId: string | undefined, after: Attrs): LiveObject | undefined;

  /** Creates the object; must leave nothing behind when it throws (the client retries with one key). */
  create(ctx: CallContext, after: Attrs, parentId: string | undefined): Promise<Written>;
  /** Updates in place, sending If-Match with the version seen at plan time. */
  update(ctx: CallContext, remote: LiveObject, after: Attrs): Promise<Written>;
  /** Deletes, sending If-Match with the version seen at plan time. */
  delete(ctx: CallContext, remote: LiveObject): Promise<void>;
  /** Reads an existing object by import id for `popdock import`. */
  import(ctx: CallContext, importId: string): Promise<Written>;
}
