/**
 * Token generations: the planner's phase for tokens with a rotation policy (`rotation.overlap`),
 * and the state bookkeeping apply and recovery do for them.
 *
 * - The address is always the current generation; its predecessor lives on the state entry as
 *   `previous`, with the time its overlap ends (`retires_at`).
 * - Time is Popdock's: `live.serverTime` (the `Date` header of the refresh), never this machine's.
 * - Rotation (due by `every`, a changed trigger or base name, or `-replace`) is one create of the
 *   next generation, named `<name>-YYYYMMDD` (`-2`, `-3` on a clash): no delete. The current one
 *   becomes the previous one.
 * - A previous generation is deleted once its overlap has passed and, with `retire_when_unused`,
 *   it has not been used for that long; used more recently, it is kept with a warning unless
 *   `--force-retire` names the token.
 *
 * The plan records every decision (`ResourceChange.rotation`, `.token`), so a saved plan applies
 * exactly what it showed.
 */
import { NAME_MAX } from "../../schema/limits.js";
import type { Attrs, DriftChange, Plan, ResourceChange, TokenTiming } from "../../schema/plan.js";
import type { PendingStep, StateFile, StateResource } from "../../schema/state.js";
import type { AnyDesiredResource, RotationPolicy } from "../model/desired.js";
import { parseAddress } from "../model/desired.js";
import { type Diagnostic, locate } from "../model/diagnostics.js";
import type { LiveSnapshot } from "../model/live.js";
import { sameValue } from "../model/values.js";
import { formatAge } from "../resources/api-token/duration.js";
import { resourceTypeFor } from "../resources/index.js";
import type { LiveObject } from "../resources/types.js";

export const TOKEN_TYPE = "popdock_api_token";

/** What the rotation phase reads and writes of the planner's context. */
export interface RotationContext {
  input: { now?: Date; replace?: readonly string[]; forceRetire?: readonly string[] };
  state: StateFile;
  live: LiveSnapshot;
  desired: readonly AnyDesiredResource[];
  configByAddr: ReadonlyMap<string, AnyDesiredResource>;
  current: ReadonlyMap<string, LiveObject | undefined>;
  changes: Map<string, ResourceChange>;
  diagnostics: Diagnostic[];
}

/** `popdock_api_token.ledger["nightly"] (previous)`: how plans and state listings name a previous generation. */
export function previousAddress(address: string): string {
  return `${address} (previous)`;
}

/** The day part of a generation name: `20270301` (UTC). */
export function generationDay(at: Date): string {
  return at.toISOString().slice(0, 10).replaceAll("-", "");
}

/** Whether `name` is `base` itself or one of its generations (`base-YYYYMMDD`, `base-YYYYMMDD-N`). */
export function isGenerationOf(name: string, base: string): boolean {
  const n = name.toLowerCase();
  const b = base.toLowerCase();
  if (n === b) return true;
  if (!n.startsWith(`${b}-`)) return false;
  return /^[0-9]{8}(-[0-9]+)?$/.test(n.slice(b.length + 1));
}

/** The next generation's name: `base-YYYYMMDD`, or `-2`, `-3`… when that name is taken (case-insensitively). */
export function generationName(base: string, at: Date, taken: Iterable<string>): string {
  const used = new Set([...taken].map((t) => t.toLowerCase()));
  const first = `${base}-${generationDay(at)}`;
  if (!used.has(first.toLowerCase())) return first;
  for (let n = 2; ; n++) {
    const name = `${first}-${n}`;
    if (!used.has(name.toLowerCase())) return name;
  }
}

/** Popdock's clock for this plan: the snapshot's server time, else (no `Date` header) the given time. */
export function serverNow(live: LiveSnapshot, fallback: Date | undefined): Date {
  if (live.serverTime !== undefined) return new Date(live.serverTime);
  return fallback ?? new Date();
}

const seconds = (ms: number) => Math.floor(ms / 1000);

function timing(
  generation: TokenTiming["generation"],
  now: Date,
  tok: { name: string; created_at: string; last_used_at: string | null },
  rotation?: TokenTiming["rotation"],
): TokenTiming {
  const created = Date.parse(tok.created_at);
  const used = tok.last_used_at === null ? undefined : Date.parse(tok.last_used_at);
  return {
    generation,
    name: tok.name,
    server_time: now.toISOString(),
    created_at: tok.created_at,
    age_seconds: seconds(now.getTime() - created),
    last_used_at: tok.last_used_at,
    last_used_seconds_ago: used === undefined ? null : seconds(now.getTime() - used),
    ...(rotation ? { rotation } : {}),
  };
}

