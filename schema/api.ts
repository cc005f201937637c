/**
 * Wire schemas of the Popdock security API (`/api/v1/security/...`), the one data-API route the
 * sandbox serves (`/api/v2/user`) and the sandbox hooks, in zod.
 *
 * One source of truth for the client (which validates every response with them), the sandbox
 * (which builds its responses to fit them) and the contract test (which checks the sandbox
 * against `schema/popdock-security-api.openapi.yaml`). Keep the two in step: the contract test
 * fails when they drift apart.
 */
import { z } from "zod";
import { DESCRIPTION_MAX, NAME_MAX } from "./limits.js";

/**
 * The `code` of an error body. Statuses and their codes: 400 (body not JSON or nested more than
 * 64 deep), 408 (body did not arrive in time), 413 (body too large), 415 (body not
 * `application/json`) and 422 (invalid body, query or header) → `validation_failed`; 401 →
 * `unauthorized`; 403 → `forbidden`; 404 and 405 (with `Allow`) → `not_found`; 409 → `conflict`;
 * 412 → `precondition_failed`; 429 → `rate_limited`; 500 and 503 → `internal`.
 */
export const ErrorCode = z.enum([
  "unauthorized",
  "forbidden",
  "not_found",
  "conflict",
  "validation_failed",
  "precondition_failed",
  "rate_limited",
  "internal",
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorDetail = z.object({
  /** JSON path of the offending field in the request body, e.g. `companies[1]`. */
  path: z.string().optional(),
  message: z.string(),
});
export type ErrorDetail = z.infer<typeof ErrorDetail>;

export const ErrorBody = z.object({
  error: z.object({
    code: ErrorCode,
    message: z.string(),
    details: z.array(ErrorDetail).optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

// ---------------------------------------------------------------- reference data (read-only)

export const Team = z.object({ id: z.string(), name: z.string(), description: z.string() });
export type Team = z.infer<typeof Team>;

export const RoleScope = z.enum(["system", "connector"]);
export const Role = z.object({
  id: z.string(),
  name: z.string(),
  scope: RoleScope,
  description: z.string(),
});
export type Role = z.infer<typeof Role>;

export const Connector = z.object({
  id: z.string(),
  name: z.string(),
  companies: z.array(z.string()),
  lists: z.array(z.string()),
  actions: z.array(z.string()),
  details: z.array(z.string()),
});
export type Connector = z.infer<typeof Connector>;

export const TeamList = z.object({ data: z.array(Team) });
export const RoleList = z.object({ data: z.array(Role) });
export const ConnectorList = z.object({ data: z.array(Connector) });

// ---------------------------------------------------------------- grants

const Timestamp = z.string();
const Version = z.number().int().nonnegative();

const GrantBase = {
  id: z.string(),
  api_user_id: z.string(),
  version: Version,
  created_at: Timestamp,
  updated_at: Timestamp,
};

export const TeamGrant = z.object({ ...GrantBase, type: z.literal("team"), team_id: z.string() });
export const RoleGrant = z.object({ ...GrantBase, type: z.literal("role"), role_id: z.string() });
export const ConnectorScopes = {
  /** Connector role names (scope "connector"), e.g. Reader, User. */
  roles: z.array(z.string()),
  companies: z.array(z.string()),
  lists: z.array(z.string()),
  actions: z.array(z.string()),
  details: z.array(z.string()),
};
export const ConnectorGrant = z.object({
  ...GrantBase,
  type: z.literal("connector"),
  connector_id: z.string(),
  ...ConnectorScopes,
});
export const Grant = z.discriminatedUnion("type", [TeamGrant, RoleGrant, ConnectorGrant]);
export type Grant = z.infer<typeof Grant>;
export type TeamGrant = z.infer<typeof TeamGrant>;
export type RoleGrant = z.infer<typeof RoleGrant>;
export type ConnectorGrant = z.infer<typeof ConnectorGrant>;
export const GrantList = z.object({ data: z.array(Grant) });

/** Body of `POST .../grants`. Scope arrays default to empty. */
export const GrantCreate = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("team"), team_id: z.string().min(1) }),
  z.strictObject({ type: z.literal("role"), role_id: z.string().min(1) }),
  z.strictObject({
    type: z.literal("connector"),
    connector_id: z.string().min(1),
    roles: z.array(z.string()).default([]),
    companies: z.array(z.string()).default([]),
    lists: z.array(z.string()).default([]),
    actions: z.array(z.string()).default([]),
    details: z.array(z.string()).default([]),
  }),
]);
export type GrantCreate = z.input<typeof GrantCreate>;

/** Body of `PATCH .../grants/{grantId}`: connector grants only; omitted fields are kept. */
export const GrantPatch = z.strictObject({
  roles: z.array(z.string()).optional(),
  companies: z.array(z.string()).optional(),
  lists: z.array(z.string()).optional(),
  actions: z.array(z.string()).optional(),
  details: z.array(z.string()).optional(),
});
export type GrantPatch = z.infer<typeof GrantPatch>;

// ---------------------------------------------------------------- tokens

/** Token metadata: what lists and `expand=tokens` return. Never the credential. */
export const TokenMeta = z.object({
  id: z.string(),
  api_user_id: z.string(),
  name: z.string(),
  version: Version,
  created_at: Timestamp,
  last_used_at: Timestamp.nullable(),
  /** Last 4 characters of the Token ID. */
  token_id_hint: z.string(),
});
export type TokenMeta = z.infer<typeof TokenMeta>;

/** The full token, with its credential: `POST .../tokens` (201) and `GET .../tokens/{id}`. */
export const Token = TokenMeta.extend({ token_id: z.string() });
export type Token = z.infer<typeof Token>;
export const TokenList = z.object({ data: z.array(TokenMeta) });

export const TokenCreate = z.strictObject({ name: z.string().trim().min(1).max(NAME_MAX) });
export type TokenCreate = z.infer<typeof TokenCreate>;

// ---------------------------------------------------------------- API users

export const ApiUser = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  version: Version,
  created_at: Timestamp,
  updated_at: Timestamp,
  /** Present with `expand=grants`. */
  grants: z.array(Grant).optional(),
  /** Present with `expand=tokens`: metadata only. */
  tokens: z.array(TokenMeta).optional(),
});
export type ApiUser = z.infer<typeof ApiUser>;

