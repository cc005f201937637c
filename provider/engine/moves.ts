/**
 * Changes to the state alone: `moved`, `removed` (destroy = false) and `import` blocks, and the
 * pure state edits `popdock state mv` makes. Terraform's model:
 *
 * - `planStateActions` checks the blocks against the configuration, the state and the refresh
 *   snapshot, and returns the state as it will be once they are applied; the planner
 *   (plan.ts) plans the resource changes against that state, so a renamed user is a noop (or an
 *   update), not a destroy and a create, and an imported object is compared with its
 *   configuration like any other. The actions are recorded in the plan (`state_actions`).
 * - `applyStateActions` replays them on the state at apply, before any call to Popdock.
 * - `moveInState` / `removeFromState` are the edits themselves: a user's grants and tokens go
 *   with it, and every reference to a moved address (parents, dependencies, pending steps,
 *   deposed objects, outputs) follows.
 *
 * Everything here is a pure function over a `StateFile` (apart from `applyStateActions`, which
 * mutates the state it is given, as apply's steps do).
 */
import type { Attrs, Plan, StateAction } from "../../schema/plan.js";
import type { StateFile, StateResource } from "../../schema/state.js";
import type {
  AnyDesiredResource,
  ImportBlock,
  MovedBlock,
  PlannedConfig,
  RemovedBlock,
} from "../model/desired.js";
import { formatAddress, parseAddress } from "../model/desired.js";
import { type Diagnostic, didYouMean, locate } from "../model/diagnostics.js";
import { InternalError, PopdockError } from "../model/errors.js";
import type { LiveSnapshot } from "../model/live.js";
import { compareStrings } from "../model/values.js";
import { findResourceType, parentAddressOf, resourceTypeFor } from "../resources/index.js";

type MoveAction = Extract<StateAction, { kind: "move" }>;
type RemoveAction = Extract<StateAction, { kind: "remove" }>;
type ImportAction = Extract<StateAction, { kind: "import" }>;

/** What a move or removal did to a state: every address it moved or forgot, parents first. */
export interface StateEdit {
  state: StateFile;
  moves: MoveAction[];
  removes: RemoveAction[];
}

/** A state edit `popdock state mv` or a plan cannot make (the message says why and what to do). */
export class StateMoveError extends PopdockError {
  readonly code = "POPDOCK_STATE_MOVE";
}

/**
 * Moves the entry at `from` to `to` in a copy of `state`; the children of a moved parent go
 * with it (`childAddress` says where each goes; by default a child named after its parent is
 * renamed with it, as YAML names them, and any other keeps its address). Throws
 * `StateMoveError` when `from` is not in state, `to` is, or the types differ.
 */
export function moveInState(
  state: StateFile,
  from: string,
  to: string,
  childAddress: (child: string, entry: StateResource, to: string) => string = renamedChild(from),
): StateEdit {
  if (from === to) throw new StateMoveError(`${from} would move to itself`, { hint: "name another DST" });
  const entry = state.resources[from];
  if (!entry) {
    const guess = didYouMean(from, Object.keys(state.resources));
    throw new StateMoveError(`${from} is not in state`, {
      hint: guess ? `did you mean ${guess}?` : "popdock state list",
    });
  }
  const target = parseAddress(to);
  if (!target) throw new StateMoveError(`"${to}" is not a resource address (TYPE.NAME or TYPE.NAME["KEY"])`);
  if (target.type !== entry.type) {
    throw new StateMoveError(
      `${from} is a ${entry.type} and cannot move to ${to}, a ${target.type}: a move keeps the type`,
    );
  }
  if (state.resources[to]) {
    throw new StateMoveError(`${to} is already in state (id ${state.resources[to]?.id})`, {
      hint: `to replace it, first \`popdock state rm '${to}'\``,
    });
  }
  const renames = new Map<string, string>([[from, to]]);
  const moves: MoveAction[] = [{ kind: "move", type: entry.type, from, to }];
  for (const [address, child] of sortedEntries(state)) {
    if (child.parent !== from) continue;
    const next = childAddress(address, child, to);
    if (next === address) continue;
    if (state.resources[next] && !renames.has(next)) {
      throw new StateMoveError(`${address} would move with ${from} to ${next}, which is already in state`);
    }
    renames.set(address, next);
    moves.push({ kind: "move", type: child.type, from: address, to: next, with: to });
  }
  return { state: renameAll(state, renames), moves, removes: [] };
}

