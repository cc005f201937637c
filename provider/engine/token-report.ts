/**
 * `popdock tokens`: every token of the managed API users (or of every API user), with its
 * address or "unmanaged", generation, name, hint, creation, last use, age and rotation due — all
 * measured by Popdock's clock (`live.serverTime`). Pure: state + live snapshot + policies → rows.
 * `--max-age` and `--unused` make findings. Never a token ID: TokenMeta has none.
 */
import type { StateFile } from "../../schema/state.js";
import type { AnyDesiredResource, RotationPolicy } from "../model/desired.js";
import type { LiveSnapshot } from "../model/live.js";
import { formatAge } from "../resources/api-token/duration.js";
import { serverNow, TOKEN_TYPE } from "./rotation.js";

export interface TokenRow {
  /** The token's address, or `unmanaged`. */
  address: string;
  generation: "current" | "previous" | null;
  user: string;
  user_id: string;
  id: string;
  name: string;
  token_id_hint: string;
  created_at: string;
  last_used_at: string | null;
  age_seconds: number;
  last_used_seconds_ago: number | null;
  /** Current generation with `every`: when its rotation is due; previous: when its overlap ends. */
  rotation_due_at: string | null;
  retires_at: string | null;
}

export interface TokenFinding {
  address: string;
  name: string;
  user: string;
  rule: "max-age" | "unused";
  message: string;
}

export interface TokenReport {
  server_time: string;
  tokens: TokenRow[];
  findings: TokenFinding[];
}

export function tokenReport(input: {
  state: StateFile;
  live: LiveSnapshot;
  /** Configured resources (for rotation policies); empty when the configuration is not read. */
  desired?: readonly AnyDesiredResource[];
  all?: boolean;
  maxAgeSeconds?: number;
  unusedSeconds?: number;
  now?: Date;
}): TokenReport {
  const now = serverNow(input.live, input.now);
  const byId = new Map<string, { address: string; generation: "current" | "previous" }>();
  const managedUsers = new Set<string>();
  for (const [address, r] of Object.entries(input.state.resources)) {
    if (r.type === "popdock_api_user") managedUsers.add(r.id);
    if (r.type !== TOKEN_TYPE) continue;
    byId.set(r.id, { address, generation: "current" });
    if (r.previous) byId.set(r.previous.id, { address, generation: "previous" });
  }
  const policies = new Map<string, RotationPolicy>();
  for (const res of input.desired ?? []) {
    const p = (res.attrs as { rotation?: RotationPolicy }).rotation;
    if (res.type === TOKEN_TYPE && p?.overlap_seconds !== undefined) policies.set(res.address, p);
  }
  const rows: TokenRow[] = [];
  const findings: TokenFinding[] = [];
  const t = now.getTime();
  for (const u of input.live.users) {
    if (!input.all && !managedUsers.has(u.id)) continue;
    for (const tok of u.tokens ?? []) {
      const m = byId.get(tok.id);
      const entry = m ? input.state.resources[m.address] : undefined;
      const policy = m ? policies.get(m.address) : undefined;
      const age = Math.floor((t - Date.parse(tok.created_at)) / 1000);
      const usedAgo =
        tok.last_used_at === null ? null : Math.floor((t - Date.parse(tok.last_used_at)) / 1000);
      const due =
        m?.generation === "current" && policy?.every_seconds !== undefined
          ? new Date(Date.parse(tok.created_at) + policy.every_seconds * 1000).toISOString()
          : null;
      const row: TokenRow = {
        address: m?.address ?? "unmanaged",
        generation: m?.generation ?? null,
        user: u.name,
        user_id: u.id,
        id: tok.id,
        name: tok.name,
        token_id_hint: tok.token_id_hint,
        created_at: tok.created_at,
        last_used_at: tok.last_used_at,
        age_seconds: age,
        last_used_seconds_ago: usedAgo,
        rotation_due_at: due,
        retires_at: m?.generation === "previous" ? (entry?.previous?.retires_at ?? null) : null,
      };
      rows.push(row);
      const who = { address: row.address, name: tok.name, user: u.name };
      if (input.maxAgeSeconds !== undefined && age > input.maxAgeSeconds) {
        findings.push({
          ...who,
          rule: "max-age",
          message: `token "${tok.name}" of ${u.name} is ${formatAge(age)} old (more than ${formatAge(input.maxAgeSeconds)})`,
        });
      }
      const unusedFor = usedAgo ?? age;
      if (input.unusedSeconds !== undefined && unusedFor > input.unusedSeconds) {
        findings.push({
          ...who,
          rule: "unused",
          message:
            usedAgo === null
              ? `token "${tok.name}" of ${u.name} has never been used in its ${formatAge(age)}`
              : `token "${tok.name}" of ${u.name} was last used ${formatAge(usedAgo)} ago (more than ${formatAge(input.unusedSeconds)})`,
        });
      }
    }
  }
  const key = (r: TokenRow) => `${r.user}\u0000${r.address}\u0000${r.generation ?? ""}\u0000${r.name}`;
  rows.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  return { server_time: now.toISOString(), tokens: rows, findings };
}

/** The report as a text table and the findings after it. */
export function renderTokenReport(r: TokenReport): string {
  const head = ["ADDRESS", "GENERATION", "NAME", "HINT", "CREATED", "LAST USED", "AGE", "ROTATION DUE"];
  const t = Date.parse(r.server_time);
  const dueText = (row: TokenRow): string => {
    const at = row.rotation_due_at ?? row.retires_at;
    if (at === null) return "-";
    const left = Math.floor((Date.parse(at) - t) / 1000);
    const what = row.rotation_due_at !== null ? "" : "retires ";
    return left >= 0 ? `${what}in ${formatAge(left)}` : `${what}overdue by ${formatAge(-left)}`;
  };
  const body = r.tokens.map((row) => [
    row.address,
    row.generation ?? "-",
    row.name,
    `…${row.token_id_hint}`,
    row.created_at.slice(0, 10),
    row.last_used_seconds_ago === null ? "never" : `${formatAge(row.last_used_seconds_ago)} ago`,
    formatAge(row.age_seconds),
    dueText(row),
  ]);
  const lines: string[] = [`Tokens by Popdock's clock (${r.server_time}):`, ""];
  if (body.length === 0) lines.push("No tokens.");
  else {
    const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? "").length)));
    const fmt = (cells: string[]) =>
      cells
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd();
    lines.push(fmt(head), ...body.map(fmt));
  }
  if (r.findings.length > 0) {
    lines.push("", `${r.findings.length} finding${r.findings.length === 1 ? "" : "s"}:`);
    for (const f of r.findings) lines.push(`  ${f.rule}: ${f.address}: ${f.message}`);
  }
  return `${lines.join("\n")}\n`;
}
