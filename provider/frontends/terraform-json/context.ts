/**
 * The Terraform JSON reader's typed blocks and the context its stages share (reader.ts runs them):
 * a `Block` per resource (its body, then its evaluated values, owner, address and dependencies as
 * the stages fill them in), an `OutputBlock` per output, and the diagnostics.
 */
import type { DesiredConfig } from "../../model/desired.js";
import type { Diagnostic } from "../../model/diagnostics.js";
import type { ResourceConfig } from "../../resources/config.js";
import type { TfRef } from "./expressions.js";
import type { DiagOptions, DocPath, JsonSource } from "./source.js";
import type { CollectedStateBlocks } from "./state-blocks.js";

export interface LifecycleIn {
  createBeforeDestroy?: boolean;
  preventDestroy?: boolean;
  ignoreChanges: string[];
  replaceTriggeredBy: { ref: TfRef; path: DocPath }[];
}

export interface Block {
  src: JsonSource;
  /** A registered type with a configuration (../resource-config.ts). */
  type: string;
  /** The type's Terraform arguments and conversion (`provider/resources/<type>/config.ts`). */
  tf: ResourceConfig["terraform"];
  name: string;
  key: string;
  path: DocPath;
  constructPath: string | undefined;
  body: Record<string, unknown>;
  /** Left out of the configuration (already reported); references to it are not reported again. */
  broken: boolean;
  state: "pending" | "resolving" | "done";
  /** Resolved arguments, once `state` is done. */
  values: Record<string, unknown>;
  /** Resources this one refers to in its arguments (Terraform keys). */
  refs: Set<string>;
  dependsOn: { ref: TfRef; path: DocPath }[];
  lifecycle: LifecycleIn;
  /** Terraform key of the owning resource (a grant's or token's `popdock_api_user`). */
  user?: string;
  address?: string;
  index?: string;
}

export interface OutputBlock {
  src: JsonSource;
  name: string;
  path: DocPath;
  constructPath: string | undefined;
  body: Record<string, unknown>;
}

/** What the reader's stages share: the blocks read so far, and the diagnostics. */
export class ReadContext {
  readonly diags: Diagnostic[] = [];
  /** What `${terraform.workspace}` is: the state workspace the command uses. */
  readonly workspace: string;

  constructor(workspace = "default") {
    this.workspace = workspace;
  }

  /** Resources of registered types, by Terraform key (`type.name`), in declaration order. */
  readonly blocks = new Map<string, Block>();
  /** Terraform keys of resources of unsupported types (reported once, where declared). */
  readonly foreign = new Set<string>();
  readonly outputs: OutputBlock[] = [];
  /** `moved`, `removed` and `import` blocks, as written (./state-blocks.ts). */
  readonly stateBlocks: CollectedStateBlocks = { moved: [], removed: [], import: [] };
  provider: DesiredConfig["provider"] = {};
  providerSeen: { src: JsonSource; path: DocPath } | undefined;
  /** Terraform keys being evaluated (evaluate.ts), to report reference cycles. */
  readonly resolving: string[] = [];

  diag(src: JsonSource, code: string, message: string, path: DocPath, opts: DiagOptions = {}): void {
    this.diags.push(src.diag(code, message, path, opts));
  }

  /** A diagnostic about block `b` (with its construct path). */
  blockDiag(b: Block, code: string, message: string, path: DocPath, opts: DiagOptions = {}): void {
    this.diag(b.src, code, message, path, { constructPath: b.constructPath, ...opts });
  }
}
