/**
 * Resolves the names in a grant (team, role, connector, connector roles and scope items) to
 * Popdock IDs against the live reference data. Unknown names become diagnostics with a
 * "did you mean". Exact matches win; otherwise a unique case-insensitive match is accepted.
 */
import type { Connector } from "../../../schema/api.js";
import type { DesiredGrant, GrantSpec, SourceRef } from "../../model/desired.js";
import { type Diagnostic, didYouMean, locate } from "../../model/diagnostics.js";
import type { LiveSnapshot } from "../../model/live.js";

/** The grant's plan attributes: names for people, ids for the API. */
export type ResolvedGrant =
  | { kind: "team"; team: string; team_id: string }
  | { kind: "role"; role: string; role_id: string }
  | {
      kind: "connector";
      connector: string;
      connector_id: string;
      roles: string[];
      companies: string[];
      lists: string[];
      actions: string[];
      details: string[];
    };

function find<T extends { name: string }>(items: readonly T[], name: string): T | undefined {
  return items.find((i) => i.name === name) ?? uniqueFold(items, name);
}

function uniqueFold<T extends { name: string }>(items: readonly T[], name: string): T | undefined {
  const hits = items.filter((i) => i.name.toLowerCase() === name.toLowerCase());
  return hits.length === 1 ? hits[0] : undefined;
}

function unknown(
  code: string,
  what: string,
  name: string,
  candidates: readonly string[],
  source: SourceRef,
  extra = "",
): Diagnostic {
  const guess = didYouMean(name, candidates);
  const d: Diagnostic = {
    code,
    severity: "error",
    message: `unknown ${what} "${name}"${extra}`,
    ...locate(source),
  };
  d.hint =
    guess !== undefined
      ? `did you mean "${guess}"?`
      : candidates.length > 0
        ? `known: ${candidates.map((c) => `"${c}"`).join(", ")}`
        : "none are defined in Popdock";
  return d;
}

function normalizeSet(items: readonly string[]): string[] {
  return [...new Set(items)].sort();
}

/** Resolves one desired grant; returns its attributes or the diagnostics that prevent it. */
export function resolveGrant(
  grant: DesiredGrant,
  live: Pick<LiveSnapshot, "teams" | "roles" | "connectors">,
): { attrs?: ResolvedGrant; diagnostics: Diagnostic[] } {
  const spec: GrantSpec = grant.attrs;
  const src = grant.source;
  switch (spec.kind) {
    case "team": {
      const team = find(live.teams, spec.team);
      if (!team) {
        return {
          diagnostics: [
            unknown(
              "REF_UNKNOWN_TEAM",
              "team",
              spec.team,
              live.teams.map((t) => t.name),
              src,
            ),
          ],
        };
      }
      return { attrs: { kind: "team", team: team.name, team_id: team.id }, diagnostics: [] };
    }
    case "role": {
      const system = live.roles.filter((r) => r.scope === "system");
      const role = find(system, spec.role);
      if (!role) {
        const isConnectorRole = live.roles.some(
          (r) => r.scope === "connector" && r.name.toLowerCase() === spec.role.toLowerCase(),
        );
        const extra = isConnectorRole
          ? ` (it is a connector role: put it in a connector grant's roles list)`
          : "";
        return {
          diagnostics: [
            unknown(
              "REF_UNKNOWN_ROLE",
              "system role",
              spec.role,
              system.map((r) => r.name),
              src,
              extra,
            ),
          ],
        };
      }
      return { attrs: { kind: "role", role: role.name, role_id: role.id }, diagnostics: [] };
    }
    case "connector": {
      const connector = find(live.connectors, spec.connector);
      if (!connector) {
        return {
          diagnostics: [
            unknown(
              "REF_UNKNOWN_CONNECTOR",
              "connector",
              spec.connector,
              live.connectors.map((c) => c.name),
              src,
            ),
          ],
        };
      }
      const diagnostics: Diagnostic[] = [];
      const connectorRoles = live.roles.filter((r) => r.scope === "connector").map((r) => r.name);
      const roles = resolveItems(
        spec.roles,
        connectorRoles,
        "connector role",
        "",
        "REF_UNKNOWN_CONNECTOR_ROLE",
        at(src, "roles"),
        diagnostics,
      );
      const scope = (key: "companies" | "lists" | "actions" | "details", what: string) =>
        resolveItems(
          spec[key],
          (connector as Connector)[key],
          what,
          ` in connector "${connector.name}"`,
          "REF_UNKNOWN_SCOPE_ITEM",
          at(src, key),
          diagnostics,
        );
      const attrs: ResolvedGrant = {
        kind: "connector",
        connector: connector.name,
        connector_id: connector.id,
        roles,
        companies: scope("companies", "company"),
        lists: scope("lists", "list"),
        actions: scope("actions", "action"),
        details: scope("details", "detail"),
      };
      return diagnostics.length > 0 ? { diagnostics } : { attrs, diagnostics };
    }
  }
}

/** The source of a grant's field: same position, a path that names the field. */
function at(src: SourceRef, key: string): SourceRef {
  return src.path !== undefined ? { ...src, path: `${src.path}.${key}` } : src;
}

function resolveItems(
  wanted: readonly string[],
  known: readonly string[],
  what: string,
  extra: string,
  code: string,
  src: SourceRef,
  out: Diagnostic[],
): string[] {
  const result: string[] = [];
  for (const w of wanted) {
    const exact = known.find((k) => k === w);
    const folded = known.filter((k) => k.toLowerCase() === w.toLowerCase());
    const hit = exact ?? (folded.length === 1 ? folded[0] : undefined);
    if (hit === undefined) out.push(unknown(code, what, w, known, src, extra));
    else result.push(hit);
  }
  return normalizeSet(result);
}