/** `created 94 d ago, last used 2 h ago, rotation due in 3 d` (or `overdue by 4 d`; `retires in 2 d`). */
export function describeTiming(t: TokenTiming): string {
  const parts = [`created ${formatAge(t.age_seconds)} ago`];
  parts.push(
    t.last_used_seconds_ago === null ? "never used" : `last used ${formatAge(t.last_used_seconds_ago)} ago`,
  );
  const r = t.rotation;
  if (r?.due_in_seconds !== undefined) {
    parts.push(
      r.due_in_seconds > 0
        ? `rotation due in ${formatAge(r.due_in_seconds)}`
        : `rotation overdue by ${formatAge(-r.due_in_seconds)}`,
    );
  }
  if (r?.retires_at !== undefined) {
    const left = seconds(Date.parse(r.retires_at) - Date.parse(t.server_time));
    parts.push(left > 0 ? `retires in ${formatAge(left)}` : `overlap ended ${formatAge(-left)} ago`);
  }
  return parts.join(", ");
}

function policyOf(res: AnyDesiredResource | undefined): RotationPolicy | undefined {
  if (res?.type !== TOKEN_TYPE) return undefined;
  const r = (res.attrs as { rotation?: RotationPolicy }).rotation;
  return r?.overlap_seconds === undefined ? undefined : r;
}

/** Token names of a user in Popdock and in state (current and previous generations). */
function takenNames(ctx: RotationContext, parentId: string | undefined): string[] {
  const names: string[] = [];
  if (parentId !== undefined)
    for (const t of ctx.live.userById.get(parentId)?.tokens ?? []) names.push(t.name);
  for (const r of Object.values(ctx.state.resources)) {
    if (r.type !== TOKEN_TYPE || r.parent_id !== parentId) continue;
    if (typeof r.attributes.name === "string") names.push(r.attributes.name);
    if (typeof r.previous?.attributes.name === "string") names.push(r.previous.attributes.name);
  }
  for (const ch of ctx.changes.values()) {
    if (ch.type === TOKEN_TYPE && typeof ch.after?.name === "string") names.push(ch.after.name);
  }
  return names;
}

/**
 * The phase: rewrites the changes of rotating tokens (after the planner's compare and
 * replacement propagation, before replace ordering), adds the changes of previous generations,
 * and annotates every token change with its timing.
 */
export function planRotations(ctx: RotationContext, drift: DriftChange[]): void {
  const now = serverNow(ctx.live, ctx.input.now);
  const force = new Set(ctx.input.forceRetire ?? []);
  const replace = new Set(ctx.input.replace ?? []);
  for (const addr of force) {
    const entry = ctx.state.resources[addr];
    if (entry?.type !== TOKEN_TYPE || entry.previous === undefined) {
      ctx.diagnostics.push({
        code: "PLAN_FORCE_RETIRE_UNKNOWN",
        severity: "error",
        message: `--force-retire ${addr}: ${entry ? "it has no previous generation in state" : "no such token in state"}`,
        hint: "name a rotating token with a previous generation, as `popdock state list` shows it",
      });
    }
  }
  // Previous generations first: whether one retires decides whether its token may rotate again.
  const retiring = new Set<string>();
  for (const [address, entry] of Object.entries(ctx.state.resources)) {
    if (entry.previous === undefined) continue;
    if (planPrevious(ctx, now, address, entry, force.has(address), drift)) retiring.add(address);
  }
  for (const res of ctx.desired) {
    const policy = policyOf(res);
    const ch = ctx.changes.get(res.address);
    if (ch === undefined) continue;
    if (policy === undefined) {
      annotatePlain(ctx, now, ch);
      continue;
    }
    planToken(ctx, now, res, ch, policy, {
      replace: replace.has(res.address),
      previousStays: ctx.state.resources[res.address]?.previous !== undefined && !retiring.has(res.address),
    });
  }
}

/** A token without a rotation policy: its ages only. */
function annotatePlain(ctx: RotationContext, now: Date, ch: ResourceChange): void {
  if (ch.type !== TOKEN_TYPE || ch.remote === undefined) return;
  const t = ctx.live.tokenById.get(ch.remote.id);
  if (t) ch.token = timing("current", now, t);
}