/** A child named after its parent (`popdock_api_token.<user>["x"]`) is renamed with it. */
export function renamedChild(from: string): (child: string, entry: StateResource, to: string) => string {
  const fromName = parseAddress(from)?.name;
  return (child, _entry, to) => {
    const c = parseAddress(child);
    const toName = parseAddress(to)?.name;
    if (!c || toName === undefined || c.name !== fromName) return child;
    return formatAddress(c.type, toName, c.index);
  };
}

/** Forgets `address` and its children in a copy of `state` (Popdock keeps them). */
export function removeFromState(state: StateFile, address: string): StateEdit {
  const entry = state.resources[address];
  if (!entry) throw new StateMoveError(`${address} is not in state`, { hint: "popdock state list" });
  const removes: RemoveAction[] = [{ kind: "remove", type: entry.type, address, id: entry.id }];
  for (const [a, child] of sortedEntries(state)) {
    if (child.parent === address)
      removes.push({ kind: "remove", type: child.type, address: a, id: child.id, with: address });
  }
  const gone = new Set(removes.map((r) => r.address));
  const next = structuredClone(state);
  for (const a of gone) delete next.resources[a];
  // Nothing here may act on them later: their pending steps and deposed objects go too.
  next.pending = next.pending.filter((p) => !gone.has(p.address));
  next.deposed = next.deposed.filter((d) => !gone.has(d.address));
  for (const r of Object.values(next.resources)) r.dependencies = r.dependencies.filter((d) => !gone.has(d));
  return { state: next, moves: [], removes };
}

/** A copy of `state` with every address in `renames` (old → new) renamed, wherever it is named. */
function renameAll(state: StateFile, renames: ReadonlyMap<string, string>): StateFile {
  const rn = (a: string) => renames.get(a) ?? a;
  const next = structuredClone(state);
  const resources: StateFile["resources"] = {};
  for (const [address, entry] of Object.entries(next.resources)) {
    const e = { ...entry, dependencies: entry.dependencies.map(rn) };
    if (e.parent !== undefined) e.parent = rn(e.parent);
    resources[rn(address)] = e;
  }
  next.resources = resources;
  next.pending = next.pending.map((p) => ({ ...p, address: rn(p.address) }));
  next.deposed = next.deposed.map((d) => ({ ...d, address: rn(d.address) }));
  for (const out of Object.values(next.outputs)) {
    out.parts = out.parts.map((p) => (typeof p === "string" ? p : { ...p, address: rn(p.address) }));
  }
  return next;
}

/** Replays a plan's state actions on `state` (apply, before any step). Mutates `state`. */
export function applyStateActions(state: StateFile, actions: readonly StateAction[]): void {
  let next = state;
  for (const a of actions) {
    if (a.kind === "move") {
      // Children moved with their parent are already where the plan put them.
      if (a.with !== undefined && !next.resources[a.from] && next.resources[a.to]) continue;
      if (!next.resources[a.from] || next.resources[a.to]) {
        throw new InternalError(`cannot move ${a.from} to ${a.to}: the state is not the one planned`);
      }
      const planned = new Map(
        actions.filter((c): c is MoveAction => c.kind === "move").map((c) => [c.from, c.to]),
      );
      next = moveInState(next, a.from, a.to, (child) => planned.get(child) ?? child).state;
    } else if (a.kind === "remove") {
      if (a.with !== undefined) continue;
      if (next.resources[a.address]?.id !== a.id) {
        throw new InternalError(`cannot forget ${a.address}: the state is not the one planned`);
      }
      next = removeFromState(next, a.address).state;
    } else {
      if (next.resources[a.address]) {
        throw new InternalError(`cannot import ${a.address}: it is in state already`);
      }
      next = { ...next, resources: { ...next.resources, [a.address]: entryOf(a) } };
    }
  }
  Object.assign(state, next);
}

/** Whether a plan changes anything at all: in Popdock, in outputs, or in the state's addresses. */
export function planHasChanges(plan: Plan): boolean {
  return (
    (plan.state_actions?.length ?? 0) > 0 ||
    plan.changes.some((c) => c.action !== "noop") ||
    plan.outputs.some((o) => o.action !== "noop")
  );
}

