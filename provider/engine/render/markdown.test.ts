import { describe, expect, it } from "vitest";
import type { Plan } from "../../../schema/plan.js";
import { createAll, drift, noChanges, plan, plans } from "../../../test/fixtures/plans/plans.js";
import { cell, code, MARKDOWN_MAX_CHARS, planMarker, renderPlanMarkdown, toDiffLines } from "./markdown.js";
import { renderPlanText } from "./text.js";

/** Splits a table row on the pipes GitHub treats as cell separators (not `\|`). */
function cells(row: string): string[] {
  return row
    .split(/(?<!\\)\|/)
    .slice(1, -1)
    .map((c) => c.trim());
}

describe("renderPlanMarkdown", () => {
  it.each([
    "create-all",
    "update-lists",
    "replace-cbd-and-delete-first",
    "delete-user",
    "drift",
    "no-changes",
  ])("renders the %s plan", async (name) => {
    const p = plans[name];
    if (!p) throw new Error(`no fixture ${name}`);
    await expect(renderPlanMarkdown(p)).toMatchFileSnapshot(`./__snapshots__/${name}.md.snap`);
  });

  it("opens with the hidden marker and the summary line", () => {
    expect(renderPlanMarkdown(createAll).split("\n")[0]).toBe("<!-- popdock-iac:plan workspace=default -->");
    expect(renderPlanMarkdown(createAll, { workspace: "prod" }).split("\n")[0]).toBe(
      "<!-- popdock-iac:plan workspace=prod -->",
    );
    expect(planMarker("a b-->")).toBe("<!-- popdock-iac:plan workspace=a_b-_ -->");
    expect(renderPlanMarkdown(createAll).split("\n")[2]).toBe(
      "**Plan:** 5 to add, 0 to change, 0 to destroy · 1 token will be created",
    );
    expect(renderPlanMarkdown(noChanges).split("\n")[2]).toBe(
      "**Plan:** no changes · your Popdock API users match the configuration",
    );
  });

  it("warns about drift only when there is some", () => {
    expect(renderPlanMarkdown(drift)).toContain("> [!WARNING]");
    expect(renderPlanMarkdown(createAll)).not.toContain("[!WARNING]");
  });

  it("folds the uncoloured text plan into a diff block", () => {
    const md = renderPlanMarkdown(createAll);
    const body = /<details><summary>Full plan<\/summary>\n\n```diff\n([\s\S]*)\n```\n\n<\/details>\n$/.exec(
      md,
    )?.[1];
    expect(body).toBe(toDiffLines(renderPlanText(createAll, { color: false }).trimEnd()));
    expect(md).not.toContain("\x1b");
  });

  it("escapes pipes, backticks and markup in cells", () => {
    const address = 'popdock_api_user_grant.x["connector:A|B`C"]';
    const p = plan({
      changes: [
        {
          address,
          type: "popdock_api_user_grant",
          name: "x",
          index: "connector:A|B`C",
          group: "popdock_api_user.x",
          action: "update",
          before: { id: "grt_1", kind: "connector", connector: "A|B`C", lists: ["a|b"] },
          after: { kind: "connector", connector: "A|B`C", lists: ["a|b", "<img src=x>"] },
          changed: ["lists"],
          reasons: ["**bold** | <b>tag</b>"],
        },
      ],
    });
    const md = renderPlanMarkdown(p);
    const row = md.split("\n").find((l) => l.startsWith("| update |"));
    expect(row).toBeDefined();
    const [action, resource, details] = cells(row ?? "");
    expect(action).toBe("update");
    expect(resource).toBe('``popdock_api_user_grant.x["connector:A\\|B`C"]``');
    expect(details).toBe('`lists`: +`"<img src=x>"`; \\*\\*bold\\*\\* \\\\| \\<b\\>tag\\</b\\>');
    expect(cells(row ?? "")).toHaveLength(3);
  });

  it("moves diff marks to the first column", () => {
    expect(
      toDiffLines(
        [
          "  + resource",
          "      ~ lists = [",
          '          - "a",',
          "        ]",
          "-/+ resource",
          "  # comment",
        ].join("\n"),
      ),
    ).toBe(
      [
        "+   resource",
        "!       lists = [",
        '-           "a",',
        "        ]",
        "-/+ resource",
        "  # comment",
      ].join("\n"),
    );
  });

  it("makes code spans that hold backticks", () => {
    expect(code("plain")).toBe("`plain`");
    expect(code("a`b")).toBe("``a`b``");
    expect(code("`x`")).toBe("`` `x` ``");
    expect(cell("a|b")).toBe("a\\|b");
  });

  it("lengthens the fence when a value holds backticks", () => {
    const p = plan({
      changes: [
        {
          address: "popdock_api_user.x",
          type: "popdock_api_user",
          name: "x",
          group: "popdock_api_user.x",
          action: "create",
          before: null,
          after: { name: "x", description: "see ```code```" },
        },
      ],
    });
    expect(renderPlanMarkdown(p)).toContain("\n````diff\n");
  });
});

