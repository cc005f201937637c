/**
 * `popdock apply [PLANFILE]` and `popdock destroy`: make Popdock match the plan. With a saved
 * plan, applies exactly it or refuses a stale one; without, plans and asks for confirmation.
 */
import type { Plan } from "../../../schema/plan.js";
import type { StateFile } from "../../../schema/state.js";
import { type ApplyEvent, applyPlan, type Step, syncUnchanged } from "../../engine/apply.js";
import { isSensitiveRef, resolveOutput } from "../../engine/outputs.js";
import { PlanStaleError, refreshAndRecover, staleReasons } from "../../engine/pipeline.js";
import {
  applyEventMessage,
  applyProgressMessage,
  changeSummaryMessage,
  diagnosticMessage,
  outputsMessage,
  planMessages,
} from "../../engine/render/ui-json.js";
import { PopdockError, UsageError } from "../../model/errors.js";
import { LOCAL_ENDPOINT } from "../../model/provider.js";
import {
  COLOR_OPTIONS,
  CONFIG_OPTIONS,
  CONNECTION_OPTIONS,
  checkStateEndpoint,
  connectFor,
  flag,
  list,
  PLAN_SAFETY_OPTIONS,
  parallelismOf,
  planText,
  readPlanFile,
  STATE_OPTIONS,
  str,
  withLock,
  withPlan,
} from "../common.js";
import { PARALLELISM_OPTION } from "../common-options.js";
import type { CliIO, Command, ParsedArgs } from "../io.js";
import { jsonUiOf, withJsonUi } from "../json-ui.js";
import { isRefreshOnly, REFRESH_ONLY_OPTION, refreshOnlyText, TARGET_OPTION } from "../planning.js";
import { checkSecretsDestination, checkSecretsNames, SecretsOutError, writeSecretsFile } from "../secrets.js";
import { locateConfig } from "../wiring.js";

class ApplyFailedError extends PopdockError {
  readonly code = "POPDOCK_APPLY_FAILED";
}
class ApplyInterruptedError extends PopdockError {
  readonly code = "POPDOCK_APPLY_INTERRUPTED";
  override readonly exitCode = 130;
}

const APPLY_OPTIONS = {
  ...CONFIG_OPTIONS,
  ...CONNECTION_OPTIONS,
  ...STATE_OPTIONS,
  ...COLOR_OPTIONS,
  ...PLAN_SAFETY_OPTIONS,
  "auto-approve": { type: "boolean", description: "Skip the confirmation prompt" },
  parallelism: PARALLELISM_OPTION,
  json: {
    type: "boolean",
    description:
      "Stream machine-readable UI messages, one JSON object per line (needs --auto-approve or PLANFILE)",
  },
  target: TARGET_OPTION,
  "refresh-only": REFRESH_ONLY_OPTION,
  "secrets-out": {
    type: "string",
    value: "FILE",
    description: "Write new token IDs to FILE (mode 0600; dotenv if it ends in .env, else JSON)",
  },
} as const satisfies Command["options"];

export const command: Command = {
  name: "apply",
  summary: "Make Popdock match the configuration, or apply a saved plan exactly.",
  usage: "apply [PLANFILE] [options]",
  examples: [
    "popdock apply",
    "popdock plan -out=plan.json && popdock apply plan.json",
    "popdock apply plan.json --secrets-out tokens.env",
    "popdock apply -auto-approve -input=false",
  ],
  help: "Without PLANFILE: plans, shows the plan and asks for confirmation (a non-interactive run needs --auto-approve).\nWith PLANFILE: applies exactly that plan; a stale plan is refused and nothing is changed.",
  maxPositionals: 1,
  options: { ...APPLY_OPTIONS, destroy: { type: "boolean", description: "Destroy everything in state" } },
  run: (args, io) =>
    withJsonUi(args, io, () => runApply(args, io, flag(args, "destroy") ? "destroy" : "normal")),
};

export const destroyCommand: Command = {
  name: "destroy",
  summary: "Delete every API user, grant and token in state from Popdock.",
  usage: "destroy [options]",
  examples: ["popdock destroy", "popdock plan --destroy --out destroy.json && popdock apply destroy.json"],
  maxPositionals: 0,
  // A destroy creates no token: no --secrets-out.
  options: Object.fromEntries(
    Object.entries(APPLY_OPTIONS).filter(([k]) => k !== "secrets-out" && k !== "refresh-only"),
  ),
  run: (args, io) => withJsonUi(args, io, () => runApply(args, io, "destroy")),
};