/** The state actions of a plan, and the state the resource changes are planned against. */
export interface StatePlan {
  state: StateFile;
  actions: StateAction[];
  diagnostics: Diagnostic[];
}

/** An `import` block whose `to` has no configuration yet, and its object, for `--generate-config-out`. */
export interface UnconfiguredImport {
  block: ImportBlock;
  /** The object's Popdock id. */
  id: string;
  type: string;
  name: string;
  index?: string;
  /** The object as refresh read it (non-secret attributes). */
  attrs: Attrs;
  /** Its API user's address, for a child (its configuration is written under that user). */
  parent?: string;
}

export interface StatePlanOptions {
  /** Import blocks whose `to` is not configured are collected rather than reported (`--generate-config-out`). */
  collectUnconfigured?: UnconfiguredImport[];
  /** A destroy plan: the blocks are not applied (everything in state is destroyed). */
  destroy?: boolean;
}

/**
 * Checks the configuration's `moved`, `removed` and `import` blocks against the state and the
 * refresh snapshot, and applies them to a copy of the state. Errors are diagnostics at the
 * block's file:line:col; a block that has already been applied (its `from` gone, its `to` in
 * state) is a no-op, so blocks can stay in the configuration as Terraform's do.
 */
export function planStateActions(
  config: PlannedConfig,
  loaded: StateFile,
  live: LiveSnapshot,
  opts: StatePlanOptions = {},
): StatePlan {
  const none = { state: loaded, actions: [], diagnostics: [] };
  if (opts.destroy) return none;
  const moved = config.moved ?? [];
  const removed = config.removed ?? [];
  const imports = config.imports ?? [];
  if (moved.length + removed.length + imports.length === 0) return none;
  const configured = new Map(config.resources.map((r) => [r.address, r]));
  const diagnostics = checkStateBlocks(config);
  if (diagnostics.some((d) => d.severity === "error")) return { ...none, diagnostics };
  const actions: StateAction[] = [];
  let state = loaded;

  for (const m of resolveChains(moved, [])) {
    const r = planMove(m, state, configured);
    if (!("state" in r)) {
      if (r.diagnostic) diagnostics.push(r.diagnostic);
      continue;
    }
    state = r.state;
    actions.push(...r.moves);
  }
  for (const b of removed) {
    // Not in state: already forgotten by an earlier apply (the block stays as history).
    if (!state.resources[b.from]) continue;
    const r = removeFromState(state, b.from);
    state = r.state;
    actions.push(...r.removes);
  }
  // Parents before children: a token's import needs its API user in state.
  const ordered = [...imports].sort(
    (a, b) => typeOrder(a.to) - typeOrder(b.to) || compareStrings(a.to, b.to),
  );
  for (const b of ordered) {
    const r = planImport(b, state, live, configured, opts);
    if (!("action" in r)) {
      if (r.diagnostic) diagnostics.push(r.diagnostic);
      continue;
    }
    state = { ...state, resources: { ...state.resources, [r.action.address]: entryOf(r.action) } };
    actions.push(r.action);
  }
  return { state, actions, diagnostics };
}

/**
 * What can be checked of the blocks against the configuration alone (the frontends' semantic
 * pass runs this, so `popdock validate` reports it at the block's file:line:col): addresses,
 * types, `from` no longer configured, a moved `to` configured, chains without cycles, import ids
 * that parse, one block per address.
 */
