/** Shared data and set-up for the PopdockClient tests: wire objects, a client factory. */

import { PopdockClient, type PopdockClientOptions } from "../../provider/client/client.js";
import type { ApiUser, Grant, Token } from "../../schema/api.js";

export const API_KEY = "pdk_live_SECRET_KEY_0123456789abcdef";
export const TOKEN_SECRET = "tok_SECRET_CREDENTIAL_9f8e7d6c5b4a";

/** An msw path pattern for a route under the API base path, on any origin and prefix. */
export const api = (route: string): string => `*/api/v1/security${route}`;

const at = "2025-01-01T00:00:00.000Z";

export function apiUser(id: string, over: Partial<ApiUser> = {}): ApiUser {
  return { id, name: `user ${id}`, description: "", version: 1, created_at: at, updated_at: at, ...over };
}

export function teamGrant(id: string, userId: string): Grant {
  return {
    id,
    api_user_id: userId,
    version: 1,
    created_at: at,
    updated_at: at,
    type: "team",
    team_id: "t_fin",
  };
}

export function token(id: string, userId: string): Token {
  return {
    id,
    api_user_id: userId,
    name: "ci",
    version: 1,
    created_at: at,
    last_used_at: null,
    token_id_hint: TOKEN_SECRET.slice(-4),
    token_id: TOKEN_SECRET,
  };
}

export interface TestClient {
  client: PopdockClient;
  /** Every wait the client asked for, in ms (the injected sleep returns at once). */
  waits: number[];
  /** Debug lines. */
  lines: string[];
}

/** A client pointed at `endpoint` with instant sleeps, jitter fixed at 0.5 and debug logging captured. */
export function makeClient(
  endpoint: string,
  over: Partial<PopdockClientOptions> = {},
  track?: PopdockClient[],
): TestClient {
  const waits: number[] = [];
  const lines: string[] = [];
  const client = new PopdockClient({
    endpoint,
    apiKey: API_KEY,
    random: () => 0.5,
    sleep: async (ms) => {
      waits.push(ms);
    },
    debug: true,
    log: (line) => lines.push(line),
    ...over,
  });
  track?.push(client);
  return { client, waits, lines };
}
