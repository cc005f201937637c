/**
 * The registry of resource types: the engine, renderers, `popdock import`, the graph and crash
 * recovery ask it about a type by name. Built-in types are registered by ./index.ts; a test or
 * an extension adds one with `registerResourceType`, which returns the function that removes it.
 */
import type { AnyDesiredResource } from "../model/desired.js";
import { InternalError, PopdockError } from "../model/errors.js";
import type { ResourceType } from "./types.js";

/** A resource type this popdock-iac does not know (in state, a plan or a configuration). */
export class UnknownResourceTypeError extends PopdockError {
  readonly code = "POPDOCK_UNKNOWN_RESOURCE_TYPE";
  readonly type: string;
  constructor(type: string, where?: string) {
    super(
      `${where ? `${where}: ` : ""}unknown resource type "${type}" (this popdock-iac knows ${knownTypeNames().join(", ")})`,
      {
        hint: "a newer popdock-iac may have written it: upgrade, or remove the entry with `popdock state rm`",
      },
    );
    this.type = type;
  }
}

const registry = new Map<string, ResourceType>();

/**
 * Adds a resource type; throws when its name is taken. Returns the function that removes it
 * again (idempotent), for tests and plug-ins with a lifetime.
 */
export function registerResourceType(t: ResourceType): () => void {
  if (registry.has(t.type)) {
    throw new InternalError(`resource type ${t.type} is registered already`);
  }
  registry.set(t.type, t);
  return () => {
    if (registry.get(t.type) === t) registry.delete(t.type);
  };
}

/** The type named `type`; `UnknownResourceTypeError` (naming it, and `where`) when there is none. */
export function resourceTypeFor(type: string, where?: string): ResourceType {
  const t = registry.get(type);
  if (!t) throw new UnknownResourceTypeError(type, where);
  return t;
}

/** The type named `type`, or undefined. */
export function findResourceType(type: string): ResourceType | undefined {
  return registry.get(type);
}

export function isResourceType(type: string): boolean {
  return registry.has(type);
}

/** Every registered type, in `order` (parents before children), then by name. */
export function resourceTypes(): ResourceType[] {
  return [...registry.values()].sort((a, b) => a.order - b.order || (a.type < b.type ? -1 : 1));
}

function knownTypeNames(): string[] {
  return resourceTypes().map((t) => t.type);
}

/** Plan, render and step rank of a type name; unknown names after every known one. */
export function typeRank(type: string): number {
  return registry.get(type)?.order ?? Number.POSITIVE_INFINITY;
}

/** Orders type names by rank (0 when equal). */
export function compareTypes(a: string, b: string): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  return ra === rb ? 0 : ra < rb ? -1 : 1;
}

/** The address of a desired resource's parent (a grant's or token's API user), if its type has one. */
export function parentAddressOf(res: AnyDesiredResource): string | undefined {
  return resourceTypeFor(res.type, res.address).parent?.address(res);
}
