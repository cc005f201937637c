/** The provider's names, defined once. */

/** The provider's local name in Terraform JSON (`provider.popdock`, `popdock_*` resource types). */
export const PROVIDER_NAME = "popdock";

/** The provider's full address, as `terraform show -json` spells `provider_name`. */
export const PROVIDER_ADDRESS = "registry.terraform.io/popdock/popdock";

/** The endpoint value that means "the embedded sandbox". */
export const LOCAL_ENDPOINT = "local";