function planToken(
  ctx: RotationContext,
  now: Date,
  res: AnyDesiredResource,
  ch: ResourceChange,
  policy: RotationPolicy,
  opts: { replace: boolean; previousStays: boolean },
): void {
  const base = String((res.attrs as { name: string }).name);
  const entry = ctx.state.resources[res.address];
  const cur = ctx.current.get(res.address);
  const live = cur ? ctx.live.tokenById.get(cur.id) : undefined;
  const triggers = policy.triggers;
  const parentId = entry?.parent_id ?? cur?.parentId;
  const parentCh = ch.parent ? ctx.changes.get(ch.parent) : undefined;
  const parentNew = parentCh?.action === "create" || parentCh?.action === "replace";
  const nextName = () => generationName(base, now, parentNew ? [] : takenNames(ctx, parentId));
  const withTriggers = (a: Attrs): Attrs =>
    triggers === undefined ? a : { ...a, rotation_triggers: triggers };
  const checkLength = (name: string) => {
    if (name.length <= NAME_MAX) return;
    const src = ctx.configByAddr.get(res.address)?.source;
    ctx.diagnostics.push({
      code: "PLAN_TOKEN_NAME_TOO_LONG",
      severity: "error",
      message: `${res.address}: its next generation's name "${name}" is longer than ${NAME_MAX} characters`,
      ...(src ? locate(src) : {}),
      hint: `shorten the token's name to at most ${NAME_MAX - 12} characters: generations add a date`,
    });
  };

  if (!entry || !cur || !live || ch.deleted_with !== undefined || parentNew) {
    // A first generation (or one re-created with its user, or after a delete outside the tool).
    if (ch.action === "create" || ch.action === "replace") {
      const name = nextName();
      checkLength(name);
      ch.after = withTriggers({ ...(ch.after ?? {}), name });
    }
    return;
  }

  const every = policy.every_seconds;
  const dueAt = every === undefined ? undefined : new Date(Date.parse(live.created_at) + every * 1000);
  const reasons: string[] = [];
  if (dueAt !== undefined && dueAt.getTime() <= now.getTime()) {
    reasons.push(
      `rotation due: the current generation is ${formatAge(seconds(now.getTime() - Date.parse(live.created_at)))} old (every ${formatAge(every ?? 0)})`,
    );
  }
  const stored = entry.attributes.rotation_triggers;
  if (triggers !== undefined && stored !== undefined && !sameValue(stored, triggers)) {
    reasons.push("a rotation trigger changed");
  }
  if (!isGenerationOf(live.name, base)) reasons.push(`the name changed to "${base}"`);
  if (opts.replace) reasons.push("requested with -replace");
  const h = resourceTypeFor(TOKEN_TYPE);
  const before: Attrs = withTriggers({
    id: cur.id,
    name: live.name,
    token_id_hint: live.token_id_hint,
    created_at: live.created_at,
  });
  const rotation = (decision: NonNullable<TokenTiming["rotation"]>["decision"]): TokenTiming["rotation"] => ({
    ...(every !== undefined ? { every_seconds: every } : {}),
    overlap_seconds: policy.overlap_seconds,
    ...(policy.retire_when_unused_seconds !== undefined
      ? { retire_when_unused_seconds: policy.retire_when_unused_seconds }
      : {}),
    ...(dueAt !== undefined
      ? { due_at: dueAt.toISOString(), due_in_seconds: seconds(dueAt.getTime() - now.getTime()) }
      : {}),
    decision,
  });
  const noop = (decision: "wait" | "blocked") => {
    ch.action = "noop";
    ch.reasons = [];
    ch.before = before;
    ch.after = withTriggers({ name: live.name });
    ch.after_unknown = [];
    ch.changed = [];
    delete ch.replace_order;
    ch.token = timing("current", now, live, rotation(decision));
  };
  if (reasons.length === 0) {
    noop("wait");
    return;
  }
  if (opts.previousStays) {
    const prev = entry.previous;
    const onlyDue = reasons.length === 1 && reasons[0]?.startsWith("rotation due");
    const msg = `${res.address}: ${reasons.join("; ")}, but its previous generation "${String(prev?.attributes.name)}" has not retired yet (overlap until ${prev?.retires_at})`;
    const src = ctx.configByAddr.get(res.address)?.source;
    ctx.diagnostics.push({
      code: "PLAN_ROTATION_BLOCKED",
      severity: onlyDue ? "warning" : "error",
      message: onlyDue ? `${msg}; it rotates once that one is deleted` : msg,
      ...(src ? locate(src) : {}),
      hint: `retire the previous generation now with \`popdock apply --force-retire '${res.address}'\`, or wait until it is no longer used`,
    });
    noop("blocked");
    return;
  }
  const name = nextName();
  checkLength(name);
  ch.action = "create";
  ch.reasons = [
    ...reasons,
    `the current generation "${live.name}" stays valid as the previous one for ${formatAge(policy.overlap_seconds)} after the new one exists`,
  ];
  ch.before = before;
  ch.after = withTriggers({ name });
  ch.after_unknown = [...h.computed];
  ch.changed = [];
  delete ch.replace_order;
  ch.remote = {
    id: cur.id,
    ...(cur.parentId !== undefined ? { parent_id: cur.parentId } : {}),
    version: cur.version,
  };
  ch.rotation = { previous_id: cur.id, overlap_seconds: policy.overlap_seconds };
  ch.token = timing("current", now, live, rotation("rotate"));
}