export function checkStateBlocks(
  config: Pick<PlannedConfig, "resources" | "moved" | "removed" | "imports">,
): Diagnostic[] {
  const configured = new Map(config.resources.map((r) => [r.address, r]));
  const diagnostics: Diagnostic[] = [];
  const moved = (config.moved ?? []).filter((m) => {
    const d = movedProblem(m, configured);
    if (d) diagnostics.push(d);
    return d === undefined;
  });
  for (const m of resolveChains(moved, diagnostics)) {
    if (configured.has(m.to)) continue;
    // Reported at the block that names the chain's end (`a → b`, `b → c`: the second).
    const last = moved.find((b) => b.to === m.to) ?? m;
    const guess = didYouMean(m.to, [...configured.keys()]);
    diagnostics.push(
      at(
        last,
        "PLAN_MOVED_UNKNOWN",
        `moved: ${m.to} is not in the configuration`,
        guess ? `did you mean ${guess}?` : "a moved block's `to` must name a configured resource",
      ),
    );
  }
  for (const b of config.removed ?? []) {
    const d = removedProblem(b, config.resources, configured);
    if (d) diagnostics.push(d);
  }
  const seenTo = new Map<string, ImportBlock>();
  const seenId = new Map<string, ImportBlock>();
  for (const b of config.imports ?? []) {
    const first = seenTo.get(b.to) ?? seenId.get(b.id);
    if (first) {
      const what =
        first.to === b.to
          ? `${b.to} is imported twice`
          : `${b.id} is imported twice (to ${first.to} and ${b.to})`;
      diagnostics.push(
        at(
          b,
          "PLAN_IMPORT_DUPLICATE",
          `import: ${what}; the other block is at ${where(first)}`,
          "keep one import block per address and object",
        ),
      );
      continue;
    }
    seenTo.set(b.to, b);
    seenId.set(b.id, b);
    const d = importProblem(b);
    if (d) diagnostics.push(d);
  }
  return diagnostics;
}

function typeOrder(address: string): number {
  const p = parseAddress(address);
  return (p && findResourceType(p.type)?.order) ?? 0;
}

function where(b: { source: MovedBlock["source"] }): string {
  const s = b.source;
  return s.line !== undefined ? `${s.file}:${s.line}:${s.column ?? 1}` : s.file;
}

function at(
  b: { source: MovedBlock["source"] },
  code: string,
  message: string,
  hint?: string,
  severity: Diagnostic["severity"] = "error",
): Diagnostic {
  return { code, severity, message, ...locate(b.source), ...(hint !== undefined ? { hint } : {}) };
}

/**
 * Follows chains (`a → b`, `b → c` moves `a` to `c`, as Terraform does); a cycle, two blocks
 * moving one address, or two moving to one address are errors.
 */
function resolveChains(moved: readonly MovedBlock[], diagnostics: Diagnostic[]): MovedBlock[] {
  const byFrom = new Map<string, MovedBlock>();
  const byTo = new Map<string, MovedBlock>();
  const ok: MovedBlock[] = [];
  for (const m of moved) {
    const sameFrom = byFrom.get(m.from);
    const sameTo = byTo.get(m.to);
    if (sameFrom) {
      diagnostics.push(
        at(
          m,
          "PLAN_MOVED_AMBIGUOUS",
          `${m.from} is moved twice: to ${m.to} and (at ${where(sameFrom)}) to ${sameFrom.to}`,
          "keep one moved block per from address",
        ),
      );
      continue;
    }
    if (sameTo) {
      diagnostics.push(
        at(
          m,
          "PLAN_MOVED_AMBIGUOUS",
          `both ${m.from} and ${sameTo.from} (at ${where(sameTo)}) move to ${m.to}`,
          "only one object can be at an address",
        ),
      );
      continue;
    }
    byFrom.set(m.from, m);
    byTo.set(m.to, m);
    ok.push(m);
  }
  const out: MovedBlock[] = [];
  for (const m of ok) {
    if (byTo.has(m.from)) continue; // the middle or end of a chain: its start carries it
    let end = m;
    const seen = new Set([m.from]);
    for (let next = byFrom.get(end.to); next; next = byFrom.get(end.to)) {
      if (seen.has(next.from)) break;
      seen.add(next.from);
      end = next;
    }
    out.push(end === m ? m : { from: m.from, to: end.to, source: m.source });
  }
  // What is left in no chain that starts somewhere is a cycle.
  const covered = new Set<string>();
  for (const m of out) {
    for (let c: MovedBlock | undefined = byFrom.get(m.from); c && !covered.has(c.from); c = byFrom.get(c.to))
      covered.add(c.from);
  }
  const reported = new Set<string>();
  for (const m of ok) {
    if (covered.has(m.from) || reported.has(m.from)) continue;
    const cycle: string[] = [];
    for (let c: MovedBlock | undefined = m; c && !cycle.includes(c.from); c = byFrom.get(c.to)) {
      cycle.push(c.from);
      reported.add(c.from);
    }
    diagnostics.push(
      at(
        m,
        "PLAN_MOVED_CYCLE",
        `these moved blocks form a cycle: ${[...cycle, m.from].join(" → ")}`,
        "an address can only move forward; remove one of them",
      ),
    );
  }
  return out;
}

