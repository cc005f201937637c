/**
 * The semantic pass every frontend's output goes through (see `types.ts`): the rules that do not
 * depend on the syntax the configuration was written in.
 *
 * - a user is given a grant once (grant keys compare case-insensitively); a duplicate is left out;
 * - no two resources have one address; the later one is left out;
 * - API user names are unique, and token names unique per user, case-insensitively (as Popdock has it);
 * - outputs refer to declared resources and attributes outputs can read; an output that uses a
 *   secret (a token ID, a sensitive variable) must be sensitive;
 * - every token gets the automatic sensitive output `<user>.<token>` with its token_id (names a
 *   user cannot write, since output names have no dot);
 * - names and descriptions are Unicode NFC (`normalizeText`), so that "é" as one code point or as
 *   e + combining accent is one name; names compare NFC and lower-cased, as Popdock does;
 * - diagnostics are sorted by file (in load order), line and column; read problems first; at most
 *   `MAX_DIAGNOSTICS` are returned, then one saying how many more (input.ts);
 * - `declaredEmpty` only when a file says so (`explicitEmpty`) and there are no resources;
 * - a config (with its digest) is returned only when there is no error.
 */
import { normalizeText } from "../../schema/limits.js";
import { checkStateBlocks } from "../engine/moves.js";
import {
  type AnyDesiredResource,
  configDigest,
  type DesiredOutput,
  type StateBlocks,
} from "../model/desired.js";
import { type Diagnostic, hasErrors } from "../model/diagnostics.js";
import { capDiagnostics } from "./input.js";
import { referenceableAttrs, sensitiveAttrs } from "./resource-config.js";
import type { DraftResource, FrontendOutput, LoadResult, Secret } from "./types.js";

/** Checks, completes and finishes a frontend's output. Pure. */
export function analyze<O, P>(out: FrontendOutput<O, P>): LoadResult {
  const diagnostics = [...out.diagnostics];
  for (const d of out.resources) d.resource = normalized(d.resource);
  const kept = checkDuplicates(out, diagnostics);
  for (const d of kept) diagnostics.push(...(d.diagnostics ?? []));
  if (out.afterDuplicates !== undefined) diagnostics.push(...out.afterDuplicates(kept));
  const resources = kept.map((d) => d.resource);
  checkOutputs(out, resources, diagnostics);
  const outputs = [...automaticOutputs(resources), ...out.outputs.map((o) => o.output)];
  const blocks = stateBlocksOf(out);
  diagnostics.push(...checkStateBlocks({ resources, ...blocks }));
  const all = capDiagnostics([...out.readDiagnostics, ...sortDiagnostics(diagnostics, out.files)]);
  if (hasErrors(all)) return { diagnostics: all };
  const config = { provider: out.provider, resources, outputs, ...blocks };
  const declaredEmpty = out.explicitEmpty === true && resources.length === 0;
  return {
    config: { files: out.files, digest: configDigest(config), ...config, declaredEmpty },
    diagnostics: all,
  };
}

/** The frontend's moved / removed / import blocks, only those it has (absent lists stay absent). */
function stateBlocksOf(out: StateBlocks): StateBlocks {
  const blocks: StateBlocks = {};
  if (out.moved?.length) blocks.moved = out.moved;
  if (out.removed?.length) blocks.removed = out.removed;
  if (out.imports?.length) blocks.imports = out.imports;
  return blocks;
}

/**
 * `r` with its `name` and `description` in Unicode NFC, whatever its type (the same object when
 * they already are).
 */
function normalized(r: AnyDesiredResource): AnyDesiredResource {
  const attrs = r.attrs as Record<string, unknown>;
  const changed: Record<string, string> = {};
  for (const k of ["name", "description"]) {
    const v = attrs[k];
    if (typeof v === "string" && normalizeText(v) !== v) changed[k] = normalizeText(v);
  }
  return Object.keys(changed).length === 0
    ? r
    : ({ ...r, attrs: { ...attrs, ...changed } } as AnyDesiredResource);
}

/** The drafts without duplicates (which are reported through the frontend's phrasing). */
function checkDuplicates<O, P>(out: FrontendOutput<O, P>, diags: Diagnostic[]): DraftResource<O>[] {
  const { phrasing } = out;
  const grants = new Map<string, DraftResource<O>>();
  const addresses = new Map<string, DraftResource<O>>();
  const userNames = new Map<string, DraftResource<O>>();
  const tokenNames = new Map<string, DraftResource<O>>();
  const kept: DraftResource<O>[] = [];
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
    kept.push(d);
    if (d.nameReported === true) continue;
    if (r.type === "popdock_api_user" && typeof r.attrs.name === "string" && r.attrs.name !== "") {
      const k = r.attrs.name.toLowerCase();
      const other = userNames.get(k);
      if (other !== undefined) diags.push(phrasing.duplicateUserName(d, other));
      else userNames.set(k, d);
    } else if (r.type === "popdock_api_token" && typeof r.attrs.name === "string") {
      const k = `${r.user}\u0000${r.attrs.name.toLowerCase()}`;
      const other = tokenNames.get(k);
      if (other !== undefined) diags.push(phrasing.duplicateTokenName(d, other));
      else tokenNames.set(k, d);
    }
  }
  return kept;
}

/** References in outputs, and secrets in outputs that are not sensitive. */
function checkOutputs<O, P>(
  out: FrontendOutput<O, P>,
  resources: readonly AnyDesiredResource[],
  diags: Diagnostic[],
): void {
  const { phrasing } = out;
  const addresses = resources.map((r) => r.address);
  const known = new Set(addresses);
  const push = (d: Diagnostic | undefined) => {
    if (d !== undefined) diags.push(d);
  };
  for (const o of out.outputs) {
    let secret: Secret | undefined =
      o.sensitiveVariable !== undefined ? { variable: o.sensitiveVariable } : undefined;
    for (const part of o.output.parts) {
      if (typeof part === "string") continue;
      const type = part.address.slice(0, part.address.indexOf("."));
      const attrs = referenceableAttrs(type);
      if (attrs === undefined) {
        push(phrasing.unknownResourceType(o, type));
        continue;
      }
      if (secret === undefined && sensitiveAttrs(type).includes(part.attr)) secret = { ref: part };
      if (!known.has(part.address)) {
        push(phrasing.unknownResource(o, part.address, addresses));
        continue;
      }
      if (!attrs.includes(part.attr)) push(phrasing.unknownAttribute(o, type, part.attr, attrs));
    }
    if (secret !== undefined && !o.output.sensitive) diags.push(phrasing.sensitiveRequired(o, secret));
  }
}

/** `<user>.<token>` for every token, in resource order. */
function automaticOutputs(resources: readonly AnyDesiredResource[]): DesiredOutput[] {
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
