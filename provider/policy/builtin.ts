/**
 * The built-in rules, by stable id. Each has a default level, a parameter schema (checked when
 * the policy configuration is read, with file:line:col) and a README example. A rule reports
 * what the planned state would hold: existing objects the plan keeps (noops) are checked too,
 * so a violation does not pass just because nothing about it changes.
 */
import { z } from "zod";
import type { BuiltinPolicy, PolicyChange, PolicyContext } from "./types.js";

const USER = "popdock_api_user";
const GRANT = "popdock_api_user_grant";
const TOKEN = "popdock_api_token";
const DAY_MS = 86_400_000;

const Days = z.number().int().positive().max(36_500);

/** A regular expression given as text; refused when it does not compile. */
const Pattern = z.string().refine(
  (s) => {
    try {
      new RegExp(s, "u");
      return true;
    } catch {
      return false;
    }
  },
  { message: "not a valid regular expression" },
);

function userName(ctx: PolicyContext, address: string | undefined): string {
  const u = ctx.changes.find((c) => c.address === address);
  const name = (u?.after ?? u?.before)?.name;
  return typeof name === "string" ? name : (address ?? "?");
}

/** The planned state holds this object (create, update, replace or noop). */
function kept(c: PolicyChange): boolean {
  return c.after !== null;
}

/** An existing object the plan keeps as it is (not a create, not replaced). */
function existingKept(c: PolicyChange): boolean {
  return c.before !== null && c.after !== null && !c.actions.includes("create");
}

