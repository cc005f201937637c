/**
 * The routes table of the sandbox: every operation of the contract and the sandbox hooks, as
 * method + path template → operation, with the request body and query schemas each one takes
 * (from schema/api.ts; the validation middleware applies them). Operations are synchronous and
 * only call the store: errors are HttpErrors thrown by the store.
 */
import { z } from "zod";
import {
  ApiUserCreate,
  ApiUserGetQuery,
  ApiUserListQuery,
  ApiUserPatch,
  GrantCreate,
  GrantPatch,
  SandboxClockSet,
  SandboxFaults,
  TokenCreate,
} from "../../schema/api.js";
import { parseIsoTime } from "./clock.js";
import type { FaultInjector } from "./faults.js";
import { HttpError, invalid } from "./http-error.js";
import { one } from "./middleware/etag.js";
import { json, type RouteDef } from "./pipeline.js";
import type { SandboxStore } from "./store.js";

export const API_PREFIX = "/api/v1";
export const HOOKS_PREFIX = "/__sandbox";

const ResetBody = z.strictObject({ data: z.boolean().optional() });
const ResetQuery = z.object({ data: z.array(z.string()).optional() });

export interface RouteDeps {
  store: SandboxStore;
  faults: FaultInjector;
  stats: { get(): unknown; reset(): void };
}

const p = (params: Record<string, string>, key: string): string => params[key] ?? "";

