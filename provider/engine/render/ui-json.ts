/**
 * The machine-readable UI's messages (schema/ui-events.ts), built from plans, apply events and
 * diagnostics. Pure: the CLI stamps `@module` and `@timestamp` and writes one per line. Nothing
 * here can carry a token ID: plans hold none, apply events carry object ids, and outputs marked
 * sensitive lose their value.
 */
import type { Plan, ResourceChange } from "../../../schema/plan.js";
import type { UiEvent, UiResource } from "../../../schema/ui-events.js";
import { UI_VERSION } from "../../../schema/ui-events.js";
import type { Diagnostic } from "../../model/diagnostics.js";
import type { ApplyEvent, Step } from "../apply.js";

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A message before the CLI stamps it. */
export type UiMessage = DistributiveOmit<UiEvent, "@module" | "@timestamp">;

export function uiResource(c: Pick<ResourceChange, "address" | "type" | "name" | "index">): UiResource {
  return {
    addr: c.address,
    module: "",
    resource: c.address,
    implied_provider: c.type.split("_")[0] ?? c.type,
    resource_type: c.type,
    resource_name: c.name,
    resource_key: c.index ?? null,
  };
}

export function versionMessage(version: string): UiMessage {
  return {
    "@level": "info",
    "@message": `popdock-iac ${version}`,
    type: "version",
    popdock: version,
    ui: UI_VERSION,
  };
}

const PLAN_VERB: Record<string, string> = {
  create: "create",
  update: "update in-place",
  replace: "replace",
  delete: "delete",
};

/** `resource_drift` for every drift, then `planned_change` for every change that does something. */
export function planMessages(plan: Plan): UiMessage[] {
  const out: UiMessage[] = [];
  for (const d of plan.drift) {
    const change = plan.changes.find((c) => c.address === d.address);
    const name = change?.name ?? d.address.split(".").slice(1).join(".");
    out.push({
      "@level": "info",
      "@message": `${d.address}: Drift detected (${d.action})`,
      type: "resource_drift",
      change: {
        resource: uiResource({
          address: d.address,
          type: d.type,
          name,
          ...(change?.index !== undefined ? { index: change.index } : {}),
        }),
        action: d.action,
      },
    });
  }
  for (const c of plan.changes) {
    if (c.action === "noop") continue;
    const forget = c.action === "delete" && c.deleted_with !== undefined;
    out.push({
      "@level": "info",
      "@message": `${c.address}: Plan to ${forget ? "remove from state" : PLAN_VERB[c.action]}`,
      type: "planned_change",
      change: {
        resource: uiResource(c),
        action: forget ? "forget" : c.action,
        ...(c.reasons.length > 0 ? { reason: c.reasons.join("; ") } : {}),
      },
    });
  }
  return out;
}

/** The counts line: `Plan: 1 to add, …`, `Apply complete! Resources: …`, `Destroy complete! …`. */
export function changeSummaryMessage(plan: Plan, operation: "plan" | "apply" | "destroy"): UiMessage {
  const s = plan.summary;
  const message =
    operation === "plan"
      ? `Plan: ${s.add} to add, ${s.change} to change, ${s.destroy} to destroy.`
      : operation === "destroy"
        ? `Destroy complete! Resources: ${s.destroy} destroyed.`
        : `Apply complete! Resources: ${s.add} added, ${s.change} changed, ${s.destroy} destroyed.`;
  return {
    "@level": "info",
    "@message": message,
    type: "change_summary",
    changes: { add: s.add, change: s.change, import: 0, remove: s.destroy, operation },
  };
}

/**
 * `policy_results` (popdock-iac's own type): the plan's policy results, `warn` when any, `error`
 * when one fails a mandatory or hard rule. Undefined when no policy was evaluated.
 */
export function policyResultsMessage(plan: Plan): UiMessage | undefined {
  const results = plan.policy_results;
  if (results === undefined) return undefined;
  const failing = results.filter((r) => r.level === "mandatory" || r.level === "hard").length;
  return {
    "@level": failing > 0 ? "error" : results.length > 0 ? "warn" : "info",
    "@message":
      results.length === 0
        ? "Policy: passes"
        : `Policy: ${results.length} result${results.length === 1 ? "" : "s"}, ${failing} failing`,
    type: "policy_results",
    policy_results: results.map((r) => ({ ...r })),
  };
}

/** `outputs`: sensitive ones without a value. */
export function outputsMessage(
  outputs: Record<
    string,
    { sensitive: boolean; value?: string | undefined; action?: "create" | "update" | "delete" | "noop" }
  >,
): UiMessage {
  const names = Object.keys(outputs).sort();
  return {
    "@level": "info",
    "@message": `Outputs: ${names.length}`,
    type: "outputs",
    outputs: Object.fromEntries(
      names.map((n) => {
        const o = outputs[n] as {
          sensitive: boolean;
          value?: string | undefined;
          action?: "create" | "update" | "delete" | "noop";
        };
        return [
          n,
          {
            sensitive: o.sensitive,
            type: "string" as const,
            ...(!o.sensitive && o.value !== undefined ? { value: o.value } : {}),
            ...(o.action !== undefined ? { action: o.action } : {}),
          },
        ];
      }),
    ),
  };
}

