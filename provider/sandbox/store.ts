/**
 * The sandbox's data model and its operations: API users, grants, tokens and idempotency
 * records, over read-only reference data (seed.ts).
 *
 * Every operation is synchronous: a check (name taken? duplicate grant?) and the insert that
 * depends on it run in one turn of the event loop, so parallel requests cannot both win.
 * Operations throw `HttpError` (http-error.ts) with the contract's status and code. Persistence is the
 * caller's business: `snapshot()` gives the whole state as plain JSON, `fromSnapshot` restores it.
 */

import type { z } from "zod";
import {
  type ApiUser,
  type ApiUserCreate,
  type ApiUserPage,
  type ApiUserPatch,
  type Connector,
  type Expand,
  type Grant,
  type GrantCreate,
  type GrantPatch,
  MAX_PAGE_LIMIT,
  type Role,
  type Team,
  type Token,
  type TokenCreate,
  type TokenMeta,
} from "../../schema/api.js";
import { SandboxClock } from "./clock.js";
import { conflict, HttpError, invalid, notFound } from "./http-error.js";
import { checkIfMatch, type IfMatch } from "./if-match.js";
import { decodeCursor, encodeCursor, generateTokenId, randomId, secretsEqual } from "./keys.js";
import type { SeedData } from "./seed.js";
import {
  emptyState,
  type GrantRecord,
  type IdempotencyRecord,
  type StoreState,
  type TokenRecord,
  type UserRecord,
} from "./state.js";

// ---------------------------------------------------------------- constants

/** How long an idempotency record replays: 24 hours. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_PAGE_LIMIT = 100;
/** Largest page of `GET /api-users`; defined by the contract (schema/api.ts). */
export { MAX_PAGE_LIMIT };

/** Case-insensitive name key (NFC, lower case) for uniqueness checks. */
export const foldName = (name: string): string => name.normalize("NFC").toLowerCase();

const SCOPE_FIELDS = ["companies", "lists", "actions", "details"] as const;
const SCOPE_NOUN: Record<(typeof SCOPE_FIELDS)[number], string> = {
  companies: "company",
  lists: "list",
  actions: "action",
  details: "detail",
};

// ---------------------------------------------------------------- the store

export interface StoreOptions {
  seed: SeedData;
  state?: StoreState;
  /** The base clock when no `clock` is given. */
  now?: () => Date;
  /** The sandbox clock; its offset is taken from `state` when that has one. */
  clock?: SandboxClock;
}

/** Who a data-API request authenticated as: a token of an API user. */
export interface TokenCaller {
  userId: string;
  tokenId: string;
}

/** The sandbox's state and operations. See the module header for the concurrency contract. */
export class SandboxStore {
  readonly seed: SeedData;
  /** The sandbox clock: every timestamp the store writes reads it. */
  readonly clock: SandboxClock;
  private readonly now: () => Date;
  private seq = 0;
  /** Bumped on every change: persistence writes when it moved. */
  revision = 0;
  private users = new Map<string, UserRecord>();
  private grants = new Map<string, Map<string, GrantRecord>>();
  private tokens = new Map<string, Map<string, TokenRecord>>();
  /** In creation order (Map order is insertion order, and the clock only moves forward). */
  private idempotency = new Map<string, IdempotencyRecord>();
  // Indexes, so that no request scans the store (issue 9: a sandbox that scales).
  /** Folded name → user id. */
  private userByName = new Map<string, string>();
  /** Users by ascending seq, for cursor pages in O(log n + page). */
  private userOrder: { seq: number; id: string }[] = [];
  private grantIds = new Set<string>();
  private tokenIds = new Set<string>();

  constructor(options: StoreOptions) {
    this.seed = structuredClone(options.seed);
    this.clock = options.clock ?? new SandboxClock(options.now);
    this.now = () => this.clock.now();
    this.load(options.state ?? emptyState());
  }

