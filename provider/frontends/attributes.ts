/**
 * What references may name, shared by the frontends and the semantic pass: the attributes of each
 * resource type that an output may refer to (they are known after apply, or stored in state).
 */
import type { DesiredResource } from "../model/desired.js";

/** The attributes an output may refer to, by resource type. */
export const REFERENCEABLE_ATTRS: Readonly<Record<DesiredResource["type"], readonly string[]>> = {
  popdock_api_user: ["id", "name", "description"],
  popdock_api_user_grant: ["id"],
  popdock_api_token: ["id", "name", "token_id"],
  null_resource: ["id"],
};
