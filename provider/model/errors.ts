/**
 * Failures with stable codes (after undici's lib/core/errors.js: one base class, one code per
 * subclass). User mistakes in configuration are not errors but `Diagnostic`s (see
 * `provider/diagnostics.ts`); these classes are for things that went wrong while acting.
 *
 * Every message says what happened, where, and the next step. No message may contain an API key
 * or a token ID: build them from metadata only.
 *
 * {@link ERROR_CODES} is the one list of every code, with the class that throws it and where that
 * class lives; {@link PopdockErrorCode} is its key union and `PopdockError.code` is typed with it,
 * so a class with a code missing from the list does not compile (and `errors.test.ts` fails on a
 * listed code no class uses).
 */

/** Where an error class lives and what its code means. */
export interface ErrorCodeInfo {
  /** The class that carries the code (its file under `provider/`). */
  readonly error: string;
  readonly file: string;
  readonly means: string;
}

/**
 * Every stable error code, by layer. The classes in `provider/sandbox/` extend `Error` (the
 * sandbox stands in for the Popdock server and shares no base class with the toolkit) but their
 * codes are listed so the set is complete.
 */
export const ERROR_CODES = {
  // provider/model
  POPDOCK_USAGE: {
    error: "UsageError",
    file: "model/errors.ts",
    means: "wrong CLI usage or an unusable setting",
  },
  POPDOCK_CONFIG_INVALID: {
    error: "ConfigError",
    file: "model/errors.ts",
    means: "the configuration was rejected; its diagnostics were printed",
  },
  POPDOCK_INTERNAL: {
    error: "InternalError",
    file: "model/errors.ts",
    means: "a broken invariant inside popdock-iac (a bug)",
  },
  // provider/client
  POPDOCK_API_ERROR: {
    error: "PopdockApiError",
    file: "client/errors.ts",
    means: "an API status without a more specific class",
  },
  POPDOCK_API_UNAUTHORIZED: {
    error: "PopdockUnauthorizedError",
    file: "client/errors.ts",
    means: "401: the API key was rejected",
  },
  POPDOCK_API_FORBIDDEN: {
    error: "PopdockForbiddenError",
    file: "client/errors.ts",
    means: "403: the API key's user may not do this",
  },
  POPDOCK_API_NOT_FOUND: {
    error: "PopdockNotFoundError",
    file: "client/errors.ts",
    means: "404: the object does not exist (any more)",
  },
  POPDOCK_API_CONFLICT: {
    error: "PopdockConflictError",
    file: "client/errors.ts",
    means: "409: the request clashes with what exists",
  },
  POPDOCK_API_VALIDATION: {
    error: "PopdockValidationError",
    file: "client/errors.ts",
    means: "400/422: the server rejected the request body",
  },
  POPDOCK_API_PRECONDITION_FAILED: {
    error: "PopdockPreconditionFailedError",
    file: "client/errors.ts",
    means: "412: If-Match did not match",
  },
  POPDOCK_API_RATE_LIMITED: {
    error: "PopdockRateLimitedError",
    file: "client/errors.ts",
    means: "429 on every attempt",
  },
  POPDOCK_API_UNAVAILABLE: {
    error: "PopdockUnavailableError",
    file: "client/errors.ts",
    means: "5xx or a network failure, after retries",
  },
  POPDOCK_API_TIMEOUT: {
    error: "PopdockTimeoutError",
    file: "client/errors.ts",
    means: "no (complete) response in time, or the time budget ran out",
  },
  POPDOCK_API_INVALID_RESPONSE: {
    error: "PopdockInvalidResponseError",
    file: "client/errors.ts",
    means: "a 2xx that is not valid JSON or does not fit the schema; broken pagination",
  },
  POPDOCK_API_ABORTED: {
    error: "PopdockAbortedError",
    file: "client/errors.ts",
    means: "the caller's AbortSignal fired",
  },
  POPDOCK_INSECURE_ENDPOINT: {
    error: "PopdockInsecureEndpointError",
    file: "client/errors.ts",
    means: "plain http to a host that is not loopback",
  },
  // provider/engine
  POPDOCK_STEP_CYCLE: {
    error: "StepCycleError",
    file: "engine/steps.ts",
    means: "the apply steps cannot be ordered",
  },
  POPDOCK_PLAN_STALE: {
    error: "PlanStaleError",
    file: "engine/pipeline.ts",
    means: "the state moved since the plan was made",
  },
  // provider/policy
  POPDOCK_POLICY_FAILED: {
    error: "PolicyFailedError",
    file: "policy/errors.ts",
    means: "the plan fails a mandatory or hard policy rule; nothing was changed",
  },
  POPDOCK_POLICY_INVALID: {
    error: "PolicyConfigError",
    file: "policy/errors.ts",
    means: "the policy configuration or a policy module has errors; they were printed",
  },
  POPDOCK_UNKNOWN_RESOURCE_TYPE: {
    error: "UnknownResourceTypeError",
    file: "resources/registry.ts",
    means: "a resource type no registered definition knows (in state, a plan or a configuration)",
  },
  POPDOCK_PLAN_TAMPERED: {
    error: "PlanTamperedError",
    file: "engine/plan-seal.ts",
    means: "a saved plan fails its integrity digest or signature check",
  },
  POPDOCK_STATE_MOVE: {
    error: "StateMoveError",
    file: "engine/moves.ts",
    means: "a state move or removal cannot be made (address not in state, target taken, type changed)",
  },
  POPDOCK_STATE_LOCKED: {
    error: "StateLockedError",
    file: "backends/file/lock.ts",
    means: "another process holds the state lock",
  },
  POPDOCK_LOCK_ID_MISMATCH: {
    error: "LockIdMismatchError",
    file: "backends/file/lock.ts",
    means: "force-unlock was given another lock's id",
  },
  POPDOCK_NOT_LOCKED: {
    error: "NotLockedError",
    file: "backends/file/lock.ts",
    means: "force-unlock found no lock",
  },
  POPDOCK_STATE_INVALID: {
    error: "StateInvalidError",
    file: "backends/state-codec.ts",
    means: "the state file cannot be read or validated",
  },
  POPDOCK_STATE_SECRET: {
    error: "StateSecretError",
    file: "backends/state-codec.ts",
    means: "a token ID was about to be written to state (a bug)",
  },
  POPDOCK_STATE_CONFLICT: {
    error: "StateConflictError",
    file: "backends/state-codec.ts",
    means: "the stored state's serial is not the one this run read (compare-and-swap lost)",
  },
  // provider/backends/pg
  POPDOCK_PG_UNREACHABLE: {
    error: "PgUnreachableError",
    file: "backends/pg/errors.ts",
    means: "the PostgreSQL server cannot be reached (refused, unknown host, timeout, connection lost)",
  },
  POPDOCK_PG_ERROR: {
    error: "PgBackendError",
    file: "backends/pg/errors.ts",
    means: "PostgreSQL answered with an error (authentication, permissions, bad stored data)",
  },
  POPDOCK_PG_STATE_LOCKED: {
    error: "PgStateLockedError",
    file: "backends/pg/errors.ts",
    means: "another session holds the workspace's advisory lock",
  },
  POPDOCK_PG_LOCK_ID_MISMATCH: {
    error: "PgLockIdMismatchError",
    file: "backends/pg/errors.ts",
    means: "force-unlock was given another lock's id",
  },
  POPDOCK_PG_NOT_LOCKED: {
    error: "PgNotLockedError",
    file: "backends/pg/errors.ts",
    means: "force-unlock found no lock held",
  },
  // provider/cli
  POPDOCK_PLAN_INVALID: {
    error: "PlanFileInvalidError",
    file: "cli/common.ts",
    means: "a saved plan file cannot be read or validated",
  },
  POPDOCK_SECRETS_OUT_FAILED: {
    error: "SecretsOutError",
    file: "cli/secrets.ts",
    means: "the apply completed but --secrets-out could not be written",
  },
  POPDOCK_APPLY_FAILED: {
    error: "ApplyFailedError",
    file: "cli/commands/apply.ts",
    means: "one or more apply steps failed",
  },
  POPDOCK_APPLY_INTERRUPTED: {
    error: "ApplyInterruptedError",
    file: "cli/commands/apply.ts",
    means: "apply was interrupted (exit code 130)",
  },
  // provider/cdktf
  POPDOCK_CDKTF_INVALID_CONFIG: {
    error: "PopdockConstructError",
    file: "cdktf/common.ts",
    means: "a construct was given a configuration popdock-iac cannot use",
  },
  // provider/sandbox (extend Error, see above)
  POPDOCK_SANDBOX_SEED_INVALID: {
    error: "SeedFileError",
    file: "sandbox/seed.ts",
    means: "a sandbox seed file cannot be read or validated",
  },
  POPDOCK_SANDBOX_STORE_INVALID: {
    error: "StoreFileError",
    file: "sandbox/persistence.ts",
    means: "the sandbox's data directory holds a store it cannot read",
  },
} as const satisfies Record<`POPDOCK_${string}`, ErrorCodeInfo>;

