/**
 * `popdock-iac/cdktf`: CDK for Terraform constructs for Popdock API users, their grants and
 * tokens. Synthesize a stack with them and run `popdock plan` in the app's directory: popdock-iac
 * runs the app (`cdktf.json`'s `app`), reads the stack's Terraform JSON and plans it.
 *
 * `cdktf`, `constructs` and (for rotation keepers) `@cdktf/provider-null` are peer dependencies of
 * this entry only; the CLI and the YAML format never load them.
 */
export {
  PopdockApiToken,
  type PopdockApiTokenConfig,
} from "./api-token.js";
export { PopdockApiUser, type PopdockApiUserConfig } from "./api-user.js";
export {
  PopdockApiUserGrant,
  type PopdockApiUserGrantConfig,
  type PopdockGrantTarget,
} from "./api-user-grant.js";
export { PopdockConstructError, PopdockImport, type PopdockMetaArguments } from "./common.js";
export { PopdockProvider, type PopdockProviderConfig } from "./provider.js";
