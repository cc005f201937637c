import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { captureIO } from "../../test/helpers/cli.js";
import { tempDir } from "../../test/helpers/tmp.js";
import { completionEntries, completionScript } from "./commands/completion.js";
import { COMMON_OPTION_NAMES, hasScope, refusalReason } from "./common-options.js";
import type { Command } from "./io.js";
import { COMMANDS, runMain } from "./main.js";
import { commandHelp, optionsOf, parseCommand } from "./program.js";
import { readVarFiles } from "./var-file.js";

const commands: Command[] = await Promise.all(Object.values(COMMANDS).map((l) => l()));

const capture = captureIO;

/** A valid argv for a common option (string options take a value; the lock/input ones `=false`). */
function argvFor(name: string): string[] {
  switch (name) {
    case "lock":
    case "input":
      return [`--${name}=false`];
    case "no-color":
      return ["--no-color"];
    case "var":
      return ["--var", "a=b"];
    case "lock-timeout":
      return ["--lock-timeout", "5s"];
    case "parallelism":
      return ["--parallelism", "4"];
    default:
      return [`--${name}`, "x"];
  }
}

describe("common options, per command", () => {
  const cases = commands.flatMap((c) => COMMON_OPTION_NAMES.map((o) => [c.name, o] as const));

  it.each(cases)("%s --%s is accepted, or refused with why", async (name, option) => {
    const cmd = commands.find((c) => c.name === name) as Command;
    expect(hasScope(name), `${name} needs a line in common-options.ts SCOPES`).toBe(true);
    const accepted = option in optionsOf(cmd);
    const reason = refusalReason(name, option);
    // Exactly one of the two: a command that should take an option has it in its record, and a
    // refusal reason is never left behind for an option the command now takes.
    expect(
      accepted !== (reason !== undefined),
      `${name} --${option}: accepted=${accepted}, reason=${reason}`,
    ).toBe(true);
    const r = parseCommand(cmd, argvFor(option));
    if (accepted) {
      expect(r.kind).toBe("run");
      if (r.kind === "run") {
        const v = r.args.values[option];
        expect(v).toEqual(
          option === "lock" || option === "input" ? false : option === "no-color" ? true : expect.anything(),
        );
      }
    } else {
      expect(r).toEqual({ kind: "error", message: reason });
      const c = capture();
      expect(await runMain([name, ...argvFor(option)], c.io)).toBe(1);
      expect(c.err()).toBe(`error: ${reason}\nRun \`popdock ${name} --help\` for its options.\n`);
      expect(c.out()).toBe("");
    }
  });

  it("the README's examples: `state list --endpoint local` says why; plan takes --parallelism", () => {
    const state = commands.find((c) => c.name === "state") as Command;
    expect(parseCommand(state, ["list", "--endpoint", "local"])).toEqual({
      kind: "error",
      message: "state does not use --endpoint: it never contacts Popdock",
    });
    const plan = commands.find((c) => c.name === "plan") as Command;
    expect(parseCommand(plan, ["-parallelism=3"])).toMatchObject({
      kind: "run",
      args: { values: { parallelism: "3" } },
    });
  });
});

