/**
 * `popdock_api_user_grant` in configuration: a YAML list entry under an API user (`grants:`),
 * and the Terraform JSON arguments — `api_user_id` and exactly one of `team`, `role` or
 * `connector` (with its scope lists) — which the CDKTF construct checks too.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: "${type.name.attr}" is Terraform's own reference syntax, quoted on purpose.
import { z } from "zod";
import { type GrantSpec, grantKey } from "../../model/desired.js";
import { didYouMean } from "../../model/diagnostics.js";
import { compareStrings } from "../../model/values.js";
import { type ArgsResult, parseWith } from "../args.js";
import { defineResourceConfig } from "../config.js";

const Text = (description: string) => z.string().min(1).describe(description);
const NameList = (description: string) => z.array(z.string().min(1)).describe(description);

export const TeamGrant = z
  .strictObject({
    team: Text("Name of a Popdock team; the API user becomes a member and gets the team's access."),
  })
  .meta({ title: "Team grant", description: "Membership of a team." });

export const RoleGrant = z
  .strictObject({
    role: Text(
      "Name of a system role (not tied to a connector), e.g. `Administrator`, `Contributor`, `User`.",
    ),
  })
  .meta({ title: "Role grant", description: "A system role." });

export const ConnectorGrant = z
  .strictObject({
    connector: Text("Name of a Popdock connector, e.g. `GP Production`."),
    roles: NameList(
      "Connector roles, e.g. `Reader`, `User`, `CustomListContributor`, `CustomListAdministrator`.",
    ).optional(),
    companies: NameList("Companies of the connector the API user may see.").optional(),
    lists: NameList("Lists of the connector the API user may see.").optional(),
    actions: NameList("Actions of the connector the API user may run.").optional(),
    details: NameList("Details of the connector the API user may open.").optional(),
  })
  .meta({
    title: "Connector grant",
    description:
      "Access to one connector, narrowed to its companies, lists, actions and details. Lists are sets: order does not matter, duplicates are ignored.",
  });

/** Keys that only a connector grant takes. */
export const CONNECTOR_SCOPE_KEYS = ["roles", "companies", "lists", "actions", "details"] as const;
/** The keys that say what kind of grant an entry is; exactly one must be present. */
export const GRANT_KINDS = ["team", "role", "connector"] as const;

/** A YAML `grants` entry. */
export const Grant = z
  .union([TeamGrant, RoleGrant, ConnectorGrant])
  .describe(
    'One permission: exactly one of `team`, `role` or `connector`. Its address is `popdock_api_user_grant.<user>["<kind>:<name>"]`.',
  );
export type Grant = z.infer<typeof Grant>;
export type TeamGrant = z.infer<typeof TeamGrant>;
export type RoleGrant = z.infer<typeof RoleGrant>;
export type ConnectorGrant = z.infer<typeof ConnectorGrant>;

const ApiUserId = z
  .string()
  .min(1)
  .describe('The owning API user, as a reference to its id: `"${popdock_api_user.<name>.id}"`.');

/** `popdock_api_user_grant` with `team`. */
export const TeamGrantArgs = TeamGrant.extend({ api_user_id: ApiUserId });
/** `popdock_api_user_grant` with `role` (a system role). */
export const RoleGrantArgs = RoleGrant.extend({ api_user_id: ApiUserId });
/** `popdock_api_user_grant` with `connector` and its scope lists. */
export const ConnectorGrantArgs = ConnectorGrant.extend({ api_user_id: ApiUserId });
/** Any grant's arguments (checked by kind with `checkGrantArgs`, for messages a person can act on). */
export const GrantArgs = z.union([TeamGrantArgs, RoleGrantArgs, ConnectorGrantArgs]);

export type TeamGrantArgs = z.infer<typeof TeamGrantArgs>;
export type RoleGrantArgs = z.infer<typeof RoleGrantArgs>;
export type ConnectorGrantArgs = z.infer<typeof ConnectorGrantArgs>;
export type GrantArgs = TeamGrantArgs | RoleGrantArgs | ConnectorGrantArgs;

const GRANT_ARGS = { team: TeamGrantArgs, role: RoleGrantArgs, connector: ConnectorGrantArgs } as const;

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
  const schema: z.ZodType<GrantArgs> = GRANT_ARGS[kind];
  return parseWith(schema, body);
}

/** A grant's spec from its arguments (or a YAML entry), lists as written. */
export function grantSpec(v: Grant): GrantSpec {
  if ("team" in v) return { kind: "team", team: v.team };
  if ("role" in v) return { kind: "role", role: v.role };
  return {
    kind: "connector",
    connector: v.connector,
    roles: [...(v.roles ?? [])],
    companies: [...(v.companies ?? [])],
    lists: [...(v.lists ?? [])],
    actions: [...(v.actions ?? [])],
    details: [...(v.details ?? [])],
  };
}

export const apiUserGrantConfig = defineResourceConfig<GrantArgs, Grant>("popdock_api_user_grant", {
  terraform: {
    schema: GrantArgs,
    arguments: ["api_user_id", ...GRANT_KINDS, ...CONNECTOR_SCOPE_KEYS],
    check: checkGrantArgs,
    parentArgument: "api_user_id",
    known: ["team", "role", "connector"],
    computed: ["id", "api_user_id"],
    ignorable: [...CONNECTOR_SCOPE_KEYS],
    index: (v) => grantKey(grantSpec(v)),
    /** The grant's spec, scope lists as sets: sorted, duplicates dropped with a warning (as in YAML). */
    attrs(v, _name, report) {
      const spec = grantSpec(v);
      if (spec.kind !== "connector") return spec;
      for (const k of CONNECTOR_SCOPE_KEYS) {
        const seen = new Map<string, number>();
        spec[k].forEach((item, i) => {
          const first = seen.get(item);
          if (first !== undefined) {
            report({
              code: "CONFIG_DUPLICATE_ITEM",
              message: `"${item}" is listed twice (also at [${first}]); lists are sets, the duplicate is ignored`,
              path: [k, i],
              severity: "warning",
            });
          } else seen.set(item, i);
        });
        spec[k] = [...seen.keys()].sort(compareStrings);
      }
      return spec;
    },
  },
  yaml: {
    placement: {
      kind: "child",
      key: "grants",
      shape: "list",
      description: "Teams, system roles and connector access.",
    },
    entry: Grant,
    /** `grants[i]` → `popdock_api_user_grant.<user>["<grant key>"]`, scope lists as sets. */
    convert(g, _key, path, values) {
      let spec: GrantSpec;
      if ("team" in g) spec = { kind: "team", team: values.text([...path, "team"], g.team).value };
      else if ("role" in g) spec = { kind: "role", role: values.text([...path, "role"], g.role).value };
      else {
        const set = (k: (typeof CONNECTOR_SCOPE_KEYS)[number]) => values.nameSet([...path, k], g[k] ?? []);
        spec = {
          kind: "connector",
          connector: values.text([...path, "connector"], g.connector).value,
          roles: set("roles"),
          companies: set("companies"),
          lists: set("lists"),
          actions: set("actions"),
          details: set("details"),
        };
      }
      return { attrs: spec, index: grantKey(spec) };
    },
  },
});