  // -------------------------------------------------------------- state

  /** The whole state as plain JSON, ordered by creation. */
  snapshot(): StoreState {
    const bySeq = <T extends { seq: number }>(a: T, b: T) => a.seq - b.seq;
    return {
      format: 1,
      seq: this.seq,
      users: [...this.users.values()],
      grants: [...this.grants.values()].flatMap((m) => [...m.values()]).sort(bySeq),
      tokens: [...this.tokens.values()].flatMap((m) => [...m.values()]).sort(bySeq),
      idempotency: [...this.idempotency.values()],
      ...(this.clock.offsetMs === 0 ? {} : { clock_offset_ms: this.clock.offsetMs }),
    };
  }

  /** Drops every API user, grant, token and idempotency record (reference data and clock stay). */
  resetData(): void {
    this.load({ ...emptyState(), seq: this.seq });
    this.revision++;
  }

  private load(state: StoreState): void {
    const s = structuredClone(state);
    this.seq = s.seq;
    this.users = new Map();
    this.grants = new Map();
    this.tokens = new Map();
    this.idempotency = new Map();
    this.userByName = new Map();
    this.userOrder = [];
    this.grantIds = new Set();
    this.tokenIds = new Set();
    for (const u of [...s.users].sort((a, b) => a.seq - b.seq)) this.addUser(u);
    for (const g of [...s.grants].sort((a, b) => a.seq - b.seq)) {
      const mine = this.grants.get(g.api_user_id);
      if (mine === undefined) continue;
      mine.set(g.id, g);
      this.grantIds.add(g.id);
    }
    for (const t of [...s.tokens].sort((a, b) => a.seq - b.seq)) {
      const mine = this.tokens.get(t.api_user_id);
      if (mine === undefined) continue;
      mine.set(t.id, t);
      this.tokenIds.add(t.id);
    }
    for (const r of [...s.idempotency].sort((a, b) => a.created_at - b.created_at)) {
      this.idempotency.set(`${r.scope}\n${r.key}`, r);
    }
    if (s.clock_offset_ms !== undefined) this.clock.offsetMs = s.clock_offset_ms;
  }

