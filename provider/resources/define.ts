/**
 * `defineResourceType`: turns a typed `ResourceTypeDef` into the `ResourceType` the registry
 * holds. The one place where typed attributes meet the plain `Attrs` of plans and state: they
 * are checked against the type's zod schema here, so neither the type nor the engine casts.
 */
import type { Attrs } from "../../schema/plan.js";
import type { AnyDesiredResource } from "../model/desired.js";
import { InternalError } from "../model/errors.js";
import type { ResourceType, ResourceTypeDef } from "./types.js";

/** A registered type that still carries its typed definition (for tests and the type's own code). */
export interface DefinedResourceType<D extends AnyDesiredResource, A extends Attrs> extends ResourceType {
  readonly def: ResourceTypeDef<D, A>;
}

export function defineResourceType<D extends AnyDesiredResource, A extends Attrs>(
  def: ResourceTypeDef<D, A>,
): DefinedResourceType<D, A> {
  /** Plain attributes (from a plan, a state file, a pending request) as this type's own. */
  const attrsOf = (what: string, raw: Attrs): A => {
    const r = def.attrs.safeParse(raw);
    if (r.success) return r.data;
    const issues = r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw new InternalError(`${def.type}: the ${what} attributes do not fit the type (${issues})`, {
      cause: r.error,
    });
  };
  /** The desired resource as this type's own; the registry routes only resources of `def.type` here. */
  const own = (res: AnyDesiredResource): D => {
    if (res.type !== def.type) {
      throw new InternalError(`${res.address}: a ${res.type} resource was handed to the ${def.type} type`);
    }
    // Checked just above: `D` is the desired resource whose `type` is `def.type`.
    return res as D;
  };
  const { parent } = def;
  const render = def.render;
  return {
    def,
    type: def.type,
    order: def.order,
    ...(parent ? { parent: { type: parent.type, address: (res) => parent.address(own(res)) } } : {}),
    createBeforeDestroy: def.createBeforeDestroy,
    uniqueName: def.uniqueName,
    referenceable: def.referenceable,
    sensitive: def.sensitive,
    compared: def.compared,
    updatable: def.updatable,
    computed: def.computed,
    sets: def.sets,
    local: def.local ?? false,
    createsSecret: def.createsSecret ?? false,
    ...(def.config ? { config: def.config } : {}),
    render: {
      ...render,
      describe: (after) => {
        const r = def.attrs.safeParse(after);
        return r.success ? render.describe(r.data) : `a ${render.noun}`;
      },
    },
    import: {
      format: def.import.format,
      parse: (id) => def.import.parse(id),
      ...(def.import.addressIndex
        ? { addressIndex: (attrs: Attrs) => def.import.addressIndex?.(attrsOf("imported", attrs)) ?? "" }
        : {}),
    },
    desired: (res, live) => def.desired(own(res), live),
    read: (live, entry) => def.read(live, entry),
    conflict: (live, parentId, after) => {
      // Attributes that do not fit the type (an old pending request) cannot collide with anything.
      const r = def.attrs.safeParse(after);
      return r.success ? def.conflict(live, parentId, r.data) : undefined;
    },
    // Async, so that attributes that do not fit reject the call's promise rather than throw.
    create: async (ctx, after, parentId) => def.create(ctx, attrsOf("planned", after), parentId),
    update: async (ctx, remote, after) => def.update(ctx, remote, attrsOf("planned", after)),
    delete: (ctx, remote) => def.delete(ctx, remote),
    importObject: async (ctx, importId) => def.importRead(ctx, def.import.parse(importId)),
    ...(def.readSecret ? { readSecret: def.readSecret.bind(def) } : {}),
  };
}
