/**
 * Properties of the engine, over random configurations against the in-process sandbox:
 *
 *   refresh → makePlan → applyPlan → refresh → makePlan
 *
 * - apply then plan is empty: the second plan has only noop changes, no drift, no output change;
 * - the order of steps respects dependencies: a grant or token is created only after its API
 *   user's create finished, a replaced token's old object is deleted only after its replacement
 *   exists, a child is deleted through the API only before its user's delete starts;
 * - no secret appears in any output: no event, plan, rendered plan, persisted state or output
 *   record holds a token ID (those of result.secrets, and every token ID Popdock holds).
 *
 * Each run applies two random configurations in turn, so the second apply exercises updates,
 * replacements and deletes as well as creates.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import type { StateFile } from "../../schema/state.js";
import { emptyState, stringifyState } from "../backends/state-codec.js";
import { PopdockClient } from "../client/client.js";
import { parseYamlSources } from "../frontends/yaml/index.js";
import { createSandbox, type RunningServer } from "../sandbox/index.js";
import { type ApplyEvent, applyPlan } from "./apply.js";
import { makePlan } from "./plan.js";
import { refresh } from "./refresh.js";
import { renderPlanText } from "./render/text.js";

const sandbox = createSandbox({ apiKey: "property-key" });
let server: RunningServer;
let api: PopdockClient;

beforeAll(async () => {
  server = await sandbox.listen({ port: 0 });
  api = new PopdockClient({ endpoint: server.url, apiKey: "property-key" });
});

afterAll(async () => {
  await api?.close();
  await server?.close();
});

// ---------------------------------------------------------------- the model of a configuration

const USER_KEYS = ["a", "b", "c", "d"] as const;
const TOKEN_KEYS = ["t1", "t2"] as const;
const SIMPLE_GRANTS = [{ team: "Finance" }, { team: "Sales" }, { role: "Contributor" }, { role: "User" }];

const tokenArb = fc.record({
  /**
   * Prefixed with the token's key (see toYaml): renames (case-only ones too) replace the token,
   * but a name never moves between two tokens — see plan.names.test.ts for those transitions.
   */
  name: fc.constantFrom("alpha", "beta", "ALPHA"),
  rotation: fc.option(fc.constantFrom("2026-Q1", "2026-Q2"), { nil: undefined }),
});

const userArb = fc.record({
  /**
   * Prefixed with the user's key (see toYaml): renames (case-only ones too) happen, but a name
   * never moves from one user to another — see plan.names.test.ts for those transitions.
   */
  name: fc.constantFrom("bot", "bot-renamed", "BOT"),
  description: fc.constantFrom("", "reporting", "nightly sync"),
  grants: fc.subarray(SIMPLE_GRANTS),
  gp: fc.option(
    fc.record({
      roles: fc.subarray(["Reader", "User", "CustomListContributor"], { minLength: 1 }),
      companies: fc.subarray(["Fabrikam Inc", "Contoso Ltd"]),
      lists: fc.subarray(["Customers", "Vendors", "Invoices", "Open receivables"]),
    }),
    { nil: undefined },
  ),
  tokens: fc.record(
    Object.fromEntries(TOKEN_KEYS.map((k) => [k, fc.option(tokenArb, { nil: undefined })])) as Record<
      (typeof TOKEN_KEYS)[number],
      fc.Arbitrary<{ name: string; rotation: string | undefined } | undefined>
    >,
  ),
});

type UserModel = typeof userArb extends fc.Arbitrary<infer U> ? U : never;
type ConfigModel = Record<(typeof USER_KEYS)[number], UserModel | undefined>;

/** Names are unique where Popdock requires it (users; tokens per user) by construction. */
const configArb: fc.Arbitrary<ConfigModel> = fc.record(
  Object.fromEntries(USER_KEYS.map((k) => [k, fc.option(userArb, { nil: undefined })])) as Record<
    (typeof USER_KEYS)[number],
    fc.Arbitrary<UserModel | undefined>
  >,
);

function toYaml(model: ConfigModel): string {
  const api_users: Record<string, unknown> = {};
  const outputs: Record<string, unknown> = {};
  for (const [key, u] of Object.entries(model)) {
    if (!u) continue;
    const tokens: Record<string, unknown> = {};
    for (const [tk, t] of Object.entries(u.tokens)) {
      if (!t) continue;
      tokens[tk] = {
        name: `${tk}-${t.name}`,
        ...(t.rotation ? { rotation: { triggers: { quarter: t.rotation } } } : {}),
      };
      outputs[`${key}_${tk}_secret`] = {
        value: `\${popdock_api_token.${key}["${tk}"].token_id}`,
        sensitive: true,
      };
    }
    api_users[key] = {
      name: `${key}-${u.name}`,
      description: u.description,
      grants: [...u.grants, ...(u.gp ? [{ connector: "GP Production", ...u.gp }] : [])],
      tokens,
    };
    outputs[`${key}_id`] = { value: `\${popdock_api_user.${key}.id}` };
  }
  return stringify({ api_users, outputs });
}

// ---------------------------------------------------------------- one plan-and-apply cycle

interface Cycle {
  events: { seq: number; ev: ApplyEvent }[];
  /** Everything the cycle produced that a person or a file could see. */
  visible: string[];
  secrets: string[];
}