/** Every stable error code popdock-iac throws (see {@link ERROR_CODES}). */
export type PopdockErrorCode = keyof typeof ERROR_CODES;

/** The codes of failed calls to the Popdock API (`PopdockApiError` and its subclasses). */
export type ApiErrorCode = Extract<PopdockErrorCode, `POPDOCK_API_${string}`>;

/** Whether `code` is one of {@link ERROR_CODES}. */
export function isPopdockErrorCode(code: unknown): code is PopdockErrorCode {
  return typeof code === "string" && Object.hasOwn(ERROR_CODES, code);
}

export abstract class PopdockError extends Error {
  abstract readonly code: PopdockErrorCode;
  /**
   * Process exit code the CLI uses for this failure. Every error is 1 (2 means "changes present"
   * under --detailed-exitcode); an interrupted apply is 130.
   */
  readonly exitCode: number = 1;
  /** A hint shown after the message: the next step for the user. */
  readonly hint: string | undefined;

  constructor(message: string, options?: { cause?: unknown; hint?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options?.hint;
  }
}

/** Wrong CLI usage or an unusable setting (no endpoint, a plain-http remote endpoint, ...). */
export class UsageError extends PopdockError {
  readonly code = "POPDOCK_USAGE";
}

/** Configuration was rejected; the diagnostics have already been printed. */
export class ConfigError extends PopdockError {
  readonly code = "POPDOCK_CONFIG_INVALID";
}

/**
 * A broken invariant inside popdock-iac (a plan that does not fit its state, a handler called
 * without the parent it needs): a bug, never a user mistake. The message says what was expected.
 */
export class InternalError extends PopdockError {
  readonly code = "POPDOCK_INTERNAL";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, {
      ...options,
      hint: "this is a bug in popdock-iac: please report it with the command you ran and `POPDOCK_LOG=debug` output",
    });
  }
}
