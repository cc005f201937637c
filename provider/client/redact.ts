/**
 * Redaction of secrets in text bound for error messages, log lines and debug traces.
 *
 * Two kinds of secret travel through the client: the API key (in the `Authorization` header) and
 * token credentials (`token_id` in the bodies of `POST .../tokens` and `GET .../tokens/{id}`).
 * `redact()` masks both wherever they appear in the usual textual forms; callers that know a
 * secret's literal value (the client knows its API key) pass it too, so it is masked in any form.
 */

const MASK = "***";

/** `Bearer <credential>` anywhere: header lines, JSON, stack traces. */
const BEARER = /\b(Bearer)\s+(?!\*\*\*)[^\s"',;}]+/gi;
/** `authorization: <value>` / `"authorization":"<value>"` whose value is not a Bearer credential. */
const AUTHORIZATION_VALUE =
  /(\bauthorization["']?[ \t]*[:=][ \t]*["']?)(?![ \t]|Bearer \*\*\*|\*\*\*)(?:[A-Za-z]+[ \t]+)?[^\s"',;}&]+/gi;
/** `"token_id": "<credential>"` in JSON, with escaped quotes inside the value handled. */
const TOKEN_ID_JSON = /("token_id"\s*:\s*)"(?:[^"\\]|\\.)*"/g;
/** The same inside a JSON string (a body quoted in an error message): `\"token_id\":\"<credential>\"`. */
const TOKEN_ID_ESCAPED_JSON = /(\\"token_id\\"\s*:\s*\\")(?!\*\*\*\\").*?(\\")/g;
/** `token_id=<credential>` in query strings, forms and `key=value` log fields. */
const TOKEN_ID_PAIR = /\b(token_id=)(?!\*\*\*)[^&\s"',;]+/g;
/**
 * Other spellings of the field and of a quoted value: `token_id: 'pdk_…'` (util.inspect),
 * `tokenId: "…"`, `TOKEN_ID=…`, `Token-ID: …`.
 */
const TOKEN_ID_ANY =
  /(\btoken[_-]?id["']?\s*[:=]\s*)(?:(["'])(?!\*\*\*\2)(?:(?!\2)[^\\]|\\.)*\2|(?!\*\*\*)[^\s"',;}&]+)/gi;
/** Other headers that carry credentials in logs: `x-api-key: …`, `api-key=…`. */
const API_KEY_VALUE = /(\b(?:x-)?api[_-]?key["']?\s*[:=]\s*["']?)(?!\*\*\*)[^\s"',;}&]+/gi;

/**
 * Masks credentials in `text`: `Authorization` values become `Bearer ***`, every JSON
 * `"token_id":"..."` becomes `"token_id":"***"`, `token_id=...` becomes `token_id=***`, and each
 * literal in `secrets` (ignoring ones shorter than 4 characters, which would mask noise) becomes
 * `***`. Idempotent: redacting redacted text changes nothing.
 */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join(MASK);
  }
  return out
    .replace(BEARER, `$1 ${MASK}`)
    .replace(AUTHORIZATION_VALUE, `$1${MASK}`)
    .replace(TOKEN_ID_JSON, `$1"${MASK}"`)
    .replace(TOKEN_ID_ESCAPED_JSON, `$1${MASK}$2`)
    .replace(TOKEN_ID_PAIR, `$1${MASK}`)
    .replace(TOKEN_ID_ANY, (_m, head: string, quote: string | undefined) =>
      quote ? `${head}${quote}${MASK}${quote}` : `${head}${MASK}`,
    )
    .replace(API_KEY_VALUE, `$1${MASK}`);
}

/** Header names whose values are never shown, in any casing. */
const SECRET_HEADERS = new Set([
  "authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
  "x-api-key",
  "api-key",
]);

/**
 * Renders headers for a debug line, `name: value` joined by `, `, with secret headers masked
 * (`authorization: Bearer ***`) and every value passed through `redact`.
 */
export function formatHeaders(
  headers: Readonly<Record<string, string | readonly string[] | undefined>>,
  secrets: readonly string[] = [],
): string {
  const parts: string[] = [];
  for (const [name, raw] of Object.entries(headers)) {
    if (raw === undefined) continue;
    const lower = name.toLowerCase();
    const value = typeof raw === "string" ? raw : raw.join(", ");
    if (SECRET_HEADERS.has(lower)) {
      parts.push(`${lower}: ${/^bearer\s/i.test(value) ? `Bearer ${MASK}` : MASK}`);
    } else {
      parts.push(`${lower}: ${redact(value, secrets)}`);
    }
  }
  return parts.join(", ");
}
