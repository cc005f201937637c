/**
 * The resource types popdock-iac knows. Adding a type touches its folder and one line here
 * (see CONTRIBUTING.md, "Adding a resource type").
 */
import { apiToken } from "./api-token/index.js";
import { apiUser } from "./api-user/index.js";
import { apiUserGrant } from "./api-user-grant/index.js";
import { nullResource } from "./null-resource/index.js";
import { registerResourceType } from "./registry.js";
import type { ResourceType } from "./types.js";

/** The built-in types, in their order. */
export const BUILTIN_RESOURCE_TYPES: readonly ResourceType[] = [
  apiUser,
  apiUserGrant,
  apiToken,
  nullResource,
];

for (const t of BUILTIN_RESOURCE_TYPES) registerResourceType(t);

export { type ArgIssue, type ArgsResult, describeValue, parseWith } from "./args.js";
export {
  type ConvertIssue,
  type DefinedResourceConfig,
  defineResourceConfig,
  type Report,
  type ResourceConfig,
  type ResourceConfigDef,
  type TerraformSpec,
  type YamlPlacement,
  type YamlSpec,
  type YamlValues,
} from "./config.js";
export { type DefinedResourceType, defineResourceType } from "./define.js";
export {
  compareTypes,
  findResourceType,
  isResourceType,
  parentAddressOf,
  registerResourceType,
  resourceTypeFor,
  resourceTypes,
  typeRank,
  UnknownResourceTypeError,
} from "./registry.js";
export type {
  AttrName,
  CallContext,
  ImportId,
  LiveObject,
  ParentSpec,
  RenderHints,
  ResourceType,
  ResourceTypeDef,
  Written,
} from "./types.js";