/** The table. Order matters only for `Allow`, which lists methods in table order. */
export function sandboxRoutes({ store, faults, stats }: RouteDeps): RouteDef[] {
  const S = `${API_PREFIX}/security`;
  const U = `${S}/api-users/{userId}`;
  const api = { hook: false } as const;
  const hook = { hook: true } as const;
  return [
    { ...api, method: "GET", template: `${S}/teams`, run: () => json(200, { data: store.teams() }) },
    { ...api, method: "GET", template: `${S}/roles`, run: () => json(200, { data: store.roles() }) },
    {
      ...api,
      method: "GET",
      template: `${S}/connectors`,
      run: () => json(200, { data: store.connectors() }),
    },
    {
      ...api,
      method: "GET",
      template: `${S}/api-users`,
      query: ApiUserListQuery,
      run: ({ query }) => {
        const { expand, limit, cursor } = query as ApiUserListQuery;
        return json(
          200,
          store.listUsers({
            expand,
            ...(limit === undefined ? {} : { limit }),
            ...(cursor === undefined ? {} : { cursor }),
          }),
        );
      },
    },
    {
      ...api,
      method: "POST",
      template: `${S}/api-users`,
      body: { schema: ApiUserCreate, what: "API user", required: true },
      run: ({ input }) => {
        const user = store.createUser(input as ApiUserCreate);
        return one(201, user, { location: `${S}/api-users/${user.id}` });
      },
    },
    {
      ...api,
      method: "GET",
      template: U,
      query: ApiUserGetQuery,
      run: ({ params, query }) =>
        one(200, store.getUser(p(params, "userId"), (query as ApiUserGetQuery).expand)),
    },
    {
      ...api,
      method: "PATCH",
      template: U,
      body: { schema: ApiUserPatch, what: "API user patch", required: true },
      run: ({ params, input, ifMatch }) =>
        one(200, store.updateUser(p(params, "userId"), input as ApiUserPatch, ifMatch)),
    },
    {
      ...api,
      method: "DELETE",
      template: U,
      run: ({ params, ifMatch }) => {
        store.deleteUser(p(params, "userId"), ifMatch);
        return { status: 204 };
      },
    },
    {
      ...api,
      method: "GET",
      template: `${U}/grants`,
      run: ({ params }) => json(200, { data: store.listGrants(p(params, "userId")) }),
    },
    {
      ...api,
      method: "POST",
      template: `${U}/grants`,
      body: { schema: GrantCreate, what: "grant", required: true },
      // 404 for a missing user comes before the body's 422.
      parent: (params) => void store.listGrants(p(params, "userId")),
      run: ({ params, input }) => {
        const userId = p(params, "userId");
        const grant = store.createGrant(userId, input as z.output<typeof GrantCreate>);
        return one(201, grant, { location: `${S}/api-users/${userId}/grants/${grant.id}` });
      },
    },
    {
      ...api,
      method: "PATCH",
      template: `${U}/grants/{grantId}`,
      body: { schema: GrantPatch, what: "grant patch", required: true },
      run: ({ params, input, ifMatch }) =>
        one(200, store.updateGrant(p(params, "userId"), p(params, "grantId"), input as GrantPatch, ifMatch)),
    },
    {
      ...api,
      method: "DELETE",
      template: `${U}/grants/{grantId}`,
      run: ({ params, ifMatch }) => {
        store.deleteGrant(p(params, "userId"), p(params, "grantId"), ifMatch);
        return { status: 204 };
      },
    },
    {
      ...api,
      method: "GET",
      template: `${U}/tokens`,
      run: ({ params }) => json(200, { data: store.listTokens(p(params, "userId")) }),
    },
    {
      ...api,
      method: "POST",
      template: `${U}/tokens`,
      body: { schema: TokenCreate, what: "token", required: true },
      parent: (params) => void store.listTokens(p(params, "userId")),
      run: ({ params, input }) => {
        const userId = p(params, "userId");
        const token = store.createToken(userId, input as TokenCreate);
        return one(201, token, {
          location: `${S}/api-users/${userId}/tokens/${token.id}`,
          "cache-control": "no-store",
        });
      },
    },
    {
      ...api,
      method: "GET",
      template: `${U}/tokens/{tokenId}`,
      run: ({ params }) =>
        one(200, store.getToken(p(params, "userId"), p(params, "tokenId")), { "cache-control": "no-store" }),
    },
    {
      ...api,
      method: "DELETE",
      template: `${U}/tokens/{tokenId}`,
      run: ({ params, ifMatch }) => {
        store.deleteToken(p(params, "userId"), p(params, "tokenId"), ifMatch);
        return { status: 204 };
      },
    },
    // ------------------------------------------------------------ data API (token holders)
    {
      ...api,
      method: "GET",
      template: "/api/v2/user",
      run: ({ caller }) => {
        // Unreachable: auth (middleware/auth.ts) sets the caller on every /api/v2 path or answers 401.
        if (!caller) {
          throw new HttpError(401, "unauthorized", "this route needs a token", undefined, {
            "www-authenticate": 'Bearer realm="popdock"',
          });
        }
        return json(200, { data: store.useToken(caller) });
      },
    },
    // ------------------------------------------------------------ sandbox hooks
    { ...hook, method: "GET", template: `${HOOKS_PREFIX}/stats`, run: () => json(200, stats.get()) },
    {
      ...hook,
      method: "POST",
      template: `${HOOKS_PREFIX}/reset`,
      body: { schema: ResetBody, what: "reset options", required: false },
      query: ResetQuery,
      run: ({ input, query }) => {
        const q = (query as z.output<typeof ResetQuery>).data?.[0];
        const data = (input as z.output<typeof ResetBody>).data === true || q === "true" || q === "1";
        stats.reset();
        if (data) store.resetData();
        return { status: 204 };
      },
    },
    { ...hook, method: "GET", template: `${HOOKS_PREFIX}/faults`, run: () => json(200, faults.config) },
    {
      ...hook,
      method: "PUT",
      template: `${HOOKS_PREFIX}/faults`,
      body: { schema: SandboxFaults, what: "faults", required: true },
      run: ({ input }) => json(200, faults.set(input as z.input<typeof SandboxFaults>)),
    },
    {
      ...hook,
      method: "GET",
      template: `${HOOKS_PREFIX}/clock`,
      run: () => json(200, { now: store.clock.now().toISOString() }),
    },
    {
      ...hook,
      method: "PUT",
      template: `${HOOKS_PREFIX}/clock`,
      body: { schema: SandboxClockSet, what: "clock change", required: true },
      run: ({ input }) => {
        const set = input as SandboxClockSet;
        let now: Date;
        if ("advance_seconds" in set) now = store.advanceClock(set.advance_seconds);
        else {
          // The schema has checked the format already; this only turns it into a Date.
          const time = parseIsoTime(set.now);
          if (!time)
            throw invalid("clock change is invalid", [{ path: "now", message: "not an ISO 8601 date-time" }]);
          now = store.setClock(time);
        }
        return json(200, { now: now.toISOString() });
      },
    },
  ];
}