describe("parsing", () => {
  const plan = commands.find((c) => c.name === "plan") as Command;
  const apply = commands.find((c) => c.name === "apply") as Command;

  it("takes Terraform's spellings, repeatable options and negative-looking values", () => {
    const r = parseCommand(plan, [
      "-no-color",
      "-out=p.json",
      "-var",
      "a=1",
      "--var=b=2",
      "-lock-timeout",
      "-1s",
      "-detailed-exitcode",
      "-lock=false",
      "-input=false",
    ]);
    expect(r).toEqual({
      kind: "run",
      args: {
        positionals: [],
        values: {
          "no-color": true,
          out: "p.json",
          var: ["a=1", "b=2"],
          "lock-timeout": "-1s",
          "detailed-exitcode": true,
          lock: false,
          input: false,
        },
      },
    });
  });

  it("suggests the option meant, for both spellings", () => {
    expect(parseCommand(plan, ["-no-colr"])).toEqual({
      kind: "error",
      message: "unknown option '--no-colr' (did you mean --no-color?)",
    });
    expect(parseCommand(apply, ["--auto-aprove"])).toEqual({
      kind: "error",
      message: "unknown option '--auto-aprove' (did you mean --auto-approve?)",
    });
  });

  it("refuses a value on a boolean other than true/false, a missing value, and extra arguments", () => {
    expect(parseCommand(plan, ["--json=yes"])).toEqual({
      kind: "error",
      message: '--json takes no value, or =true / =false, not "yes"',
    });
    expect(parseCommand(plan, ["--out"])).toMatchObject({
      kind: "error",
      message: expect.stringContaining("--out <FILE>"),
    });
    expect(parseCommand(plan, ["extra"])).toEqual({ kind: "error", message: 'unexpected argument "extra"' });
    expect(parseCommand(apply, ["plan.json"])).toMatchObject({
      kind: "run",
      args: { positionals: ["plan.json"] },
    });
  });

  it("builds the parser from the record: an option added to it is parsed and listed", () => {
    const cmd: Command = {
      ...plan,
      name: "plan",
      options: { ...plan.options, workspace: { type: "string", value: "NAME", description: "Workspace" } },
    };
    expect(parseCommand(cmd, ["-workspace=prod"])).toMatchObject({
      kind: "run",
      args: { values: { workspace: "prod" } },
    });
    expect(commandHelp(cmd)).toMatch(/--workspace <NAME> +Workspace/);
  });

  it("suggests the command meant", async () => {
    const c = capture();
    expect(await runMain(["plna"], c.io)).toBe(1);
    expect(c.err()).toMatch(/^error: unknown command "plna" \(did you mean plan\?\)\n/);
  });
});

describe("help (golden)", () => {
  it.each(commands.map((c) => c.name))("popdock %s --help", async (name) => {
    const c = capture();
    expect(await runMain([name, "--help"], c.io)).toBe(0);
    await expect(c.out()).toMatchFileSnapshot(`__snapshots__/help/${name}.txt`);
    const h = capture();
    expect(await runMain(["help", name], h.io)).toBe(0);
    expect(h.out()).toBe(c.out());
  });

  it("popdock --help", async () => {
    const c = capture();
    expect(await runMain(["--help"], c.io)).toBe(0);
    await expect(c.out()).toMatchFileSnapshot("__snapshots__/help/popdock.txt");
  });

  it("every command's help has a description and examples", () => {
    for (const cmd of commands) {
      const text = commandHelp(cmd);
      expect(text, cmd.name).toContain(cmd.summary);
      expect(text, cmd.name).toMatch(/\nExamples:\n {2}\S/);
    }
  });
});

describe("completion", () => {
  const entries = completionEntries(commands);

  it.each(["bash", "zsh", "fish"] as const)("%s names every command and option", (shell) => {
    const script = completionScript(shell, entries);
    for (const e of entries) {
      expect(script).toContain(e.name);
      for (const o of e.options) expect(script).toContain(`${shell === "fish" ? "-l " : "--"}${o.name}`);
    }
  });

  it("the bash script parses and completes commands and options", () => {
    const script = completionScript("bash", entries);
    const complete = (words: string[]) =>
      execFileSync(
        "bash",
        [
          "-c",
          `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _popdock; printf '%s\\n' "\${COMPREPLY[@]}"`,
        ],
        { encoding: "utf8" },
      )
        .trim()
        .split("\n");
    expect(complete(["popdock", "pl"])).toEqual(["plan"]);
    expect(complete(["popdock", "plan", "--no-c"])).toEqual(["--no-color"]);
    expect(complete(["popdock", "apply", "--auto"])).toEqual(["--auto-approve"]);
  });

  it("`completion` refuses an unknown shell", async () => {
    const c = capture();
    expect(await runMain(["completion", "tcsh"], c.io)).toBe(1);
    expect(c.err()).toContain('completion knows bash, zsh and fish, not "tcsh"');
  });
});