export const ApiUserPage = z.object({
  data: z.array(ApiUser),
  next_cursor: z.string().nullable(),
});
export type ApiUserPage = z.infer<typeof ApiUserPage>;

export const ApiUserCreate = z.strictObject({
  name: z.string().trim().min(1).max(NAME_MAX),
  description: z.string().max(DESCRIPTION_MAX).optional(),
});
export type ApiUserCreate = z.infer<typeof ApiUserCreate>;

export const ApiUserPatch = z.strictObject({
  name: z.string().trim().min(1).max(NAME_MAX).optional(),
  description: z.string().max(DESCRIPTION_MAX).optional(),
});
export type ApiUserPatch = z.infer<typeof ApiUserPatch>;

export const Expand = z.enum(["grants", "tokens"]);
export type Expand = z.infer<typeof Expand>;

// ---------------------------------------------------------------- data API (token holders)

/** `GET /api/v2/user` ("who am I") with `Authorization: Bearer <Token ID>`. */
export const WhoAmI = z.object({
  data: z.object({ api_user_id: z.string(), name: z.string() }),
});
export type WhoAmI = z.infer<typeof WhoAmI>;

// ---------------------------------------------------------------- sandbox hooks

export const SandboxStats = z.object({
  since: Timestamp,
  total: z.number().int(),
  /** Keyed by `METHOD /route/template`, e.g. `POST /api/v1/security/api-users/{userId}/tokens`. */
  by_route: z.record(z.string(), z.number().int()),
  /** Keyed by status code as a string. */
  by_status: z.record(z.string(), z.number().int()),
});
export type SandboxStats = z.infer<typeof SandboxStats>;

