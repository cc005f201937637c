/**
 * Terraform JSON's `moved`, `removed` and `import` blocks (and CDKTF's, which `moveTo`,
 * `moveFromId` and `importFrom` synthesize) → the configuration's state blocks. A block is an
 * object or a list of objects, as Terraform JSON allows:
 *
 *     "moved":   [{ "from": "popdock_api_user.old", "to": "popdock_api_user.new" }]
 *     "removed": [{ "from": "popdock_api_user.gone", "lifecycle": { "destroy": false } }]
 *     "import":  [{ "to": "popdock_api_user.bot", "id": "usr_123", "provider": "popdock" }]
 *
 * Addresses are written as Terraform keys (`popdock_api_token.ci`) or as popdock-iac addresses
 * (`popdock_api_token.bot["ci"]`); a key naming a configured resource is translated to its address
 * once the blocks are identified (`resolveStateBlocks`). `from` names what is no longer configured,
 * so it is taken as written: a grant or token there is written with its popdock-iac address.
 */
import type { ImportBlock, MovedBlock, RemovedBlock, StateBlocks } from "../../model/desired.js";
import { isRecord } from "../../model/values.js";
import type { ReadContext } from "./context.js";
import { describeValue } from "./schema.js";
import { constructPathOf, type DocPath, type JsonSource } from "./source.js";

interface RawBlock {
  src: JsonSource;
  path: DocPath;
  body: Record<string, unknown>;
}

/** The state blocks read so far, per kind, before addresses are translated. */
export interface CollectedStateBlocks {
  moved: RawBlock[];
  removed: RawBlock[];
  import: RawBlock[];
}

export const STATE_BLOCK_KINDS = ["moved", "removed", "import"] as const;
export type StateBlockKind = (typeof STATE_BLOCK_KINDS)[number];

/** Collects the `kind` blocks of one document into `into` (errors go to `ctx`). */
export function collectStateBlocks(
  ctx: ReadContext,
  src: JsonSource,
  kind: StateBlockKind,
  value: unknown,
  into: CollectedStateBlocks,
): void {
  const list = Array.isArray(value) ? value : [value];
  list.forEach((body, i) => {
    const path: DocPath = Array.isArray(value) ? [kind, i] : [kind];
    if (!isRecord(body)) {
      ctx.diag(
        src,
        "TF_JSON_INVALID",
        `a "${kind}" block must be an object, got ${describeValue(body)}`,
        path,
      );
      return;
    }
    const allowed =
      kind === "moved"
        ? ["from", "to"]
        : kind === "removed"
          ? ["from", "lifecycle"]
          : ["to", "id", "provider"];
    let ok = true;
    for (const k of Object.keys(body)) {
      if (k === "//" || allowed.includes(k)) continue;
      ctx.diag(
        src,
        "TF_JSON_UNKNOWN_ARGUMENT",
        `unknown argument "${k}" in a "${kind}" block`,
        [...path, k],
        {
          at: "key",
          hint: `a "${kind}" block takes ${allowed.join(", ")}`,
        },
      );
      ok = false;
    }
    const required = kind === "moved" ? ["from", "to"] : kind === "removed" ? ["from"] : ["to", "id"];
    for (const k of required) {
      const v = body[k];
      if (typeof v === "string" && v !== "") continue;
      ctx.diag(
        src,
        "TF_JSON_INVALID",
        v === undefined
          ? `a "${kind}" block needs "${k}"`
          : `"${k}" must be a non-empty string, got ${describeValue(v)}`,
        v === undefined ? path : [...path, k],
      );
      ok = false;
    }
    if (kind === "removed" && ok) ok = checkRemovedLifecycle(ctx, src, path, body.lifecycle);
    if (kind === "import" && body.provider !== undefined && typeof body.provider !== "string") {
      ctx.diag(src, "TF_JSON_INVALID", `"provider" must be a string, got ${describeValue(body.provider)}`, [
        ...path,
        "provider",
      ]);
      ok = false;
    }
    if (ok) into[kind].push({ src, path, body });
  });
}

/** `removed` forgets without destroying: `lifecycle { destroy = false }` is required. */
function checkRemovedLifecycle(
  ctx: ReadContext,
  src: JsonSource,
  path: DocPath,
  lifecycle: unknown,
): boolean {
  const lc = Array.isArray(lifecycle) && lifecycle.length === 1 ? lifecycle[0] : lifecycle;
  const at: DocPath = Array.isArray(lifecycle) ? [...path, "lifecycle", 0] : [...path, "lifecycle"];
  if (isRecord(lc) && lc.destroy === false && Object.keys(lc).every((k) => k === "destroy")) return true;
  ctx.diag(
    src,
    "TF_JSON_UNSUPPORTED_ARGUMENT",
    isRecord(lc) && lc.destroy === true
      ? "a removed block with destroy = true is not supported"
      : 'a removed block needs "lifecycle": { "destroy": false }',
    lifecycle === undefined ? path : isRecord(lc) && "destroy" in lc ? [...at, "destroy"] : at,
    {
      hint: "removed forgets an object and leaves it in Popdock (destroy = false); to destroy it, delete its resource block",
    },
  );
  return false;
}

/** `${popdock_api_user.x}` or `popdock_api_user.x` → `popdock_api_user.x`. */
function unwrap(text: string): string {
  const m = /^\$\{([^}]*)\}$/.exec(text.trim());
  return (m?.[1] ?? text).trim();
}

/** The collected blocks with `to` translated from Terraform keys to addresses (`addressOf`). */
export function resolveStateBlocks(
  raw: CollectedStateBlocks,
  addressOf: (key: string) => string | undefined,
): StateBlocks {
  const ref = (b: RawBlock) => b.src.sourceRef(b.path, constructPathOf(b.body));
  const addr = (v: unknown) => {
    const text = unwrap(String(v));
    return addressOf(text) ?? text;
  };
  const moved: MovedBlock[] = raw.moved.map((b) => ({
    from: unwrap(String(b.body.from)),
    to: addr(b.body.to),
    source: ref(b),
  }));
  const removed: RemovedBlock[] = raw.removed.map((b) => ({
    from: unwrap(String(b.body.from)),
    source: ref(b),
  }));
  const imports: ImportBlock[] = raw.import.map((b) => ({
    to: addr(b.body.to),
    id: String(b.body.id),
    source: ref(b),
  }));
  const out: StateBlocks = {};
  if (moved.length > 0) out.moved = moved;
  if (removed.length > 0) out.removed = removed;
  if (imports.length > 0) out.imports = imports;
  return out;
}
