/**
 * `PopdockClient`: the Popdock security API, one thin method per route of
 * `schema/popdock-security-api.openapi.yaml`. Each method names its route, parameters, body and
 * response schema; the rest is elsewhere:
 *
 * - `transport.ts` sends the request: undici, `Authorization`, `Idempotency-Key` on every POST,
 *   `If-Match`, retries with full-jitter backoff and `Retry-After` where a repeat is safe, the
 *   time budget, cursor walking and the recovery of a replayed PATCH;
 * - `responses.ts` validates 2xx bodies with the zod schemas of `schema/api.ts` and maps
 *   statuses and network failures to the `PopdockApiError` subclasses of `errors.ts`;
 * - `options.ts` holds the options and their defaults.
 *
 * Messages and debug lines go through `redact()`, so neither the API key nor a `token_id` ever
 * appears in them.
 */
import {
  ApiUser,
  type ApiUserCreate,
  ApiUserPage,
  type ApiUserPatch,
  type Connector,
  ConnectorList,
  type Expand,
  Grant,
  type GrantCreate,
  GrantList,
  type GrantPatch,
  type Role,
  RoleList,
  type Team,
  TeamList,
  Token,
  TokenList,
  type TokenMeta,
} from "../../schema/api.js";
import { UsageError } from "../model/errors.js";
import { parseEndpoint } from "./endpoint.js";
import type { PopdockClientOptions } from "./options.js";
import { type Call, recoverLostPatch, Transport, walkPages } from "./transport.js";
import type { ListOptions, MutationOptions, PopdockApi, RequestStats } from "./types.js";

export {
  type ClientTimeouts,
  DEFAULT_TIMEOUTS,
  debugFromEnv,
  type PopdockClientOptions,
  retryFromEnv,
} from "./options.js";

/** Implements `PopdockApi` over undici. See the module header for where the behaviour lives. */
export class PopdockClient implements PopdockApi {
  readonly endpoint: string;
  readonly #http: Transport;

  /**
   * Throws `PopdockInsecureEndpointError` for plain http to a non-loopback host and `UsageError`
   * for an endpoint that is not an http(s) URL or an empty API key. Opens no connection yet.
   */
  constructor(options: PopdockClientOptions) {
    const parsed = parseEndpoint(options.endpoint);
    if (options.apiKey.trim() === "") {
      throw new UsageError("no Popdock API key was given", {
        hint: "set POPDOCK_API_KEY to the API key of a Popdock API user with security admin rights",
      });
    }
    this.endpoint = parsed.endpoint;
    this.#http = new Transport(parsed.origin, parsed.prefix, options);
  }

  // ------------------------------------------------------------------ reference data

