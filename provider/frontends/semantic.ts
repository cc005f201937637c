/**
 * The semantic pass every frontend's output goes through (see `types.ts`): the rules that do not
 * depend on the syntax the configuration was written in.
 *
 * - a user is given a grant once (grant keys compare case-insensitively); a duplicate is left out;
 * - no two resources have one address; the later one is left out;
 * - API user names are unique, and token names unique per user, case-insensitively (as Popdock has it);
 * - every token gets the automatic sensitive output `<user>.<token>` with its token_id (names a
 *   user cannot write, since output names have no dot);
 * - diagnostics are sorted by file (in load order), line and column; read problems first;
 * - a config (with its digest) is returned only when there is no error.
 */
import { configDigest, type DesiredOutput, type DesiredResource } from "../model/desired.js";
import { type Diagnostic, hasErrors } from "../model/diagnostics.js";
import type { DraftResource, FrontendOutput, LoadResult } from "./types.js";

/** Checks, completes and finishes a frontend's output. Pure. */
export function analyze<O>(out: FrontendOutput<O>): LoadResult {
  const diagnostics = [...out.diagnostics];
  const resources = checkDuplicates(out, diagnostics);
  const outputs = [...automaticOutputs(resources), ...out.outputs];
  const all = [...out.readDiagnostics, ...sortDiagnostics(diagnostics, out.files)];
  if (hasErrors(all)) return { diagnostics: all };
  const config = { provider: out.provider, resources, outputs };
  return { config: { files: out.files, digest: configDigest(config), ...config }, diagnostics: all };
}

/** The resources without duplicates (which are reported through the frontend's phrasing). */
function checkDuplicates<O>(out: FrontendOutput<O>, diags: Diagnostic[]): DesiredResource[] {
  const { phrasing } = out;
  const grants = new Map<string, DraftResource<O>>();
  const addresses = new Map<string, DraftResource<O>>();
  const userNames = new Map<string, DraftResource<O>>();
  const tokenNames = new Map<string, DraftResource<O>>();
  const kept: DesiredResource[] = [];
  for (const d of out.resources) {
    const r = d.resource;
    if (r.type === "popdock_api_user_grant") {
      const k = `${r.user}\u0000${(r.index ?? "").toLowerCase()}`;
      const first = grants.get(k);
      if (first !== undefined) {
        diags.push(phrasing.duplicateGrant(d, first));
        continue;
      }
      grants.set(k, d);
    }
    const first = addresses.get(r.address);
    if (first !== undefined) {
      diags.push(phrasing.duplicateAddress(d, first));
      continue;
    }
    addresses.set(r.address, d);
    kept.push(r);
    if (d.nameReported === true) continue;
    if (r.type === "popdock_api_user" && r.attrs.name !== "") {
      const k = r.attrs.name.toLowerCase();
      const other = userNames.get(k);
      if (other !== undefined) diags.push(phrasing.duplicateUserName(d, other));
      else userNames.set(k, d);
    } else if (r.type === "popdock_api_token") {
      const k = `${r.user}\u0000${r.attrs.name.toLowerCase()}`;
      const other = tokenNames.get(k);
      if (other !== undefined) diags.push(phrasing.duplicateTokenName(d, other));
      else tokenNames.set(k, d);
    }
  }
  return kept;
}

/** `<user>.<token>` for every token, in resource order. */
function automaticOutputs(resources: readonly DesiredResource[]): DesiredOutput[] {
  const outputs: DesiredOutput[] = [];
  for (const r of resources) {
    if (r.type !== "popdock_api_token") continue;
    outputs.push({
      name: `${r.name}.${r.index}`,
      parts: [{ address: r.address, attr: "token_id" }],
      sensitive: true,
      description: `Token ID of ${r.address}`,
      automatic: true,
      source: r.source,
    });
  }
  return outputs;
}

/** By file (in load order; diagnostics without a file first), then line and column. Stable. */
export function sortDiagnostics(diags: readonly Diagnostic[], files: readonly string[]): Diagnostic[] {
  const rank = (d: Diagnostic) => (d.file === undefined ? -1 : files.indexOf(d.file));
  return [...diags].sort(
    (a, b) => rank(a) - rank(b) || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0),
  );
}
