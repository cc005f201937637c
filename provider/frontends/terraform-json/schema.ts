/**
 * The arguments of the built-in resource types as Terraform JSON spells them, for the CDKTF
 * constructs (which check their config when constructed, so bad input fails at synth with the
 * construct's path). Each type's schema lives with the type (`provider/resources/<type>/config.ts`);
 * the Terraform JSON reader asks the registry, and this module only gathers them by name.
 *
 * Imports zod and the types' configuration modules only (not the registry, nor the types'
 * API code): the CDKTF constructs depend on this module, never the reverse.
 */
import { ProviderBlock } from "../../../schema/config.js";
import { apiTokenConfig, tokenStoredIssues } from "../../resources/api-token/config.js";
import { apiUserConfig, apiUserStoredIssues } from "../../resources/api-user/config.js";
import { apiUserGrantConfig } from "../../resources/api-user-grant/config.js";
import type { ArgIssue, ArgsResult } from "../../resources/args.js";
import type { ResourceConfig } from "../../resources/config.js";
import { nullResourceConfig } from "../../resources/null-resource/config.js";

/** The Terraform provider name. */
export { PROVIDER_NAME } from "../../model/provider.js";
export { ApiTokenArgs } from "../../resources/api-token/config.js";
export { ApiUserArgs } from "../../resources/api-user/config.js";
export {
  ConnectorGrantArgs,
  checkGrantArgs,
  type GrantArgs,
  RoleGrantArgs,
  TeamGrantArgs,
} from "../../resources/api-user-grant/config.js";
export {
  type ArgIssue,
  type ArgsResult,
  describeValue,
  parseWith,
} from "../../resources/args.js";
export { NullResourceArgs } from "../../resources/null-resource/config.js";

export const USER_TYPE = "popdock_api_user";
export const GRANT_TYPE = "popdock_api_user_grant";
export const TOKEN_TYPE = "popdock_api_token";
export const NULL_TYPE = "null_resource";
/** The built-in types (the reader accepts every registered type with a configuration). */
export const BUILTIN_TYPES = [USER_TYPE, GRANT_TYPE, TOKEN_TYPE, NULL_TYPE] as const;
export type SupportedType = (typeof BUILTIN_TYPES)[number];

const CONFIGS: Readonly<Record<SupportedType, ResourceConfig>> = {
  [USER_TYPE]: apiUserConfig,
  [GRANT_TYPE]: apiUserGrantConfig,
  [TOKEN_TYPE]: apiTokenConfig,
  [NULL_TYPE]: nullResourceConfig,
};

/** `provider.popdock`. */
export const ProviderArgs = ProviderBlock;

/** Every argument a built-in type takes (a grant: those of all three kinds). */
export const ARGUMENTS: Readonly<Record<SupportedType, readonly string[]>> = {
  [USER_TYPE]: apiUserConfig.terraform.arguments,
  [GRANT_TYPE]: apiUserGrantConfig.terraform.arguments,
  [TOKEN_TYPE]: apiTokenConfig.terraform.arguments,
  [NULL_TYPE]: nullResourceConfig.terraform.arguments,
};

/** Checks the arguments of a resource of a built-in `type` (meta-arguments and `"//"` already removed). */
export function checkArgs(type: SupportedType, body: Record<string, unknown>): ArgsResult<unknown> {
  return CONFIGS[type].terraform.check(body);
}

/**
 * Checks values the way Popdock will store them (`schema/limits.ts`): after references are
 * resolved (the reader) or for literal values (the constructs). Only the string values present
 * are checked: an API user's `name` and `description`, a token's `name`.
 */
export function checkStoredValues(
  type: SupportedType,
  values: Readonly<Record<string, unknown>>,
): ArgIssue[] {
  if (type === USER_TYPE) return apiUserStoredIssues(values);
  if (type === TOKEN_TYPE) return tokenStoredIssues(values);
  return [];
}