/** The planned outputs of a plan (values only when known and not sensitive). */
export function plannedOutputsMessage(plan: Plan): UiMessage {
  return outputsMessage(
    Object.fromEntries(
      plan.outputs.map((o) => [
        o.name,
        { sensitive: o.sensitive, value: o.sensitive ? undefined : o.after, action: o.action },
      ]),
    ),
  );
}

const HOOK: Record<
  string,
  { start: string; done: string; noun: string; action: "create" | "update" | "delete" | "forget" }
> = {
  create: { start: "Creating...", done: "Creation complete", noun: "Creation", action: "create" },
  update: { start: "Modifying...", done: "Modifications complete", noun: "Modifications", action: "update" },
  delete: { start: "Destroying...", done: "Destruction complete", noun: "Destruction", action: "delete" },
  forget: {
    start: "Removing from state...",
    done: "Removal from state complete",
    noun: "Removal from state",
    action: "forget",
  },
};

function hookOf(step: Step) {
  return (
    HOOK[step.kind] ?? { start: "Working...", done: "Complete", noun: "Step", action: "update" as const }
  );
}

/** A message for one apply event (`skipped` becomes a warning diagnostic). */
export function applyEventMessage(ev: ApplyEvent): UiMessage {
  const h = hookOf(ev.step);
  const resource = uiResource(ev.step.change);
  const addr = ev.step.address;
  const remoteId = ev.step.change.remote?.id;
  switch (ev.type) {
    case "start":
      return {
        "@level": "info",
        "@message": `${addr}: ${h.start}${remoteId && h.action !== "create" ? ` [id=${remoteId}]` : ""}`,
        type: "apply_start",
        hook: {
          resource,
          action: h.action,
          ...(remoteId && h.action !== "create" ? { id_key: "id", id_value: remoteId } : {}),
        },
      };
    case "done": {
      const secs = Math.round(ev.ms / 1000);
      return {
        "@level": "info",
        "@message": `${addr}: ${h.done} after ${secs}s${ev.id ? ` [id=${ev.id}]` : ""}`,
        type: "apply_complete",
        hook: {
          resource,
          action: h.action,
          ...(ev.id ? { id_key: "id", id_value: ev.id } : {}),
          elapsed_seconds: secs,
        },
      };
    }
    case "failed":
      return {
        "@level": "error",
        "@message": `${addr}: ${h.noun} errored after ${Math.round(ev.ms / 1000)}s`,
        type: "apply_errored",
        hook: { resource, action: h.action, elapsed_seconds: Math.round(ev.ms / 1000) },
      };
    case "skipped":
      return diagnosticMessage({
        severity: "warning",
        summary: `${addr}: skipped`,
        detail: `${ev.because} did not complete`,
        address: addr,
      });
  }
}

/** `Still creating... [10s elapsed]`. */
export function applyProgressMessage(step: Step, elapsedSeconds: number): UiMessage {
  const h = hookOf(step);
  const verb = h.start.replace(/\.\.\.$/, "").toLowerCase();
  return {
    "@level": "info",
    "@message": `${step.address}: Still ${verb}... [${elapsedSeconds}s elapsed]`,
    type: "apply_progress",
    hook: { resource: uiResource(step.change), action: h.action, elapsed_seconds: elapsedSeconds },
  };
}

export function diagnosticMessage(d: {
  severity: "error" | "warning";
  summary: string;
  detail?: string;
  code?: string;
  address?: string;
  file?: string;
  line?: number;
  column?: number;
}): UiMessage {
  const pos = { line: d.line ?? 1, column: d.column ?? 1, byte: 0 };
  return {
    "@level": d.severity === "error" ? "error" : "warn",
    "@message": `${d.severity === "error" ? "Error" : "Warning"}: ${d.summary}`,
    type: "diagnostic",
    diagnostic: {
      severity: d.severity,
      summary: d.summary,
      detail: d.detail ?? "",
      ...(d.code !== undefined ? { code: d.code } : {}),
      ...(d.address !== undefined ? { address: d.address } : {}),
      ...(d.file !== undefined && d.line !== undefined
        ? { range: { filename: d.file, start: pos, end: pos } }
        : {}),
    },
  };
}

/** A configuration diagnostic as a message. */
export function configDiagnosticMessage(d: Diagnostic): UiMessage {
  return diagnosticMessage({
    severity: d.severity === "error" ? "error" : "warning",
    summary: d.message,
    code: d.code,
    ...(d.hint !== undefined ? { detail: d.hint } : {}),
    ...(d.path !== undefined
      ? { detail: [d.path && `at ${d.path}`, d.hint].filter(Boolean).join("; ") }
      : {}),
    ...(d.file !== undefined ? { file: d.file } : {}),
    ...(d.line !== undefined ? { line: d.line } : {}),
    ...(d.column !== undefined ? { column: d.column } : {}),
  });
}
