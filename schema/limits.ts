/**
 * What the Popdock API refuses to store, in one place: the wire schemas (`api.ts`) enforce these
 * limits (a longer value is a 422), and every frontend checks them when it loads a configuration,
 * so that `validate` and `plan` catch what would otherwise fail half-way through an apply.
 *
 * Lengths are counted as zod's `.max()` and the API count them: `String.prototype.length`, in
 * UTF-16 code units (an emoji counts as two).
 */

/** The longest name of an API user or an API token, after trimming. */
export const NAME_MAX = 100;

/** The longest description of an API user. */
export const DESCRIPTION_MAX = 1000;

/** A problem with a value a frontend is about to send to Popdock, for a diagnostic. */
export interface LimitProblem {
  message: string;
  hint: string;
}

/**
 * What is wrong with `name` as the name of an API user or token (`what`: "API user name",
 * "token name"), or undefined. Popdock trims names before it stores them, so a name with leading
 * or trailing whitespace would never match what was stored: every plan would show a change (an
 * API user) or a replacement (a token).
 */
export function nameProblem(what: string, name: string): LimitProblem | undefined {
  const trimmed = name.trim();
  if (trimmed === "") {
    return {
      message: `${what} is ${name === "" ? "empty" : "only whitespace"}`,
      hint: "give it a name (Popdock trims names, and refuses an empty one)",
    };
  }
  if (trimmed !== name) {
    return {
      message: `${what} ${JSON.stringify(name)} has leading or trailing whitespace: Popdock trims names, so it would never match and every plan would show a change`,
      hint: `write ${JSON.stringify(trimmed)} (check the variables used in it, too)`,
    };
  }
  if (name.length > NAME_MAX) {
    return {
      message: `${what} is ${name.length} characters long, more than Popdock's limit of ${NAME_MAX}`,
      hint: `shorten it to at most ${NAME_MAX} characters`,
    };
  }
  return undefined;
}

/** What is wrong with `description` as an API user's description, or undefined. */
export function descriptionProblem(description: string): LimitProblem | undefined {
  if (description.length <= DESCRIPTION_MAX) return undefined;
  return {
    message: `description is ${description.length} characters long, more than Popdock's limit of ${DESCRIPTION_MAX}`,
    hint: `shorten it to at most ${DESCRIPTION_MAX} characters`,
  };
}
