/**
 * The arguments of the Popdock resource types as Terraform JSON spells them (snake_case), in zod.
 * Built from the YAML schema's pieces (`schema/config.ts`) so that both formats accept the same
 * values, and shared by the Terraform JSON reader (which checks every resource block) and the
 * CDKTF constructs (which check their config when they are constructed, so bad input fails at
 * synth with the construct's path).
 *
 * Imports zod and the schemas only: the CDKTF constructs depend on this module, never the reverse.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: "${type.name.attr}" is Terraform's own reference syntax, quoted on purpose.
import { z } from "zod";
import {
  ApiUser,
  CONNECTOR_SCOPE_KEYS,
  ConnectorGrant,
  GRANT_KINDS,
  ProviderBlock,
  RESOURCE_KEY,
  RoleGrant,
  TeamGrant,
  Token,
} from "../../../schema/config.js";
import { descriptionProblem, type LimitProblem, nameProblem } from "../../../schema/limits.js";
import { didYouMean } from "../../model/diagnostics.js";

/** The Terraform provider name, and the resource types this project manages. */
export { PROVIDER_NAME } from "../../model/provider.js";

export const USER_TYPE = "popdock_api_user";
export const GRANT_TYPE = "popdock_api_user_grant";
export const TOKEN_TYPE = "popdock_api_token";
export const NULL_TYPE = "null_resource";
export const SUPPORTED_TYPES = [USER_TYPE, GRANT_TYPE, TOKEN_TYPE, NULL_TYPE] as const;
export type SupportedType = (typeof SUPPORTED_TYPES)[number];

const ApiUserId = z
  .string()
  .min(1)
  .describe('The owning API user, as a reference to its id: `"${popdock_api_user.<name>.id}"`.');

/** `popdock_api_user`: the API user's Popdock name and description. Its address is `popdock_api_user.<resource name>`. */
export const ApiUserArgs = ApiUser.pick({ name: true, description: true });

/** `popdock_api_user_grant` with `team`. */
export const TeamGrantArgs = TeamGrant.extend({ api_user_id: ApiUserId });
/** `popdock_api_user_grant` with `role` (a system role). */
export const RoleGrantArgs = RoleGrant.extend({ api_user_id: ApiUserId });
/** `popdock_api_user_grant` with `connector` and its scope lists. */
export const ConnectorGrantArgs = ConnectorGrant.extend({ api_user_id: ApiUserId });

/** `popdock_api_token`. Its address is `popdock_api_token.<user>["<key>"]`, key defaulting to the resource name. */
export const ApiTokenArgs = z.strictObject({
  api_user_id: ApiUserId,
  name: Token.shape.name,
  key: z
    .string()
    .regex(RESOURCE_KEY)
    .optional()
    .describe(
      'The token\'s stable key in its address `popdock_api_token.<user>["<key>"]` and in the automatic output `<user>.<key>`. Defaults to the resource name. Never sent to Popdock.',
    ),
});

/** `null_resource`: only `triggers`, a map of strings. */
export const NullResourceArgs = z.strictObject({
  triggers: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
    .optional()
    .describe(
      "Changing any value replaces the resource. Numbers and booleans become strings, as in Terraform.",
    ),
});

/** `provider.popdock`. */
export const ProviderArgs = ProviderBlock;

export type ApiUserArgs = z.infer<typeof ApiUserArgs>;
export type TeamGrantArgs = z.infer<typeof TeamGrantArgs>;
export type RoleGrantArgs = z.infer<typeof RoleGrantArgs>;
export type ConnectorGrantArgs = z.infer<typeof ConnectorGrantArgs>;
export type GrantArgs = TeamGrantArgs | RoleGrantArgs | ConnectorGrantArgs;
export type ApiTokenArgs = z.infer<typeof ApiTokenArgs>;
export type NullResourceArgs = z.infer<typeof NullResourceArgs>;

const GRANT_ARGS = { team: TeamGrantArgs, role: RoleGrantArgs, connector: ConnectorGrantArgs } as const;

