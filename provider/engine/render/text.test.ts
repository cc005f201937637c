import { describe, expect, it } from "vitest";
import { createAll, plan, plans, replaceBoth, updateLists } from "../../../test/fixtures/plans/plans.js";
import { renderPlanText } from "./text.js";

const ESC = "\x1b[";

describe("renderPlanText", () => {
  it.each(Object.keys(plans))("renders the %s plan", async (name) => {
    const p = plans[name];
    if (!p) throw new Error(`no fixture ${name}`);
    await expect(renderPlanText(p, { color: false })).toMatchFileSnapshot(`./__snapshots__/${name}.txt`);
  });

  it("shows the first N changes of each type and action, then counts the rest (unless changesShown is Infinity)", () => {
    const short = renderPlanText(createAll, { color: false, changesShown: 1 });
    expect(short.match(/^ {2}\+ resource "popdock_api_user_grant"/gm)).toHaveLength(1);
    expect(short.match(/^ {2}\+ resource "popdock_api_user"/gm)).toHaveLength(1);
    expect(short).toContain(
      "… and 1 more popdock_api_user_grant create like these\n(the full list: --full, or --json, or save the plan with --out and run popdock show --full)",
    );
    expect(short).not.toContain("more popdock_api_user create"); // only one of those
    expect(short).toContain("Plan: 5 to add, 0 to change, 0 to destroy."); // the summary counts all
    const full = renderPlanText(createAll, { color: false });
    expect(renderPlanText(createAll, { color: false, changesShown: Number.POSITIVE_INFINITY })).toBe(full);
    expect(full).not.toContain("… and");
  });

  it("starts with the refresh line only when refresh info is given", () => {
    expect(renderPlanText(createAll, { color: false })).not.toContain("refreshed");
    const text = renderPlanText(createAll, { color: false, refresh: { users: 2, requests: 4 } });
    expect(text.startsWith("popdock-iac refreshed 2 API users (4 requests).\n\n")).toBe(true);
    expect(renderPlanText(createAll, { color: false, refresh: { users: 1, requests: 1 } })).toMatch(
      /^popdock-iac refreshed 1 API user \(1 request\)\./,
    );
  });

  it("uses ANSI codes only with color: true", () => {
    for (const p of Object.values(plans)) {
      expect(renderPlanText(p, { color: false })).not.toContain(ESC);
    }
    const text = renderPlanText(createAll, { color: true });
    expect(text).toContain(`  ${ESC}32m+${ESC}39m resource "popdock_api_user" "reporting_bot" {`);
    expect(text).toContain(`${ESC}1mPlan:${ESC}22m 5 to add`);
    expect(text).toContain(`${ESC}1m# API user popdock_api_user.reporting_bot${ESC}22m`);
    const replaced = renderPlanText(replaceBoth, { color: true });
    expect(replaced).toContain(`${ESC}36m+/-${ESC}39m resource "popdock_api_token"`);
    expect(replaced).toContain(`${ESC}36m-/+${ESC}39m resource "null_resource"`);
    expect(replaced).toContain(`${ESC}31m# forces replacement${ESC}39m`);
    expect(renderPlanText(updateLists, { color: true })).toContain(`${ESC}33m~${ESC}39m description`);
  });

  it("strips colour to exactly the plain text", () => {
    for (const p of Object.values(plans)) {
      const colored = renderPlanText(p, { color: true });
      // biome-ignore lint/suspicious/noControlCharactersInRegex: removing ANSI escapes.
      expect(colored.replace(/\x1b\[\d+m/g, "")).toBe(renderPlanText(p, { color: false }));
    }
  });

  it("orders groups by address; the user, then grants, then tokens", () => {
    const text = renderPlanText(createAll, { color: false });
    const headlines = [...text.matchAll(/^ {2}# (.+) will be created$/gm)].map((m) => m[1]);
    expect(headlines).toEqual([
      "null_resource.rotate",
      "popdock_api_user.reporting_bot",
      'popdock_api_user_grant.reporting_bot["connector:GP Production"]',
      'popdock_api_user_grant.reporting_bot["team:Finance"]',
      'popdock_api_token.reporting_bot["powerbi"]',
    ]);
  });

  it("leaves noop changes and outputs out", () => {
    const text = renderPlanText(updateLists, { color: false });
    expect(text).not.toContain("team:Finance");
    expect(text).not.toContain("null_resource");
    expect(text).not.toContain("Changes to Outputs");
  });

  it("escapes control characters in names and values", () => {
    const p = plan({
      changes: [
        {
          address: "popdock_api_user.x",
          type: "popdock_api_user",
          name: "x",
          group: "popdock_api_user.x",
          action: "create",
          before: null,
          after: { name: "x", description: "\x1b[2Jgone\u202e\u009b" },
          reasons: ["because\x1b]0;title\x07"],
        },
      ],
      outputs: [{ name: "o", action: "create", sensitive: false, after: "\x1b[31mred" }],
    });
    const text = renderPlanText(p, { color: false });
    expect(text).not.toContain("\x1b");
    expect(text).not.toContain("\u202e");
    expect(text).not.toContain("\u009b");
    expect(text).toContain('+ description = "\\u001b[2Jgone\\u202e\\u009b"');
    expect(text).toContain("# (because\\u001b]0;title\\u0007)");
  });

  it("says when a destroy plan has nothing to destroy", () => {
    expect(renderPlanText(plan({ mode: "destroy" }), { color: false })).toBe(
      "No changes. No objects need to be destroyed.\n\n" +
        "Either you have not created any API users yet or they were already deleted outside of popdock-iac.\n",
    );
  });
});
