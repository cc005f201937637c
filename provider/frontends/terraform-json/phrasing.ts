/**
 * How the shared semantic pass (../semantic.ts) words its findings for Terraform JSON: by
 * resource key (`popdock_api_user_grant.g1`), at the block, with its construct path.
 */
import type { Phrasing } from "../types.js";
import type { Block } from "./context.js";
import type { TfOutputOrigin } from "./outputs.js";
import { GRANT_TYPE, TOKEN_TYPE, USER_TYPE } from "./schema.js";

/** The semantic pass's findings, in Terraform terms: resource keys and construct paths. */
export const terraformPhrasing: Phrasing<Block, TfOutputOrigin> = {
  // Output references were resolved against the blocks (outputs.ts) and reported there; what is
  // left unknown here is a resource the semantic pass left out as a duplicate, reported already.
  unknownResourceType: () => undefined,
  unknownResource: () => undefined,
  unknownAttribute: () => undefined,
  sensitiveRequired({ output, origin: { block, exprs } }, secret) {
    const what =
      "variable" in secret
        ? `variable "${secret.variable}"`
        : (exprs.get(`${secret.ref.address}.${secret.ref.attr}`) ??
          `${secret.ref.address}.${secret.ref.attr}`);
    return block.src.diag(
      "OUTPUT_SENSITIVE_REQUIRED",
      `output "${output.name}" refers to ${what}, which is sensitive`,
      block.path,
      {
        at: "key",
        constructPath: block.constructPath,
        hint: '"sensitive": true (in CDKTF: new TerraformOutput(this, id, { value, sensitive: true }))',
      },
    );
  },
  duplicateGrant({ resource: r, origin: b }, { origin: prev }) {
    const index = r.type === GRANT_TYPE ? r.index : "";
    const user = r.type === GRANT_TYPE ? r.user : "";
    return b.src.diag(
      "CONFIG_DUPLICATE_GRANT",
      `grant "${index}" of ${user} is also given by ${prev.key}`,
      b.path,
      {
        at: "key",
        constructPath: b.constructPath,
        hint: (index ?? "").startsWith("connector:")
          ? "merge the two connector grants into one"
          : "remove one of them",
      },
    );
  },
  duplicateAddress({ resource: r, origin: b }, { origin: prev }) {
    return b.src.diag(
      "CONFIG_DUPLICATE_ADDRESS",
      `${b.key} and ${prev.key} would both have the address ${r.address}`,
      b.path,
      {
        at: "key",
        constructPath: b.constructPath,
        hint: r.type === TOKEN_TYPE ? 'give one of the tokens a different "key"' : undefined,
      },
    );
  },
  duplicateUserName({ resource: r, origin: b }, { origin: other }) {
    const name = r.type === USER_TYPE ? String(r.attrs.name) : "";
    return b.src.diag(
      "CONFIG_DUPLICATE_USER_NAME",
      `API user name "${name}" is also used by ${other.key}`,
      [...b.path, "name"],
      {
        constructPath: b.constructPath,
        hint: "API user names are unique in Popdock, case-insensitively",
      },
    );
  },
  duplicateTokenName({ resource: r, origin: b }, { origin: other }) {
    const name = r.type === TOKEN_TYPE ? String(r.attrs.name) : "";
    return b.src.diag(
      "CONFIG_DUPLICATE_TOKEN_NAME",
      `token name "${name}" is also used by ${other.key} (token names are unique per user, case-insensitively)`,
      [...b.path, b.values.name === undefined ? "key" : "name"],
      { constructPath: b.constructPath },
    );
  },
};