/** Every argument a resource type takes (a grant: those of all three kinds). */
export const ARGUMENTS: Readonly<Record<SupportedType, readonly string[]>> = {
  [USER_TYPE]: Object.keys(ApiUserArgs.shape),
  [GRANT_TYPE]: ["api_user_id", ...GRANT_KINDS, ...CONNECTOR_SCOPE_KEYS],
  [TOKEN_TYPE]: Object.keys(ApiTokenArgs.shape),
  [NULL_TYPE]: Object.keys(NullResourceArgs.shape),
};

/**
 * Checks values the way Popdock will store them (`schema/limits.ts`, shared with the YAML
 * format): after references are resolved (the reader) or for literal values (the constructs).
 * A name with whitespace around it would be trimmed by Popdock, never match, and be changed by
 * every apply; over-long values are refused. Only the string values present are checked: an API
 * user's `name` and `description`, a token's `name`.
 */
export function checkStoredValues(
  type: SupportedType,
  values: Readonly<Record<string, unknown>>,
): ArgIssue[] {
  const issues: ArgIssue[] = [];
  const add = (path: string, problem: LimitProblem | undefined) => {
    if (problem !== undefined)
      issues.push({
        code: "CONFIG_INVALID_VALUE",
        message: problem.message,
        path: [path],
        hint: problem.hint,
      });
  };
  if (type === USER_TYPE || type === TOKEN_TYPE) {
    const what = type === USER_TYPE ? "API user name" : "token name";
    if (typeof values.name === "string") add("name", nameProblem(what, values.name));
  }
  if (type === USER_TYPE && typeof values.description === "string") {
    add("description", descriptionProblem(values.description));
  }
  return issues;
}

/** One problem with a resource's arguments; `path` is relative to the resource body. */
export interface ArgIssue {
  code: string;
  message: string;
  path: (string | number)[];
  hint?: string;
}

export type ArgsResult<T> = { ok: true; value: T } | { ok: false; issues: ArgIssue[] };

/** Checks the arguments of a resource of `type` (meta-arguments and `"//"` already removed). */
export function checkArgs(type: SupportedType, body: Record<string, unknown>): ArgsResult<unknown> {
  switch (type) {
    case USER_TYPE:
      return parseWith(ApiUserArgs, body);
    case TOKEN_TYPE:
      return parseWith(ApiTokenArgs, body);
    case NULL_TYPE:
      return parseWith(NullResourceArgs, body);
    case GRANT_TYPE:
      return checkGrantArgs(body);
  }
}

/** A grant takes `api_user_id` and exactly one of `team`, `role` or `connector`; scope lists only with `connector`. */
export function checkGrantArgs(body: Record<string, unknown>): ArgsResult<GrantArgs> {
  const kinds = GRANT_KINDS.filter((k) => body[k] !== undefined);
  const [kind, second] = kinds;
  if (kind === undefined) {
    const unknown = Object.keys(body).find(
      (k) => k !== "api_user_id" && !(CONNECTOR_SCOPE_KEYS as readonly string[]).includes(k),
    );
    const guess = unknown === undefined ? undefined : didYouMean(unknown, GRANT_KINDS);
    const scopes = Object.keys(body).filter((k) => (CONNECTOR_SCOPE_KEYS as readonly string[]).includes(k));
    let hint: string | undefined;
    if (guess !== undefined) hint = `"${unknown}": did you mean "${guess}"?`;
    else if (scopes.length > 0) hint = `${scopes.join(", ")} need "connector"`;
    return {
      ok: false,
      issues: [
        {
          code: "CONFIG_GRANT_SHAPE",
          message: "a grant needs one of team, role or connector",
          path: [],
          ...(hint !== undefined ? { hint } : {}),
        },
      ],
    };
  }
  if (second !== undefined) {
    return {
      ok: false,
      issues: [
        {
          code: "CONFIG_GRANT_SHAPE",
          message: `a grant takes exactly one of team, role or connector, this one has ${kinds.join(" and ")}`,
          path: [second],
          hint: "declare one grant resource per team, role and connector",
        },
      ],
    };
  }
  if (kind !== "connector") {
    const scoped = (CONNECTOR_SCOPE_KEYS as readonly string[]).filter((k) => body[k] !== undefined);
    if (scoped.length > 0) {
      return {
        ok: false,
        issues: scoped.map((key) => ({
          code: "CONFIG_GRANT_SHAPE",
          message: `"${key}" applies only to connector grants; a ${kind} grant takes no scope`,
          path: [key],
          hint: `grant the ${kind}, or use "connector" with ${key}`,
        })),
      };
    }
  }
  const schema: z.ZodType = GRANT_ARGS[kind];
  return parseWith(schema, body) as ArgsResult<GrantArgs>;
}

