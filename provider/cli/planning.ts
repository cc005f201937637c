/**
 * `-target ADDR` and `-refresh-only` for plan, apply and destroy (engine/planning-modes.ts): the
 * options, and their effect on a computed plan before it is shown or applied.
 */
import type { ComputedPlan } from "../engine/pipeline.js";
import { refreshOnlyPlan, targetPlan } from "../engine/planning-modes.js";
import { UsageError } from "../model/errors.js";
import type { OptionSpec, ParsedArgs } from "./io.js";

export const TARGET_OPTION: OptionSpec = {
  type: "string",
  multiple: true,
  value: "ADDR",
  description: "Plan only ADDR and what it depends on (repeatable; for exceptional use)",
};

export const REFRESH_ONLY_OPTION: OptionSpec = {
  type: "boolean",
  description: "Only record in the state what changed in Popdock; change nothing in Popdock",
};

function targets(args: ParsedArgs): string[] {
  const v = args.values.target;
  return Array.isArray(v) ? v : typeof v === "string" ? [v] : [];
}

export function isRefreshOnly(args: ParsedArgs): boolean {
  return args.values["refresh-only"] === true;
}

/** Refuses combinations that mean nothing, before anything is read. */
export function checkPlanningModes(args: ParsedArgs, mode: "normal" | "destroy"): void {
  if (!isRefreshOnly(args)) return;
  if (mode === "destroy") throw new UsageError("-refresh-only and destroy exclude each other");
  if (targets(args).length > 0)
    throw new UsageError(
      "-refresh-only and -target exclude each other: a refresh-only run records every drift",
    );
  if (typeof args.values.out === "string")
    throw new UsageError("a refresh-only plan is not saved (it has no action to apply exactly)", {
      hint: "review it with `popdock plan -refresh-only`, then record it with `popdock apply -refresh-only`",
    });
}

/** The computed plan after -target / -refresh-only (the same object when neither is given). */
export function withPlanningModes(args: ParsedArgs, computed: ComputedPlan): ComputedPlan {
  if (!computed.plan) return computed;
  const t = targets(args);
  if (t.length > 0) {
    const r = targetPlan(computed.plan, t);
    const out: ComputedPlan = { ...computed, diagnostics: [...computed.diagnostics, ...r.diagnostics] };
    if (r.plan) out.plan = r.plan;
    else delete out.plan;
    return out;
  }
  if (isRefreshOnly(args)) {
    const r = refreshOnlyPlan(computed.plan, computed.state);
    return { ...computed, plan: r.plan, state: r.state };
  }
  return computed;
}

/**
 * The text of a refresh-only plan: what changed outside popdock-iac (the text renderer's drift
 * section), then what applying it does instead of the normal plan's actions.
 */
export function refreshOnlyText(fullText: string, drift: number): string {
  const cut = fullText.indexOf("\nUnless you have made equivalent changes");
  const head = drift > 0 && cut >= 0 ? fullText.slice(0, cut).trimEnd() : "";
  const tail =
    drift === 0
      ? "No changes. The state matches Popdock: there is nothing to record."
      : `This is a refresh-only plan: popdock-iac will not change Popdock. Apply it with \`popdock apply -refresh-only\` to record ${drift === 1 ? "this change" : `these ${drift} changes`} in the state.`;
  return `${head ? `${head}\n\n` : ""}${tail}\n`;
}
