/**
 * Saved plans are tamper-evident: `plan --out` writes a sha256 digest over the plan's canonical
 * JSON (and, when `POPDOCK_PLAN_SIGNING_KEY` is set, an HMAC-SHA256 with that key), and every
 * reader checks it before using the plan. The digest catches edits made by hand or by a tool
 * that does not know the format; the HMAC proves to a CI job holding the key that the plan it
 * applies is the very one that was reviewed, since nobody without the key can forge it.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { Plan } from "../../schema/plan.js";
import { PopdockError } from "../model/errors.js";
import { canonicalJson, isRecord } from "../model/values.js";

/** The environment variable holding the key that signs and verifies saved plans. */
export const PLAN_SIGNING_KEY_ENV = "POPDOCK_PLAN_SIGNING_KEY";

/** A saved plan failed its integrity check; nothing was changed. */
export class PlanTamperedError extends PopdockError {
  readonly code = "POPDOCK_PLAN_TAMPERED";
}

export interface PlanIntegrity {
  sha256: string;
  hmac_sha256?: string;
}

/** The text digested and signed: the plan's canonical JSON without its `integrity` member. */
function sealedText(plan: Record<string, unknown>): string {
  const { integrity: _integrity, ...rest } = plan;
  return canonicalJson(rest);
}

function hmac(key: string, text: string): string {
  return createHmac("sha256", key).update(text).digest("hex");
}

/** The plan as it is saved: its JSON members plus `integrity` (an HMAC too when `key` is given). */
export function sealPlan<P extends Plan>(plan: P, key?: string): P & { integrity: PlanIntegrity } {
  // Through JSON and back, so that what is digested is exactly what a reader will parse.
  const json = JSON.parse(JSON.stringify(plan)) as Record<string, unknown>;
  const text = sealedText(json);
  const integrity: PlanIntegrity = { sha256: createHash("sha256").update(text).digest("hex") };
  if (key !== undefined && key !== "") integrity.hmac_sha256 = hmac(key, text);
  return { ...plan, integrity };
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Checks a saved plan as parsed from its file (before any schema defaults) and throws
 * `PlanTamperedError` naming what failed. With `key`, the plan must carry a matching HMAC;
 * without it, a signed plan is refused when `requireKeyForSigned` (apply), accepted on its
 * digest otherwise (show).
 */
export function verifyPlanSeal(
  raw: unknown,
  file: string,
  options: { key?: string | undefined; requireKeyForSigned?: boolean } = {},
): void {
  const again = "make the plan again with `popdock plan --out FILE` and review it";
  if (!isRecord(raw)) throw new PlanTamperedError(`${file} is not a plan object`, { hint: again });
  const integrity = raw.integrity;
  if (!isRecord(integrity) || typeof integrity.sha256 !== "string") {
    throw new PlanTamperedError(
      `${file} carries no integrity digest (a plan written by hand, or by an older popdock-iac); nothing was changed`,
      { hint: again },
    );
  }
  const text = sealedText(raw);
  const digest = createHash("sha256").update(text).digest("hex");
  if (!sameHex(digest, integrity.sha256)) {
    throw new PlanTamperedError(
      `${file} was modified after \`popdock plan\` wrote it: its content does not match its sha256 digest; nothing was changed`,
      { hint: again },
    );
  }
  const signature = typeof integrity.hmac_sha256 === "string" ? integrity.hmac_sha256 : undefined;
  const key = options.key === "" ? undefined : options.key;
  if (key !== undefined) {
    if (signature === undefined) {
      throw new PlanTamperedError(
        `${file} is not signed, but ${PLAN_SIGNING_KEY_ENV} is set: only a plan signed with that key may be applied; nothing was changed`,
        { hint: `make the plan with ${PLAN_SIGNING_KEY_ENV} set (the same key), then apply that file` },
      );
    }
    if (!sameHex(hmac(key, text), signature)) {
      throw new PlanTamperedError(
        `${file} is signed with another key than ${PLAN_SIGNING_KEY_ENV} (or was modified and re-digested); nothing was changed`,
        { hint: `check that plan and apply use the same ${PLAN_SIGNING_KEY_ENV}, then ${again}` },
      );
    }
  } else if (signature !== undefined && options.requireKeyForSigned === true) {
    throw new PlanTamperedError(
      `${file} is signed, but ${PLAN_SIGNING_KEY_ENV} is not set, so its signature cannot be checked; nothing was changed`,
      { hint: `set ${PLAN_SIGNING_KEY_ENV} to the key the plan was made with` },
    );
  }
}
