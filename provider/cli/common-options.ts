/**
 * The common options: one table of the options scripts pass to every call (`-c`, `--endpoint`,
 * `--state`, `--var`, `--var-file`, `--no-color`, `--lock-timeout`, `--lock=false`,
 * `--parallelism`, `--input=false`, `--workspace`), and for each command either "accepted" (the command has the
 * option in its `options` record and acts on it) or a one-line reason why it does not apply,
 * which the parser prints when the option is given anyway. A command that gains an option (in its
 * record) accepts it from then on; the table only explains the refusals.
 */
import type { OptionSpec } from "./io.js";

export const COMMON_OPTION_NAMES = [
  "config",
  "endpoint",
  "state",
  "var",
  "var-file",
  "no-color",
  "lock-timeout",
  "lock",
  "parallelism",
  "input",
  "workspace",
] as const;
export type CommonOptionName = (typeof COMMON_OPTION_NAMES)[number];

/** The specs of the common options that are not defined elsewhere (common.ts has the others). */
export const VAR_FILE_OPTION: OptionSpec = {
  type: "string",
  multiple: true,
  value: "FILE",
  description: "Read variables from a YAML or JSON file of NAME: VALUE (repeatable; --var wins)",
};
export const LOCK_OPTION: OptionSpec = {
  type: "boolean",
  value: "false",
  description: "Do not take the state lock (only when nothing else can run at once)",
};
export const INPUT_OPTION: OptionSpec = {
  type: "boolean",
  value: "false",
  description: "Never ask; fail where a question would be asked (as without a terminal)",
};
export const PARALLELISM_OPTION: OptionSpec = {
  type: "string",
  value: "N",
  description: "Requests run at once, 1–100 (default 10)",
};

/** What a command touches, from which the reason a common option does not apply follows. */
interface Scope {
  /** What the command reads instead of a configuration, when it reads none. */
  noConfig?: string;
  noPopdock?: boolean;
  noState?: string;
  /** Reads the configuration only to find the state (no variables evaluated). */
  noVars?: string;
  noLock?: string;
  noParallel?: string;
  noInput?: boolean;
  /** Why the command has no use for a workspace (it reads no state, or a saved plan names it). */
  noWorkspace?: string;
}

const SCOPES: Readonly<Record<string, Scope>> = {
  validate: {
    noState: "it checks the configuration only",
    noLock: "it never reads the state",
    noParallel: "it makes at most 3 read requests (--remote)",
    noInput: true,
  },
  plan: {},
  apply: {},
  destroy: {},
  refresh: {},
  import: { noParallel: "it reads one object", noInput: true },
  output: {
    noVars: "it reads the outputs recorded in the state; the configuration is not evaluated",
    noLock: "it only reads the state",
    noParallel: "it reads at most one value",
    noInput: true,
  },
  show: {
    noWorkspace: "it renders the saved PLANFILE (which names its workspace)",
    noConfig: "it renders the saved PLANFILE",
    noPopdock: true,
    noState: "it renders the saved PLANFILE",
    noVars: "it renders the saved PLANFILE",
    noLock: "it renders the saved PLANFILE",
    noParallel: "it sends no requests",
    noInput: true,
  },
  state: {
    noPopdock: true,
    noVars: "it reads the configuration only to find the state",
    noParallel: "it sends no requests",
    noInput: true,
  },
  "force-unlock": {
    noPopdock: true,
    noVars: "it reads the configuration only to find the state",
    noLock: "it removes a lock; it never takes or waits for one",
    noParallel: "it sends no requests",
    noInput: true,
  },
  graph: {
    noPopdock: true,
    noState: "it draws the configuration",
    noLock: "it never reads the state",
    noParallel: "it sends no requests",
    noInput: true,
  },
  sandbox: {
    noWorkspace: "it keeps its own store (--data DIR)",
    noConfig: "it serves the sandbox API; it reads no configuration",
    noPopdock: true,
    noState: "it keeps its own store (--data DIR)",
    noVars: "it reads no configuration",
    noLock: "it keeps its own store (--data DIR)",
    noParallel: "it serves requests; it sends none",
    noInput: true,
  },
  workspace: {
    noPopdock: true,
    noState: "it manages the workspaces of the configuration's backend (--state names a single state file)",
    noVars: "it reads the configuration only to find the backend",
    noParallel: "it sends no requests",
    noInput: true,
  },
  tokens: {
    noLock: "it only reads the state",
    noParallel: "it makes at most 4 read requests",
    noInput: true,
  },
  policy: {
    noWorkspace: "it reads no state (check evaluates the saved PLANFILE)",
    noPopdock: true,
    noState: "it reads no state (check evaluates the saved PLANFILE)",
    noVars: "it reads only the policy rules of the configuration",
    noLock: "it reads no state",
    noParallel: "it sends no requests",
    noInput: true,
  },
  completion: {
    noWorkspace: "it prints a shell script",
    noConfig: "it prints a shell script",
    noPopdock: true,
    noState: "it prints a shell script",
    noVars: "it prints a shell script",
    noLock: "it prints a shell script",
    noParallel: "it sends no requests",
    noInput: true,
  },
};

/**
 * Why `--option` does not apply to `command`, or undefined when the table has no reason (then
 * the command is expected to accept it; a test checks the two agree).
 */
export function refusalReason(command: string, option: CommonOptionName): string | undefined {
  const s = SCOPES[command];
  if (s === undefined) return undefined;
  const because = (why: string) => `${command} does not use --${option}: ${why}`;
  switch (option) {
    case "config":
      return s.noConfig ? because(s.noConfig) : undefined;
    case "endpoint":
      return s.noPopdock ? because("it never contacts Popdock") : undefined;
    case "state":
      return s.noState ? because(s.noState) : undefined;
    case "var":
    case "var-file":
      return s.noVars ? because(s.noVars) : undefined;
    case "lock-timeout":
    case "lock":
      return s.noLock ? because(s.noLock) : undefined;
    case "parallelism":
      return s.noParallel ? because(s.noParallel) : undefined;
    case "input":
      return s.noInput ? because("it never asks a question") : undefined;
    case "workspace":
      return s.noWorkspace ? because(s.noWorkspace) : undefined;
    case "no-color":
      return undefined;
  }
}

/** The commands the table knows (the others accept only what their records list). */
export function hasScope(command: string): boolean {
  return Object.hasOwn(SCOPES, command);
}

/** The spec under which a refused common option is still recognised (to refuse it by name). */
export const REFUSED_SPECS: Readonly<Record<CommonOptionName, OptionSpec>> = {
  config: { type: "string", short: "c", multiple: true, description: "" },
  endpoint: { type: "string", description: "" },
  state: { type: "string", description: "" },
  var: { type: "string", multiple: true, description: "" },
  "var-file": { type: "string", multiple: true, description: "" },
  "no-color": { type: "boolean", description: "" },
  "lock-timeout": { type: "string", description: "" },
  lock: { type: "boolean", description: "" },
  parallelism: { type: "string", description: "" },
  input: { type: "boolean", description: "" },
  workspace: { type: "string", description: "" },
};
