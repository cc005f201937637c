/**
 * Parsing one command's arguments with commander, built from the command's declarative record
 * (`Command.options` in io.ts): every option in the record becomes a commander option, so an
 * option added to a record is parsed, listed in --help and completed without touching this file.
 * commander gives the help layout and the "did you mean" suggestions; this file adds Terraform's
 * single-dash spellings, `--flag=true|false` for booleans, the common options a command refuses
 * (with the reason, from common-options.ts) and the positional count.
 */
import { Command as Commander, CommanderError, Option } from "commander";
import {
  COMMON_OPTION_NAMES,
  type CommonOptionName,
  REFUSED_SPECS,
  refusalReason,
} from "./common-options.js";
import type { Command, OptionSpec, ParsedArgs } from "./io.js";

export type ParseOutcome =
  | { kind: "run"; args: ParsedArgs }
  | { kind: "help"; text: string }
  | { kind: "error"; message: string };

const HELP_WIDTH = 100;

/** The options the command's record lists, plus `--no-color`, which every command takes. */
export function optionsOf(cmd: Command): Record<string, OptionSpec> {
  const all: Record<string, OptionSpec> = { ...cmd.options };
  if (!("no-color" in all)) all["no-color"] = { type: "boolean", description: "No colour (also NO_COLOR)" };
  return all;
}

/** The common options `cmd` does not take, each with why. */
export function refusedOptions(cmd: Command): Map<CommonOptionName, string> {
  const own = optionsOf(cmd);
  const out = new Map<CommonOptionName, string>();
  for (const name of COMMON_OPTION_NAMES) {
    if (name in own) continue;
    const reason = refusalReason(cmd.name, name);
    if (reason !== undefined) out.set(name, reason);
  }
  return out;
}

function flagsOf(name: string, spec: OptionSpec, withShort = true): string {
  const short = withShort && spec.short ? `-${spec.short}, ` : "";
  const value = spec.type === "string" ? ` <${spec.value ?? "VALUE"}>` : "";
  return `${short}--${name}${value}`;
}

function collect(value: string, previous: unknown): string[] {
  return [...(Array.isArray(previous) ? (previous as string[]) : []), value];
}

function build(cmd: Command, out: { text: string }): Commander {
  const own = optionsOf(cmd);
  const c = new Commander(`popdock ${cmd.name}`);
  c.exitOverride()
    .configureOutput({
      writeOut: (s) => {
        out.text += s;
      },
      writeErr: (s) => {
        out.text += s;
      },
      outputError: () => {},
    })
    .configureHelp({
      helpWidth: HELP_WIDTH,
      sortOptions: false,
      // A boolean with a `value` is shown with it: `--lock=false`, `--input=false`.
      optionTerm: (o) => {
        const spec = own[o.long?.replace(/^--/, "") ?? ""];
        return spec?.type === "boolean" && spec.value !== undefined ? `${o.flags}=${spec.value}` : o.flags;
      },
    })
    .description(cmd.summary)
    .usage(cmd.usage.replace(/^\S+\s*/, ""))
    .helpOption("-h, --help", "Show this help")
    .argument("[args...]")
    .allowExcessArguments(true);
  const shorts = new Set(Object.values(own).flatMap((s) => (s.short ? [s.short] : [])));
  for (const [name, spec] of Object.entries(own)) {
    const o = new Option(flagsOf(name, spec), spec.description);
    if (spec.multiple) o.argParser(collect);
    c.addOption(o);
  }
  for (const [name] of refusedOptions(cmd)) {
    const spec = REFUSED_SPECS[name];
    const o = new Option(flagsOf(name, spec, !!spec.short && !shorts.has(spec.short)), "").hideHelp();
    if (spec.multiple) o.argParser(collect);
    c.addOption(o);
  }
  const after = [cmd.help?.trimEnd(), examplesText(cmd)].filter((s): s is string => !!s);
  if (after.length > 0) c.addHelpText("after", `\n${after.join("\n\n")}`);
  return c;
}

function examplesText(cmd: Command): string | undefined {
  if (!cmd.examples || cmd.examples.length === 0) return undefined;
  return `Examples:\n${cmd.examples.map((e) => `  ${e}`).join("\n")}`;
}

/** The command's --help text. */
export function commandHelp(cmd: Command): string {
  const r = parseCommand(cmd, ["--help"]);
  return r.kind === "help" ? r.text : "";
}

