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

/**
 * Characters no name or description may hold: they are invisible or change how the text around
 * them is shown, so a reviewer reading a plan cannot see what would be sent (`alpha\u202Ebot`
 * displays as "alphatob"). C0 and C1 controls (in descriptions, tab and line breaks are allowed), bidirectional
 * overrides, embeddings and isolates, zero-width characters and the BOM.
 */
const UNSAFE_CHARS: ReadonlyArray<[(cp: number) => boolean, string]> = [
  [(cp) => cp <= 0x1f || cp === 0x7f, "a control character"],
  [(cp) => cp >= 0x80 && cp <= 0x9f, "a C1 control character"],
  [
    (cp) =>
      (cp >= 0x202a && cp <= 0x202e) ||
      (cp >= 0x2066 && cp <= 0x2069) ||
      [0x200e, 0x200f, 0x061c].includes(cp),
    "a bidirectional formatting character",
  ],
  [(cp) => (cp >= 0x200b && cp <= 0x200d) || [0x2060, 0xfeff, 0x180e].includes(cp), "a zero-width character"],
];

/**
 * The first character of `value` that may not be sent to Popdock (see `UNSAFE_CHARS`, plus
 * unpaired UTF-16 surrogates, which no encoding can carry), described for a diagnostic.
 */
export function unsafeCharProblem(
  what: string,
  value: string,
  options: { lineBreaks?: boolean } = {},
): LimitProblem | undefined {
  const hint =
    "remove it: names and descriptions may not contain control, bidirectional-formatting or zero-width characters (check the variables used in it, too)";
  const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.exec(value);
  if (lone !== null) {
    const at = [...value.slice(0, lone.index)].length + 1;
    return { message: `${what} contains an unpaired surrogate (not a character) at position ${at}`, hint };
  }
  let position = 0;
  for (const c of value) {
    position++;
    const cp = c.codePointAt(0) ?? 0;
    if (options.lineBreaks === true && (cp === 0x09 || cp === 0x0a || cp === 0x0d)) continue;
    for (const [matches, kind] of UNSAFE_CHARS) {
      if (matches(cp)) {
        const code = `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;
        return { message: `${what} contains ${kind} (${code}) at position ${position}`, hint };
      }
    }
  }
  return undefined;
}

/**
 * A name or description as Popdock stores and compares it: Unicode NFC, so that "é" typed as
 * one code point or as "e" + a combining accent is one name.
 */
export function normalizeText(value: string): string {
  return value.normalize("NFC");
}

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
  const unsafe = unsafeCharProblem(what, name);
  if (unsafe !== undefined) return unsafe;
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
  const unsafe = unsafeCharProblem("description", description, { lineBreaks: true });
  if (unsafe !== undefined) return unsafe;
  if (description.length <= DESCRIPTION_MAX) return undefined;
  return {
    message: `description is ${description.length} characters long, more than Popdock's limit of ${DESCRIPTION_MAX}`,
    hint: `shorten it to at most ${DESCRIPTION_MAX} characters`,
  };
}