/** Checks `body` against `schema`, with issues a person can act on. */
export function parseWith<T>(schema: z.ZodType<T>, body: unknown): ArgsResult<T> {
  const r = schema.safeParse(body);
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, issues: r.error.issues.flatMap((i) => toArgIssues(schema, body, i)) };
}

function toArgIssues(schema: z.ZodType, body: unknown, issue: z.core.$ZodIssue): ArgIssue[] {
  const path = issue.path.map((p) => (typeof p === "number" ? p : String(p)));
  const input = valueAt(body, path);
  switch (issue.code) {
    case "unrecognized_keys": {
      const allowed = schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
      return issue.keys.map((key) => {
        const guess = didYouMean(key, allowed);
        return {
          code: "CONFIG_UNKNOWN_KEY",
          message: `unknown argument "${key}"`,
          path: [...path, key],
          hint: guess !== undefined ? `did you mean "${guess}"?` : `arguments: ${allowed.join(", ")}`,
        };
      });
    }
    case "invalid_type":
      if (input === undefined) {
        return [
          { code: "CONFIG_MISSING_KEY", message: `missing required argument "${String(path.at(-1))}"`, path },
        ];
      }
      return [
        {
          code: "CONFIG_INVALID_TYPE",
          message: `expected ${describeExpected(issue.expected)}, got ${describeValue(input)}`,
          path,
        },
      ];
    case "invalid_union": {
      const expected = new Set<string>();
      for (const branch of issue.errors) {
        for (const sub of branch)
          if (sub.code === "invalid_type" && sub.path.length === 0)
            expected.add(describeExpected(sub.expected));
      }
      const list = [...expected];
      const text =
        list.length <= 1 ? (list[0] ?? "another value") : `${list.slice(0, -1).join(", ")} or ${list.at(-1)}`;
      return [
        { code: "CONFIG_INVALID_TYPE", message: `expected ${text}, got ${describeValue(input)}`, path },
      ];
    }
    case "too_small":
      return [
        {
          code: "CONFIG_INVALID_VALUE",
          message: issue.origin === "string" ? "value must not be empty" : issue.message,
          path,
        },
      ];
    case "invalid_format":
      return [
        {
          code: "CONFIG_INVALID_VALUE",
          message: `${describeValue(input)} is not a valid key`,
          path,
          hint: "keys start with a letter or _ and contain only letters, digits, _ and -",
        },
      ];
    default:
      return [{ code: "CONFIG_INVALID_VALUE", message: issue.message, path }];
  }
}

function valueAt(data: unknown, path: readonly (string | number)[]): unknown {
  let cur = data;
  for (const seg of path) {
    if (typeof cur !== "object" || cur === null) return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

function describeExpected(expected: string): string {
  switch (expected) {
    case "object":
    case "record":
      return "an object";
    case "array":
      return "a list";
    default:
      return `a ${expected}`;
  }
}

/** `a number (2026)`, `a list`, `null`. */
export function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  switch (typeof v) {
    case "string":
      return `a string (${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)})`;
    case "number":
      return `a number (${String(v)})`;
    case "boolean":
      return `a boolean (${String(v)})`;
    case "object":
      return "an object";
    default:
      return typeof v;
  }
}