/**
 * The change of a previous generation: delete (overlap over and unused, forced, its token or user
 * going, or already gone) or noop (still in its overlap, or still used). Returns whether it goes.
 */
function planPrevious(
  ctx: RotationContext,
  now: Date,
  address: string,
  entry: StateResource,
  forced: boolean,
  drift: DriftChange[],
): boolean {
  const prev = entry.previous;
  if (prev === undefined) return false;
  const addr = previousAddress(address);
  const p = parseAddress(address);
  const live = ctx.live.tokenById.get(prev.id);
  const res = ctx.configByAddr.get(address);
  const policy = policyOf(res);
  const tokenCh = ctx.changes.get(address);
  const parentCh = entry.parent ? ctx.changes.get(entry.parent) : undefined;
  const parentGoes = parentCh?.action === "delete" || parentCh?.action === "replace";
  // Without a policy any more, the previous generation still retires at its recorded time.
  const tokenGoes = tokenCh === undefined || tokenCh.action === "delete";
  const base = {
    address: addr,
    type: entry.type,
    name: p?.name ?? address,
    ...(p?.index !== undefined ? { index: p.index } : {}),
    group: entry.parent ?? address,
    ...(entry.parent ? { parent: entry.parent } : {}),
    after: null,
    after_unknown: [],
    sensitive: [...resourceTypeFor(entry.type).sensitive],
    changed: [],
    depends_on: [],
    waits_for: [],
    previous_of: address,
  };
  const before = { id: prev.id, ...prev.attributes, retires_at: prev.retires_at };
  if (!live) {
    drift.push({
      address: addr,
      type: entry.type,
      group: base.group,
      action: "delete",
      before,
      after: null,
      changed: [],
    });
    ctx.changes.set(addr, {
      ...base,
      action: "delete",
      reasons: ["the previous generation was deleted outside popdock-iac; it is removed from state"],
      before,
    });
    return true;
  }
  const remote = { id: live.id, parent_id: live.api_user_id, version: live.version };
  const retiresAt = Date.parse(prev.retires_at);
  const over = retiresAt <= now.getTime();
  const usedAgo = live.last_used_at === null ? undefined : now.getTime() - Date.parse(live.last_used_at);
  const window = policy?.retire_when_unused_seconds;
  const stillUsed = window !== undefined && usedAgo !== undefined && usedAgo < window * 1000;
  const rotation = (decision: "retire" | "keep" | "wait"): TokenTiming["rotation"] => ({
    overlap_seconds: policy?.overlap_seconds ?? 0,
    ...(window !== undefined ? { retire_when_unused_seconds: window } : {}),
    retires_at: prev.retires_at,
    decision,
  });
  let reason: string | undefined;
  if (parentGoes) reason = `${entry.parent} is ${parentCh?.action === "delete" ? "deleted" : "replaced"}`;
  else if (tokenGoes) reason = "its token is deleted";
  else if (forced) reason = "retired now with --force-retire";
  else if (over && !stillUsed) {
    reason =
      window === undefined
        ? `its overlap ended ${prev.retires_at}`
        : `its overlap ended ${prev.retires_at} and it has not been used for ${formatAge(window)}`;
  }
  if (reason !== undefined) {
    ctx.changes.set(addr, {
      ...base,
      action: "delete",
      reasons: [reason],
      before,
      remote,
      ...(parentGoes && entry.parent ? { deleted_with: entry.parent } : {}),
      token: timing("previous", now, live, rotation("retire")),
    });
    return true;
  }
  if (over && stillUsed) {
    const src = res?.source;
    ctx.diagnostics.push({
      code: "PLAN_TOKEN_STILL_USED",
      severity: "warning",
      message: `${addr} ("${live.name}") is kept: its overlap ended ${prev.retires_at}, but it was last used ${formatAge(seconds(usedAgo ?? 0))} ago (${live.last_used_at}); it is retired once unused for ${formatAge(window ?? 0)}`,
      ...(src ? locate(src) : {}),
      hint: `switch its consumers to the current generation, or retire it now with \`popdock apply --force-retire '${address}'\``,
    });
  }
  ctx.changes.set(addr, {
    ...base,
    action: "noop",
    reasons: [],
    before,
    remote,
    token: timing("previous", now, live, rotation(over ? "keep" : "wait")),
  });
  return false;
}

