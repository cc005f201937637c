/**
 * The state's encoding, shared by every backend: a fresh state, canonical JSON, validation of
 * what is read (`StateInvalidError`, naming where) and the guard that refuses to write a token
 * ID (`StateSecretError`).
 */
import { randomUUID } from "node:crypto";
import {
  DeposedObject,
  PendingStep,
  STATE_FORMAT_VERSION,
  StateFile,
  StateOutput,
  StateResource,
} from "../../schema/state.js";
import { PopdockError } from "../model/errors.js";

const TOOL = "popdock-iac";
/** How many schema problems a `StateInvalidError` message lists. */
const MAX_LISTED_PROBLEMS = 5;

/** The state file could not be used: not JSON, not ours, a format we don't know, or invalid. */
export class StateInvalidError extends PopdockError {
  readonly code = "POPDOCK_STATE_INVALID";
  /** Where the state is: a file path, or a backend's description. */
  readonly path: string;
  /** One line per problem found (zod issue path and message), at most a few. */
  readonly problems: readonly string[];

  constructor(
    filePath: string,
    message: string,
    problems: readonly string[],
    options?: { cause?: unknown; hint?: string },
  ) {
    super(message, {
      ...options,
      hint:
        options?.hint ??
        "restore a previous version (or fix the state by hand); popdock-iac never replaces a state it cannot read",
    });
    this.path = filePath;
    this.problems = problems;
  }
}

/**
 * Internal error: something tried to write a token ID into the state. Never expected to reach a
 * user; it is a guard against a bug leaking a secret to disk. The message names the key's
 * location, never its value.
 */
export class StateSecretError extends PopdockError {
  readonly code = "POPDOCK_STATE_SECRET";
  /** JSON path of the offending key, e.g. `resources["popdock_api_token.ci"].attributes.token_id`. */
  readonly keyPath: string;

  constructor(filePath: string, keyPath: string) {
    super(`refusing to write ${filePath}: the state would contain a token ID at ${keyPath}`, {
      hint: "this is a bug in popdock-iac, please report it; nothing was written",
    });
    this.keyPath = keyPath;
  }
}

/** A fresh, empty state with a new lineage and serial 0. */
export function emptyState(endpoint?: string): StateFile {
  return {
    format_version: STATE_FORMAT_VERSION,
    tool: TOOL,
    lineage: randomUUID(),
    serial: 0,
    ...(endpoint === undefined ? {} : { endpoint }),
    resources: {},
    pending: [],
    deposed: [],
    outputs: {},
  };
}

/**
 * The state as deterministic, pretty JSON (2-space indent, trailing newline): fields in schema
 * order whatever the input's key order, resource and output addresses sorted, and the free-form
 * `attributes` / `request` records sorted deeply, so an unchanged state serializes byte-for-byte
 * the same and diffs of the file stay small.
 */
export function stringifyState(state: StateFile): string {
  const canonical = inShapeOrder(StateFile.shape, {
    ...state,
    resources: sortedRecord(state.resources, (r) =>
      inShapeOrder(StateResource.shape, { ...r, attributes: sortDeep(r.attributes) }),
    ),
    pending: state.pending.map((p) =>
      inShapeOrder(PendingStep.shape, p.request === undefined ? p : { ...p, request: sortDeep(p.request) }),
    ),
    deposed: state.deposed.map((d) => inShapeOrder(DeposedObject.shape, d)),
    outputs: sortedRecord(state.outputs, (o) =>
      inShapeOrder(StateOutput.shape, { ...o, parts: sortDeep(o.parts) }),
    ),
  });
  return `${JSON.stringify(canonical, null, 2)}\n`;
}

/** `value` with the keys of `shape` first, in schema order, then any others sorted. */
function inShapeOrder<T extends object>(shape: object, value: T): T {
  const v = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(shape)) if (key in v) out[key] = v[key];
  for (const key of Object.keys(v).sort()) if (!(key in out)) out[key] = v[key];
  return out as T;
}

function sortedRecord<T, U>(record: Record<string, T>, map: (value: T) => U): Record<string, U> {
  const out: Record<string, U> = {};
  for (const key of Object.keys(record).sort()) out[key] = map(record[key] as T);
  return out;
}

function sortDeep<T>(value: T): T {
  if (Array.isArray(value)) return value.map(sortDeep) as T;
  if (value !== null && typeof value === "object") {
    return sortedRecord(value as Record<string, unknown>, sortDeep) as T;
  }
  return value;
}

/**
 * Throws `StateSecretError` if a key that names a token ID (`token_id`, `tokenId`, `token-id`,
 * any case) appears anywhere in `value`.
 */
export function assertNoTokenId(value: unknown, filePath: string): void {
  const visit = (v: unknown, at: string, seen: Set<object>): void => {
    if (v === null || typeof v !== "object" || seen.has(v)) return;
    seen.add(v);
    if (Array.isArray(v)) {
      v.forEach((item, i) => {
        visit(item, `${at}[${i}]`, seen);
      });
      return;
    }
    for (const [key, child] of Object.entries(v)) {
      const keyPath = at + formatKey(key);
      if (key.toLowerCase().replace(/[-_]/g, "") === "tokenid") throw new StateSecretError(filePath, keyPath);
      visit(child, keyPath, seen);
    }
  };
  visit(value, "", new Set());
}