  private nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }

  private newId(prefix: string, taken: (id: string) => boolean): string {
    for (;;) {
      const id = randomId(prefix);
      if (!taken(id)) return id;
    }
  }

  private timestamp(): string {
    return this.now().toISOString();
  }

  private changed(): void {
    this.revision++;
  }

  // -------------------------------------------------------------- reference data

  teams(): Team[] {
    return structuredClone(this.seed.teams);
  }

  roles(): Role[] {
    return structuredClone(this.seed.roles);
  }

  connectors(): Connector[] {
    return structuredClone(this.seed.connectors);
  }

  // -------------------------------------------------------------- API users

  /** Number of API users (for tests and stats). */
  get userCount(): number {
    return this.users.size;
  }

  private user(userId: string): UserRecord {
    const u = this.users.get(userId);
    if (!u) throw notFound(`API user ${userId} does not exist`);
    return u;
  }

  private userWire(u: UserRecord, expand: readonly Expand[] = []): ApiUser {
    const out: ApiUser = {
      id: u.id,
      name: u.name,
      description: u.description,
      version: u.version,
      created_at: u.created_at,
      updated_at: u.updated_at,
    };
    if (expand.includes("grants")) out.grants = this.grantsOf(u.id);
    if (expand.includes("tokens")) out.tokens = this.tokensOf(u.id);
    return out;
  }

  private nameTaken(name: string, exceptId?: string): UserRecord | undefined {
    const id = this.userByName.get(foldName(name));
    return id === undefined || id === exceptId ? undefined : this.users.get(id);
  }

  /** Adds a new user (the largest seq so far) with its indexes. */
  private addUser(u: UserRecord): void {
    this.users.set(u.id, u);
    this.grants.set(u.id, new Map());
    this.tokens.set(u.id, new Map());
    this.userByName.set(foldName(u.name), u.id);
    this.userOrder.push({ seq: u.seq, id: u.id });
  }

  /** Index in `userOrder` of the first user whose seq is greater than `seq`. */
  private firstAfter(seq: number): number {
    let lo = 0;
    let hi = this.userOrder.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.userOrder[mid]?.seq ?? 0) <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** One page of users in creation order, after the cursor's position: O(log n + page). */
  listUsers(opts: { limit?: number; cursor?: string; expand?: readonly Expand[] } = {}): ApiUserPage {
    const limit = opts.limit ?? DEFAULT_PAGE_LIMIT;
    const after = opts.cursor === undefined ? 0 : decodeCursor(opts.cursor);
    const page: UserRecord[] = [];
    let more = false;
    for (let i = this.firstAfter(after); i < this.userOrder.length; i++) {
      const u = this.users.get(this.userOrder[i]?.id ?? "");
      if (u === undefined) continue;
      if (page.length === limit) {
        more = true;
        break;
      }
      page.push(u);
    }
    const last = page[page.length - 1];
    return {
      data: page.map((u) => this.userWire(u, opts.expand)),
      next_cursor: more && last ? encodeCursor(last.seq) : null,
    };
  }

  getUser(userId: string, expand: readonly Expand[] = []): ApiUser {
    return this.userWire(this.user(userId), expand);
  }

  createUser(input: ApiUserCreate): ApiUser {
    const clash = this.nameTaken(input.name);
    if (clash) throw conflict(`an API user named "${clash.name}" already exists (${clash.id})`);
    const ts = this.timestamp();
    const u: UserRecord = {
      seq: this.nextSeq(),
      id: this.newId("usr", (id) => this.users.has(id)),
      name: input.name,
      description: input.description ?? "",
      version: 1,
      created_at: ts,
      updated_at: ts,
    };
    this.addUser(u);
    this.changed();
    return this.userWire(u);
  }

  /** Applies a patch; without an actual change the version stays. */
  updateUser(userId: string, patch: ApiUserPatch, ifMatch?: IfMatch): ApiUser {
    const u = this.user(userId);
    checkIfMatch(`API user ${userId}`, u.version, ifMatch);
    if (patch.name !== undefined) {
      const clash = this.nameTaken(patch.name, u.id);
      if (clash) throw conflict(`an API user named "${clash.name}" already exists (${clash.id})`);
    }
    const next = { ...u };
    if (patch.name !== undefined) next.name = patch.name;
    if (patch.description !== undefined) next.description = patch.description;
    if (next.name !== u.name || next.description !== u.description) {
      next.version = u.version + 1;
      next.updated_at = this.timestamp();
      this.users.set(u.id, next);
      this.userByName.delete(foldName(u.name));
      this.userByName.set(foldName(next.name), u.id);
      this.changed();
    }
    return this.userWire(next);
  }

  /** Deletes the user with its grants and tokens. */
  deleteUser(userId: string, ifMatch?: IfMatch): void {
    const u = this.user(userId);
    checkIfMatch(`API user ${userId}`, u.version, ifMatch);
    for (const id of this.grants.get(userId)?.keys() ?? []) this.grantIds.delete(id);
    for (const id of this.tokens.get(userId)?.keys() ?? []) this.tokenIds.delete(id);
    this.users.delete(userId);
    this.grants.delete(userId);
    this.tokens.delete(userId);
    this.userByName.delete(foldName(u.name));
    const at = this.firstAfter(u.seq - 1);
    if (this.userOrder[at]?.id === userId) this.userOrder.splice(at, 1);
    this.changed();
  }

  // -------------------------------------------------------------- grants

  private grantWire(g: GrantRecord): Grant {
    // A copy that shares nothing with the record (structuredClone costs ~10× more).
    const { seq: _seq, ...rest } = g;
    if (rest.type !== "connector") return { ...rest };
    return {
      ...rest,
      roles: [...rest.roles],
      companies: [...rest.companies],
      lists: [...rest.lists],
      actions: [...rest.actions],
      details: [...rest.details],
    };
  }

  private grantsOf(userId: string): Grant[] {
    return [...(this.grants.get(userId)?.values() ?? [])].map((g) => this.grantWire(g));
  }

  listGrants(userId: string): Grant[] {
    this.user(userId);
    return this.grantsOf(userId);
  }

  private grant(userId: string, grantId: string): GrantRecord {
    this.user(userId);
    const g = this.grants.get(userId)?.get(grantId);
    if (!g) throw notFound(`grant ${grantId} of API user ${userId} does not exist`);
    return g;
  }

  /** Checks roles and scope items against the connector; throws one 422 listing every problem. */
  private checkConnectorScopes(
    connector: Connector,
    scopes: { [K in "roles" | (typeof SCOPE_FIELDS)[number]]?: string[] | undefined },
  ): void {
    const details: { path: string; message: string }[] = [];
    const connectorRoles = this.seed.roles.filter((r) => r.scope === "connector").map((r) => r.name);
    const dupes = (field: string, items: string[]) => {
      const seen = new Set<string>();
      items.forEach((item, i) => {
        if (seen.has(item)) details.push({ path: `${field}[${i}]`, message: `"${item}" is listed twice` });
        seen.add(item);
      });
    };
    if (scopes.roles) {
      scopes.roles.forEach((name, i) => {
        if (!connectorRoles.includes(name)) {
          const system = this.seed.roles.find((r) => r.scope === "system" && r.name === name);
          details.push({
            path: `roles[${i}]`,
            message:
              `unknown connector role "${name}"${system ? " (it is a system role: grant it with type role)" : ""}; ` +
              `connector roles are ${connectorRoles.join(", ") || "(none)"}`,
          });
        }
      });
      dupes("roles", scopes.roles);
    }
    for (const field of SCOPE_FIELDS) {
      const items = scopes[field];
      if (!items) continue;
      const known = connector[field];
      items.forEach((item, i) => {
        if (!known.includes(item)) {
          details.push({
            path: `${field}[${i}]`,
            message:
              `unknown ${SCOPE_NOUN[field]} "${item}" on connector "${connector.name}" (${connector.id}); ` +
              `it has ${known.length > 0 ? known.map((k) => `"${k}"`).join(", ") : "none"}`,
          });
        }
      });
      dupes(field, items);
    }
    if (details.length > 0) throw invalid(`connector grant does not fit connector ${connector.id}`, details);
  }

  createGrant(userId: string, input: z.output<typeof GrantCreate>): Grant {
    this.user(userId);
    const mine = this.grants.get(userId) ?? new Map<string, GrantRecord>();
    const ts = this.timestamp();
    const head = { id: "", api_user_id: userId };
    const tail = { version: 1, created_at: ts, updated_at: ts, seq: 0 };
    let record: GrantRecord;
    switch (input.type) {
      case "team": {
        const team = this.seed.teams.find((t) => t.id === input.team_id);
        if (!team) {
          throw invalid("grant refers to an unknown team", [
            {
              path: "team_id",
              message: `unknown team "${input.team_id}"; teams are ${this.seed.teams.map((t) => `${t.id} (${t.name})`).join(", ")}`,
            },
          ]);
        }
        const dup = [...mine.values()].find((g) => g.type === "team" && g.team_id === team.id);
        if (dup) throw conflict(`API user ${userId} already has a grant of team ${team.id} (${dup.id})`);
        record = { ...head, type: "team", team_id: team.id, ...tail };
        break;
      }
      case "role": {
        const role = this.seed.roles.find((r) => r.id === input.role_id);
        if (role?.scope !== "system") {
          const systemRoles = this.seed.roles.filter((r) => r.scope === "system");
          throw invalid("grant refers to an unknown system role", [
            {
              path: "role_id",
              message:
                (role
                  ? `role "${role.id}" (${role.name}) is a connector role: give it by name in a connector grant's roles`
                  : `unknown role "${input.role_id}"`) +
                `; system roles are ${systemRoles.map((r) => `${r.id} (${r.name})`).join(", ")}`,
            },
          ]);
        }
        const dup = [...mine.values()].find((g) => g.type === "role" && g.role_id === role.id);
        if (dup) throw conflict(`API user ${userId} already has a grant of role ${role.id} (${dup.id})`);
        record = { ...head, type: "role", role_id: role.id, ...tail };
        break;
      }
      case "connector": {
        const connector = this.seed.connectors.find((c) => c.id === input.connector_id);
        if (!connector) {
          throw invalid("grant refers to an unknown connector", [
            {
              path: "connector_id",
              message: `unknown connector "${input.connector_id}"; connectors are ${this.seed.connectors.map((c) => `${c.id} (${c.name})`).join(", ")}`,
            },
          ]);
        }
        this.checkConnectorScopes(connector, input);
        const dup = [...mine.values()].find((g) => g.type === "connector" && g.connector_id === connector.id);
        if (dup) {
          throw conflict(
            `API user ${userId} already has a grant of connector ${connector.id} (${dup.id}); PATCH it instead`,
          );
        }
        record = {
          ...head,
          type: "connector",
          connector_id: connector.id,
          roles: [...input.roles],
          companies: [...input.companies],
          lists: [...input.lists],
          actions: [...input.actions],
          details: [...input.details],
          ...tail,
        };
        break;
      }
    }
    record.seq = this.nextSeq();
    record.id = this.newId("grt", (id) => this.grantIds.has(id));
    mine.set(record.id, record);
    this.grantIds.add(record.id);
    this.changed();
    return this.grantWire(record);
  }

  /** Changes a connector grant's roles and scopes; omitted fields are kept. */
  updateGrant(userId: string, grantId: string, patch: GrantPatch, ifMatch?: IfMatch): Grant {
    const g = this.grant(userId, grantId);
    if (g.type !== "connector") {
      throw invalid(
        `grant ${grantId} is a ${g.type} grant and has nothing to change; delete it and create another`,
        [{ message: `only connector grants can be patched (this one is type ${g.type})` }],
      );
    }
    checkIfMatch(`grant ${grantId}`, g.version, ifMatch);
    const connector = this.seed.connectors.find((c) => c.id === g.connector_id);
    if (connector) this.checkConnectorScopes(connector, patch);
    const next = { ...g };
    let changed = false;
    for (const field of ["roles", ...SCOPE_FIELDS] as const) {
      const value = patch[field];
      if (value !== undefined && JSON.stringify(value) !== JSON.stringify(g[field])) {
        next[field] = [...value];
        changed = true;
      }
    }
    if (changed) {
      next.version = g.version + 1;
      next.updated_at = this.timestamp();
      this.grants.get(userId)?.set(grantId, next);
      this.changed();
    }
    return this.grantWire(next);
  }

  deleteGrant(userId: string, grantId: string, ifMatch?: IfMatch): void {
    const g = this.grant(userId, grantId);
    checkIfMatch(`grant ${grantId}`, g.version, ifMatch);
    this.grants.get(userId)?.delete(grantId);
    this.grantIds.delete(grantId);
    this.changed();
  }

  // -------------------------------------------------------------- tokens

  private tokenMeta(t: TokenRecord): TokenMeta {
    return {
      id: t.id,
      api_user_id: t.api_user_id,
      name: t.name,
      version: t.version,
      created_at: t.created_at,
      last_used_at: t.last_used_at,
      token_id_hint: t.token_id.slice(-4),
    };
  }

  private tokensOf(userId: string): TokenMeta[] {
    return [...(this.tokens.get(userId)?.values() ?? [])].map((t) => this.tokenMeta(t));
  }

  listTokens(userId: string): TokenMeta[] {
    this.user(userId);
    return this.tokensOf(userId);
  }

  private token(userId: string, tokenId: string): TokenRecord {
    this.user(userId);
    const t = this.tokens.get(userId)?.get(tokenId);
    if (!t) throw notFound(`token ${tokenId} of API user ${userId} does not exist`);
    return t;
  }

  /** The full token, with its credential. */
  getToken(userId: string, tokenId: string): Token {
    const t = this.token(userId, tokenId);
    return { ...this.tokenMeta(t), token_id: t.token_id };
  }

  createToken(userId: string, input: TokenCreate): Token {
    this.user(userId);
    const mine = this.tokens.get(userId) ?? new Map<string, TokenRecord>();
    const key = foldName(input.name);
    const clash = [...mine.values()].find((t) => foldName(t.name) === key);
    if (clash) throw conflict(`API user ${userId} already has a token named "${clash.name}" (${clash.id})`);
    const t: TokenRecord = {
      seq: this.nextSeq(),
      id: this.newId("tok", (id) => this.tokenIds.has(id)),
      api_user_id: userId,
      name: input.name,
      version: 1,
      created_at: this.timestamp(),
      last_used_at: null,
      token_id: generateTokenId(),
    };
    mine.set(t.id, t);
    this.tokenIds.add(t.id);
    this.changed();
    return { ...this.tokenMeta(t), token_id: t.token_id };
  }

  deleteToken(userId: string, tokenId: string, ifMatch?: IfMatch): void {
    const t = this.token(userId, tokenId);
    checkIfMatch(`token ${tokenId}`, t.version, ifMatch);
    this.tokens.get(userId)?.delete(tokenId);
    this.tokenIds.delete(tokenId);
    this.changed();
  }

  /**
   * The token whose Token ID is `secret`, compared in constant time against every token (the
   * data API's Bearer credential); undefined when none matches.
   */
  tokenBySecret(secret: string): TokenCaller | undefined {
    let found: TokenCaller | undefined;
    for (const mine of this.tokens.values()) {
      for (const t of mine.values()) {
        if (secretsEqual(secret, t.token_id)) found = { userId: t.api_user_id, tokenId: t.id };
      }
    }
    return found;
  }

  /**
   * Records a use of a token now (its `last_used_at`) and answers who it belongs to. 401 when the
   * token was deleted since it authenticated.
   */
  useToken(caller: TokenCaller): { api_user_id: string; name: string } {
    const u = this.users.get(caller.userId);
    const t = this.tokens.get(caller.userId)?.get(caller.tokenId);
    if (!u || !t) {
      throw new HttpError(
        401,
        "unauthorized",
        "the token is not valid for this server (it was deleted)",
        undefined,
        {
          "www-authenticate": 'Bearer realm="popdock"',
        },
      );
    }
    this.tokens.get(caller.userId)?.set(t.id, { ...t, last_used_at: this.timestamp() });
    this.changed();
    return { api_user_id: u.id, name: u.name };
  }

  // -------------------------------------------------------------- bulk seed

  /**
   * Adds `count` API users named `<prefix>-<i>` (i from `start`), each with a grant of the first
   * team, of the first system role and of the first connector (its first list), and two tokens
   * `a` and `b`: six objects a user, written straight into the store (no HTTP, no idempotency
   * records), for benchmarks and tests at scale. A name already taken is a 409 `HttpError` before
   * anything is added. Returns the ids of the users added.
   */
  seedUsers(count: number, prefix = "seed", start = 0): string[] {
    if (!Number.isInteger(count) || count < 0) throw invalid("count must be a whole number >= 0", []);
    const team = this.seed.teams[0];
    const role = this.seed.roles.find((r) => r.scope === "system");
    const connector = this.seed.connectors[0];
    for (let i = start; i < start + count; i++) {
      const clash = this.nameTaken(`${prefix}-${i}`);
      if (clash) throw conflict(`an API user named "${clash.name}" already exists (${clash.id})`);
    }
    const ids: string[] = [];
    const ts = this.timestamp();
    const stamps = { version: 1, created_at: ts, updated_at: ts };
    for (let i = start; i < start + count; i++) {
      const u: UserRecord = {
        seq: this.nextSeq(),
        id: this.newId("usr", (id) => this.users.has(id)),
        name: `${prefix}-${i}`,
        description: "",
        ...stamps,
      };
      this.addUser(u);
      ids.push(u.id);
      const grants = this.grants.get(u.id) as Map<string, GrantRecord>;
      const addGrant = (g: GrantRecord): void => {
        grants.set(g.id, g);
        this.grantIds.add(g.id);
      };
      const head = () => ({ id: this.newId("grt", (id) => this.grantIds.has(id)), api_user_id: u.id });
      if (team) addGrant({ ...head(), type: "team", team_id: team.id, ...stamps, seq: this.nextSeq() });
      if (role) addGrant({ ...head(), type: "role", role_id: role.id, ...stamps, seq: this.nextSeq() });
      if (connector) {
        addGrant({
          ...head(),
          type: "connector",
          connector_id: connector.id,
          roles: [],
          companies: [],
          lists: connector.lists.slice(0, 1),
          actions: [],
          details: [],
          ...stamps,
          seq: this.nextSeq(),
        });
      }
      const tokens = this.tokens.get(u.id) as Map<string, TokenRecord>;
      for (const name of ["a", "b"]) {
        const t: TokenRecord = {
          seq: this.nextSeq(),
          id: this.newId("tok", (id) => this.tokenIds.has(id)),
          api_user_id: u.id,
          name,
          version: 1,
          created_at: ts,
          last_used_at: null,
          token_id: generateTokenId(),
        };
        tokens.set(t.id, t);
        this.tokenIds.add(t.id);
      }
    }
    if (count > 0) this.changed();
    return ids;
  }

  // -------------------------------------------------------------- clock

  /** Moves the sandbox clock forward by `seconds`; the new offset is persisted. */
  advanceClock(seconds: number): Date {
    const now = this.clock.advance(seconds);
    this.changed();
    return now;
  }

  /** Sets the sandbox clock to `time`, which must not be before the sandbox's current time (422). */
  setClock(time: Date): Date {
    const current = this.clock.now();
    if (time.getTime() < current.getTime()) {
      throw invalid("the sandbox clock only moves forward", [
        {
          path: "now",
          message: `${time.toISOString()} is before the sandbox time ${current.toISOString()}; use a later time`,
        },
      ]);
    }
    const now = this.clock.setTo(time);
    this.changed();
    return now;
  }

  // -------------------------------------------------------------- idempotency

  /** The live record for `key` in `scope`, if any (expired ones are dropped). */
  findIdempotent(scope: string, key: string): IdempotencyRecord | undefined {
    const id = `${scope}\n${key}`;
    const r = this.idempotency.get(id);
    if (r && this.now().getTime() - r.created_at >= IDEMPOTENCY_TTL_MS) {
      this.idempotency.delete(id);
      this.changed();
      return undefined;
    }
    return r;
  }

  /**
   * Stores a record (and drops expired ones: the map is in creation order, so only the expired
   * head is visited). Call in the same turn as the mutation it records.
   */
  putIdempotent(record: Omit<IdempotencyRecord, "created_at">): void {
    const nowMs = this.now().getTime();
    for (const [id, r] of this.idempotency) {
      if (nowMs - r.created_at < IDEMPOTENCY_TTL_MS) break;
      this.idempotency.delete(id);
    }
    const id = `${record.scope}\n${record.key}`;
    this.idempotency.delete(id);
    this.idempotency.set(id, { ...record, created_at: nowMs });
    this.changed();
  }
}
