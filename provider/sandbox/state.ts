/**
 * The persisted shape of the sandbox's data (what persistence.ts writes to store.json): API
 * users, grants and tokens with their creation sequence, and idempotency records.
 */
import { z } from "zod";
import { ApiUser, Grant } from "../../schema/api.js";

const Seq = z.number().int().positive();

export const UserRecord = ApiUser.omit({ grants: true, tokens: true }).extend({ seq: Seq }).strict();
export type UserRecord = z.infer<typeof UserRecord>;

export const GrantRecord = z.intersection(Grant, z.object({ seq: Seq }));
export type GrantRecord = Grant & { seq: number };

export const TokenRecord = z
  .object({
    seq: Seq,
    id: z.string(),
    api_user_id: z.string(),
    name: z.string(),
    version: z.number().int().positive(),
    created_at: z.string(),
    last_used_at: z.string().nullable(),
    token_id: z.string(),
  })
  .strict();
export type TokenRecord = z.infer<typeof TokenRecord>;

/** A stored response to a POST with an `Idempotency-Key`. */
export const IdempotencyRecord = z
  .object({
    /** `<api key fingerprint> <METHOD> <path>`: keys are scoped per route and API key. */
    scope: z.string(),
    key: z.string(),
    /** sha256 of the canonical JSON of the request body. */
    fingerprint: z.string(),
    status: z.number().int(),
    headers: z.record(z.string(), z.string()),
    body: z.string().nullable(),
    /** Epoch milliseconds. */
    created_at: z.number(),
  })
  .strict();
export type IdempotencyRecord = z.infer<typeof IdempotencyRecord>;

/** Everything a store holds apart from the reference data; what persistence.ts writes. */
export const StoreState = z
  .object({
    format: z.literal(1),
    /** Last sequence number handed out; orders users, grants and tokens by creation. */
    seq: z.number().int().nonnegative(),
    users: z.array(UserRecord),
    grants: z.array(GrantRecord),
    tokens: z.array(TokenRecord),
    idempotency: z.array(IdempotencyRecord),
    /**
     * Sandbox time minus real time, in milliseconds (clock.ts); absent means 0. The offset, not
     * a frozen time, persists: after a restart the sandbox clock keeps the same distance from
     * real time.
     */
    clock_offset_ms: z.number().int().optional(),
  })
  .strict();
export type StoreState = z.infer<typeof StoreState>;

export const emptyState = (): StoreState => ({
  format: 1,
  seq: 0,
  users: [],
  grants: [],
  tokens: [],
  idempotency: [],
});