async function runApply(args: ParsedArgs, io: CliIO, mode: "normal" | "destroy"): Promise<number> {
  const planFile = args.positionals[0];
  const parallelism = parallelismOf(args);
  const secretsOut = str(args, "secrets-out");
  if (secretsOut !== undefined) await checkSecretsDestination(io, secretsOut);
  if (flag(args, "json") && planFile === undefined && !flag(args, "auto-approve")) {
    // A prompt cannot share stdout with the message stream (Terraform refuses this too).
    throw new UsageError(`${verbOf(mode)} --json needs --auto-approve or a saved PLANFILE`, {
      hint: "pass --auto-approve, or apply a reviewed plan: `popdock plan --out FILE` then `popdock apply FILE --json`",
    });
  }
  if (planFile !== undefined) return applySaved(args, io, planFile, parallelism);
  const command = mode === "destroy" ? "popdock destroy" : "popdock apply";
  return withPlan(args, io, command, mode, async (p) => {
    const { plan, computed, store, conn } = p;
    const ui = jsonUiOf(io);
    if (ui) {
      ui.emitAll(planMessages(plan));
      ui.emit(changeSummaryMessage(plan, "plan"));
    } else if (isRefreshOnly(args))
      io.stdout.write(refreshOnlyText(planText(args, io, p), plan.drift.length));
    else io.stdout.write(planText(args, io, p));
    if (isRefreshOnly(args)) {
      // Nothing is sent to Popdock: confirm, then record what it has (execute runs no step).
      if (plan.drift.length === 0) return 0;
      if (
        !flag(args, "auto-approve") &&
        !(await confirmed(args, io, mode, "record these changes in the state"))
      )
        return 1;
      computed.state.endpoint = conn.identity;
      return await execute(args, io, plan, computed.state, (s) => store.write(s), conn.api, parallelism);
    }
    if (!hasWork(plan) && computed.notes.length === 0) {
      // Nothing to change in Popdock; the state may still need what the refresh saw (drift the
      // configuration agrees with, a newly set prevent_destroy).
      if (!syncUnchanged(plan, structuredClone(computed.state))) return 0;
      say(io, "\nNo changes to Popdock; recording what it has in the state.\n");
      computed.state.endpoint = conn.identity;
      return await execute(args, io, plan, computed.state, (s) => store.write(s), conn.api, parallelism);
    }
    if (!flag(args, "auto-approve")) {
      const what = mode === "destroy" ? "destroy all these objects" : "perform these actions";
      if (!(await confirmed(args, io, mode, what))) return 1;
    }
    computed.state.endpoint = conn.identity;
    return await execute(args, io, plan, computed.state, (s) => store.write(s), conn.api, parallelism);
  });
}

async function applySaved(args: ParsedArgs, io: CliIO, file: string, parallelism: number): Promise<number> {
  const plan = await readPlanFile(file, io.cwd, { env: io.env, forApply: true });
  // A saved plan names where it came from: its configuration's place (for the local sandbox's
  // data) and its state file. -c and --state still win.
  const given = list(args, "config");
  const location = await locateConfig(
    given.length > 0 ? given : plan.config_files.length > 0 ? plan.config_files : [io.cwd],
    io.cwd,
  );
  const statePath = str(args, "state") ?? (given.length === 0 ? plan.state_path : undefined);
  const stateArgs: ParsedArgs = {
    ...args,
    values: { ...args.values, ...(statePath !== undefined ? { state: statePath } : {}) },
  };
  return withLock(stateArgs, io, location, "popdock apply", async (store) => {
    const loadedState = await store.load();
    const endpoint = savedPlanEndpoint(
      plan,
      file,
      str(args, "endpoint") ?? io.env.POPDOCK_ENDPOINT,
      loadedState,
    );
    const connArgs: ParsedArgs = { ...stateArgs, values: { ...stateArgs.values, endpoint } };
    const conn = await connectFor(connArgs, io, { location });
    try {
      checkStateEndpoint(loadedState, conn.identity, store.path);
      const prepared = await refreshAndRecover(conn.api, loadedState, io.signal);
      const reasons = staleReasons(plan, loadedState, conn.identity, prepared.live);
      if (reasons.length > 0) {
        throw new PlanStaleError(
          `the saved plan ${file} is stale; nothing was changed:\n  - ${reasons.join("\n  - ")}`,
          {
            hint: `make a new plan: popdock plan --out ${file}`,
          },
        );
      }
      for (const n of prepared.notes) io.stderr.write(`note: ${n}\n`);
      prepared.state.endpoint = conn.identity;
      return await execute(args, io, plan, prepared.state, (s) => store.write(s), conn.api, parallelism);
    } finally {
      await conn.close();
    }
  });
}

