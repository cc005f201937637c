/**
 * `popdock_api_user` in configuration: the YAML entry (`api_users.<key>`, whose children — grants,
 * tokens — come from the types placed under it) and the Terraform JSON arguments `name` and
 * `description`, which the CDKTF construct checks too.
 */
import { z } from "zod";
import { DESCRIPTION_MAX, descriptionProblem, NAME_MAX, nameProblem } from "../../../schema/limits.js";
import type { ArgIssue } from "../args.js";
import { defineResourceConfig } from "../config.js";

const Text = (description: string) => z.string().min(1).describe(description);

/** The YAML entry's own keys; `grants`, `tokens` (any child placement) are added by the YAML frontend. */
export const ApiUserEntry = z.strictObject({
  name: Text(
    `The API user's name in Popdock (unique, case-insensitively). At most ${NAME_MAX} characters, without leading or trailing whitespace (Popdock trims names).`,
  ),
  description: z
    .string()
    .optional()
    .describe(`Shown in Popdock's API users list. At most ${DESCRIPTION_MAX} characters.`),
  prevent_destroy: z.boolean().optional().describe("Refuse any plan that deletes or replaces this API user."),
});

export type ApiUserEntry = z.infer<typeof ApiUserEntry>;

/** The description of an `api_users` entry. */
export const API_USER_ENTRY_DESCRIPTION =
  "An API user: an identity without web login. The map key is its stable address (`popdock_api_user.<key>`) and is never sent to Popdock.";

/** `popdock_api_user`: the API user's Popdock name and description. Its address is `popdock_api_user.<resource name>`. */
export const ApiUserArgs = ApiUserEntry.pick({ name: true, description: true });
export type ApiUserArgs = z.infer<typeof ApiUserArgs>;

/** What Popdock would refuse or change in a user's name and description. */
export function apiUserStoredIssues(values: Readonly<Record<string, unknown>>): ArgIssue[] {
  const issues: ArgIssue[] = [];
  const add = (path: string, problem: { message: string; hint: string } | undefined) => {
    if (problem !== undefined)
      issues.push({
        code: "CONFIG_INVALID_VALUE",
        message: problem.message,
        path: [path],
        hint: problem.hint,
      });
  };
  if (typeof values.name === "string") add("name", nameProblem("API user name", values.name));
  if (typeof values.description === "string") add("description", descriptionProblem(values.description));
  return issues;
}

export const apiUserConfig = defineResourceConfig<ApiUserArgs, ApiUserEntry>("popdock_api_user", {
  terraform: {
    schema: ApiUserArgs,
    arguments: Object.keys(ApiUserArgs.shape),
    checkStored: (values) => apiUserStoredIssues(values),
    known: ["name", "description"],
    computed: ["id"],
    ignorable: ["name", "description"],
    knownValue: (v, _name, attr) =>
      attr === "description" ? (v.description ?? "") : attr === "name" ? v.name : undefined,
    attrs: (v) => ({ name: v.name, description: v.description ?? "" }),
  },
  yaml: {
    placement: {
      kind: "section",
      section: "api_users",
      description: "Popdock API users, by stable key.",
      entryDescription: API_USER_ENTRY_DESCRIPTION,
    },
    entry: ApiUserEntry,
    /** `api_users.<key>` → `popdock_api_user.<key>`. */
    convert(u, _key, path, values) {
      const name = values.text([...path, "name"], u.name, { limit: (v) => nameProblem("API user name", v) });
      const description =
        u.description === undefined
          ? ""
          : values.text([...path, "description"], u.description, {
              required: false,
              limit: descriptionProblem,
            }).value;
      return {
        attrs: { name: name.value, description },
        preventDestroy: u.prevent_destroy ?? false,
        nameReported: !name.ok,
      };
    },
  },
});
