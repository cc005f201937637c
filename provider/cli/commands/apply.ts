/**
 * `popdock apply [PLANFILE]` and `popdock destroy`: make Popdock match the plan. With a saved
 * plan, applies exactly it or refuses a stale one; without, plans and asks for confirmation.
 */

import { access } from "node:fs/promises";
import { dirname, isAbsolute, resolve, sep } from "node:path";
import type { Plan } from "../../../schema/plan.js";
import type { StateFile } from "../../../schema/state.js";
import type { StateBackend } from "../../backends/types.js";
import { type ApplyEvent, applyPlan, type Step, syncUnchanged } from "../../engine/apply.js";
import { planHasChanges } from "../../engine/moves.js";
import { isSensitiveRef, resolveOutput } from "../../engine/outputs.js";
import { PlanStaleError, refreshAndRecover, staleReasons } from "../../engine/pipeline.js";
import {
  applyEventMessage,
  applyProgressMessage,
  changeSummaryMessage,
  diagnosticMessage,
  outputsMessage,
  planMessages,
  policyResultsMessage,
} from "../../engine/render/ui-json.js";
import { previousSecrets } from "../../engine/rotation.js";
import { PopdockError, UsageError } from "../../model/errors.js";
import { LOCAL_ENDPOINT } from "../../model/provider.js";
import {
  COLOR_OPTIONS,
  CONFIG_OPTIONS,
  CONNECTION_OPTIONS,
  checkStateEndpoint,
  connectFor,
  displayPath,
  FULL_OPTION,
  flag,
  list,
  loadOrEmpty,
  openStateBackend,
  PLAN_SAFETY_OPTIONS,
  parallelismOf,
  planText,
  REPLACE_OPTIONS,
  readPlanFile,
  STATE_OPTIONS,
  str,
  withBackendLocked,
  withPlan,
} from "../common.js";
import { PARALLELISM_OPTION } from "../common-options.js";
import type { CliIO, Command, ParsedArgs } from "../io.js";
import { jsonUiOf, withJsonUi } from "../json-ui.js";
import { isRefreshOnly, REFRESH_ONLY_OPTION, refreshOnlyText, TARGET_OPTION } from "../planning.js";
import {
  checkPlan,
  enforcePolicy,
  loadPolicy,
  MAX_RECORDED_OVERRIDES,
  OVERRIDE_OPTIONS,
  overrideRecord,
  overridesOf,
  POLICY_OPTIONS,
  recordOverrides,
} from "../policy.js";
import { checkSecretsDestination, checkSecretsNames, SecretsOutError, writeSecretsFile } from "../secrets.js";
import { type ConfigLocation, locateConfig, openBackendByIdentity } from "../wiring.js";

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
  ...POLICY_OPTIONS,
  ...OVERRIDE_OPTIONS,
  ...FULL_OPTION,
  ...REPLACE_OPTIONS,
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
  const overrides = overridesOf(args);
  if (planFile !== undefined) {
    for (const opt of ["replace", "force-retire"]) {
      if (list(args, opt).length > 0) {
        throw new UsageError(
          `--${opt} cannot be used with a saved plan: the plan already records its decisions`,
          {
            hint: `pass it to \`popdock plan --out ${planFile}\` instead`,
          },
        );
      }
    }
    return applySaved(args, io, planFile, parallelism, overrides);
  }
  const command = mode === "destroy" ? "popdock destroy" : "popdock apply";
  return withPlan(args, io, command, mode, async (p) => {
    const { plan, computed, conn } = p;
    const ui = jsonUiOf(io);
    if (ui) {
      ui.emitAll(planMessages(plan));
      const policy = policyResultsMessage(plan);
      if (policy) ui.emit(policy);
      ui.emit(changeSummaryMessage(plan, "plan"));
    } else if (isRefreshOnly(args))
      io.stdout.write(refreshOnlyText(planText(args, io, p), plan.drift.length));
    else io.stdout.write(planText(args, io, p));
    const used = enforcePolicy(io, plan.policy_results ?? [], overrides);
    if (isRefreshOnly(args)) {
      // Nothing is sent to Popdock: confirm, then record what it has (execute runs no step).
      if (plan.drift.length === 0) return 0;
      if (
        !flag(args, "auto-approve") &&
        !(await confirmed(args, io, mode, "record these changes in the state"))
      )
        return 1;
      computed.state.endpoint = conn.identity;
      return await execute(args, io, plan, computed.state, p, conn.api, parallelism);
    }
    if (!hasWork(plan) && computed.notes.length === 0) {
      // Nothing to change in Popdock; the state may still need what the refresh saw (drift the
      // configuration agrees with, a newly set prevent_destroy).
      if (!syncUnchanged(plan, structuredClone(computed.state))) return 0;
      say(io, "\nNo changes to Popdock; recording what it has in the state.\n");
      computed.state.endpoint = conn.identity;
      return await execute(args, io, plan, computed.state, p, conn.api, parallelism);
    }
    if (!flag(args, "auto-approve")) {
      const what = mode === "destroy" ? "destroy all these objects" : "perform these actions";
      if (!(await confirmed(args, io, mode, what))) return 1;
    }
    if (used.length > 0)
      await logOverrides(io, p.backend, computed.state, command, conn.identity, plan, used);
    computed.state.endpoint = conn.identity;
    return await execute(args, io, plan, computed.state, p, conn.api, parallelism);
  });
}

