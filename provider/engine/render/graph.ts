/**
 * The dependency graph of a configuration, as Graphviz DOT or a Mermaid flowchart (which GitHub
 * renders in markdown). An arrow `A -> B` means B depends on A: A is created first, and deleted
 * last. Output is deterministic: nodes by address, edges by (from, to).
 */
import { type PlannedConfig, parseAddress } from "../../model/desired.js";
import { compareStrings } from "../../model/values.js";
import { findResourceType, parentAddressOf } from "../../resources/index.js";

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
 * The graph nodes of a configuration. Edges: a child (grant, token) depends on its parent; any
 * resource on each of its `dependsOn` and on each `lifecycle.replaceTriggeredBy` target (an
 * `address.attribute` reference counts as its resource).
 */
export function graphNodesFromConfig(config: Pick<PlannedConfig, "resources">): GraphNode[] {
  return config.resources
    .map((r) => {
      const deps = new Set<string>();
      const parent = parentAddressOf(r);
      if (parent !== undefined) deps.add(parent);
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

function dotId(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\r?\n/g, "\\n")}"`;
}

function renderDot(g: Graph): string {
  const lines = ["digraph popdock {", '  rankdir = "LR";', '  node [fontname = "sans-serif"];'];
  for (const n of g.nodes) {
    lines.push(
      `  ${dotId(n.address)} [${findResourceType(n.type)?.render.dotShape ?? 'shape = "box", style = "dashed"'}];`,
    );
  }
  for (const e of g.edges) lines.push(`  ${dotId(e.from)} -> ${dotId(e.to)};`);
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

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
    const [open, close] = findResourceType(n.type)?.render.mermaidShape ?? ["[", "]"];
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
