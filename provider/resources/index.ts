/** The registry of resource types. Adding a type touches one file and one line here. */
import type { DesiredResource } from "../model/desired.js";
import { apiToken } from "./api-token/index.js";
import { apiUser } from "./api-user/index.js";
import { apiUserGrant } from "./api-user-grant/index.js";
import { nullResource } from "./null-resource/index.js";
import type { ResourceHandler } from "./types.js";

export const RESOURCE_TYPES: readonly ResourceHandler[] = [
  apiUser,
  apiUserGrant,
  apiToken,
  nullResource,
] as readonly ResourceHandler[];

const byType = new Map(RESOURCE_TYPES.map((h) => [h.type, h]));

export function handlerFor(type: string): ResourceHandler {
  const h = byType.get(type as DesiredResource["type"]);
  if (!h) throw new Error(`unknown resource type ${type}`);
  return h;
}

export function isResourceType(type: string): type is DesiredResource["type"] {
  return byType.has(type as DesiredResource["type"]);
}

export type { CallContext, LiveObject, ResourceHandler, Written } from "./types.js";
