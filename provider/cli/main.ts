/**
 * `popdock` command line: parses argv, dispatches to a command, prints errors. Commands are
 * loaded lazily so that `popdock validate` on YAML never loads the sandbox, CDKTF, etc.
 */
import { parseArgs } from "node:util";
import { logLevelFromEnv } from "../client/options.js";
import { POPDOCK_IAC_VERSION } from "../model/version.js";
import { formatError } from "./format-error.js";
import type { CliIO, Command, OptionSpec } from "./io.js";

type Loader = () => Promise<Command>;

/** The command table: name → lazy loader. Adding a command touches this one line. */
export const COMMANDS: Readonly<Record<string, Loader>> = {
  validate: async () => (await import("./commands/validate.js")).command,
  plan: async () => (await import("./commands/plan.js")).command,
  apply: async () => (await import("./commands/apply.js")).command,
  destroy: async () => (await import("./commands/apply.js")).destroyCommand,
  import: async () => (await import("./commands/import.js")).command,
  output: async () => (await import("./commands/output.js")).command,
  show: async () => (await import("./commands/show.js")).command,
  state: async () => (await import("./commands/state.js")).command,
  workspace: async () => (await import("./commands/workspace.js")).command,
  "force-unlock": async () => (await import("./commands/force-unlock.js")).command,
  graph: async () => (await import("./commands/graph.js")).command,
  sandbox: async () => (await import("./commands/sandbox.js")).command,
};

/** The general help: every command with its summary (loads the command modules; help only). */
async function globalHelp(): Promise<string> {
  const entries = await Promise.all(
    Object.entries(COMMANDS).map(async ([name, load]) => [name, (await load()).summary] as const),
  );
  const width = Math.max(...entries.map(([n]) => n.length)) + 2;
  return `popdock — manage Popdock API users, grants and tokens as code

Usage: popdock <command> [options]

Commands:
${entries.map(([n, summary]) => `  ${n.padEnd(width)}${summary}`).join("\n")}
  ${"version".padEnd(width)}Print the version.
  ${"help".padEnd(width)}Show this help, or a command's: popdock help <command>.

Run \`popdock help <command>\` (or \`popdock <command> --help\`) for a command's options.
`;
}

/**
 * Options every command takes, whether or not it prints in colour: scripts pass them to every
 * call (the README lists them as common).
 */
const COMMON_OPTIONS: Record<string, OptionSpec> = {
  "no-color": { type: "boolean", description: "No colour (also NO_COLOR)" },
};

function withCommonOptions(cmd: Command): Record<string, OptionSpec> {
  return {
    ...cmd.options,
    ...Object.fromEntries(Object.entries(COMMON_OPTIONS).filter(([k]) => !(k in cmd.options))),
  };
}

export function commandHelp(cmd: Command): string {
  const lines = [`Usage: popdock ${cmd.usage}`, "", cmd.summary];
  if (cmd.help) lines.push("", cmd.help.trimEnd());
  const entries = Object.entries(withCommonOptions(cmd));
  if (entries.length > 0) {
    lines.push("", "Options:");
    for (const [name, spec] of entries) {
      const short = spec.short ? `-${spec.short}, ` : "    ";
      const val = spec.type === "string" ? ` ${spec.value ?? "VALUE"}` : "";
      lines.push(`  ${short}--${name}${val}`.padEnd(34) + spec.description);
    }
  }
  lines.push(`${"  -h, --help".padEnd(34)}Show this help`);
  return `${lines.join("\n")}\n`;
}

function defaultIO(): CliIO {
  const controller = new AbortController();
  // First SIGINT/SIGTERM aborts `signal` so the command can clean up; a second one exits at once.
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const io: CliIO = {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    signal: controller.signal,
  };
  if (process.stdin.isTTY && process.stdout.isTTY) {
    io.prompt = async (question) => {
      const { createInterface } = await import("node:readline/promises");
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      // Ctrl-C at the prompt is a "no" (readline would otherwise just pause and hang).
      const cancelled = new Promise<string>((resolve) => rl.once("SIGINT", () => resolve("")));
      try {
        return await Promise.race([rl.question(question), cancelled]);
      } finally {
        rl.close();
      }
    };
  }
  return io;
}

/**
 * Terraform's single-dash spellings of long options, for muscle memory: `-no-color`,
 * `-auto-approve`, `-out=FILE`, `-lock-timeout=30s`, `-var NAME=VALUE` become their `--` forms
 * when the command has that option. One-letter options (`-c`, `-h`) and everything after `--`
 * are left alone.
 */
export function terraformSpellings(
  args: readonly string[],
  options: Readonly<Record<string, unknown>>,
): string[] {
  const out: string[] = [];
  let rest = false;
  for (const a of args) {
    if (rest || a === "--") {
      rest = true;
      out.push(a);
      continue;
    }
    const m = /^-([a-z][a-z-]+)(=.*)?$/.exec(a);
    out.push(m?.[1] !== undefined && Object.hasOwn(options, m[1]) ? `-${a}` : a);
  }
  return out;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function runMain(argv: readonly string[], io: CliIO = defaultIO()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === "help" && rest[0] !== undefined) {
    // `popdock help plan` is `popdock plan --help`.
    const loadHelp = COMMANDS[rest[0]];
    if (!loadHelp) {
      io.stderr.write(`error: unknown command "${rest[0]}"\n\n${await globalHelp()}`);
      return 1;
    }
    io.stdout.write(commandHelp(await loadHelp()));
    return 0;
  }
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout.write(await globalHelp());
    return name === undefined ? 1 : 0;
  }
  if (name === "--version" || name === "-v" || name === "version") {
    io.stdout.write(`popdock-iac ${POPDOCK_IAC_VERSION}\n`);
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    io.stderr.write(`error: unknown command "${name}"\n\n${await globalHelp()}`);
    return 1;
  }
  const cmd = await load();
  const options: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> = {
    help: { type: "boolean", short: "h" },
  };
  for (const [k, spec] of Object.entries(withCommonOptions(cmd)) as [string, OptionSpec][]) {
    options[k] = {
      type: spec.type,
      ...(spec.short ? { short: spec.short } : {}),
      ...(spec.multiple ? { multiple: true } : {}),
    };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: terraformSpellings(rest, options),
      options,
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    io.stderr.write(`error: ${(err as Error).message}\n\n${commandHelp(cmd)}`);
    return 1;
  }
  if (parsed.values.help) {
    io.stdout.write(commandHelp(cmd));
    return 0;
  }
  if (parsed.positionals.length > cmd.maxPositionals) {
    io.stderr.write(
      `error: unexpected argument "${parsed.positionals[cmd.maxPositionals]}"\n\n${commandHelp(cmd)}`,
    );
    return 1;
  }
  try {
    logLevelFromEnv(io.env); // an unknown POPDOCK_LOG level is an error, not ignored
    return await cmd.run(
      {
        values: parsed.values as Record<string, string | boolean | string[] | undefined>,
        positionals: parsed.positionals,
      },
      io,
    );
  } catch (err) {
    io.stderr.write(formatError(err, io.env));
    return typeof (err as { exitCode?: unknown }).exitCode === "number"
      ? (err as { exitCode: number }).exitCode
      : 1;
  }
}
