/**
 * What the frontends ask the resource registry (provider/resources) about configuration: which
 * types a configuration may declare, each type's arguments and conversion (`config`), and the
 * attributes references may name (`referenceable`) or that hold secrets (`sensitive`). No
 * frontend names a resource type; they go through here.
 */
import type { ResourceConfig } from "../resources/config.js";
import { findResourceType, type ResourceType, resourceTypes } from "../resources/index.js";

/** A registered type that can be declared in configuration. */
export interface ConfiguredType {
  type: ResourceType;
  config: ResourceConfig;
}

/** The registered types with a configuration, in the registry's order (parents first). */
export function configuredTypes(): ConfiguredType[] {
  const out: ConfiguredType[] = [];
  for (const type of resourceTypes()) if (type.config !== undefined) out.push({ type, config: type.config });
  return out;
}

/** Names of the types a configuration may declare, in order. */
export function configuredTypeNames(): string[] {
  return configuredTypes().map((t) => t.type.type);
}

/** The type named `name` when a configuration may declare it. */
export function configuredType(name: string): ConfiguredType | undefined {
  const type = findResourceType(name);
  return type?.config === undefined ? undefined : { type, config: type.config };
}

/** Names of every registered type (what an output may refer to), in order. */
export function registeredTypeNames(): string[] {
  return resourceTypes().map((t) => t.type);
}

/** The attributes references and outputs may name, or undefined for a type that is not registered. */
export function referenceableAttrs(type: string): readonly string[] | undefined {
  return findResourceType(type)?.referenceable;
}

/** The attributes of `type` that hold secrets (never in state, plans or logs). */
export function sensitiveAttrs(type: string): readonly string[] {
  return findResourceType(type)?.sensitive ?? [];
}
