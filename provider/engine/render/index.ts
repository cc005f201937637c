/**
 * Plan renderers: text (the terminal), JSON (`terraform show -json` shaped, for policy tools),
 * markdown (pull-request comments) and the dependency graph (DOT, Mermaid). All pure.
 */
export { type GraphFormat, type GraphNode, graphNodesFromConfig, renderGraph } from "./graph.js";
export {
  type JsonAction,
  type JsonChange,
  type JsonOutputChange,
  type JsonPlan,
  type JsonPlannedResource,
  type JsonResourceChange,
  jsonActions,
  POPDOCK_IAC_VERSION,
  renderPlanJson,
} from "./json.js";
export { renderPlanMarkdown } from "./markdown.js";
export { formatSummaryLine, type RefreshInfo, renderPlanText, type TextRenderOptions } from "./text.js";