function tokenAge(c: PolicyChange, ctx: PolicyContext): { created: string; days: number } | undefined {
  const created = ctx.liveToken(c)?.created_at ?? (c.before?.created_at as string | undefined);
  if (created === undefined) return undefined;
  const t = Date.parse(created);
  if (Number.isNaN(t)) return undefined;
  return { created, days: Math.floor((ctx.now.getTime() - t) / DAY_MS) };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

const noAdminRole: BuiltinPolicy = {
  id: "no-admin-role",
  level: "mandatory",
  description: "An API user must not hold the Administrator system role (or other listed roles).",
  params: z.strictObject({ roles: z.array(z.string().min(1)).min(1).default(["Administrator"]) }),
  types: [GRANT],
  check(c, ctx) {
    const a = c.after;
    if (!kept(c) || a?.kind !== "role") return undefined;
    const roles = ctx.params.roles as string[];
    const role = String(a.role);
    if (!roles.some((r) => r.toLowerCase() === role.toLowerCase())) return undefined;
    return `API user "${userName(ctx, c.parent)}" would hold the "${role}" system role`;
  },
};

const scopedConnectorGrants: BuiltinPolicy = {
  id: "scoped-connector-grants",
  level: "mandatory",
  description:
    "A connector grant names the companies (where the connector has companies) and the lists it reaches.",
  params: z.strictObject({}),
  types: [GRANT],
  check(c, ctx) {
    const a = c.after;
    if (!kept(c) || a?.kind !== "connector") return undefined;
    const connector = String(a.connector);
    const known = ctx.live?.connectors.find((x) => x.name === connector || x.id === a.connector_id);
    const out: string[] = [];
    const companies = (a.companies as string[] | undefined) ?? [];
    const lists = (a.lists as string[] | undefined) ?? [];
    // Whether the connector has companies is known from the snapshot only: an offline
    // `policy check` leaves this part to plan and apply rather than guess.
    if (
      companies.length === 0 &&
      ctx.live !== undefined &&
      (known === undefined || known.companies.length > 0)
    )
      out.push(`the grant to connector "${connector}" names no companies: it reaches every company`);
    if (lists.length === 0)
      out.push(`the grant to connector "${connector}" names no lists: it reaches every list`);
    return out;
  },
};

const tokenMaxAge: BuiltinPolicy = {
  id: "token-max-age",
  level: "advisory",
  description: "A token older than `days` (default 90) should be rotated.",
  params: z.strictObject({ days: Days.default(90) }),
  types: [TOKEN],
  check(c, ctx) {
    if (!existingKept(c)) return undefined;
    const age = tokenAge(c, ctx);
    const max = ctx.params.days as number;
    if (age === undefined || age.days <= max) return undefined;
    return `token "${String(c.after?.name)}" is ${plural(age.days, "day")} old (created ${age.created}); the limit is ${plural(max, "day")}`;
  },
};

const tokenUnused: BuiltinPolicy = {
  id: "token-unused",
  level: "advisory",
  description: "A token not used for `days` (default 90), or never used `days` after its creation.",
  params: z.strictObject({ days: Days.default(90) }),
  types: [TOKEN],
  check(c, ctx) {
    if (!existingKept(c)) return undefined;
    const live = ctx.liveToken(c);
    if (live === undefined) return undefined; // last use is known from the snapshot only
    const max = ctx.params.days as number;
    const name = String(c.after?.name);
    if (live.last_used_at === null) {
      const age = tokenAge(c, ctx);
      if (age === undefined || age.days < max) return undefined;
      return `token "${name}" has never been used in the ${plural(age.days, "day")} since it was created (${live.created_at}); the limit is ${plural(max, "day")}`;
    }
    const idle = Math.floor((ctx.now.getTime() - Date.parse(live.last_used_at)) / DAY_MS);
    if (Number.isNaN(idle) || idle < max) return undefined;
    return `token "${name}" has not been used for ${plural(idle, "day")} (last used ${live.last_used_at}); the limit is ${plural(max, "day")}`;
  },
};

/**
 * A token "declares rotation" when it has a rotation policy (`rotation` with `every`/`overlap`:
 * generations), or is replaced by a keeper (YAML/CDKTF `rotation` with triggers only, Terraform
 * `replace_triggered_by` a `null_resource`).
 */
const tokenRequiresRotation: BuiltinPolicy = {
  id: "token-requires-rotation",
  level: "advisory",
  description: "Every token declares a rotation (a `rotation` block / replace_triggered_by keeper).",
  params: z.strictObject({}),
  types: [TOKEN],
  check(c) {
    if (!kept(c)) return undefined;
    const hasBlock = c.rotation !== undefined;
    const hasKeeper = c.depends_on.some((d) => d.startsWith("null_resource."));
    if (hasBlock || hasKeeper) return undefined;
    return `token "${String(c.after?.name)}" declares no rotation`;
  },
};

const maxTokensPerUser: BuiltinPolicy = {
  id: "max-tokens-per-user",
  level: "advisory",
  description: "An API user holds at most `max` (default 2) tokens.",
  params: z.strictObject({ max: z.number().int().min(0).default(2) }),
  types: [TOKEN],
  check: () => undefined,
  checkPlan(ctx) {
    const max = ctx.params.max as number;
    const byUser = new Map<string, string[]>();
    for (const c of ctx.changes) {
      if (c.type !== TOKEN || !kept(c) || c.parent === undefined) continue;
      byUser.set(c.parent, [...(byUser.get(c.parent) ?? []), String(c.after?.name)]);
    }
    const out: { address: string; message: string }[] = [];
    for (const [user, names] of byUser) {
      if (names.length <= max) continue;
      out.push({
        address: user,
        message: `API user "${userName(ctx, user)}" would hold ${plural(names.length, "token")} (${names.map((n) => `"${n}"`).join(", ")}); at most ${max} allowed`,
      });
    }
    return out;
  },
};

const namePattern: BuiltinPolicy = {
  id: "name-pattern",
  level: "mandatory",
  description: "API user and token names match regular expressions (`users`, `tokens`).",
  params: z
    .strictObject({ users: Pattern.optional(), tokens: Pattern.optional() })
    .refine((p) => p.users !== undefined || p.tokens !== undefined, {
      message: "name-pattern needs `users` or `tokens` (a regular expression)",
    }),
  types: [USER, TOKEN],
  check(c, ctx) {
    if (!kept(c)) return undefined;
    const pattern = (c.type === USER ? ctx.params.users : ctx.params.tokens) as string | undefined;
    if (pattern === undefined) return undefined;
    const name = String(c.after?.name);
    if (new RegExp(pattern, "u").test(name)) return undefined;
    return `${c.type === USER ? "API user" : "token"} name "${name}" does not match ${pattern}`;
  },
};

const descriptionRequired: BuiltinPolicy = {
  id: "description-required",
  level: "advisory",
  description: "Every API user has a description (at least `min_length` characters, default 1).",
  params: z.strictObject({ min_length: z.number().int().positive().default(1) }),
  types: [USER],
  check(c, ctx) {
    if (!kept(c)) return undefined;
    const d = String(c.after?.description ?? "").trim();
    const min = ctx.params.min_length as number;
    if (d.length >= min) return undefined;
    return d.length === 0
      ? `API user "${String(c.after?.name)}" has no description`
      : `API user "${String(c.after?.name)}" has a description of ${d.length} characters; at least ${min} required`;
  },
};

const noDestroyOfProtected: BuiltinPolicy = {
  id: "no-destroy-of-protected",
  level: "mandatory",
  description:
    "Deleting (or replacing) an API user that holds grants to the listed connectors needs an override.",
  params: z.strictObject({ connectors: z.array(z.string().min(1)).min(1) }),
  types: [USER],
  check(c, ctx) {
    if (!c.actions.includes("delete") || c.before === null) return undefined;
    const protectedNames = new Set((ctx.params.connectors as string[]).map((n) => n.toLowerCase()));
    const held = new Set<string>();
    for (const g of ctx.changes) {
      if (g.type !== GRANT || g.parent !== c.address || g.before?.kind !== "connector") continue;
      const name = String(g.before.connector);
      if (protectedNames.has(name.toLowerCase())) held.add(name);
    }
    if (held.size === 0) return undefined;
    const verb = c.actions.includes("create") ? "replacing" : "deleting";
    return `${verb} API user "${String(c.before.name)}" removes its grants to ${[...held]
      .sort()
      .map((n) => `"${n}"`)
      .join(", ")}`;
  },
};

/** Every built-in rule, by id (the order `popdock policy list` shows). */
export const BUILTIN_POLICIES: ReadonlyMap<string, BuiltinPolicy> = new Map(
  [
    noAdminRole,
    scopedConnectorGrants,
    tokenMaxAge,
    tokenUnused,
    tokenRequiresRotation,
    maxTokensPerUser,
    namePattern,
    descriptionRequired,
    noDestroyOfProtected,
  ].map((r) => [r.id, r]),
);
