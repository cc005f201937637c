/**
 * `--json` on plan, apply and destroy: the machine-readable UI (schema/ui-events.ts) on stdout,
 * one JSON object per line. While a command runs in this mode its configuration diagnostics and
 * its failure become `diagnostic` messages too (see `printDiagnostics` in common.ts).
 */
import type { UiMessage } from "../engine/render/ui-json.js";
import { configDiagnosticMessage, diagnosticMessage, versionMessage } from "../engine/render/ui-json.js";
import type { Diagnostic } from "../model/diagnostics.js";
import { PopdockError } from "../model/errors.js";
import { POPDOCK_IAC_VERSION } from "../model/version.js";
import type { CliIO, ParsedArgs } from "./io.js";

export class JsonUi {
  constructor(
    private readonly io: CliIO,
    private readonly now: () => Date = () => new Date(),
  ) {}

  emit(m: UiMessage): void {
    const { "@level": level, "@message": message, ...rest } = m;
    const line = {
      "@level": level,
      "@message": message,
      "@module": "popdock.ui",
      "@timestamp": this.now().toISOString(),
      ...rest,
    };
    this.io.stdout.write(`${JSON.stringify(line)}\n`);
  }

  emitAll(ms: readonly UiMessage[]): void {
    for (const m of ms) this.emit(m);
  }

  diagnostic(d: Diagnostic): void {
    this.emit(configDiagnosticMessage(d));
  }
}

const active = new WeakMap<CliIO, JsonUi>();

/** The JSON UI of a run in `--json` mode, else undefined. */
export function jsonUiOf(io: CliIO): JsonUi | undefined {
  return active.get(io);
}

/**
 * Runs `body` in JSON mode when `--json` was given: the `version` message first, diagnostics as
 * messages, and a failure as an error `diagnostic` (then rethrown for the exit code and stderr).
 */
export async function withJsonUi(args: ParsedArgs, io: CliIO, body: () => Promise<number>): Promise<number> {
  if (args.values.json !== true) return body();
  const ui = new JsonUi(io);
  active.set(io, ui);
  ui.emit(versionMessage(POPDOCK_IAC_VERSION));
  try {
    return await body();
  } catch (err) {
    const e = err as Error & { hint?: unknown };
    ui.emit(
      diagnosticMessage({
        severity: "error",
        summary: e?.message ?? String(err),
        ...(typeof e?.hint === "string" ? { detail: e.hint } : {}),
        ...(err instanceof PopdockError ? { code: err.code } : {}),
      }),
    );
    throw err;
  } finally {
    active.delete(io);
  }
}