/**
 * Where a saved plan is applied, decided by this machine's configuration, never by the plan file
 * alone (the API key goes there): `--endpoint` or `POPDOCK_ENDPOINT`, else the endpoint the state
 * file belongs to. A plan made against another endpoint is refused before any request; so is
 * one with no endpoint configured here at all, unless it is for the embedded sandbox (`local`),
 * which holds no key worth stealing.
 */
function savedPlanEndpoint(
  plan: Plan,
  file: string,
  configured: string | undefined,
  state: StateFile,
): string {
  const here = configured === undefined || configured === "" ? state.endpoint : configured;
  const norm = (e: string) => (e === LOCAL_ENDPOINT ? e : e.replace(/\/+$/, ""));
  if (here === undefined) {
    if (plan.endpoint === LOCAL_ENDPOINT) return plan.endpoint;
    throw new UsageError(
      `no Popdock endpoint is configured to apply ${file}; it was made against ${plan.endpoint}, and a plan file alone does not decide where the API key is sent`,
      {
        hint: `pass --endpoint ${plan.endpoint} or set POPDOCK_ENDPOINT, if that is where you mean to apply it`,
      },
    );
  }
  if (norm(here) !== norm(plan.endpoint)) {
    throw new UsageError(
      `the saved plan ${file} was made against ${plan.endpoint}, but the endpoint configured here is ${norm(here)}; nothing was sent`,
      {
        hint: `apply it where it was planned (--endpoint ${plan.endpoint}), or make a new plan against ${norm(here)}`,
      },
    );
  }
  return norm(here);
}

/** What the run is called in its messages: a destroy speaks of destroy, as Terraform's does. */
function verbOf(mode: Plan["mode"]): "apply" | "destroy" {
  return mode === "destroy" ? "destroy" : "apply";
}

function capitalized(word: string): string {
  return `${word.charAt(0).toUpperCase()}${word.slice(1)}`;
}

function hasWork(plan: Plan): boolean {
  return plan.changes.some((c) => c.action !== "noop") || plan.outputs.some((o) => o.action !== "noop");
}

const VERB: Record<string, [string, string]> = {
  create: ["Creating…", "created"],
  update: ["Modifying…", "modified"],
  delete: ["Destroying…", "destroyed"],
  forget: ["Removing from state…", "removed from state"],
};

function describeStep(s: Step): [string, string] {
  const [start, done] = VERB[s.kind] ?? ["", ""];
  if (s.change.action === "replace" && s.kind === "create")
    return ["Creating replacement…", "replacement created"];
  if (s.deposed && s.kind === "delete")
    return ["Destroying the replaced object…", "replaced object destroyed"];
  if (s.kind === "forget" && s.change.deleted_with)
    return ["Removing from state…", `removed from state (deleted with ${s.change.deleted_with})`];
  return [start, done];
}

