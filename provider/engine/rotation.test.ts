import { describe, expect, it } from "vitest";
import type { TokenMeta } from "../../schema/api.js";
import type { StateFile, StateResource } from "../../schema/state.js";
import type { DesiredConfig, DesiredResource, RotationPolicy } from "../model/desired.js";
import { defaultLifecycle } from "../model/desired.js";
import { buildSnapshot } from "../model/live.js";
import { formatAge, parseDuration } from "../resources/api-token/duration.js";
import { makePlan } from "./plan.js";
import { recoverPending } from "./recover.js";
import { generationName, isGenerationOf, withPrevious } from "./rotation.js";

const DAY = 86_400_000;
const T0 = Date.parse("2027-03-01T10:00:00Z");
const iso = (ms: number) => new Date(ms).toISOString();
const ADDR = 'popdock_api_token.ledger["nightly"]';
const POLICY: RotationPolicy = {
  every_seconds: 90 * 86_400,
  overlap_seconds: 7 * 86_400,
  retire_when_unused_seconds: 86_400,
};
const src = { file: "popdock.yaml" };

function desired(policy: RotationPolicy | null = POLICY, name = "nightly-loader"): DesiredConfig {
  const resources: DesiredResource[] = [
    {
      type: "popdock_api_user",
      address: "popdock_api_user.ledger",
      name: "ledger",
      dependsOn: [],
      lifecycle: defaultLifecycle(),
      source: src,
      attrs: { name: "ledger", description: "" },
    },
    {
      type: "popdock_api_token",
      address: ADDR,
      name: "ledger",
      index: "nightly",
      user: "popdock_api_user.ledger",
      dependsOn: [],
      lifecycle: { ...defaultLifecycle(), createBeforeDestroy: true },
      source: src,
      attrs: { name, ...(policy ? { rotation: policy } : {}) },
    },
  ];
  return { files: ["popdock.yaml"], digest: "d", provider: {}, resources, outputs: [] };
}

const tok = (id: string, name: string, created: number, used: number | null = null): TokenMeta => ({
  id,
  api_user_id: "usr_1",
  name,
  version: 1,
  created_at: iso(created),
  last_used_at: used === null ? null : iso(used),
  token_id_hint: "abcd",
});

function snapshot(tokens: TokenMeta[], now: number) {
  const user = {
    id: "usr_1",
    name: "ledger",
    description: "",
    version: 1,
    created_at: iso(T0),
    updated_at: iso(T0),
  };
  return buildSnapshot({
    teams: [],
    roles: [],
    connectors: [],
    users: [{ ...user, grants: [], tokens }],
    serverTime: iso(now),
  });
}

function stateWith(token: StateResource): StateFile {
  return {
    format_version: 1,
    tool: "popdock-iac",
    lineage: "00000000-0000-4000-8000-000000000000",
    serial: 3,
    resources: {
      "popdock_api_user.ledger": {
        type: "popdock_api_user",
        id: "usr_1",
        version: 1,
        attributes: { name: "ledger", description: "" },
        dependencies: [],
      },
      [ADDR]: token,
    },
    pending: [],
    deposed: [],
    outputs: {},
  };
}

const entry = (
  id: string,
  name: string,
  created: number,
  extra: Partial<StateResource> = {},
): StateResource => ({
  type: "popdock_api_token",
  id,
  parent_id: "usr_1",
  parent: "popdock_api_user.ledger",
  version: 1,
  attributes: { name, token_id_hint: "abcd", created_at: iso(created) },
  dependencies: ["popdock_api_user.ledger"],
  ...extra,
});

function plan(opts: {
  tokens: TokenMeta[];
  state: StateFile;
  now: number;
  config?: DesiredConfig;
  replace?: string[];
  forceRetire?: string[];
  runnerNow?: Date;
}) {
  return makePlan({
    config: opts.config ?? desired(),
    state: opts.state,
    live: snapshot(opts.tokens, opts.now),
    endpoint: "local",
    now: opts.runnerNow ?? new Date("2001-01-01T00:00:00Z"), // the runner's clock: never used for ages
    ...(opts.replace ? { replace: opts.replace } : {}),
    ...(opts.forceRetire ? { forceRetire: opts.forceRetire } : {}),
  });
}

const active = (p: ReturnType<typeof plan>) =>
  Object.fromEntries(
    (p.plan?.changes ?? []).filter((c) => c.action !== "noop").map((c) => [c.address, c.action]),
  );

