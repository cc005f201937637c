/** `popdock graph [--format dot|mermaid]`: the dependency graph of the configuration. */
import { graphNodesFromConfig, renderGraph } from "../../engine/render/graph.js";
import { UsageError } from "../../model/errors.js";
import { CONFIG_OPTIONS, loadConfigOrFail, str } from "../common.js";
import type { Command } from "../io.js";

export const command: Command = {
  name: "graph",
  summary: "Print the dependency graph (Graphviz dot or Mermaid).",
  usage: "graph [--format dot|mermaid] [options]",
  examples: ["popdock graph | dot -Tsvg > graph.svg", "popdock graph --format mermaid"],
  maxPositionals: 0,
  options: {
    ...CONFIG_OPTIONS,
    format: { type: "string", value: "dot|mermaid", description: "Output format (default dot)" },
  },
  async run(args, io) {
    const format = str(args, "format") ?? "dot";
    if (format !== "dot" && format !== "mermaid")
      throw new UsageError(`--format must be dot or mermaid, not "${format}"`);
    const loaded = await loadConfigOrFail(args, io);
    io.stdout.write(renderGraph(graphNodesFromConfig(loaded.config), format));
    return 0;
  },
};
