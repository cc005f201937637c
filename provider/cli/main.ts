/**
 * `popdock` command line: parses argv, dispatches to a command, prints errors. Commands are
 * loaded lazily so that `popdock validate` on YAML never loads the sandbox, CDKTF, etc.
 */
import { logLevelFromEnv } from "../client/options.js";
import { didYouMean } from "../model/diagnostics.js";
import { POPDOCK_IAC_VERSION } from "../model/version.js";
import { formatError } from "./format-error.js";
import type { CliIO, Command } from "./io.js";
import { commandHelp, parseCommand } from "./program.js";

export { commandHelp, terraformSpellings } from "./program.js";

type Loader = () => Promise<Command>;

/** The command table: name → lazy loader. Adding a command touches this one line. */
export const COMMANDS: Readonly<Record<string, Loader>> = {
  validate: async () => (await import("./commands/validate.js")).command,
  plan: async () => (await import("./commands/plan.js")).command,
  apply: async () => (await import("./commands/apply.js")).command,
  destroy: async () => (await import("./commands/apply.js")).destroyCommand,
  refresh: async () => (await import("./commands/apply.js")).refreshCommand,
  import: async () => (await import("./commands/import.js")).command,
  output: async () => (await import("./commands/output.js")).command,
  show: async () => (await import("./commands/show.js")).command,
  state: async () => (await import("./commands/state.js")).command,
  workspace: async () => (await import("./commands/workspace.js")).command,
  "force-unlock": async () => (await import("./commands/force-unlock.js")).command,
  graph: async () => (await import("./commands/graph.js")).command,
  tokens: async () => (await import("./commands/tokens.js")).command,
  sandbox: async () => (await import("./commands/sandbox.js")).command,
  policy: async () => (await import("./commands/policy.js")).command,
  completion: async () => (await import("./commands/completion.js")).command,
};

/** `error: unknown command "plna" (did you mean plan?)` and the general help. */
async function unknownCommand(name: string): Promise<string> {
  const guess = didYouMean(name, [...Object.keys(COMMANDS), "help", "version"]);
  return `error: unknown command "${name}"${guess ? ` (did you mean ${guess}?)` : ""}\n\n${await globalHelp()}`;
}

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

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function runMain(argv: readonly string[], io: CliIO = defaultIO()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === "help" && rest[0] !== undefined) {
    // `popdock help plan` is `popdock plan --help`.
    const loadHelp = COMMANDS[rest[0]];
    if (!loadHelp) {
      io.stderr.write(await unknownCommand(rest[0]));
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
    io.stderr.write(await unknownCommand(name));
    return 1;
  }
  const cmd = await load();
  const parsed = parseCommand(cmd, rest);
  if (parsed.kind === "help") {
    io.stdout.write(parsed.text);
    return 0;
  }
  if (parsed.kind === "error") {
    io.stderr.write(`error: ${parsed.message}\nRun \`popdock ${name} --help\` for its options.\n`);
    return 1;
  }
  try {
    logLevelFromEnv(io.env); // an unknown POPDOCK_LOG level is an error, not ignored
    return await cmd.run(
      {
        values: parsed.args.values,
        positionals: parsed.args.positionals,
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