describe("durations", () => {
  it("parse s m h d w, refuse zero, junk and more than 10 years", () => {
    expect(parseDuration("90d")).toEqual({ seconds: 90 * 86_400 });
    expect(parseDuration("2w")).toEqual({ seconds: 14 * 86_400 });
    expect(parseDuration("15m")).toEqual({ seconds: 900 });
    expect(parseDuration("0d")).toHaveProperty("problem");
    expect(parseDuration("90 days")).toHaveProperty("problem");
    expect(parseDuration("3651d")).toHaveProperty("problem");
    expect(formatAge(94 * 86_400 + 5)).toBe("94 d");
    expect(formatAge(7300)).toBe("2 h");
  });
});

describe("generation names", () => {
  it("are the base name and the day, with -2, -3 on a clash", () => {
    const at = new Date("2027-03-01T23:59:59Z");
    expect(generationName("nightly-loader", at, [])).toBe("nightly-loader-20270301");
    expect(generationName("nightly-loader", at, ["NIGHTLY-LOADER-20270301"])).toBe(
      "nightly-loader-20270301-2",
    );
    expect(
      generationName("nightly-loader", at, ["nightly-loader-20270301", "nightly-loader-20270301-2"]),
    ).toBe("nightly-loader-20270301-3");
    expect(isGenerationOf("nightly-loader-20270301-2", "nightly-loader")).toBe(true);
    expect(isGenerationOf("nightly-loader", "nightly-loader")).toBe(true);
    expect(isGenerationOf("nightly-loader-x", "nightly-loader")).toBe(false);
  });
});

describe("planning generations by Popdock's clock", () => {
  const current = tok("tok_a", "nightly-loader-20270301", T0);

  it("not due: a noop with the token's ages and due time", () => {
    const now = T0 + 87 * DAY;
    const r = plan({ tokens: [current], state: stateWith(entry("tok_a", current.name, T0)), now });
    expect(active(r)).toEqual({});
    const ch = r.plan?.changes.find((c) => c.address === ADDR);
    expect(ch?.token).toMatchObject({
      generation: "current",
      age_seconds: 87 * 86_400,
      last_used_at: null,
      rotation: { decision: "wait", due_in_seconds: 3 * 86_400 },
    });
    expect(r.plan?.server_time).toBe(iso(now));
  });

  it("due: one create of the next generation, no delete; the plan records what becomes previous", () => {
    const now = T0 + 94 * DAY;
    const r = plan({ tokens: [current], state: stateWith(entry("tok_a", current.name, T0)), now });
    expect(active(r)).toEqual({ [ADDR]: "create" });
    const ch = r.plan?.changes.find((c) => c.address === ADDR);
    expect(ch?.after?.name).toBe("nightly-loader-20270603");
    expect(ch?.rotation).toEqual({ previous_id: "tok_a", overlap_seconds: 7 * 86_400 });
    expect(ch?.token?.rotation?.due_in_seconds).toBe(-4 * 86_400);
    expect(r.plan?.summary).toEqual({ add: 1, change: 0, destroy: 0, tokens_to_create: 1 });
  });

  it("the runner's clock does not matter", () => {
    const now = T0 + 94 * DAY;
    const args = { tokens: [current], state: stateWith(entry("tok_a", current.name, T0)), now };
    const a = plan({ ...args, runnerNow: new Date(now - 30 * DAY) });
    const b = plan({ ...args, runnerNow: new Date(now + 30 * DAY) });
    expect({ ...a.plan, created_at: "" }).toEqual({ ...b.plan, created_at: "" });
  });

  const next = tok("tok_b", "nightly-loader-20270530", T0 + 90 * DAY);
  const withPrev = (retires: number) =>
    stateWith(
      entry("tok_b", next.name, T0 + 90 * DAY, {
        previous: {
          id: "tok_a",
          version: 1,
          attributes: { name: current.name, token_id_hint: "abcd", created_at: iso(T0) },
          retires_at: iso(retires),
        },
      }),
    );

  it("overlap not over: nothing to do", () => {
    const r = plan({ tokens: [current, next], state: withPrev(T0 + 97 * DAY), now: T0 + 95 * DAY });
    expect(active(r)).toEqual({});
  });

  it("overlap over and unused: one delete of the previous generation", () => {
    const r = plan({ tokens: [current, next], state: withPrev(T0 + 97 * DAY), now: T0 + 98 * DAY });
    expect(active(r)).toEqual({ [`${ADDR} (previous)`]: "delete" });
    expect(r.plan?.summary.destroy).toBe(1);
  });

  it("overlap over but used within retire_when_unused: kept, with a warning; --force-retire deletes it", () => {
    const used = { ...current, last_used_at: iso(T0 + 98 * DAY - 3 * 3_600_000) };
    const state = withPrev(T0 + 97 * DAY);
    const r = plan({ tokens: [used, next], state, now: T0 + 98 * DAY });
    expect(active(r)).toEqual({});
    const w = r.diagnostics.find((d) => d.code === "PLAN_TOKEN_STILL_USED");
    expect(w?.severity).toBe("warning");
    expect(w?.message).toContain("last used 3 h ago");
    const forced = plan({ tokens: [used, next], state, now: T0 + 98 * DAY, forceRetire: [ADDR] });
    expect(active(forced)).toEqual({ [`${ADDR} (previous)`]: "delete" });
  });

  it("a previous generation deleted outside: a drift note and a removal from state, not an error", () => {
    const r = plan({ tokens: [next], state: withPrev(T0 + 97 * DAY), now: T0 + 95 * DAY });
    expect(r.plan?.drift.map((d) => d.address)).toEqual([`${ADDR} (previous)`]);
    const ch = r.plan?.changes.find((c) => c.address === `${ADDR} (previous)`);
    expect(ch?.action).toBe("delete");
    expect(ch?.remote).toBeUndefined();
  });

  it("-replace during the overlap is refused unless the previous one is retired too", () => {
    const state = withPrev(T0 + 97 * DAY);
    const r = plan({ tokens: [current, next], state, now: T0 + 95 * DAY, replace: [ADDR] });
    expect(r.diagnostics.map((d) => d.code)).toContain("PLAN_ROTATION_BLOCKED");
    expect(r.plan).toBeUndefined();
    const f = plan({
      tokens: [current, next],
      state,
      now: T0 + 95 * DAY,
      replace: [ADDR],
      forceRetire: [ADDR],
    });
    expect(active(f)).toEqual({ [ADDR]: "create", [`${ADDR} (previous)`]: "delete" });
  });

  it("a token without rotation keeps today's behaviour", () => {
    const plain = tok("tok_p", "nightly-loader", T0);
    const r = plan({
      tokens: [plain],
      state: stateWith(entry("tok_p", "nightly-loader", T0)),
      now: T0 + 900 * DAY,
      config: desired(null),
    });
    expect(active(r)).toEqual({});
    expect(r.plan?.changes.find((c) => c.address === ADDR)?.token?.age_seconds).toBe(900 * 86_400);
  });

  it("a policy removed: the previous generation still retires at its recorded time, not before", () => {
    const state = withPrev(T0 + 97 * DAY);
    const before = plan({
      tokens: [current, next],
      state,
      now: T0 + 95 * DAY,
      config: desired(null, next.name),
    });
    expect(active(before)).toEqual({});
    const after = plan({
      tokens: [current, next],
      state,
      now: T0 + 98 * DAY,
      config: desired(null, next.name),
    });
    expect(active(after)).toEqual({ [`${ADDR} (previous)`]: "delete" });
  });

  it("removing the token deletes both generations", () => {
    const cfg = desired();
    cfg.resources = cfg.resources.filter((x) => x.address !== ADDR);
    const r = plan({
      tokens: [current, next],
      state: withPrev(T0 + 97 * DAY),
      now: T0 + 95 * DAY,
      config: cfg,
    });
    expect(active(r)).toEqual({ [ADDR]: "delete", [`${ADDR} (previous)`]: "delete" });
  });
});

