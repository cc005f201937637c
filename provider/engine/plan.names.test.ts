/**
 * Names that move. Popdock keeps API user names unique, and token names unique per user, so a
 * configuration change that hands a name from one object to another can only be applied in
 * some orders (free the name first), or not at all without a temporary name (a swap).
 *
 * The contract these tests hold the engine to: for any valid configuration change, either the
 * planner refuses it with an error diagnostic and nothing is applied, or apply succeeds —
 * however fast Popdock answers each call — and the next plan is empty. (The random version of
 * "apply then plan is empty" in plan.property.test.ts keeps names on their own keys.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emptyState } from "../backends/state-codec.js";
import { PopdockClient } from "../client/client.js";
import type { PopdockApi } from "../client/types.js";
import { parseYamlSources } from "../frontends/yaml/index.js";
import { createSandbox, type RunningServer } from "../sandbox/index.js";
import { applyPlan } from "./apply.js";
import { makePlan } from "./plan.js";
import { refresh } from "./refresh.js";

const sandbox = createSandbox({ apiKey: "names-key" });
let server: RunningServer;
let client: PopdockClient;

beforeAll(async () => {
  server = await sandbox.listen({ port: 0 });
  client = new PopdockClient({ endpoint: server.url, apiKey: "names-key" });
});

afterAll(async () => {
  await client?.close();
  await server?.close();
});

function configOf(text: string) {
  const { config, diagnostics } = parseYamlSources([{ file: "popdock.yaml", text }]);
  if (!config) throw new Error(`invalid config: ${JSON.stringify(diagnostics)}`);
  return config;
}

/**
 * Applies `from`, then `to` through `api`; returns how the second change ended: "refused" by
 * the planner (error diagnostics, nothing applied) or "applied" (and the next plan is empty).
 * Throws, failing the test, for anything else.
 */
async function change(from: string, to: string, api: PopdockApi = client): Promise<"refused" | "applied"> {
  sandbox.store.resetData();
  const state = emptyState(server.url);
  for (const [i, text] of [from, to].entries()) {
    const config = configOf(text);
    const planned = makePlan({ config, state, live: await refresh(client), endpoint: server.url });
    const errors = planned.diagnostics.filter((d) => d.severity === "error");
    if (i === 1 && errors.length > 0) return "refused";
    expect(errors).toEqual([]);
    if (!planned.plan) throw new Error("no plan");
    const result = await applyPlan({
      plan: planned.plan,
      api,
      state,
      backend: { append: async (_d, n) => n + 1, write: async (_s, n) => n + 1 },
      serial: -1,
    });
    const failures = result.errors.map((e) => `${e.step.id}: ${(e.error as Error)?.message}`);
    expect(failures).toEqual([]);
    const again = makePlan({ config, state, live: await refresh(client), endpoint: server.url });
    expect(
      again.plan?.changes.filter((c) => c.action !== "noop").map((c) => `${c.action} ${c.address}`),
    ).toEqual([]);
  }
  return "applied";
}

/** The client, with every API user delete reaching Popdock `ms` later than the rest (a slow link). */
function slowUserDeletes(ms: number): PopdockApi {
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === "deleteApiUser") {
        return async (...args: Parameters<PopdockApi["deleteApiUser"]>) => {
          await new Promise((r) => setTimeout(r, ms));
          await target.deleteApiUser(...args);
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

describe("names that move between objects", () => {
  it("a token renamed to the name of a sibling token deleted in the same apply", async () => {
    const from =
      "api_users:\n  u:\n    name: tok-user\n    tokens:\n      t1: { name: beta }\n      t2: { name: alpha }\n";
    const to = "api_users:\n  u:\n    name: tok-user\n    tokens:\n      t1: { name: alpha }\n";
    // The new t1 must wait for t2's delete; nothing requires the old t1 to go before t2.
    expect(await change(from, to)).toBe("applied");
  });

  it("an API user renamed to the name of a user deleted in the same apply, whatever the timing", async () => {
    const from = "api_users:\n  a: { name: shared }\n  b: { name: other }\n";
    const to = "api_users:\n  b: { name: shared }\n";
    // The rename must wait for the delete that frees the name; answering the delete a little
    // later (a slow network, a retry) must not turn it into a 409.
    expect(await change(from, to, slowUserDeletes(100))).toBe("applied");
  });

  it("two API users swap names: refused at plan time, or applied", async () => {
    const from = "api_users:\n  a: { name: p }\n  b: { name: q }\n";
    const to = "api_users:\n  a: { name: q }\n  b: { name: p }\n";
    expect(["refused", "applied"]).toContain(await change(from, to));
  });

  it("two tokens of a user swap names: refused at plan time, or applied", async () => {
    const from =
      "api_users:\n  u:\n    name: swap-user\n    tokens:\n      t1: { name: alpha }\n      t2: { name: beta }\n";
    const to =
      "api_users:\n  u:\n    name: swap-user\n    tokens:\n      t1: { name: beta }\n      t2: { name: alpha }\n";
    expect(["refused", "applied"]).toContain(await change(from, to));
  });
});
