/**
 * The dependency graph of a configuration, as Graphviz DOT or a Mermaid flowchart (which GitHub
 * renders in markdown). An arrow `A -> B` means B depends on A: A is created first, and deleted
 * last. Output is deterministic: nodes by address, edges by (from, to).
 */
import { type DesiredConfig, parseAddress } from "../../model/desired.js";
import { compareStrings } from "../../model/values.js";

export interface GraphNode {
  address: string;
  type: string;
  /** Addresses this resource depends on. */
  dependsOn: string[];
}

export type GraphFormat = "dot" | "mermaid";

/** `null_resource.x.id` → `null_resource.x`; an address stays as it is. */
function resourceOf(ref: string): string {
  if (parseAddress(ref)) return ref;
  const m = /^(.+)\.[A-Za-z_][A-Za-z0-9_]*$/.exec(ref);
  const base = m?.[1];
  return base !== undefined && parseAddress(base) ? base : ref;
}

/**
 * The graph nodes of a configuration. Edges: a grant or token depends on its `user`; any
 * resource on each of its `dependsOn` and on each `lifecycle.replaceTriggeredBy` target (an
 * `address.attribute` reference counts as its resource).
 */
export function graphNodesFromConfig(config: DesiredConfig): GraphNode[] {
  return config.resources
    .map((r) => {
      const deps = new Set<string>();
      if (r.type === "popdock_api_user_grant" || r.type === "popdock_api_token") deps.add(r.user);
      for (const d of r.dependsOn) deps.add(d);
      for (const t of r.lifecycle.replaceTriggeredBy) deps.add(resourceOf(t));
      deps.delete(r.address);
      return { address: r.address, type: r.type, dependsOn: [...deps].sort(compareStrings) };
    })
    .sort((a, b) => compareStrings(a.address, b.address));
}

interface Graph {
  nodes: { address: string; type: string }[];
  edges: { from: string; to: string }[];
}

/** Nodes sorted, duplicates merged, referenced-but-missing nodes added, edges sorted and unique. */
function normalize(input: readonly GraphNode[]): Graph {
  const types = new Map<string, string>();
  for (const n of input) types.set(n.address, n.type);
  const edges = new Map<string, { from: string; to: string }>();
  for (const n of input) {
    for (const d of n.dependsOn) {
      if (!types.has(d)) types.set(d, parseAddress(d)?.type ?? "unknown");
      edges.set(JSON.stringify([d, n.address]), { from: d, to: n.address });
    }
  }
  return {
    nodes: [...types]
      .map(([address, type]) => ({ address, type }))
      .sort((a, b) => compareStrings(a.address, b.address)),
    edges: [...edges.values()].sort((a, b) => compareStrings(a.from, b.from) || compareStrings(a.to, b.to)),
  };
}

const DOT_SHAPE: Readonly<Record<string, string>> = {
  popdock_api_user: 'shape = "box", style = "bold"',
  popdock_api_user_grant: 'shape = "ellipse"',
  popdock_api_token: 'shape = "note"',
  null_resource: 'shape = "diamond"',
};

function dotId(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\r?\n/g, "\\n")}"`;
}

function renderDot(g: Graph): string {
  const lines = ["digraph popdock {", '  rankdir = "LR";', '  node [fontname = "sans-serif"];'];
  for (const n of g.nodes) {
    lines.push(`  ${dotId(n.address)} [${DOT_SHAPE[n.type] ?? 'shape = "box", style = "dashed"'}];`);
  }
  for (const e of g.edges) lines.push(`  ${dotId(e.from)} -> ${dotId(e.to)};`);
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

const MERMAID_SHAPE: Readonly<Record<string, [string, string]>> = {
  popdock_api_user: ["[", "]"],
  popdock_api_user_grant: ["([", "])"],
  popdock_api_token: ["[/", "/]"],
  null_resource: ["{{", "}}"],
};

/** A Mermaid label in quotes, with its entity codes for characters the syntax reserves. */
function mermaidLabel(text: string): string {
  const escaped = text
    .replace(/#/g, "#35;")
    .replace(/"/g, "#quot;")
    .replace(/</g, "#lt;")
    .replace(/>/g, "#gt;")
    .replace(/\r?\n/g, " ");
  return `"${escaped}"`;
}

function renderMermaid(g: Graph): string {
  const ids = new Map(g.nodes.map((n, i) => [n.address, `n${i}`]));
  const lines = ["flowchart LR"];
  for (const n of g.nodes) {
    const [open, close] = MERMAID_SHAPE[n.type] ?? ["[", "]"];
    lines.push(`  ${ids.get(n.address)}${open}${mermaidLabel(n.address)}${close}`);
  }
  for (const e of g.edges) lines.push(`  ${ids.get(e.from)} --> ${ids.get(e.to)}`);
  return `${lines.join("\n")}\n`;
}

/**
 * Renders a dependency graph. Arrows point from a dependency to its dependents (user → its
 * grants and tokens, null_resource → the tokens it triggers). Addresses referenced but not in
 * `nodes` still appear, so nothing disappears silently. Ends with a newline.
 */
export function renderGraph(nodes: readonly GraphNode[], format: GraphFormat): string {
  const g = normalize(nodes);
  return format === "dot" ? renderDot(g) : renderMermaid(g);
}