function movedProblem(
  m: MovedBlock,
  configured: ReadonlyMap<string, AnyDesiredResource>,
): Diagnostic | undefined {
  const from = parseAddress(m.from);
  const to = parseAddress(m.to);
  if (!from || !to) {
    return at(
      m,
      "PLAN_MOVED_ADDRESS",
      `moved: "${!from ? m.from : m.to}" is not a resource address`,
      'write TYPE.NAME or TYPE.NAME["KEY"]',
    );
  }
  if (m.from === m.to)
    return at(m, "PLAN_MOVED_ADDRESS", `moved: from and to are both ${m.from}`, "remove the block");
  if (from.type !== to.type) {
    return at(
      m,
      "PLAN_MOVED_TYPE",
      `moved: ${m.from} is a ${from.type} and cannot move to ${m.to}, a ${to.type}`,
      "a move keeps the resource type; to change it, forget the old one (a removed block) and import the object under the new type",
    );
  }
  if (!findResourceType(from.type)) {
    return at(m, "PLAN_MOVED_TYPE", `moved: unknown resource type ${from.type}`);
  }
  if (configured.has(m.from)) {
    return at(
      m,
      "PLAN_MOVED_FROM_CONFIGURED",
      `moved: ${m.from} is still in the configuration`,
      `rename its resource to ${m.to}, or remove the moved block`,
    );
  }
  return undefined;
}

function planMove(
  m: MovedBlock,
  state: StateFile,
  configured: ReadonlyMap<string, AnyDesiredResource>,
): StateEdit | { diagnostic?: Diagnostic } {
  const target = configured.get(m.to);
  if (!target) return {}; // refused by checkStateBlocks
  const inFrom = state.resources[m.from];
  const inTo = state.resources[m.to];
  if (!inFrom) {
    if (inTo) return {}; // already moved by an earlier apply: the block stays as history
    const guess = didYouMean(m.from, Object.keys(state.resources));
    return {
      diagnostic: at(
        m,
        "PLAN_MOVED_NOT_IN_STATE",
        `moved: ${m.from} is not in state; nothing is moved, and ${m.to} will be created`,
        guess ? `did you mean ${guess}?` : "check the from address (popdock state list)",
        "warning",
      ),
    };
  }
  if (inTo) {
    return {
      diagnostic: at(
        m,
        "PLAN_MOVED_TARGET_EXISTS",
        `moved: cannot move ${m.from} to ${m.to}: ${m.to} is already in state (id ${inTo.id})`,
        `forget one of them first (\`popdock state rm '${m.to}'\` or a removed block), or remove the moved block`,
      ),
    };
  }
  const h = resourceTypeFor(inFrom.type, m.from);
  if (h.parent) {
    const newParent = parentAddressOf(target);
    if (inFrom.parent !== undefined && newParent !== inFrom.parent) {
      return {
        diagnostic: at(
          m,
          "PLAN_MOVED_PARENT",
          `moved: ${m.from} belongs to ${inFrom.parent} in Popdock and cannot move to ${m.to}, which belongs to ${newParent ?? "no API user"}`,
          "a grant or token cannot change its API user; move the user instead",
        ),
      };
    }
  }
  try {
    const edit = moveInState(state, m.from, m.to, (child, _entry, newTo) => {
      if (configured.has(child) && parentOf(configured.get(child)) === newTo) return child;
      const renamed = renamedChild(m.from)(child, _entry, newTo);
      return configured.has(renamed) || !configured.has(child) ? renamed : child;
    });
    return moveKeepers(edit, configured);
  } catch (err) {
    if (err instanceof StateMoveError)
      return { diagnostic: at(m, "PLAN_MOVED_TARGET_EXISTS", `moved: ${err.message}`, err.hint) };
    throw err;
  }
}

/**
 * A moved resource's local helpers go with it: a token's rotation keeper (YAML's
 * `null_resource.<user>__<token>_rotation`), which the token depends on, is renamed to the
 * keeper its configuration now names, rather than destroyed and created again.
 */