  async listTeams(opts: { signal?: AbortSignal } = {}): Promise<Team[]> {
    const res = await this.#http.send({
      operation: "listTeams",
      method: "GET",
      route: "/teams",
      schema: TeamList,
      signal: opts.signal,
    });
    return res.data;
  }

  async listRoles(opts: { signal?: AbortSignal } = {}): Promise<Role[]> {
    const res = await this.#http.send({
      operation: "listRoles",
      method: "GET",
      route: "/roles",
      schema: RoleList,
      signal: opts.signal,
    });
    return res.data;
  }

  async listConnectors(opts: { signal?: AbortSignal } = {}): Promise<Connector[]> {
    const res = await this.#http.send({
      operation: "listConnectors",
      method: "GET",
      route: "/connectors",
      schema: ConnectorList,
      signal: opts.signal,
    });
    return res.data;
  }

  // ------------------------------------------------------------------ API users

  /** One page of API users; `next_cursor` is null on the last page. */
  listApiUsersPage(opts: ListOptions & { cursor?: string } = {}): Promise<ApiUserPage> {
    return this.#http.send({
      operation: "listApiUsersPage",
      method: "GET",
      route: "/api-users",
      query: buildQuery({ limit: opts.limit, cursor: opts.cursor, expand: opts.expand }),
      schema: ApiUserPage,
      signal: opts.signal,
    });
  }

  /**
   * Every API user, walking `next_cursor` until it is null. Each page is one logical request with
   * its own retries and time budget. A server that hands back a cursor it already gave fails with
   * `PopdockInvalidResponseError` instead of looping forever.
   */
  listAllApiUsers(opts: ListOptions = {}): Promise<ApiUser[]> {
    const where = { method: "GET", path: this.#http.pathOf("/api-users"), operation: "listAllApiUsers" };
    return walkPages(where, (cursor) =>
      this.listApiUsersPage(cursor === undefined ? opts : { ...opts, cursor }),
    );
  }

  getApiUser(userId: string, opts: { signal?: AbortSignal } = {}): Promise<ApiUser> {
    return this.#http.send({
      operation: "getApiUser",
      method: "GET",
      route: "/api-users/{userId}",
      params: { userId },
      schema: ApiUser,
      signal: opts.signal,
    });
  }

  createApiUser(body: ApiUserCreate, opts: MutationOptions = {}): Promise<ApiUser> {
    return this.#http.send({
      operation: "createApiUser",
      method: "POST",
      route: "/api-users",
      body,
      schema: ApiUser,
      ...mutation(opts),
    });
  }

  /**
   * With `ifMatchVersion`, a PATCH whose response was lost is sent again; if that replay gets 412,
   * the user is read back and returned when it is at exactly `ifMatchVersion + 1` with every
   * patched field as asked (our first attempt applied); otherwise the 412 stands.
   */
  async updateApiUser(userId: string, body: ApiUserPatch, opts: MutationOptions = {}): Promise<ApiUser> {
    try {
      return await this.#http.send({
        operation: "updateApiUser",
        method: "PATCH",
        route: "/api-users/{userId}",
        params: { userId },
        body,
        schema: ApiUser,
        ...mutation(opts),
      });
    } catch (err) {
      return recoverLostPatch(
        err,
        body,
        opts.ifMatchVersion,
        () => this.getApiUser(userId, signalOf(opts)),
        (line) => this.#http.debug(line),
      );
    }
  }

  async deleteApiUser(userId: string, opts: MutationOptions = {}): Promise<void> {
    await this.#http.send({
      operation: "deleteApiUser",
      method: "DELETE",
      route: "/api-users/{userId}",
      params: { userId },
      ...mutation(opts),
    });
  }

  // ------------------------------------------------------------------ grants

  async listGrants(userId: string, opts: { signal?: AbortSignal } = {}): Promise<Grant[]> {
    const res = await this.#http.send({
      operation: "listGrants",
      method: "GET",
      route: "/api-users/{userId}/grants",
      params: { userId },
      schema: GrantList,
      signal: opts.signal,
    });
    return res.data;
  }

  createGrant(userId: string, body: GrantCreate, opts: MutationOptions = {}): Promise<Grant> {
    return this.#http.send({
      operation: "createGrant",
      method: "POST",
      route: "/api-users/{userId}/grants",
      params: { userId },
      body,
      schema: Grant,
      ...mutation(opts),
    });
  }

  /** A replayed PATCH that gets 412 is checked against a re-read, as for `updateApiUser`. */
  async updateGrant(
    userId: string,
    grantId: string,
    body: GrantPatch,
    opts: MutationOptions = {},
  ): Promise<Grant> {
    try {
      return await this.#http.send({
        operation: "updateGrant",
        method: "PATCH",
        route: "/api-users/{userId}/grants/{grantId}",
        params: { userId, grantId },
        body,
        schema: Grant,
        ...mutation(opts),
      });
    } catch (err) {
      return recoverLostPatch(
        err,
        body,
        opts.ifMatchVersion,
        async () => {
          const grants = await this.listGrants(userId, signalOf(opts));
          return grants.find((g) => g.id === grantId);
        },
        (line) => this.#http.debug(line),
      );
    }
  }

  async deleteGrant(userId: string, grantId: string, opts: MutationOptions = {}): Promise<void> {
    await this.#http.send({
      operation: "deleteGrant",
      method: "DELETE",
      route: "/api-users/{userId}/grants/{grantId}",
      params: { userId, grantId },
      ...mutation(opts),
    });
  }

  // ------------------------------------------------------------------ tokens

  async listTokens(userId: string, opts: { signal?: AbortSignal } = {}): Promise<TokenMeta[]> {
    const res = await this.#http.send({
      operation: "listTokens",
      method: "GET",
      route: "/api-users/{userId}/tokens",
      params: { userId },
      schema: TokenList,
      signal: opts.signal,
    });
    return res.data;
  }

  /** Returns the full token, including the `token_id` credential. Retries replay the same token. */
  createToken(userId: string, body: { name: string }, opts: MutationOptions = {}): Promise<Token> {
    return this.#http.send({
      operation: "createToken",
      method: "POST",
      route: "/api-users/{userId}/tokens",
      params: { userId },
      body,
      schema: Token,
      ...mutation(opts),
    });
  }

  /** Returns the full token, including the `token_id` credential. */
  getToken(userId: string, tokenId: string, opts: { signal?: AbortSignal } = {}): Promise<Token> {
    return this.#http.send({
      operation: "getToken",
      method: "GET",
      route: "/api-users/{userId}/tokens/{tokenId}",
      params: { userId, tokenId },
      schema: Token,
      signal: opts.signal,
    });
  }

  async deleteToken(userId: string, tokenId: string, opts: MutationOptions = {}): Promise<void> {
    await this.#http.send({
      operation: "deleteToken",
      method: "DELETE",
      route: "/api-users/{userId}/tokens/{tokenId}",
      params: { userId, tokenId },
      ...mutation(opts),
    });
  }

  // ------------------------------------------------------------------ lifecycle

  /** A copy of the counters: logical requests by `METHOD /route/template`, attempts, retries. */
  stats(): RequestStats {
    return this.#http.stats();
  }

  /** Popdock's clock, from the `Date` header of the latest response. */
  serverTime(): Date | undefined {
    return this.#http.serverTime();
  }

  /** Zeroes the counters (e.g. between the refresh and the apply of one run). */
  resetStats(): void {
    this.#http.resetStats();
  }

  /** Closes the client's own connections, letting in-flight requests finish. Idempotent. */
  close(): Promise<void> {
    return this.#http.close();
  }
}

// ------------------------------------------------------------------ helpers

function mutation(
  opts: MutationOptions,
): Pick<Call<unknown>, "idempotencyKey" | "ifMatchVersion" | "signal"> {
  return { idempotencyKey: opts.idempotencyKey, ifMatchVersion: opts.ifMatchVersion, signal: opts.signal };
}

function signalOf(opts: MutationOptions): { signal?: AbortSignal } {
  return opts.signal === undefined ? {} : { signal: opts.signal };
}

/** `?limit=50&cursor=...&expand=grants,tokens` (commas kept literal), or `""`. */
function buildQuery(q: {
  limit?: number | undefined;
  cursor?: string | undefined;
  expand?: readonly Expand[] | undefined;
}): string {
  const parts: string[] = [];
  if (q.limit !== undefined) parts.push(`limit=${encodeURIComponent(String(q.limit))}`);
  if (q.cursor !== undefined) parts.push(`cursor=${encodeURIComponent(q.cursor)}`);
  if (q.expand !== undefined && q.expand.length > 0) {
    parts.push(`expand=${q.expand.map(encodeURIComponent).join(",")}`);
  }
  return parts.length === 0 ? "" : `?${parts.join("&")}`;
}