describe("--var-file", () => {
  const dir = tempDir("popdock-varfile-");
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return name;
  };

  it("reads YAML and JSON scalars, later files winning", async () => {
    const a = file("a.yaml", "team: Finance\nsize: 3\nenabled: true\n");
    const b = file("b.json", '{"team": "Ops"}');
    expect(await readVarFiles([a, b], dir)).toEqual({
      vars: { team: "Ops", size: "3", enabled: "true" },
      diagnostics: [],
    });
  });

  it("reports bad files with file, line and column", async () => {
    const bad = file("bad.yaml", "team: Finance\nnested:\n  a: 1\n");
    const syntax = file("syntax.json", '{"team": "Ops",\n  "x": [1,}');
    const list = file("list.yaml", "- a\n- b\n");
    const r = await readVarFiles([bad, syntax, list, "missing.yaml"], dir);
    expect(r.vars).toEqual({ team: "Finance" });
    expect(r.diagnostics.map((d) => [d.code, d.file, d.line, d.column])).toEqual([
      ["VAR_FILE_BAD_VALUE", "bad.yaml", 3, 3],
      ["VAR_FILE_SYNTAX", "syntax.json", 2, 11],
      ["VAR_FILE_NOT_A_MAP", "list.yaml", 1, 1],
      ["VAR_FILE_UNREADABLE", "missing.yaml", undefined, undefined],
    ]);
  });

  it("validate stops on a bad var file with its diagnostic", async () => {
    file("popdock.yaml", "api_users: {}\n");
    const bad = file("vars.yaml", "x: [1]\n");
    const c = capture();
    c.io.cwd = dir;
    expect(await runMain(["validate", "--var-file", bad], c.io)).toBe(1);
    expect(c.err()).toContain("vars.yaml:1:4");
    expect(c.err()).toContain("variable x must be a string, number or boolean");
  });
});

describe("--lock=false", () => {
  it("runs without the state lock, which another holder keeps", async () => {
    const { acquireLock } = await import("../backends/file/lock.js");
    const dir = tempDir("popdock-nolock-");
    writeFileSync(join(dir, "popdock.yaml"), "api_users: {}\n");
    const held = await acquireLock({
      statePath: join(dir, ".popdock", "state.json"),
      command: "popdock apply",
    });
    try {
      const locked = capture();
      locked.io.cwd = dir;
      expect(await runMain(["state", "rm", "popdock_api_user.x"], locked.io)).toBe(1);
      expect(locked.err()).toContain("POPDOCK_STATE_LOCKED");
      const free = capture();
      free.io.cwd = dir;
      expect(await runMain(["state", "rm", "popdock_api_user.x", "-lock=false"], free.io)).toBe(1);
      expect(free.err()).toContain("popdock_api_user.x is not in state"); // it got past the lock
      const both = capture();
      both.io.cwd = dir;
      expect(await runMain(["state", "rm", "a", "--lock=false", "--lock-timeout", "5s"], both.io)).toBe(1);
      expect(both.err()).toContain("--lock-timeout has no use with --lock=false");
    } finally {
      await held.release();
    }
  });
});

describe("state rm", () => {
  it("warns that a rotating token's previous generation, forgotten with it, stays valid in Popdock", async () => {
    const { emptyState, stringifyState } = await import("../backends/state-codec.js");
    const { mkdirSync } = await import("node:fs");
    const dir = tempDir("popdock-staterm-");
    writeFileSync(join(dir, "popdock.yaml"), "api_users: {}\n");
    mkdirSync(join(dir, ".popdock"));
    const state = emptyState("local");
    state.resources["popdock_api_user.bot"] = {
      type: "popdock_api_user",
      id: "usr_1",
      version: 1,
      attributes: { name: "bot" },
      dependencies: [],
    };
    state.resources['popdock_api_token.bot["ci"]'] = {
      type: "popdock_api_token",
      id: "tok_new",
      parent: "popdock_api_user.bot",
      parent_id: "usr_1",
      version: 1,
      attributes: { name: "ci-20270301" },
      dependencies: ["popdock_api_user.bot"],
      previous: {
        id: "tok_old",
        version: 1,
        attributes: { name: "ci-20261201" },
        retires_at: "2027-03-08T00:00:00Z",
      },
    };
    writeFileSync(join(dir, ".popdock", "state.json"), stringifyState(state));
    const c = capture();
    c.io.cwd = dir;
    expect(await runMain(["state", "rm", "popdock_api_user.bot"], c.io)).toBe(0);
    expect(c.out()).toContain('Removed popdock_api_user.bot, popdock_api_token.bot["ci"] from state.');
    expect(c.err()).toBe(
      'warning: the previous generation popdock_api_token.bot["ci"] (previous, retires 2027-03-08): tok_old is no longer managed and stays valid in Popdock; delete it there when nobody uses it\n',
    );
  });
});
