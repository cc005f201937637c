/**
 * The shape of the Popdock security API client, as the engine sees it.
 *
 * `PopdockClient` (client.ts) implements it over undici; it is the only code in the project
 * that does network I/O. Every method validates the response with the zod schemas in
 * `schema/api.ts` and throws a `PopdockApiError` subclass (errors.ts) on failure.
 */
import type {
  ApiUser,
  ApiUserCreate,
  ApiUserPatch,
  Connector,
  Expand,
  Grant,
  GrantCreate,
  GrantPatch,
  Role,
  Team,
  Token,
  TokenMeta,
} from "../../schema/api.js";

/** Options common to mutating calls. */
export interface MutationOptions {
  /** Sent as `Idempotency-Key` on POST; the client generates one when absent. Reused on every retry. */
  idempotencyKey?: string;
  /** Sent as `If-Match: "<version>"` on PATCH and DELETE when given. */
  ifMatchVersion?: number;
  /** Abort the call (and its retries). */
  signal?: AbortSignal;
}

export interface ListOptions {
  limit?: number;
  expand?: readonly Expand[];
  signal?: AbortSignal;
}

/** Counts of requests made through one client, for plan/apply summaries and benchmarks. */
export interface RequestStats {
  /** Logical requests, keyed by `METHOD /route/template`. */
  byRoute: Record<string, number>;
  /** Total HTTP attempts, including retries. */
  attempts: number;
  /** Attempts that were retries. */
  retries: number;
}

export interface PopdockApi {
  readonly endpoint: string;

  listTeams(opts?: { signal?: AbortSignal }): Promise<Team[]>;
  listRoles(opts?: { signal?: AbortSignal }): Promise<Role[]>;
  listConnectors(opts?: { signal?: AbortSignal }): Promise<Connector[]>;

  /** One page of API users. */
  listApiUsersPage(
    opts?: ListOptions & { cursor?: string },
  ): Promise<{ data: ApiUser[]; next_cursor: string | null }>;
  /** Every API user, walking cursors; with `expand` the users carry their grants and token metadata. */
  listAllApiUsers(opts?: ListOptions): Promise<ApiUser[]>;
  getApiUser(userId: string, opts?: { signal?: AbortSignal }): Promise<ApiUser>;
  createApiUser(body: ApiUserCreate, opts?: MutationOptions): Promise<ApiUser>;
  updateApiUser(userId: string, body: ApiUserPatch, opts?: MutationOptions): Promise<ApiUser>;
  deleteApiUser(userId: string, opts?: MutationOptions): Promise<void>;

  listGrants(userId: string, opts?: { signal?: AbortSignal }): Promise<Grant[]>;
  createGrant(userId: string, body: GrantCreate, opts?: MutationOptions): Promise<Grant>;
  updateGrant(userId: string, grantId: string, body: GrantPatch, opts?: MutationOptions): Promise<Grant>;
  deleteGrant(userId: string, grantId: string, opts?: MutationOptions): Promise<void>;

  listTokens(userId: string, opts?: { signal?: AbortSignal }): Promise<TokenMeta[]>;
  /** Returns the full token, including the `token_id` credential. */
  createToken(userId: string, body: { name: string }, opts?: MutationOptions): Promise<Token>;
  /** Returns the full token, including the `token_id` credential. */
  getToken(userId: string, tokenId: string, opts?: { signal?: AbortSignal }): Promise<Token>;
  deleteToken(userId: string, tokenId: string, opts?: MutationOptions): Promise<void>;

  /** Requests made so far through this client. */
  stats(): RequestStats;
  /**
   * Popdock's clock: the `Date` header of the latest response, or undefined before any (or from a
   * client that cannot tell). Token ages are measured by it, never by this machine's clock.
   */
  serverTime?(): Date | undefined;
  close(): Promise<void>;
}