/**
 * Apply: the state entry of a token's next generation, the current one kept as `previous`
 * (retiring `overlap_seconds` after the new one's creation by Popdock's clock).
 */
export function withPrevious(
  next: StateResource,
  prior: StateResource,
  overlapSeconds: number,
  fallbackNow: Date,
): StateResource {
  const created =
    typeof next.attributes.created_at === "string" ? Date.parse(next.attributes.created_at) : Number.NaN;
  const from = Number.isFinite(created) ? created : fallbackNow.getTime();
  const { rotation_triggers: _t, ...attributes } = prior.attributes;
  return {
    ...next,
    previous: {
      id: prior.id,
      version: prior.version,
      attributes,
      retires_at: new Date(from + overlapSeconds * 1000).toISOString(),
    },
  };
}

/** Apply: the pending record of a rotation's create names the generation it keeps. */
export function rotationPending(ch: ResourceChange, p: PendingStep): PendingStep {
  if (ch.rotation === undefined) return p;
  return { ...p, replaces_id: ch.rotation.previous_id, overlap_seconds: ch.rotation.overlap_seconds };
}

/**
 * The entry at `address` without its previous generation `id` (any, when `id` is undefined), or
 * undefined when it has no such previous generation. Pure: apply records it as a journal delta.
 */
export function withoutPrevious(
  state: StateFile,
  address: string,
  id: string | undefined,
): StateResource | undefined {
  const entry = state.resources[address];
  if (entry?.previous === undefined || (id !== undefined && entry.previous.id !== id)) return undefined;
  const { previous: _p, ...rest } = entry;
  return rest;
}

/** Recovery: a previous generation deleted (or found gone) leaves its entry. */
export function forgetPrevious(state: StateFile, address: string, id: string | undefined): void {
  const rest = withoutPrevious(state, address, id);
  if (rest !== undefined) state.resources[address] = rest;
}

/** The previous generations in a plan, for renderers: `(previous, retires 2027-03-08)`. */
export function previousLabel(retiresAt: string): string {
  return `(previous, retires ${retiresAt.slice(0, 10)})`;
}

/** Token rows of a plan with timing (for the markdown table and policies). */
export function tokenChanges(plan: Pick<Plan, "changes">): ResourceChange[] {
  return plan.changes.filter((c) => c.token !== undefined);
}

/**
 * `--secrets-out` during an overlap: for each automatic token output (`<user>.<token>`) whose
 * token was rotated in this run, the previous generation's Token ID as `<name>.previous`, read
 * with the administrator's GET, so that consumers can be switched deliberately.
 */
export async function previousSecrets(
  state: StateFile,
  created: ReadonlyMap<string, string>,
  readToken: (userId: string, tokenId: string) => Promise<string>,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [name, o] of Object.entries(state.outputs)) {
    if (!o.sensitive || o.parts.length !== 1) continue;
    const part = o.parts[0];
    if (typeof part === "string" || part === undefined || part.attr !== "token_id") continue;
    const entry = state.resources[part.address];
    if (!created.has(part.address) || entry?.previous === undefined || entry.parent_id === undefined)
      continue;
    out.set(`${name}.previous`, await readToken(entry.parent_id, entry.previous.id));
  }
  return out;
}