/** A plan creating `users` API users, each with a grant and a token, and destroying one more. */
function bigPlan(users: number): Plan {
  const changes: Parameters<typeof plan>[0]["changes"] = [];
  for (let i = 0; i < users; i++) {
    const u = `popdock_api_user.bot_${String(i).padStart(4, "0")}`;
    changes.push(
      {
        address: u,
        type: "popdock_api_user",
        name: `bot_${i}`,
        group: u,
        action: "create",
        before: null,
        after: { name: `bot-${i}`, description: `robot number ${i} for the nightly report` },
      },
      {
        address: `popdock_api_user_grant.bot_${i}["team:Finance"]`,
        type: "popdock_api_user_grant",
        name: `bot_${i}`,
        index: "team:Finance",
        group: u,
        parent: u,
        action: "create",
        before: null,
        after: { kind: "team", team: "Finance", role: "Reader" },
      },
      {
        address: `popdock_api_token.bot_${i}["ci"]`,
        type: "popdock_api_token",
        name: `bot_${i}`,
        index: "ci",
        group: u,
        parent: u,
        action: "create",
        before: null,
        after: { name: "ci" },
        after_unknown: ["token_id"],
        sensitive: ["token_id"],
      },
    );
  }
  changes.push({
    address: "popdock_api_user.old",
    type: "popdock_api_user",
    name: "old",
    group: "popdock_api_user.old",
    action: "delete",
    before: { id: "usr_old", name: "old" },
    after: null,
    remote: { id: "usr_old", version: 1 },
  });
  return plan({
    changes,
    drift: Array.from({ length: 50 }, (_, i) => ({
      address: `popdock_api_user.drifted_${i}`,
      type: "popdock_api_user",
      group: `popdock_api_user.drifted_${i}`,
      action: "update" as const,
      before: { name: `d-${i}`, description: "before" },
      after: { name: `d-${i}`, description: "after" },
      changed: ["description"],
    })),
  });
}

describe("the PR comment's shape and cap", () => {
  it("has a caution on destroys, drift folded apart, a token table and one <details> per API user", () => {
    const md = renderPlanMarkdown(bigPlan(3));
    expect(md).toContain("> [!CAUTION]\n> **This plan destroys 1 object**, 1 API user among them");
    expect(md).toMatch(
      /<details><summary>Drift: 50 objects changed outside popdock-iac<\/summary>\n\n- `popdock_api_user.drifted_0`: `description` changed/,
    );
    expect(md).toContain("#### Tokens\n\n| Token | API user | Action | Details |");
    expect(md).toContain("| `ci` | `popdock_api_user.bot_0000` | create |");
    expect(md.match(/<details><summary>API user <code>popdock_api_user\.[a-z_0-9]+<\/code>: /g)).toHaveLength(
      4,
    );
    expect(md).toContain("<code>popdock_api_user.bot_0001</code>: 3 to create</summary>");
    expect(md).not.toContain("[!NOTE]"); // not cut
    expect(renderPlanMarkdown(createAll)).not.toContain("[!CAUTION]");
  });

  it("a 2,000-user plan stays under GitHub's limit, says what it left out and where the full plan is", () => {
    const p = bigPlan(2000);
    const md = renderPlanMarkdown(p, { fullPlan: "the `plan` artefact of this run" });
    expect(md.length).toBeLessThanOrEqual(MARKDOWN_MAX_CHARS);
    expect(md.length).toBeGreaterThan(MARKDOWN_MAX_CHARS - 2_000); // filled, not emptied
    expect(md.startsWith(`${planMarker()}\n\n**Plan:** 6000 to add, 0 to change, 1 to destroy`)).toBe(true);
    const shown = md.match(/<details><summary>API user /g)?.length ?? 0;
    expect(shown).toBeGreaterThan(0);
    expect(md).toMatch(
      new RegExp(
        `> This comment is cut to fit GitHub's limit \\(65,000 characters\\): .*${2001 - shown} API users, full text plan, \\d+ table rows not shown\\. The full plan: the \`plan\` artefact of this run\\.\\n$`,
      ),
    );
    // Every <details> that opens closes: nothing was cut mid-block.
    expect(md.match(/<details>/g)?.length).toBe(md.match(/<\/details>/g)?.length);
  });

  it.each([2_000, 10_000, 30_000])("keeps any cap (%d), down to the minimum", (max) => {
    const md = renderPlanMarkdown(bigPlan(300), { maxChars: max });
    expect(md.length).toBeLessThanOrEqual(max);
    expect(md).toContain("**Plan:** 900 to add");
    expect(md).toContain("[!NOTE]");
  });
});
