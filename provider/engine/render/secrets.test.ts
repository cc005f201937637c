// No secret appears in any rendering. A plan never holds one; these tests check the renderers'
// second line of defence: even a faulty plan that carries a value for a sensitive attribute or
// output (a canary here) has it masked by every renderer.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createAll, plan, plans } from "../../../test/fixtures/plans/plans.js";
import { renderPlanJson } from "./json.js";
import { renderPlanMarkdown } from "./markdown.js";
import { renderPlanText } from "./text.js";

function renderAll(p: ReturnType<typeof plan>): string[] {
  return [
    renderPlanText(p, { color: false }),
    renderPlanText(p, { color: true, refresh: { users: 1, requests: 2 } }),
    JSON.stringify(renderPlanJson(p)),
    renderPlanMarkdown(p),
  ];
}

const actions = ["create", "update", "delete", "replace", "noop"] as const;

function leakyPlan(
  secret: string,
  action: (typeof actions)[number],
  outputAction: "create" | "update" | "delete" | "noop",
) {
  const address = 'popdock_api_token.bot["pbi"]';
  return plan({
    changes: [
      {
        address,
        type: "popdock_api_token",
        name: "bot",
        index: "pbi",
        group: "popdock_api_user.bot",
        action,
        replace_order: "create_before_destroy",
        before: action === "create" ? null : { id: "tok_1", name: "pbi", token_id: secret },
        after: action === "delete" ? null : { name: "pbi2", token_id: `${secret}-new` },
        // Not listed as sensitive by the change itself: the type's `sensitive` attributes still apply.
        changed: ["name", "token_id"],
      },
    ],
    drift: [
      {
        address,
        type: "popdock_api_token",
        group: "popdock_api_user.bot",
        action: "update",
        before: { id: "tok_1", token_id: secret },
        after: { id: "tok_1", token_id: `${secret}-x` },
        changed: ["token_id"],
      },
    ],
    outputs: [
      {
        name: "pbi_token",
        action: outputAction,
        sensitive: true,
        ...(outputAction === "create" ? {} : { before: secret }),
        ...(outputAction === "delete" ? {} : { after: `${secret}-out` }),
      },
    ],
  });
}

describe("secrets", () => {
  it("shows `(sensitive value)` and never a token_id value", () => {
    const p = leakyPlan("CANARY-7f3e9a", "update", "update");
    for (const out of renderAll(p)) expect(out).not.toContain("CANARY");
    expect(renderPlanText(p, { color: false })).toContain("~ token_id = (sensitive value)");
    expect(renderPlanJson(p).output_changes.pbi_token).toMatchObject({ before: null, after: null });
  });

  it("masks sensitive values for every action (property)", () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9]{16,24}$/),
        fc.constantFrom(...actions),
        fc.constantFrom("create", "update", "delete", "noop" as const),
        (secret, action, outputAction) => {
          for (const out of renderAll(leakyPlan(`tok-${secret}`, action, outputAction))) {
            expect(out).not.toContain(secret);
          }
        },
      ),
    );
  });

  it("fixture plans render only the mask for tokens", () => {
    for (const p of [createAll, ...Object.values(plans)]) {
      for (const out of renderAll(p)) expect(out).not.toMatch(/token_id"?\s*[:=]\s*"/);
    }
  });
});
