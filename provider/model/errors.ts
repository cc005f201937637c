/**
 * Failures with stable codes (after undici's lib/core/errors.js: one base class, one code per
 * subclass). User mistakes in configuration are not errors but `Diagnostic`s (see
 * `provider/diagnostics.ts`); these classes are for things that went wrong while acting.
 *
 * Every message says what happened, where, and the next step. No message may contain an API key
 * or a token ID: build them from metadata only.
 */

export abstract class PopdockError extends Error {
  abstract readonly code: string;
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