function formatKey(key: PropertyKey): string {
  if (typeof key === "number") return `[${key}]`;
  const k = String(key);
  return /^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`;
}

export function listProblems(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string[] {
  return issues.slice(0, MAX_LISTED_PROBLEMS).map((i) => `${formatIssuePath(i.path)}: ${i.message}`);
}

function formatIssuePath(issuePath: readonly PropertyKey[]): string {
  const p = issuePath.map(formatKey).join("");
  return p === "" ? "(top level)" : p.replace(/^\./, "");
}

/** What `parseState` checks beyond the schema, and how its errors advise. */
export interface ParseStateOptions {
  /** Registered resource types: a state naming another is refused. Unchecked when absent. */
  knownTypes?: readonly string[];
  /** The hint of a `StateInvalidError` for an unreadable state (e.g. where a backup is). */
  hint?: string;
}

/** Parses and validates state text; `filePath` (or a backend's description) is only used in messages. */
export function parseState(text: string, filePath: string, opts: ParseStateOptions = {}): StateFile {
  const hint = opts.hint === undefined ? {} : { hint: opts.hint };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new StateInvalidError(filePath, `state file ${filePath} is not valid JSON (${detail})`, [detail], {
      cause: err,
      ...hint,
    });
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new StateInvalidError(filePath, `state file ${filePath} is not a JSON object`, [], hint);
  }
  const obj = raw as Record<string, unknown>;
  if (obj.tool !== TOOL) {
    const what =
      "terraform_version" in obj
        ? "it looks like a Terraform state"
        : `tool is ${obj.tool === undefined ? "missing" : JSON.stringify(obj.tool)}, expected "${TOOL}"`;
    throw new StateInvalidError(
      filePath,
      `${filePath} is not a popdock-iac state file (${what})`,
      [`tool: ${what}`],
      hint,
    );
  }
  if (obj.format_version !== STATE_FORMAT_VERSION) {
    const v = obj.format_version;
    const newer = typeof v === "number" && Number.isInteger(v) && v > STATE_FORMAT_VERSION;
    throw new StateInvalidError(
      filePath,
      newer
        ? `state file ${filePath} has format_version ${v}, written by a newer popdock-iac (this one reads ${STATE_FORMAT_VERSION})`
        : `state file ${filePath} has an unknown format_version ${JSON.stringify(v) ?? "(missing)"} (this popdock-iac reads ${STATE_FORMAT_VERSION})`,
      [`format_version: ${JSON.stringify(v) ?? "missing"}`],
      newer ? { hint: "upgrade popdock-iac to read this state" } : hint,
    );
  }
  const parsed = StateFile.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues;
    const problems = listProblems(issues);
    const more = issues.length > problems.length ? ` (and ${issues.length - problems.length} more)` : "";
    throw new StateInvalidError(
      filePath,
      `state file ${filePath} is invalid: ${problems.join("; ")}${more}`,
      problems,
      { cause: parsed.error, ...hint },
    );
  }
  const known = opts.knownTypes;
  const unknown = known === undefined ? [] : unknownTypes(parsed.data, new Set(known));
  if (known !== undefined && unknown.length > 0) {
    throw new StateInvalidError(
      filePath,
      `state file ${filePath} has resources of a type this popdock-iac does not know: ${unknown.join("; ")} (it knows ${known.join(", ")})`,
      unknown,
      { hint: "a newer popdock-iac may have written it: upgrade popdock-iac to read this state" },
    );
  }
  return parsed.data;
}

/** `resources["x.y"].type: "popdock_widget"` for each entry, deposed object or pending step of an unregistered type. */
function unknownTypes(state: StateFile, known: ReadonlySet<string>): string[] {
  const isResourceType = (t: string) => known.has(t);
  const out: string[] = [];
  for (const [address, r] of Object.entries(state.resources)) {
    if (!isResourceType(r.type))
      out.push(`resources[${JSON.stringify(address)}].type: ${JSON.stringify(r.type)}`);
  }
  for (const [i, d] of state.deposed.entries()) {
    if (!isResourceType(d.type)) out.push(`deposed[${i}].type: ${JSON.stringify(d.type)}`);
  }
  for (const [i, p] of state.pending.entries()) {
    if (!isResourceType(p.type)) out.push(`pending[${i}].type: ${JSON.stringify(p.type)}`);
  }
  return out;
}

/**
 * A compare-and-swap on the serial lost: the stored state is not the one this run read (another
 * run wrote it meanwhile, or it was pushed or restored). Nothing was written.
 */
export class StateConflictError extends PopdockError {
  readonly code = "POPDOCK_STATE_CONFLICT";
  /** The serial the writer expected, and the one stored (-1: none). */
  readonly expected: number;
  readonly found: number;

  constructor(where: string, expected: number, found: number) {
    super(
      `refusing to write ${where}: it is at serial ${found < 0 ? "(none: no state)" : found}, not ${expected < 0 ? "(none)" : expected} as this run read it; another run changed it meanwhile`,
      { hint: "nothing was written; run `popdock plan` again to see the state as it is now" },
    );
    this.expected = expected;
    this.found = found;
  }
}