describe("state bookkeeping", () => {
  it("the new generation keeps the old one as previous, retiring overlap after its creation", () => {
    const prior = entry("tok_a", "n-20270301", T0);
    const nextEntry = entry("tok_b", "n-20270530", T0 + 90 * DAY);
    const e = withPrevious(nextEntry, prior, 7 * 86_400, new Date(0));
    expect(e.previous).toEqual({
      id: "tok_a",
      version: 1,
      attributes: prior.attributes,
      retires_at: iso(T0 + 97 * DAY),
    });
  });

  it("recovery of an interrupted rotation create adopts the new token and keeps the old as previous", () => {
    const s = stateWith(entry("tok_a", "nightly-loader-20270301", T0));
    s.pending = [
      {
        address: ADDR,
        action: "create",
        type: "popdock_api_token",
        idempotency_key: "k",
        parent_id: "usr_1",
        request: { name: "nightly-loader-20270530" },
        replaces_id: "tok_a",
        overlap_seconds: 7 * 86_400,
        started_at: iso(T0 + 90 * DAY - 1000),
      },
    ];
    const live = snapshot(
      [tok("tok_a", "nightly-loader-20270301", T0), tok("tok_b", "nightly-loader-20270530", T0 + 90 * DAY)],
      T0 + 90 * DAY,
    );
    const { state } = recoverPending(s, live);
    expect(state.resources[ADDR]?.id).toBe("tok_b");
    expect(state.resources[ADDR]?.previous?.id).toBe("tok_a");
    expect(state.deposed).toEqual([]);
  });
});
