/** Policy failures with stable codes (registered in provider/model/errors.ts ERROR_CODES). */
import { PopdockError } from "../model/errors.js";

/** The plan fails a mandatory or hard policy rule: `apply` refuses it, `plan` exits 1. */
export class PolicyFailedError extends PopdockError {
  readonly code = "POPDOCK_POLICY_FAILED";
}

/** The policy configuration or a policy module has errors (diagnostics were printed). */
export class PolicyConfigError extends PopdockError {
  readonly code = "POPDOCK_POLICY_INVALID";
}
