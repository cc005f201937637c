/**
 * What a CLI command may touch of the outside world, passed in so that commands are testable
 * without a subprocess (unjs/citty's `runMain(cmd, { rawArgs })`).
 */

export interface Out {
  write(chunk: string): unknown;
  /** True when the stream is a terminal (colour, progress counters, confirmation prompts). */
  isTTY?: boolean;
}

export interface CliIO {
  stdout: Out;
  stderr: Out;
  /** Reads one line from the user (confirmation prompts); absent when stdin is not a TTY. */
  prompt?: (question: string) => Promise<string>;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Aborted on the first SIGINT/SIGTERM: commands stop starting new work and clean up. */
  signal: AbortSignal;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  /** One line for --help. */
  description: string;
  /** Placeholder shown in --help, e.g. FILE; for a boolean, the value it is usually given (`--lock=false`). */
  value?: string;
}

export interface Command {
  name: string;
  summary: string;
  /** Usage line after `popdock `, e.g. `plan [options]`. */
  usage: string;
  /** Longer text for --help (optional). */
  help?: string;
  /** Example command lines for --help, each a whole line after two spaces (optional). */
  examples?: readonly string[];
  options: Record<string, OptionSpec>;
  /** Whether the command accepts positional arguments (and how many at most). */
  maxPositionals: number;
  run(args: ParsedArgs, io: CliIO): Promise<number>;
}