/**
 * Terraform's single-dash spellings of long options, for muscle memory: `-no-color`,
 * `-auto-approve`, `-out=FILE`, `-lock-timeout=30s`, `-var NAME=VALUE`, `-lock=false` become
 * their `--` forms. A single dash followed by a word of two or more letters is a long option
 * (our one-letter options are `-c` and `-h`), so an unknown one gets a "did you mean" for its
 * long name. Values of string options and everything after `--` are left alone.
 */
export function terraformSpellings(
  args: readonly string[],
  options: Readonly<Record<string, { type?: string; short?: string }>>,
): string[] {
  const out: string[] = [];
  const shorts = new Map(Object.entries(options).flatMap(([k, s]) => (s.short ? [[s.short, k]] : [])));
  let rest = false;
  let takesValue = false;
  for (const a of args) {
    if (rest || takesValue) {
      out.push(a);
      takesValue = false;
      continue;
    }
    if (a === "--") {
      rest = true;
      out.push(a);
      continue;
    }
    const single = /^-([a-z][a-z0-9-]+)(=.*)?$/.exec(a);
    const arg = single ? `-${a}` : a;
    out.push(arg);
    const long = /^--([^=]+)$/.exec(arg);
    const short = /^-([a-z])$/.exec(arg);
    const name = long?.[1] ?? (short?.[1] !== undefined ? shorts.get(short[1]) : undefined);
    if (name !== undefined && options[name]?.type === "string") takesValue = true;
  }
  return out;
}

/**
 * `--name=true|false` for boolean options (Terraform's `-lock=false`, `-input=false`): removed
 * from argv, returned as explicit values. Any other value is an error.
 */
function booleanAssignments(
  args: readonly string[],
  options: Readonly<Record<string, OptionSpec>>,
): { args: string[]; values: Record<string, boolean>; error?: string } {
  const out: string[] = [];
  const values: Record<string, boolean> = {};
  let rest = false;
  for (const a of args) {
    if (a === "--") rest = true;
    const m = rest ? null : /^--([^=]+)=(.*)$/.exec(a);
    if (m?.[1] !== undefined && options[m[1]]?.type === "boolean") {
      const v = (m[2] ?? "").toLowerCase();
      if (v === "true" || v === "1") values[m[1]] = true;
      else if (v === "false" || v === "0") values[m[1]] = false;
      else return { args: out, values, error: `--${m[1]} takes no value, or =true / =false, not "${m[2]}"` };
      continue;
    }
    out.push(a);
  }
  return { args: out, values };
}

/** Parses `argv` (after the command name) for `cmd`. Prints nothing. */
export function parseCommand(cmd: Command, argv: readonly string[]): ParseOutcome {
  const own = optionsOf(cmd);
  const refused = refusedOptions(cmd);
  const known: Record<string, OptionSpec> = { help: { type: "boolean", short: "h", description: "" } };
  for (const [name] of refused) known[name] = REFUSED_SPECS[name];
  Object.assign(known, own);
  const spelled = terraformSpellings(argv, known);
  const bools = booleanAssignments(spelled, known);
  if (bools.error !== undefined) return { kind: "error", message: bools.error };
  const out = { text: "" };
  const c = build(cmd, out);
  try {
    c.parse(bools.args, { from: "user" });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.help")
        return { kind: "help", text: out.text };
      // commander: "error: unknown option '--no-colr'\n(Did you mean --no-color?)"
      const msg = err.message
        .replace(/^error: /, "")
        .replace(/\n\(Did you mean (.*)\?\)$/, " (did you mean $1?)");
      return { kind: "error", message: msg };
    }
    throw err;
  }
  const opts = c.opts();
  const values: ParsedArgs["values"] = {};
  for (const o of c.options) {
    const key = o.attributeName();
    if (c.getOptionValueSource(key) !== "cli") continue;
    const name = (o.long ?? "").replace(/^--/, "");
    // A refused option (`--no-X` given as such, too) is an error naming the reason.
    const reason = refused.get((o.negate ? name : name) as CommonOptionName);
    if (reason !== undefined && !(name in own)) return { kind: "error", message: reason };
    values[name] = o.negate ? opts[key] === false : (opts[key] as string | boolean | string[]);
  }
  for (const [name, v] of Object.entries(bools.values)) {
    const reason = refused.get(name as CommonOptionName);
    if (reason !== undefined && !(name in own)) return { kind: "error", message: reason };
    values[name] = v;
  }
  const positionals = c.args;
  if (positionals.length > cmd.maxPositionals) {
    return { kind: "error", message: `unexpected argument "${positionals[cmd.maxPositionals]}"` };
  }
  return { kind: "run", args: { values, positionals } };
}
