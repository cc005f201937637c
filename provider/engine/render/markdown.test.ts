import { describe, expect, it } from "vitest";
import { createAll, drift, noChanges, plan, plans } from "../../../test/fixtures/plans/plans.js";
import { cell, code, renderPlanMarkdown, toDiffLines } from "./markdown.js";
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

  it("opens with the summary line", () => {
    expect(renderPlanMarkdown(createAll).split("\n")[0]).toBe(
      "**Plan:** 5 to add, 0 to change, 0 to destroy · 1 token will be created",
    );
    expect(renderPlanMarkdown(noChanges).split("\n")[0]).toBe(
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