async function cycle(model: ConfigModel, state: StateFile): Promise<Cycle> {
  const text = toYaml(model);
  const { config, diagnostics } = parseYamlSources([{ file: "popdock.yaml", text }]);
  if (!config)
    throw new Error(`generated an invalid config:\n${text}\n${JSON.stringify(diagnostics, null, 2)}`);

  const live = await refresh(api);
  // Random edits may replace every object; the destroy-all guard has its own tests.
  const first = makePlan({ config, state, live, endpoint: server.url, allowDestroyAll: true });
  expect(
    first.diagnostics.filter((d) => d.severity === "error"),
    text,
  ).toEqual([]);
  const plan = first.plan;
  if (!plan) throw new Error("no plan");

  const events: Cycle["events"] = [];
  const persisted: string[] = [];
  const result = await applyPlan({
    plan,
    api,
    state,
    backend: {
      append: async (deltas, n) => {
        persisted.push(JSON.stringify(deltas));
        return n + 1;
      },
      write: async (s, n) => {
        persisted.push(stringifyState(s));
        return n + 1;
      },
    },
    serial: state.serial,
    onEvent: (ev) => events.push({ seq: events.length, ev }),
  });
  const failures = result.errors.map((e) => `${e.step.id}: ${(e.error as Error)?.message}`);
  expect(failures, `apply of\n${text}`).toEqual([]);
  expect(result.ok).toBe(true);

  const again = makePlan({ config, state, live: await refresh(api), endpoint: server.url });
  const second = again.plan;
  if (!second) throw new Error("no second plan");
  const pending = second.changes.filter((c) => c.action !== "noop").map((c) => `${c.action} ${c.address}`);
  expect(pending, `second plan after applying\n${text}`).toEqual([]);
  expect(second.drift).toEqual([]);
  expect(second.outputs.filter((o) => o.action !== "noop").map((o) => o.name)).toEqual([]);

  // Every token ID Popdock holds now, read with the admin GET (before the next cycle deletes any).
  const secrets = new Set(result.secrets.values());
  for (const u of await api.listAllApiUsers({ expand: ["tokens"] })) {
    for (const t of u.tokens ?? []) secrets.add((await api.getToken(u.id, t.id)).token_id);
  }
  const visible = [
    JSON.stringify(events, (_k, v: unknown) =>
      v instanceof Error ? { message: v.message, stack: v.stack } : v,
    ),
    JSON.stringify(plan),
    JSON.stringify(second),
    renderPlanText(plan, { color: false }),
    renderPlanText(second, { color: false }),
    JSON.stringify(state.outputs),
    ...persisted,
  ];
  return { events, visible, secrets: [...secrets] };
}

/** Steps by id → the sequence numbers of their start and end events. */
function timeline(events: Cycle["events"]): Map<string, { start?: number; end?: number }> {
  const t = new Map<string, { start?: number; end?: number }>();
  for (const { seq, ev } of events) {
    const e = t.get(ev.step.id) ?? {};
    if (ev.type === "start") e.start = seq;
    else if (ev.type === "done") e.end = seq;
    t.set(ev.step.id, e);
  }
  return t;
}

function checkOrder(events: Cycle["events"]): void {
  const t = timeline(events);
  const startOf = (id: string) => t.get(id)?.start;
  const endOf = (id: string) => t.get(id)?.end;
  const before = (first: string, then: string, why: string) => {
    const end = endOf(first);
    const start = startOf(then);
    if (start === undefined || !t.has(first)) return;
    expect(end, `${why}: ${first} never finished before ${then} started`).toBeDefined();
    expect(end as number, `${why}: ${then} started before ${first} finished`).toBeLessThan(start);
  };
  for (const { ev } of events) {
    if (ev.type !== "start") continue;
    const s = ev.step;
    // What the scheduler was told.
    for (const d of s.deps) before(d, s.id, "declared dependency");
    // What must hold whatever planSteps computed.
    const parent = s.change.parent;
    if (parent && (s.kind === "create" || s.kind === "update"))
      before(`create:${parent}`, s.id, "child after its user");
    if (s.kind === "delete" && s.deposed && s.change.replace_order === "create_before_destroy") {
      before(`create:${s.address}`, s.id, "old object deleted after its replacement exists");
    }
    if (
      s.kind === "create" &&
      s.change.action === "replace" &&
      s.change.replace_order === "delete_before_create"
    ) {
      before(`delete-old:${s.address}`, s.id, "new object created after the old one is gone");
    }
    if (s.kind === "delete" && parent) {
      // A child deleted through the API must be gone before its user's delete starts.
      const userDelete = `delete:${parent}`;
      const end = endOf(s.id);
      const userStart = startOf(userDelete);
      if (userStart !== undefined) expect(end, `${s.id} vs ${userDelete}`).toBeLessThan(userStart);
    }
  }
}

describe("engine properties over random configurations", () => {
  it("apply then plan is empty, steps respect dependencies, no secret is visible", async () => {
    await fc.assert(
      fc.asyncProperty(configArb, configArb, async (c1, c2) => {
        sandbox.store.resetData();
        const state = emptyState(server.url);
        for (const model of [c1, c2]) {
          const { events, visible, secrets } = await cycle(model, state);
          checkOrder(events);
          for (const secret of secrets) {
            for (const text of visible) expect(text.includes(secret), "a token ID is visible").toBe(false);
          }
        }
      }),
      { numRuns: 15 },
    );
  });
});