function moveKeepers(edit: StateEdit, configured: ReadonlyMap<string, AnyDesiredResource>): StateEdit {
  let result = edit;
  for (const mv of edit.moves) {
    const entry = result.state.resources[mv.to];
    const res = configured.get(mv.to);
    if (!entry || !res) continue;
    for (const dep of entry.dependencies) {
      const k = result.state.resources[dep];
      if (!k || configured.has(dep) || k.parent !== undefined || !findResourceType(k.type)?.local) continue;
      const wanted = [...new Set([...res.dependsOn, ...res.lifecycle.replaceTriggeredBy])].filter(
        (a) => parseAddress(a)?.type === k.type && !(a in result.state.resources) && configured.has(a),
      );
      if (wanted.length !== 1 || wanted[0] === undefined) continue;
      const kept = moveInState(result.state, dep, wanted[0]);
      result = {
        state: kept.state,
        moves: [...result.moves, ...kept.moves.map((x) => ({ ...x, with: mv.to }))],
        removes: [],
      };
    }
  }
  return result;
}

function parentOf(res: AnyDesiredResource | undefined): string | undefined {
  return res ? parentAddressOf(res) : undefined;
}

function removedProblem(
  b: RemovedBlock,
  resources: readonly AnyDesiredResource[],
  configured: ReadonlyMap<string, AnyDesiredResource>,
): Diagnostic | undefined {
  const addr = parseAddress(b.from);
  if (!addr) {
    return at(
      b,
      "PLAN_REMOVED_ADDRESS",
      `removed: "${b.from}" is not a resource address`,
      'write TYPE.NAME or TYPE.NAME["KEY"]',
    );
  }
  if (!findResourceType(addr.type))
    return at(b, "PLAN_REMOVED_ADDRESS", `removed: unknown resource type ${addr.type}`);
  if (configured.has(b.from)) {
    return at(
      b,
      "PLAN_REMOVED_CONFIGURED",
      `removed: ${b.from} is still in the configuration`,
      "remove its resource too: a removed block forgets an object the configuration no longer declares",
    );
  }
  const child = resources.find((r) => parentOf(r) === b.from);
  if (child) {
    return at(
      b,
      "PLAN_REMOVED_CONFIGURED",
      `removed: ${b.from} is forgotten, but ${child.address} still belongs to it in the configuration`,
      "remove its grants and tokens from the configuration too",
    );
  }
  return undefined;
}

function importProblem(b: ImportBlock): Diagnostic | undefined {
  const addr = parseAddress(b.to);
  if (!addr)
    return at(
      b,
      "PLAN_IMPORT_ADDRESS",
      `import: "${b.to}" is not a resource address`,
      'write TYPE.NAME or TYPE.NAME["KEY"]',
    );
  const h = findResourceType(addr.type);
  if (!h || h.local) {
    return at(
      b,
      "PLAN_IMPORT_TYPE",
      `import: ${addr.type} objects cannot be imported`,
      "import API users, grants and tokens",
    );
  }
  try {
    h.import.parse(b.id);
  } catch (err) {
    return at(
      b,
      "PLAN_IMPORT_ID",
      `import: ${(err as Error).message}`,
      `the id of a ${h.type} is ${h.import.format}`,
    );
  }
  return undefined;
}

