import { describe, expect, it } from "vitest";
import type { Plan } from "../../schema/plan.js";
import { PlanTamperedError, sealPlan, verifyPlanSeal } from "./plan-seal.js";

const plan: Plan = {
  format_version: 1,
  tool: "popdock-iac",
  created_at: "2026-12-03T10:00:00.000Z",
  endpoint: "local",
  config_digest: "d".repeat(64),
  config_files: ["popdock.yaml"],
  state_lineage: "l-1",
  state_serial: 3,
  mode: "normal",
  changes: [],
  drift: [],
  outputs: [
    {
      name: "three",
      action: "create",
      sensitive: false,
      after: "three",
      after_unknown: false,
      automatic: false,
      parts: ["three"],
    },
  ],
  summary: { add: 0, change: 0, destroy: 0, tokens_to_create: 0 },
};

/** The saved file's text, parsed back as a reader sees it. */
const saved = (p: unknown) => JSON.parse(JSON.stringify(p, null, 2)) as Record<string, unknown>;

describe("plan seal", () => {
  it("a sealed plan verifies, whatever the key order or formatting of the file", () => {
    const raw = saved(sealPlan(plan));
    expect(() => verifyPlanSeal(raw, "p.json")).not.toThrow();
    const reordered = Object.fromEntries(Object.entries(raw).reverse());
    expect(() => verifyPlanSeal(reordered, "p.json")).not.toThrow();
  });

  it("any edit is refused, naming the file", () => {
    const raw = saved(sealPlan(plan));
    const text = JSON.stringify(raw).replace('"after":"three"', '"after":"HACKED"');
    expect(() => verifyPlanSeal(JSON.parse(text), "p.json")).toThrow(
      "p.json was modified after `popdock plan` wrote it: its content does not match its sha256 digest; nothing was changed",
    );
    const added = { ...raw, extra: 1 };
    expect(() => verifyPlanSeal(added, "p.json")).toThrow(PlanTamperedError);
  });

  it("a plan without a digest is refused", () => {
    expect(() => verifyPlanSeal(saved(plan), "old.json")).toThrow(/old.json carries no integrity digest/);
  });

  it("with a signing key: a plan signed with it passes; unsigned, other-key or re-digested plans do not", () => {
    const signed = saved(sealPlan(plan, "k1"));
    expect(() => verifyPlanSeal(signed, "p.json", { key: "k1", requireKeyForSigned: true })).not.toThrow();
    expect(() => verifyPlanSeal(signed, "p.json", { key: "k2" })).toThrow(/signed with another key/);
    expect(() => verifyPlanSeal(saved(sealPlan(plan)), "p.json", { key: "k1" })).toThrow(/is not signed/);
    // An attacker edits the plan and recomputes the sha256 (but cannot recompute the HMAC).
    const edited = saved(sealPlan({ ...plan, endpoint: "https://evil.example.com" }));
    const forged = {
      ...edited,
      integrity: {
        ...(edited.integrity as object),
        hmac_sha256: (signed.integrity as { hmac_sha256: string }).hmac_sha256,
      },
    };
    expect(() => verifyPlanSeal(forged, "p.json", { key: "k1" })).toThrow(/signed with another key/);
  });

  it("a signed plan needs the key to be applied, not to be shown", () => {
    const signed = saved(sealPlan(plan, "k1"));
    expect(() => verifyPlanSeal(signed, "p.json", { requireKeyForSigned: true })).toThrow(
      /is signed, but POPDOCK_PLAN_SIGNING_KEY is not set/,
    );
    expect(() => verifyPlanSeal(signed, "p.json", { requireKeyForSigned: false })).not.toThrow();
  });
});
