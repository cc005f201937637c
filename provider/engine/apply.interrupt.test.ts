/**
 * Interrupting `applyPlan` (the CLI's first Ctrl-C aborts its signal): no new step starts, the
 * steps in flight finish and are recorded, and the call returns `interrupted` — promptly, with
 * the event loop free for those in-flight calls to complete.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emptyState } from "../backends/state-codec.js";
import { PopdockClient } from "../client/client.js";
import { parseYamlSources } from "../frontends/yaml/index.js";
import { createSandbox, type RunningServer } from "../sandbox/index.js";
import { type ApplyEvent, applyPlan } from "./apply.js";
import { makePlan } from "./plan.js";
import { refresh } from "./refresh.js";

const sandbox = createSandbox({ apiKey: "k", faults: { latency_ms: 40 } });
let server: RunningServer;
let api: PopdockClient;

beforeAll(async () => {
  server = await sandbox.listen({ port: 0 });
  api = new PopdockClient({ endpoint: server.url, apiKey: "k" });
});

afterAll(async () => {
  await api?.close();
  await server?.close();
});

/**
 * An AbortSignal whose `aborted` reads are counted: a scheduler that spins on it without ever
 * yielding to the event loop would hang the test (and its timeout) forever; this turns the spin
 * into a thrown error instead.
 */
function guardedSignal(): { signal: AbortSignal; abort(): void } {
  const ctrl = new AbortController();
  let reads = 0;
  let aborted = false;
  Object.defineProperty(ctrl.signal, "aborted", {
    get() {
      reads++;
      if (reads > 100_000)
        throw new Error(`signal.aborted read ${reads} times: the apply loop spins without yielding`);
      return aborted;
    },
  });
  return {
    signal: ctrl.signal,
    abort() {
      aborted = true;
      ctrl.abort();
    },
  };
}

describe("applyPlan interrupted", () => {
  it("lets the steps in flight finish, starts no other, and returns interrupted", async () => {
    const users = Array.from(
      { length: 6 },
      (_, i) => `  u${i}:\n    name: intr-${i}\n    tokens:\n      t: {}\n`,
    );
    const { config, diagnostics } = parseYamlSources([
      { file: "popdock.yaml", text: `api_users:\n${users.join("")}` },
    ]);
    expect(diagnostics).toEqual([]);
    if (!config) throw new Error("no config");
    const live = await refresh(api);
    const { plan } = makePlan({ config, state: emptyState(), live, endpoint: server.url });
    if (!plan) throw new Error("no plan");
    const state = emptyState(server.url);
    const events: ApplyEvent[] = [];
    const { signal, abort } = guardedSignal();

    const result = await applyPlan({
      plan,
      api,
      state,
      backend: { append: async (_d, n) => n + 1, write: async (_s, n) => n + 1 },
      serial: -1,
      parallelism: 2,
      signal,
      onEvent: (ev) => {
        events.push(ev);
        if (ev.type === "start" && events.filter((e) => e.type === "start").length === 2) abort();
      },
    });

    expect(result.interrupted).toBe(true);
    expect(result.ok).toBe(false);
    const started = events.filter((e) => e.type === "start").map((e) => e.step.id);
    const done = events.filter((e) => e.type === "done").map((e) => e.step.id);
    expect(started).toHaveLength(2);
    expect(done.sort()).toEqual([...started].sort());
    expect([...result.outcomes.values()].filter((o) => o === "ok")).toHaveLength(2);
    expect(Object.keys(state.resources).sort()).toEqual(
      result.steps
        .filter((s) => started.includes(s.id))
        .map((s) => s.address)
        .sort(),
    );
    expect(state.pending).toEqual([]);
  });
});