async function execute(
  args: ParsedArgs,
  io: CliIO,
  plan: Plan,
  state: Parameters<typeof applyPlan>[0]["state"],
  persist: (s: typeof state) => Promise<unknown>,
  api: Parameters<typeof applyPlan>[0]["api"],
  parallelism: number,
): Promise<number> {
  const tty = io.stdout.isTTY === true;
  let done = 0;
  let total = 0;
  const prefix = () => (tty ? `[${done}/${total}] ` : "");
  const ui = jsonUiOf(io);
  const progress = new Map<string, ReturnType<typeof setInterval>>();
  const onJsonEvent = (ev: ApplyEvent) => {
    ui?.emit(applyEventMessage(ev));
    if (ev.type === "start") {
      // Terraform's "Still creating... [10s elapsed]", every 10 s while a step runs.
      const started = Date.now();
      const timer = setInterval(
        () => ui?.emit(applyProgressMessage(ev.step, Math.round((Date.now() - started) / 1000))),
        10_000,
      );
      timer.unref();
      progress.set(ev.step.id, timer);
      return;
    }
    clearInterval(progress.get(ev.step.id));
    progress.delete(ev.step.id);
    if (ev.type === "failed") {
      ui?.emit(
        diagnosticMessage({
          severity: "error",
          summary: `${ev.step.address}: ${ev.error instanceof PopdockError ? ev.error.message : String((ev.error as Error)?.message ?? ev.error)}`,
          address: ev.step.address,
          ...(ev.error instanceof PopdockError ? { code: ev.error.code } : {}),
        }),
      );
    }
  };
  const onTextEvent = (ev: ApplyEvent) => {
    const [start, end] = describeStep(ev.step);
    if (ev.type === "start") io.stdout.write(`${prefix()}${ev.step.address}: ${start}\n`);
    else if (ev.type === "done") {
      done++;
      const id = ev.id ? ` [id=${ev.id}]` : "";
      io.stdout.write(`${prefix()}${ev.step.address}: ${end} in ${(ev.ms / 1000).toFixed(1)}s${id}\n`);
    } else if (ev.type === "failed") {
      done++;
      const msg =
        ev.error instanceof PopdockError
          ? `${ev.error.code}: ${ev.error.message}`
          : String((ev.error as Error)?.message ?? ev.error);
      io.stderr.write(`${prefix()}${ev.step.address}: failed after ${(ev.ms / 1000).toFixed(1)}s: ${msg}\n`);
    } else {
      done++;
      io.stderr.write(`${prefix()}${ev.step.address}: skipped (${ev.because} did not complete)\n`);
    }
  };
  const secretsOut = str(args, "secrets-out");
  if (secretsOut !== undefined) {
    checkSecretsNames(
      secretsOut,
      plan.outputs.filter((o) => o.sensitive && o.action !== "delete").map((o) => o.name),
    );
  }
  if (!ui) io.stdout.write("\n");
  const result = await applyPlan({
    plan,
    api,
    state,
    persist,
    parallelism,
    signal: io.signal,
    onEvent: ui ? onJsonEvent : onTextEvent,
    onPlanned: (n) => (total = n),
  }).finally(() => {
    for (const t of progress.values()) clearInterval(t);
  });
  const s = plan.summary;
  if (secretsOut !== undefined && result.secrets.size > 0) {
    const values = new Map<string, string>();
    for (const [name, out] of Object.entries(state.outputs)) {
      if (!out.sensitive) continue;
      const refs = out.parts.filter((p) => typeof p !== "string");
      if (refs.length === 0 || !refs.every((p) => !isSensitiveRef(p) || result.secrets.has(p.address)))
        continue;
      try {
        values.set(name, await resolveOutput(name, state, api, result.secrets));
      } catch (err) {
        // Another part of it is not known (its step failed): write the rest, say which is missing.
        io.stderr.write(`note: ${name} is not in ${secretsOut}: ${(err as Error).message}\n`);
      }
    }
    try {
      await writeSecretsFile(io, secretsOut, values);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new SecretsOutError(
        `the apply completed, but the token IDs could not be written to ${secretsOut}: ${e.code ?? e.message}`,
        {
          cause: err,
          hint: `read them with ${[...values.keys()].map((n) => `\`popdock output ${n} --raw\``).join(", ")}`,
        },
      );
    }
    say(io, `\nWrote ${values.size} token ID${values.size === 1 ? "" : "s"} to ${secretsOut} (mode 0600).\n`);
  }
  if (ui) {
    if (Object.keys(state.outputs).length > 0) ui.emit(outputsMessage(state.outputs));
  } else printOutputs(io, state.outputs);
  if (result.interrupted) {
    throw new ApplyInterruptedError(
      `interrupted: ${[...result.outcomes.values()].filter((o) => o === "ok").length} of ${result.steps.length} steps completed; state is saved`,
      { hint: `run \`popdock ${verbOf(plan.mode)}\` again to finish` },
    );
  }
  if (!result.ok) {
    const failed = result.errors.map((e) => e.step.address).join(", ");
    throw new ApplyFailedError(
      `${verbOf(plan.mode)} failed: ${result.errors.length} step(s) failed (${failed}); the state records what was done`,
      {
        hint: "fix the cause above and run `popdock plan` again",
      },
    );
  }
  const sent = api.stats();
  const retried = sent.retries > 0 ? `, ${sent.retries} of them retries` : "";
  const resources =
    plan.mode === "destroy"
      ? `${s.destroy} destroyed`
      : `${s.add} added, ${s.change} changed, ${s.destroy} destroyed`;
  if (ui) ui.emit(changeSummaryMessage(plan, plan.mode === "destroy" ? "destroy" : "apply"));
  else
    io.stdout.write(
      `\n${capitalized(verbOf(plan.mode))} complete! Resources: ${resources}. ${sent.attempts} requests to Popdock${retried}.\n`,
    );
  if (s.tokens_to_create > 0 && secretsOut === undefined) {
    say(
      io,
      `New token IDs are sensitive: read one with \`popdock output NAME --raw\`, or apply with --secrets-out FILE.\n`,
    );
  }
  return 0;
}

