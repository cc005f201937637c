/**
 * `popdock-iac/cdktf`: CDK for Terraform constructs for Popdock API users, their grants and
 * tokens. Synthesize a stack with them and run `popdock plan` in the app's directory: popdock-iac
 * runs the app (`cdktf.json`'s `app`), reads the stack's Terraform JSON and plans it.
 *
 * They build on CDK Terrain (`cdktn` 0.24) or CDK for Terraform (`cdktf` 0.21), whichever the
 * app uses (see ./lib.ts); those and `constructs` are optional peer dependencies of this entry
 * only, and the CLI and the YAML format never load them. A token's `rotation` block needs no null
 * provider package (`@cdktf/provider-null`'s `NullResource` keepers still work with cdktf).
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
export { type CdkFlavour, cdkFlavour } from "./lib.js";
export { PopdockProvider, type PopdockProviderConfig } from "./provider.js";
