/**
 * The contract every configuration frontend implements. A frontend only parses its syntax: it
 * turns files into draft resources and outputs (with how to phrase diagnostics about them); the
 * shared semantic pass (`semantic.ts`) then checks duplicates, adds the automatic token outputs,
 * sorts the diagnostics and computes the config digest. `index.ts` picks the frontend for a set
 * of paths.
 */
import type {
  AnyDesiredResource,
  AttrRef,
  DesiredConfig,
  DesiredOutput,
  StateBlocks,
} from "../model/desired.js";
import type { Diagnostic } from "../model/diagnostics.js";

export type FrontendName = "terraform-json" | "yaml";

/** What one frontend makes of one path (absolute; it may not exist). */
export type Detection =
  /** Not this frontend's. */
  | { kind: "none" }
  /** This frontend's, whatever else the path holds (a `cdktf.json`, a `*.tf.json` file, …). */
  | { kind: "owns" }
  /** A directory holding this frontend's files, `example` the first by name (for a message). */
  | { kind: "contains"; example: string };

/** Everything any frontend may need to load; each uses what applies to it. */
export interface LoadOptions {
  /** Files or directories as given (relative ones are resolved against `cwd`). */
  paths: readonly string[];
  /** Relative paths are resolved against it, and file names are shown relative to it. */
  cwd: string;
  /** `--var name=value` pairs (YAML variables). */
  vars?: Readonly<Record<string, string>>;
  /** The environment (`POPDOCK_VAR_<name>`, a CDKTF app's environment); never `process.env` unless passed. */
  env: Readonly<Record<string, string | undefined>>;
  /** The state workspace: `${workspace}` (YAML), `terraform.workspace` (Terraform JSON). */
  workspace?: string;
  /** The CDKTF stack to read; required when the app has several. */
  stack?: string;
  /** Limit for running a CDKTF app. */
  synthTimeoutMs?: number;
  /** Stops a running CDKTF app. */
  signal?: AbortSignal | undefined;
}

/** A resource as a frontend read it, with its origin for diagnostics (see `Phrasing`). */
export interface DraftResource<O = unknown> {
  resource: AnyDesiredResource;
  origin: O;
  /**
   * A problem with its name (user or token) has been reported already: the name is not compared
   * with the others, so that one mistake gives one diagnostic.
   */
  nameReported?: boolean;
  /** Problems with this resource that matter only if it is kept (not left out as a duplicate). */
  diagnostics?: Diagnostic[];
}

/** An output as a frontend read it (its references resolved to addresses), with its origin. */
export interface DraftOutput<P = unknown> {
  output: DesiredOutput;
  origin: P;
  /** A sensitive variable the value uses (YAML): the output must be sensitive, as for a secret attribute. */
  sensitiveVariable?: string;
}

/** What makes an output's value secret: a sensitive variable, or a secret attribute it refers to. */
export type Secret = { variable: string } | { ref: AttrRef };

/**
 * How a frontend words the semantic pass's findings in its own terms (YAML document paths and
 * `file:line:column`, Terraform resource keys and construct paths). The rules are shared; only
 * the wording and position are the frontend's.
 */
export interface Phrasing<O = unknown, P = unknown> {
  /** `dup` gives the same grant (case-insensitively) to the same user as `first`. */
  duplicateGrant(dup: DraftResource<O>, first: DraftResource<O>): Diagnostic;
  /** `dup` would get the address `first` has. */
  duplicateAddress(dup: DraftResource<O>, first: DraftResource<O>): Diagnostic;
  /** Two API users with the same name, case-insensitively. */
  duplicateUserName(dup: DraftResource<O>, first: DraftResource<O>): Diagnostic;
  /** Two tokens of one user with the same name, case-insensitively. */
  duplicateTokenName(dup: DraftResource<O>, first: DraftResource<O>): Diagnostic;
  /**
   * An output refers to a type no resource has, to an address no resource has, or to an attribute
   * outputs cannot read. Undefined when the frontend has reported the problem already (a reference
   * to an entry left out as invalid, or one the frontend resolved in its own terms).
   */
  unknownResourceType(o: DraftOutput<P>, type: string): Diagnostic | undefined;
  unknownResource(o: DraftOutput<P>, address: string, declared: readonly string[]): Diagnostic | undefined;
  unknownAttribute(
    o: DraftOutput<P>,
    type: string,
    attr: string,
    attrs: readonly string[],
  ): Diagnostic | undefined;
  /** An output that is not sensitive uses `secret`. */
  sensitiveRequired(o: DraftOutput<P>, secret: Secret): Diagnostic;
}

/** A variable the configuration declares (YAML only, today). */
export interface DeclaredVariable {
  name: string;
  sensitive: boolean;
}

/** What a frontend reads: its syntax turned into drafts, and its own diagnostics. */
export interface FrontendOutput<O = unknown, P = unknown> extends StateBlocks {
  /** Files read, in order (for the config, the digest, and sorting diagnostics). */
  files: string[];
  provider: DesiredConfig["provider"];
  resources: DraftResource<O>[];
  /** Outputs the user wrote (automatic token outputs are added by the semantic pass). */
  outputs: DraftOutput<P>[];
  variables: DeclaredVariable[];
  /**
   * Whether a file says explicitly that nothing is managed (`api_users: {}`, `"resource": {}`);
   * `DesiredConfig.declaredEmpty` when there are no resources either.
   */
  explicitEmpty?: boolean;
  /** Problems reading files (in the order found, shown before all others). */
  readDiagnostics: Diagnostic[];
  /** Problems in the files' contents (sorted by the semantic pass). */
  diagnostics: Diagnostic[];
  phrasing: Phrasing<O, P>;
  /**
   * Checks that must see only the resources kept after duplicates are left out (Terraform JSON's
   * dependency cycles); called by the semantic pass with them.
   */
  afterDuplicates?(kept: readonly DraftResource<O>[]): Diagnostic[];
}

/** The result every frontend's load ends in (after the semantic pass). */
export interface LoadResult {
  /** Present only when there are no errors (warnings may remain). */
  config?: DesiredConfig;
  diagnostics: Diagnostic[];
}

/** A configuration format. */
export interface Frontend {
  readonly name: FrontendName;
  /** What this frontend makes of `path` (absolute). Cheap: `stat` and `readdir` only. */
  detect(path: string): Promise<Detection>;
  /** Reads the configuration at `opts.paths`. Never throws for user mistakes: they are diagnostics. */
  load(opts: LoadOptions): Promise<FrontendOutput>;
}
