import { describe, expect, it } from "vitest";
import { type DesiredConfig, type DesiredResource, defaultLifecycle } from "../../model/desired.js";
import { graphNodesFromConfig, renderGraph } from "./graph.js";

const source = { file: "popdock.yaml" };

function config(resources: DesiredResource[]): DesiredConfig {
  return { files: ["popdock.yaml"], digest: "0".repeat(64), provider: {}, resources, outputs: [] };
}

const USER = "popdock_api_user.bot";
const small = config([
  {
    type: "popdock_api_token",
    address: 'popdock_api_token.bot["pbi"]',
    name: "bot",
    index: "pbi",
    user: USER,
    attrs: { name: "pbi" },
    dependsOn: [],
    lifecycle: {
      ...defaultLifecycle(),
      replaceTriggeredBy: ["null_resource.rotate.id", "null_resource.rotate"],
    },
    source,
  },
  {
    type: "popdock_api_user_grant",
    address: 'popdock_api_user_grant.bot["team:Finance"]',
    name: "bot",
    index: "team:Finance",
    user: USER,
    attrs: { kind: "team", team: "Finance" },
    dependsOn: [],
    lifecycle: defaultLifecycle(),
    source,
  },
  {
    type: "popdock_api_user",
    address: USER,
    name: "bot",
    attrs: { name: "bot", description: "" },
    dependsOn: ["null_resource.rotate"],
    lifecycle: defaultLifecycle(),
    source,
  },
  {
    type: "null_resource",
    address: "null_resource.rotate",
    name: "rotate",
    attrs: { triggers: { quarter: "2025-Q1" } },
    dependsOn: [],
    lifecycle: defaultLifecycle(),
    source,
  },
]);

describe("graphNodesFromConfig", () => {
  it("derives edges from users, dependsOn and replace_triggered_by", () => {
    expect(graphNodesFromConfig(small)).toEqual([
      { address: "null_resource.rotate", type: "null_resource", dependsOn: [] },
      {
        address: 'popdock_api_token.bot["pbi"]',
        type: "popdock_api_token",
        dependsOn: ["null_resource.rotate", USER],
      },
      { address: USER, type: "popdock_api_user", dependsOn: ["null_resource.rotate"] },
      {
        address: 'popdock_api_user_grant.bot["team:Finance"]',
        type: "popdock_api_user_grant",
        dependsOn: [USER],
      },
    ]);
  });
});

describe("renderGraph", () => {
  const nodes = graphNodesFromConfig(small);

  it("renders DOT", () => {
    expect(renderGraph(nodes, "dot")).toMatchInlineSnapshot(`
      "digraph popdock {
        rankdir = "LR";
        node [fontname = "sans-serif"];
        "null_resource.rotate" [shape = "diamond"];
        "popdock_api_token.bot[\\"pbi\\"]" [shape = "note"];
        "popdock_api_user.bot" [shape = "box", style = "bold"];
        "popdock_api_user_grant.bot[\\"team:Finance\\"]" [shape = "ellipse"];
        "null_resource.rotate" -> "popdock_api_token.bot[\\"pbi\\"]";
        "null_resource.rotate" -> "popdock_api_user.bot";
        "popdock_api_user.bot" -> "popdock_api_token.bot[\\"pbi\\"]";
        "popdock_api_user.bot" -> "popdock_api_user_grant.bot[\\"team:Finance\\"]";
      }
      "
    `);
  });

  it("renders Mermaid", () => {
    expect(renderGraph(nodes, "mermaid")).toMatchInlineSnapshot(`
      "flowchart LR
        n0{{"null_resource.rotate"}}
        n1[/"popdock_api_token.bot[#quot;pbi#quot;]"/]
        n2["popdock_api_user.bot"]
        n3(["popdock_api_user_grant.bot[#quot;team:Finance#quot;]"])
        n0 --> n1
        n0 --> n2
        n2 --> n1
        n2 --> n3
      "
    `);
  });

  it("does not depend on the order of its input", () => {
    const reversed = [...nodes].reverse().map((n) => ({ ...n, dependsOn: [...n.dependsOn].reverse() }));
    for (const format of ["dot", "mermaid"] as const) {
      expect(renderGraph(reversed, format)).toBe(renderGraph(nodes, format));
    }
  });

  it("keeps referenced nodes that are missing and merges duplicate edges", () => {
    const out = renderGraph(
      [{ address: "popdock_api_user.a", type: "popdock_api_user", dependsOn: ["x#y", "x#y"] }],
      "mermaid",
    );
    expect(out).toBe(
      ["flowchart LR", '  n0["popdock_api_user.a"]', '  n1["x#35;y"]', "  n1 --> n0", ""].join("\n"),
    );
  });
});