function planImport(
  b: ImportBlock,
  state: StateFile,
  live: LiveSnapshot,
  configured: ReadonlyMap<string, AnyDesiredResource>,
  opts: StatePlanOptions,
): { action: ImportAction } | { diagnostic?: Diagnostic } {
  const addr = parseAddress(b.to);
  const h = addr ? findResourceType(addr.type) : undefined;
  if (!addr || !h) return {}; // refused by checkStateBlocks
  const id = h.import.parse(b.id);
  const inState = state.resources[b.to];
  if (inState) {
    if (inState.id === id.id) return {}; // imported by an earlier apply: the block stays as history
    return {
      diagnostic: at(
        b,
        "PLAN_IMPORT_IN_STATE",
        `import: ${b.to} is already in state as ${inState.id}, not ${id.id}`,
        `to adopt another object there, first \`popdock state rm '${b.to}'\``,
      ),
    };
  }
  const owner = Object.entries(state.resources).find(([, r]) => r.id === id.id && r.type === h.type);
  if (owner) {
    return {
      diagnostic: at(
        b,
        "PLAN_IMPORT_MANAGED",
        `import: ${b.id} is already managed as ${owner[0]}`,
        `move it with a moved block (from ${owner[0]} to ${b.to}) instead`,
      ),
    };
  }
  const obj = h.read(live, {
    type: h.type,
    id: id.id,
    ...(id.parentId !== undefined ? { parent_id: id.parentId } : {}),
    version: 0,
    attributes: {},
    dependencies: [],
  });
  if (!obj || (id.parentId !== undefined && obj.parentId !== undefined && obj.parentId !== id.parentId)) {
    return {
      diagnostic: at(
        b,
        "PLAN_IMPORT_NOT_FOUND",
        `import: there is no ${h.render.noun} ${b.id} in Popdock`,
        "check the id (the Popdock UI or API shows it)",
      ),
    };
  }
  const res = configured.get(b.to);
  const collect = res === undefined ? opts.collectUnconfigured : undefined;
  if (!res && !collect) {
    const guess = didYouMean(b.to, [...configured.keys()]);
    return {
      diagnostic: at(
        b,
        "PLAN_IMPORT_UNCONFIGURED",
        `import: ${b.to} is not in the configuration`,
        guess
          ? `did you mean ${guess}?`
          : "add its configuration, or write it with `popdock plan --generate-config-out FILE`",
      ),
    };
  }
  // An unconfigured child is written under the API user its address names (YAML's addresses).
  const parent = res ? parentAddressOf(res) : h.parent ? formatAddress(h.parent.type, addr.name) : undefined;
  if (h.parent && parent !== undefined) {
    const p = state.resources[parent];
    const generated = collect?.find((c) => formatAddress(c.type, c.name, c.index) === parent);
    const parentId = p?.id ?? generated?.id;
    if (parentId === undefined) {
      return {
        diagnostic: at(
          b,
          "PLAN_IMPORT_PARENT",
          `import: ${b.to} belongs to ${parent} (${obj.parentId ?? "?"}), which is neither in state nor imported`,
          `import the API user too: { to: ${parent}, id: ${obj.parentId ?? "…"} }`,
        ),
      };
    }
    if (parentId !== obj.parentId) {
      return {
        diagnostic: at(
          b,
          "PLAN_IMPORT_PARENT",
          `import: ${b.id} belongs to API user ${obj.parentId ?? "?"}, but ${parent} is ${parentId}`,
          "import it under the address of its own API user",
        ),
      };
    }
  }
  const key = h.import.addressIndex?.(obj.attrs);
  if (key !== undefined && key.toLowerCase() !== (addr.index ?? "").toLowerCase()) {
    const noun = h.render.noun;
    return {
      diagnostic: at(
        b,
        "PLAN_IMPORT_INDEX",
        `import: ${b.id} is a ${key} ${noun}, but ${b.to} is the ${addr.index ?? "(no key)"} ${noun}`,
        `import it at '${addr.type}.${addr.name}["${key}"]'`,
      ),
    };
  }
  if (collect) {
    collect.push({
      block: b,
      id: obj.id,
      type: h.type,
      name: addr.name,
      ...(addr.index !== undefined ? { index: addr.index } : {}),
      attrs: { ...obj.attrs },
      ...(parent !== undefined ? { parent } : {}),
    });
    return {};
  }
  const action: ImportAction = {
    kind: "import",
    type: h.type,
    address: b.to,
    id: obj.id,
    version: obj.version,
    attributes: { ...obj.attrs },
  };
  if (obj.parentId !== undefined) action.parent_id = obj.parentId;
  if (parent !== undefined) action.parent = parent;
  return { action };
}

function entryOf(a: ImportAction): StateResource {
  const entry: StateResource = {
    type: a.type,
    id: a.id,
    version: a.version,
    attributes: { ...a.attributes },
    dependencies: a.parent !== undefined ? [a.parent] : [],
  };
  if (a.parent_id !== undefined) entry.parent_id = a.parent_id;
  if (a.parent !== undefined) entry.parent = a.parent;
  return entry;
}

function sortedEntries(state: StateFile): [string, StateResource][] {
  return Object.entries(state.resources).sort(([a], [b]) => compareStrings(a, b));
}