async function applySaved(
  args: ParsedArgs,
  io: CliIO,
  file: string,
  parallelism: number,
  overrides: ReturnType<typeof overridesOf>,
): Promise<number> {
  const plan = await readPlanFile(file, io.cwd, { env: io.env, forApply: true });
  // A saved plan names where it came from: its state backend (kind, location, workspace) and its
  // configuration's place (for the local sandbox's data), so it applies from any directory.
  // -c, --state and --workspace still win.
  const given = list(args, "config");
  const fromPlan =
    plan.backend !== undefined &&
    given.length === 0 &&
    str(args, "state") === undefined &&
    str(args, "workspace") === undefined;
  const location =
    fromPlan && plan.backend?.kind === "local" && !plan.config_files.every((f) => isAbsolute(f))
      ? await configBesideState(plan.backend.location, plan.config_files, io.cwd)
      : await locateConfig(
          given.length > 0 ? given : plan.config_files.length > 0 ? plan.config_files : [io.cwd],
          io.cwd,
        );
  // a pg plan: the connection settings come from the configuration, flags and environment
  const backend =
    fromPlan && plan.backend !== undefined && plan.backend.kind === "local"
      ? await openBackendByIdentity(plan.backend, io.cwd)
      : await openStateBackend(args, io, location);
  // Before the lock, which would create the state's directory: a plan made from a stored state
  // cannot apply where there is none.
  if (plan.state_serial > 0 && (await backend.load().catch(() => null)) === undefined) {
    await backend.close();
    throw new PlanStaleError(
      `no state found at ${backend.describe()} (workspace ${backend.workspace}); the saved plan ${file} was made from a state at serial ${plan.state_serial}; nothing was changed`,
      { hint: "apply it where it was planned (-c, --state, --workspace), or make a new plan" },
    );
  }
  const policy = await loadPolicy(args, io, location);
  return withBackendLocked(args, io, backend, "popdock apply", async () => {
    const { state: loadedState, serial } = await loadOrEmpty(backend);
    const endpoint = savedPlanEndpoint(
      plan,
      file,
      str(args, "endpoint") ?? io.env.POPDOCK_ENDPOINT,
      loadedState,
    );
    const connArgs: ParsedArgs = { ...args, values: { ...args.values, endpoint } };
    const conn = await connectFor(connArgs, io, { location });
    try {
      checkStateEndpoint(loadedState, conn.identity, backend.describe());
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
      // The policy is checked again, now, with today's rules and snapshot: not trusted from the file.
      const checked: Plan = { ...plan };
      const results = checkPlan(checked, policy, prepared.live);
      const used = enforcePolicy(io, results, overrides);
      if (used.length > 0)
        await logOverrides(io, backend, prepared.state, "popdock apply", conn.identity, plan, used);
      prepared.state.endpoint = conn.identity;
      return await execute(args, io, plan, prepared.state, { backend, serial }, conn.api, parallelism);
    } finally {
      await conn.close();
    }
  });
}