function printOutputs(
  io: CliIO,
  outputs: Record<string, { sensitive: boolean; value?: string | undefined }>,
): void {
  const names = Object.keys(outputs).sort();
  if (names.length === 0) return;
  const width = Math.max(...names.map((n) => n.length));
  io.stdout.write("\nOutputs:\n\n");
  for (const n of names) {
    const o = outputs[n];
    const v = o?.sensitive ? "<sensitive>" : o?.value !== undefined ? JSON.stringify(o.value) : "(not known)";
    io.stdout.write(`${n.padEnd(width)} = ${v}\n`);
  }
}

/** A line for people: on stdout, or a `log` message in --json mode. */
function say(io: CliIO, text: string): void {
  const ui = jsonUiOf(io);
  if (ui) ui.emit({ "@level": "info", "@message": text.trim(), type: "log" });
  else io.stdout.write(text);
}

/** Asks "Do you want to …?"; false (and says so) unless the answer is yes. */
async function confirmed(
  args: ParsedArgs,
  io: CliIO,
  mode: "normal" | "destroy",
  what: string,
): Promise<boolean> {
  // --input=false: never ask, as when stdin is not a terminal.
  const prompt = args.values.input === false ? undefined : io.prompt;
  if (!prompt) {
    const why = args.values.input === false ? "--input=false was given" : "this run is not interactive";
    throw new UsageError(`${verbOf(mode)} needs confirmation, and ${why}`, {
      hint: isRefreshOnly(args)
        ? "pass --auto-approve (or run `popdock refresh`)"
        : mode === "destroy"
          ? "pass --auto-approve, or review a saved plan: `popdock plan --destroy --out FILE` then `popdock apply FILE`"
          : "pass --auto-approve, or review a saved plan: `popdock plan --out FILE` then `popdock apply FILE`",
    });
  }
  const answer = await prompt(`\nDo you want to ${what}? Only 'yes' will be accepted: `);
  if (answer.trim() === "yes") return true;
  io.stderr.write(`${capitalized(verbOf(mode))} cancelled; nothing was changed.\n`);
  return false;
}

/** `popdock refresh`: Terraform's alias for `apply -refresh-only -auto-approve`. */
export const refreshCommand: Command = {
  name: "refresh",
  summary: "Record in the state what changed in Popdock; change nothing there (apply -refresh-only).",
  usage: "refresh [options]",
  examples: ["popdock refresh", "popdock plan -refresh-only -detailed-exitcode   # review first"],
  maxPositionals: 0,
  options: Object.fromEntries(
    Object.entries(APPLY_OPTIONS).filter(
      ([k]) => !["secrets-out", "target", "refresh-only", "auto-approve", "allow-destroy-all"].includes(k),
    ),
  ),
  run: (args, io) =>
    withJsonUi(args, io, () =>
      runApply(
        { ...args, values: { ...args.values, "refresh-only": true, "auto-approve": true } },
        io,
        "normal",
      ),
    ),
};
