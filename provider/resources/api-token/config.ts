/**
 * `popdock_api_token` in configuration: a YAML map entry under an API user (`tokens:`, by key,
 * with an optional `rotation`), and the Terraform JSON arguments `api_user_id`, `name` and `key`,
 * which the CDKTF construct checks too. A token without `name` is named after its key.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: "${type.name.attr}" is Terraform's own reference syntax, quoted on purpose.
import { z } from "zod";
import { NAME_MAX, nameProblem } from "../../../schema/limits.js";
import type { RotationPolicy } from "../../model/desired.js";
import type { ArgIssue } from "../args.js";
import { defineResourceConfig } from "../config.js";
import { Duration, durationSeconds, parseDuration } from "./duration.js";

/** Keys of tokens: they become resource addresses, so they are identifiers. */
const RESOURCE_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const Scalar = z.union([z.string(), z.number(), z.boolean()]);

const Triggers = z
  .record(z.string().min(1), Scalar)
  .describe(
    "Arbitrary values; changing any of them rotates the token now (through the overlap when `overlap` is set, else by a create-before-destroy replacement). E.g. `{ quarter: 2026-Q4 }`.",
  );

const RotationFields = {
  every: Duration.describe(
    "Rotate once the current generation is this old (by Popdock's clock): a whole number and a unit, s m h d or w, e.g. `90d`. Needs `overlap`.",
  ).optional(),
  overlap: Duration.describe(
    "How long the previous generation stays valid after its successor exists, e.g. `7d`. With it, a rotation creates a new generation (a new Popdock name, `<name>-YYYYMMDD`) and deletes the previous one only once this has passed.",
  ).optional(),
  retire_when_unused: Duration.describe(
    "Also keep the previous generation until it has not been used for this long, e.g. `24h`. Needs `overlap`.",
  ).optional(),
  triggers: Triggers.optional(),
};

/** `every` > `overlap`, and `every` / `retire_when_unused` only with `overlap`; the last two as issues at their keys. */
function checkRotation(
  r: {
    every?: string | undefined;
    overlap?: string | undefined;
    retire_when_unused?: string | undefined;
    triggers?: unknown;
  },
  ctx: z.RefinementCtx,
  overlapRequired: boolean,
): void {
  if (r.overlap === undefined) {
    for (const k of overlapRequired ? [] : (["every", "retire_when_unused"] as const)) {
      if (r[k] !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: [k],
          message: `rotation.${k} needs rotation.overlap (how long the previous generation stays valid)`,
        });
      }
    }
    if (overlapRequired) {
      ctx.addIssue({
        code: "custom",
        path: ["overlap"],
        message: "rotation needs overlap (how long the previous generation stays valid), e.g. 7d",
      });
    } else if (r.triggers === undefined && r.every === undefined && r.retire_when_unused === undefined) {
      ctx.addIssue({
        code: "custom",
        path: [],
        message: "rotation needs triggers, or overlap (and every) for generations",
      });
    }
    return;
  }
  const every = r.every === undefined ? undefined : parseDuration(r.every);
  const overlap = parseDuration(r.overlap);
  if (every && "seconds" in every && "seconds" in overlap && every.seconds <= overlap.seconds) {
    ctx.addIssue({
      code: "custom",
      path: ["every"],
      message: `rotation.every (${r.every}) must be longer than rotation.overlap (${r.overlap}): a generation must outlive its overlap`,
    });
  }
}

export const Rotation = z
  .strictObject(RotationFields)
  .superRefine((r, ctx) => checkRotation(r, ctx, false))
  .describe(
    "Rotation of the token. With `overlap` (and usually `every`), generations without downtime: a new token is created before the old one is retired. With `triggers` only, a change of a trigger replaces the token create-before-destroy.",
  );

/** The same block in Terraform JSON and CDKTF: generations only, so `overlap` is required. */
export const RotationArgs = z
  .strictObject(RotationFields)
  .superRefine((r, ctx) => checkRotation(r, ctx, true));

/** The policy of a checked rotation block with `overlap`, triggers as given (already strings for YAML). */
export function rotationPolicy(
  r: { every?: string | undefined; overlap: string; retire_when_unused?: string | undefined },
  triggers: Record<string, string> | undefined,
): RotationPolicy {
  return {
    ...(r.every !== undefined ? { every_seconds: durationSeconds(r.every) } : {}),
    overlap_seconds: durationSeconds(r.overlap),
    ...(r.retire_when_unused !== undefined
      ? { retire_when_unused_seconds: durationSeconds(r.retire_when_unused) }
      : {}),
    ...(triggers !== undefined ? { triggers } : {}),
  };
}

/** A YAML `tokens` entry. */
export const Token = z
  .strictObject({
    name: z
      .string()
      .min(1)
      .describe(
        `The token's name in Popdock. Defaults to the token key. At most ${NAME_MAX} characters, without leading or trailing whitespace (Popdock trims names).`,
      )
      .optional(),
    rotation: Rotation.optional(),
  })
  .describe(
    'An API token. Its address is `popdock_api_token.<user>["<key>"]`; its Token ID is a secret, available as the automatic sensitive output `<user>.<key>`.',
  );