/**
 * The configuration of a saved plan made with the local backend, found from its state file
 * (`<project>/.popdock/state.json` or `<project>/.popdock/workspaces/<name>/state.json`): the
 * plan's relative config files are relative to that project, wherever `apply` runs. Only the
 * place is needed (the local sandbox's data, the policy); files that are gone leave just it.
 */
async function configBesideState(
  stateLocation: string,
  configFiles: readonly string[],
  cwd: string,
): Promise<ConfigLocation> {
  const marker = `${sep}.popdock${sep}`;
  const at = stateLocation.lastIndexOf(marker);
  const project = at >= 0 ? stateLocation.slice(0, at) : dirname(stateLocation);
  const files = configFiles.map((f) => resolve(project, f));
  if (files.length > 0 && (await Promise.all(files.map((f) => exists(f)))).every(Boolean)) {
    return locateConfig(files, cwd);
  }
  return { paths: [], baseDir: project };
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
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

/**
 * Records the overrides used: in the state itself (so every backend keeps them, with its history
 * of snapshots), and for the local backend also in `apply-log.jsonl` beside the state file.
 */
async function logOverrides(
  io: CliIO,
  backend: StateBackend,
  state: StateFile,
  command: string,
  endpoint: string,
  plan: Plan,
  overrides: ReturnType<typeof enforcePolicy>,
): Promise<void> {
  const entry = { command, endpoint, plan, overrides, env: io.env };
  state.policy_overrides = [...(state.policy_overrides ?? []), overrideRecord(entry)].slice(
    -MAX_RECORDED_OVERRIDES,
  );
  const s = overrides.length === 1 ? "" : "s";
  if (backend.kind === "local") {
    const path = await recordOverrides(backend.identity().location, entry);
    io.stdout.write(`Recorded the policy override${s} in ${displayPath(io.cwd, path)} and in the state.\n`);
  } else {
    io.stdout.write(`Recorded the policy override${s} in the state (${backend.describe()}).\n`);
  }
}

/** What the run is called in its messages: a destroy speaks of destroy, as Terraform's does. */
function verbOf(mode: Plan["mode"]): "apply" | "destroy" {
  return mode === "destroy" ? "destroy" : "apply";
}

function capitalized(word: string): string {
  return `${word.charAt(0).toUpperCase()}${word.slice(1)}`;
}

/** `, 1 imported, 3 moved, 2 removed from state` for the apply's last line; empty when none. */
function stateActionsDone(plan: Plan): string {
  const count = (kind: string) => (plan.state_actions ?? []).filter((a) => a.kind === kind).length;
  const parts = [
    [count("import"), "imported"],
    [count("move"), "moved"],
    [count("remove"), "removed from state"],
  ].filter(([n]) => Number(n) > 0);
  return parts.map(([n, what]) => `, ${n} ${what}`).join("");
}

function hasWork(plan: Plan): boolean {
  return planHasChanges(plan);
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
  stored: { backend: StateBackend; serial: number },
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
    backend: stored.backend,
    serial: stored.serial,
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
    // During an overlap, the previous generation too, under `<name>.previous`.
    const previous = await previousSecrets(state, result.secrets, async (userId, tokenId) => {
      const t = await api.getToken(userId, tokenId, { signal: io.signal });
      return t.token_id;
    });
    for (const [name, value] of previous) values.set(name, value);
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
      : `${s.add} added, ${s.change} changed, ${s.destroy} destroyed${stateActionsDone(plan)}`;
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