export const SandboxFaults = z.strictObject({
  /** Requests per second allowed across the API; above it: 429 with Retry-After. 0 = off. */
  rate_limit_rps: z.number().nonnegative().default(0),
  /** Added latency per request, in milliseconds. */
  latency_ms: z.number().int().nonnegative().default(0),
  /** Probability of answering 500 or 503 before doing any work. */
  error_rate: z.number().min(0).max(1).default(0),
  /** Probability of doing the work (mutating requests) and then failing the response. */
  fail_after_commit_rate: z.number().min(0).max(1).default(0),
  /** How a failed-after-commit response fails: a 500 body or a dropped connection. */
  fail_after_commit_mode: z.enum(["500", "drop"]).default("500"),
  /** Seed of the fault PRNG, for repeatable runs. */
  seed: z.number().int().default(1),
});
export type SandboxFaults = z.infer<typeof SandboxFaults>;
export type SandboxFaultsInput = z.input<typeof SandboxFaults>;

/** `2026-12-03T11:00:00Z`, `2026-12-03T12:00:00.250+01:00`: an ISO 8601 date-time with a zone. */
export const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

/** `GET|PUT /__sandbox/clock`: the sandbox time. */
export const SandboxClock = z.object({ now: Timestamp });
export type SandboxClock = z.infer<typeof SandboxClock>;

/** `PUT /__sandbox/clock`: move the sandbox time forward by seconds, or to a time not before it. */
export const SandboxClockSet = z.union([
  z.strictObject({ advance_seconds: z.number().nonnegative() }),
  z.strictObject({
    now: z
      .string()
      .refine(
        (v) => ISO_DATE_TIME.test(v.trim()) && Number.isFinite(Date.parse(v.trim())),
        "must be an ISO 8601 date-time with a time zone, e.g. 2026-12-03T11:00:00Z",
      ),
  }),
]);
export type SandboxClockSet = z.infer<typeof SandboxClockSet>;

// ---------------------------------------------------------------- query parameters

/** Largest page of `GET /api-users` (`limit`). */
export const MAX_PAGE_LIMIT = 500;

/**
 * `expand`: repeated and/or comma-separated values of {@link Expand}, deduplicated. Given every
 * value of the parameter (`URLSearchParams.getAll`).
 */
export const ExpandQuery = z.array(z.string()).transform((values, ctx) => {
  const out = new Set<Expand>();
  for (const item of values.flatMap((v) => v.split(",")).map((s) => s.trim())) {
    if (item === "") continue;
    const parsed = Expand.safeParse(item);
    if (parsed.success) out.add(parsed.data);
    else
      ctx.issues.push({
        code: "custom",
        input: item,
        message: `unknown expansion "${item}"; use grants, tokens or both`,
      });
  }
  return [...out];
});

/** `limit`: an integer from 1 to {@link MAX_PAGE_LIMIT}; the first value when repeated. */
export const LimitQuery = z.array(z.string()).transform((values, ctx) => {
  const raw = values[0];
  if (raw === undefined) return undefined;
  const n = /^\d{1,6}$/.test(raw) ? Number(raw) : Number.NaN;
  if (n >= 1 && n <= MAX_PAGE_LIMIT) return n;
  ctx.issues.push({
    code: "custom",
    input: raw,
    message: `limit must be an integer from 1 to ${MAX_PAGE_LIMIT}, got "${raw}"`,
  });
  return z.NEVER;
});

/** `cursor`: opaque; empty means none. */
export const CursorQuery = z
  .array(z.string())
  .transform((values) => (values[0] === undefined || values[0] === "" ? undefined : values[0]));

/** Query of `GET /api-users`, given `{ name: every value }`. */
export const ApiUserListQuery = z.object({
  expand: ExpandQuery.prefault([]),
  limit: LimitQuery.prefault([]),
  cursor: CursorQuery.prefault([]),
});
export type ApiUserListQuery = z.output<typeof ApiUserListQuery>;

/** Query of `GET /api-users/{userId}`. */
export const ApiUserGetQuery = z.object({ expand: ExpandQuery.prefault([]) });
export type ApiUserGetQuery = z.output<typeof ApiUserGetQuery>;