export type Token = z.infer<typeof Token>;

const ApiUserId = z
  .string()
  .min(1)
  .describe('The owning API user, as a reference to its id: `"${popdock_api_user.<name>.id}"`.');

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
  rotation: RotationArgs.optional().describe(
    "Generations without downtime: `{ every, overlap, retire_when_unused, triggers }` (durations such as `90d`, `7d`, `24h`).",
  ),
});
export type ApiTokenArgs = z.infer<typeof ApiTokenArgs>;

/** A token's Popdock name: its `name`, else its key, else its resource name (as in YAML). */
export function tokenName(v: Partial<ApiTokenArgs>, resourceName: string): string {
  return v.name ?? v.key ?? resourceName;
}

/** What Popdock would refuse or change in a token's name (a literal `name` only). */
export function tokenStoredIssues(values: Readonly<Record<string, unknown>>): ArgIssue[] {
  if (typeof values.name !== "string") return [];
  const problem = nameProblem("token name", values.name);
  return problem === undefined
    ? []
    : [{ code: "CONFIG_INVALID_VALUE", message: problem.message, path: ["name"], hint: problem.hint }];
}

export const apiTokenConfig = defineResourceConfig<ApiTokenArgs, Token>("popdock_api_token", {
  terraform: {
    schema: ApiTokenArgs,
    arguments: Object.keys(ApiTokenArgs.shape),
    checkStored(values, name) {
      const issues = tokenStoredIssues(values);
      if (values.name === undefined) {
        // Named after its key, else its resource name: identifiers, so only the length can be wrong.
        const from = values.key === undefined ? "resource name" : "key";
        const problem = nameProblem(`token name (its ${from})`, tokenName(values, name));
        if (problem !== undefined) {
          issues.push({
            code: "CONFIG_INVALID_VALUE",
            message: problem.message,
            path: values.key === undefined ? [] : ["key"],
            hint: `give the token a "name" of at most ${NAME_MAX} characters, or a shorter ${from}`,
          });
        }
      }
      return issues;
    },
    parentArgument: "api_user_id",
    known: ["name", "key"],
    computed: ["id", "token_id", "api_user_id"],
    ignorable: ["name"],
    knownValue(v, name, attr) {
      if (attr === "name") return tokenName(v, name);
      if (attr === "key") return v.key ?? name;
      return undefined;
    },
    index: (v, name) => v.key ?? name,
    createBeforeDestroy: true,
    attrs: (v, name) => ({
      name: tokenName(v, name),
      ...(v.rotation?.overlap !== undefined
        ? {
            rotation: rotationPolicy(
              { ...v.rotation, overlap: v.rotation.overlap },
              v.rotation.triggers === undefined
                ? undefined
                : Object.fromEntries(Object.entries(v.rotation.triggers).map(([k, x]) => [k, String(x)])),
            ),
          }
        : {}),
    }),
  },
  yaml: {
    placement: {
      kind: "child",
      key: "tokens",
      shape: "map",
      description: "API tokens of this user, by key. The key is the token's stable address.",
    },
    entry: Token,
    /**
     * `tokens.<token>` → `popdock_api_token.<user>["<token>"]`, created before the old one is
     * deleted; with `rotation`, a keeper `null_resource.<user>__<token>_rotation` holding the
     * interpolated triggers, which replaces the token when a trigger changes.
     */
    convert(t, tokenKey, path, values, userKey) {
      const namePath = t.name === undefined ? path : [...path, "name"];
      const name =
        t.name === undefined
          ? values.check(path, tokenKey, nameProblem("token name", tokenKey), "key")
          : values.text(namePath, t.name, { limit: (v) => nameProblem("token name", v) });
      let keeper:
        | {
            type: string;
            name: string;
            path: (string | number)[];
            attrs: { triggers: Record<string, string> };
          }
        | undefined;
      let policy: RotationPolicy | undefined;
      if (t.rotation !== undefined) {
        const rotationPath = [...path, "rotation"];
        const triggers: Record<string, string> = {};
        for (const [k, v] of Object.entries(t.rotation.triggers ?? {})) {
          // Triggers never reach Popdock, but are kept in state and shown in plans.
          triggers[k] =
            typeof v === "string"
              ? values.text([...rotationPath, "triggers", k], v, { required: false, stateOnly: true }).value
              : String(v);
        }
        if (t.rotation.overlap !== undefined) {
          // Generations: the policy travels with the token; no keeper.
          policy = rotationPolicy(
            { ...t.rotation, overlap: t.rotation.overlap },
            t.rotation.triggers === undefined ? undefined : triggers,
          );
        } else {
          const name = `${userKey ?? ""}__${tokenKey}_rotation`;
          keeper = { type: "null_resource", name, path: rotationPath, attrs: { triggers } };
        }
      }
      return {
        attrs: { name: name.value, ...(policy !== undefined ? { rotation: policy } : {}) },
        nameReported: !name.ok,
        namePath,
        nameAtKey: t.name === undefined,
        createBeforeDestroy: true,
        ...(keeper !== undefined ? { keeper } : {}),
      };
    },
  },
});
