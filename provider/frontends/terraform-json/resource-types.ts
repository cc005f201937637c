/**
 * Everything the Terraform JSON reader knows per resource type, in one place (one function per
 * type), so that it can move beside each type in provider/resources/ later: which arguments may be
 * referenced now or only after apply, what `ignore_changes` may name, and the conversion of a
 * type's evaluated arguments to its desired attributes.
 */
import type { GrantSpec } from "../../model/desired.js";
import { compareStrings } from "../../model/values.js";
import type { Block, ReadContext } from "./context.js";
import {
  type ApiTokenArgs,
  type ApiUserArgs,
  type GrantArgs,
  type NullResourceArgs,
  type SupportedType,
  TOKEN_TYPE,
  USER_TYPE,
} from "./schema.js";

/** Arguments that may be referenced and are known when the configuration is read. */
export const STATIC_ATTRS: Readonly<Record<SupportedType, readonly string[]>> = {
  popdock_api_user: ["name", "description"],
  popdock_api_user_grant: ["team", "role", "connector"],
  popdock_api_token: ["name", "key"],
  null_resource: [],
};

/** Attributes known only after apply. */
export const COMPUTED_ATTRS: Readonly<Record<SupportedType, readonly string[]>> = {
  popdock_api_user: ["id"],
  popdock_api_user_grant: ["id", "api_user_id"],
  popdock_api_token: ["id", "token_id", "api_user_id"],
  null_resource: ["id", "triggers"],
};

/** What `lifecycle.ignore_changes` may name, by type (`all` means all of them). */
export const IGNORABLE_ATTRS: Readonly<Record<SupportedType, readonly string[]>> = {
  popdock_api_user: ["name", "description"],
  popdock_api_user_grant: ["roles", "companies", "lists", "actions", "details"],
  popdock_api_token: ["name"],
  null_resource: ["triggers"],
};

export function staticAttr(b: Block, attr: string): string | undefined {
  if (b.type === TOKEN_TYPE) {
    if (attr === "name") return tokenName(b);
    if (attr === "key") return (b.values as Partial<ApiTokenArgs>).key ?? b.name;
  }
  if (b.type === USER_TYPE && attr === "description") return (b.values as ApiUserArgs).description ?? "";
  const v = b.values[attr];
  return typeof v === "string" ? v : undefined;
}

/** A token's Popdock name: its `name`, else its key (as in YAML). */
export function tokenName(b: Block): string {
  const v = b.values as Partial<ApiTokenArgs>;
  return v.name ?? v.key ?? b.name;
}

export function grantSpec(v: GrantArgs): GrantSpec {
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

// ------------------------------------------------------------------ evaluated arguments → attributes

export function userAttrs(b: Block): { name: string; description: string } {
  const v = b.values as ApiUserArgs;
  return { name: v.name, description: v.description ?? "" };
}

export function nullAttrs(b: Block): { triggers: Record<string, string> } {
  const triggers: Record<string, string> = {};
  for (const [k, v] of Object.entries((b.values as NullResourceArgs).triggers ?? {})) triggers[k] = String(v);
  return { triggers };
}

export function tokenAttrs(b: Block): { name: string } {
  return { name: tokenName(b) };
}

/** The grant's spec, scope lists as sets: sorted, duplicates dropped with a warning (as in YAML). */
export function grantAttrs(ctx: ReadContext, b: Block): GrantSpec {
  const spec = grantSpec(b.values as GrantArgs);
  if (spec.kind !== "connector") return spec;
  for (const k of ["roles", "companies", "lists", "actions", "details"] as const) {
    const seen = new Map<string, number>();
    spec[k].forEach((item, i) => {
      const first = seen.get(item);
      if (first !== undefined) {
        ctx.blockDiag(
          b,
          "CONFIG_DUPLICATE_ITEM",
          `"${item}" is listed twice (also at [${first}]); lists are sets, the duplicate is ignored`,
          [...b.path, k, i],
          { severity: "warning" },
        );
      } else seen.set(item, i);
    });
    spec[k] = [...seen.keys()].sort(compareStrings);
  }
  return spec;
}
