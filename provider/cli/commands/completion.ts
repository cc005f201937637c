/**
 * `popdock completion bash|zsh|fish`: a shell completion script, generated from the command
 * records (names, summaries, options), so a new command or option completes without editing it.
 */
import { UsageError } from "../../model/errors.js";
import type { Command } from "../io.js";
import { optionsOf } from "../program.js";

export const SHELLS = ["bash", "zsh", "fish"] as const;
type Shell = (typeof SHELLS)[number];

export interface CompletionEntry {
  name: string;
  summary: string;
  options: { name: string; short?: string; description: string; takesValue: boolean }[];
}

export function completionEntries(commands: readonly Command[]): CompletionEntry[] {
  return commands.map((c) => ({
    name: c.name,
    summary: c.summary,
    options: [
      ...Object.entries(optionsOf(c)).map(([name, s]) => ({
        name,
        ...(s.short ? { short: s.short } : {}),
        description: s.description,
        takesValue: s.type === "string",
      })),
      { name: "help", short: "h", description: "Show this help", takesValue: false },
    ],
  }));
}

const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function completionScript(shell: Shell, entries: readonly CompletionEntry[]): string {
  const names = [...entries.map((e) => e.name), "help", "version"];
  if (shell === "bash") {
    const cases = entries
      .map((e) => `    ${e.name}) opts=${sq(e.options.map((o) => `--${o.name}`).join(" "))} ;;`)
      .join("\n");
    return `# popdock bash completion: source <(popdock completion bash)
_popdock() {
  local cur cmd opts
  cur="\${COMP_WORDS[COMP_CWORD]}"
  cmd="\${COMP_WORDS[1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W ${sq(names.join(" "))} -- "$cur") )
    return
  fi
  case "$cmd" in
${cases}
    help) opts=${sq(entries.map((e) => e.name).join(" "))} ;;
    *) opts="" ;;
  esac
  if [[ "$cur" == -* || "$cmd" == help ]]; then
    COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
  else
    COMPREPLY=( $(compgen -f -- "$cur") )
  fi
}
complete -o default -F _popdock popdock
`;
  }
  if (shell === "zsh") {
    const esc = (s: string) => s.replace(/[[\]:'\\]/g, (m) => `\\${m}`);
    const commands = entries.map((e) => `    ${sq(`${e.name}:${esc(e.summary)}`)}`).join("\n");
    const cases = entries
      .map((e) => {
        const specs = e.options
          .map((o) => sq(`--${o.name}[${esc(o.description)}]${o.takesValue ? ":value:_files" : ""}`))
          .join(" \\\n        ");
        return `    ${e.name})\n      _arguments -s \\\n        ${specs} \\\n        '*:file:_files' ;;`;
      })
      .join("\n");
    return `#compdef popdock
# popdock zsh completion: popdock completion zsh > "\${fpath[1]}/_popdock"
_popdock() {
  local -a commands
  commands=(
${commands}
    'help:Show help for a command'
    'version:Print the version'
  )
  if (( CURRENT == 2 )); then
    _describe 'command' commands
    return
  fi
  local cmd="\${words[2]}"
  shift words
  (( CURRENT-- ))
  case "$cmd" in
${cases}
    help) _describe 'command' commands ;;
  esac
}
compdef _popdock popdock
`;
  }
  const lines = [
    "# popdock fish completion: popdock completion fish > ~/.config/fish/completions/popdock.fish",
    "complete -c popdock -f",
    `complete -c popdock -n __fish_use_subcommand -a help -d 'Show help for a command'`,
    `complete -c popdock -n __fish_use_subcommand -a version -d 'Print the version'`,
  ];
  for (const e of entries) {
    lines.push(`complete -c popdock -n __fish_use_subcommand -a ${e.name} -d ${sq(e.summary)}`);
    for (const o of e.options) {
      const short = o.short ? ` -s ${o.short}` : "";
      const value = o.takesValue ? " -r -F" : "";
      lines.push(
        `complete -c popdock -n '__fish_seen_subcommand_from ${e.name}' -l ${o.name}${short}${value} -d ${sq(o.description)}`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}

export const command: Command = {
  name: "completion",
  summary: "Print a shell completion script (bash, zsh or fish).",
  usage: "completion bash|zsh|fish",
  help: "Load it in the current shell, or install it where your shell looks for completions.",
  examples: [
    "source <(popdock completion bash)",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a zsh expansion, printed as is
    'popdock completion zsh > "${fpath[1]}/_popdock"',
    "popdock completion fish > ~/.config/fish/completions/popdock.fish",
  ],
  maxPositionals: 1,
  options: {},
  async run(args, io) {
    const shell = args.positionals[0];
    if (shell === undefined || !(SHELLS as readonly string[]).includes(shell)) {
      throw new UsageError(
        shell === undefined
          ? "completion needs a shell: bash, zsh or fish"
          : `completion knows bash, zsh and fish, not "${shell}"`,
      );
    }
    const { COMMANDS } = await import("../main.js");
    const commands = await Promise.all(Object.values(COMMANDS).map((load) => load()));
    io.stdout.write(completionScript(shell as Shell, completionEntries(commands)));
    return 0;
  },
};
