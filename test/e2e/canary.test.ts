/**
 * The secrets canary. A full life of some tokens through the real CLI — apply with the debug log
 * on, saved plans and their renderings, a rotation, state and output listings, deleting a token,
 * destroy — while every byte the CLI prints and every file it writes in the workdir is kept.
 * Every token ID Popdock ever issued (read back from the API before anything deletes it) and
 * the admin API key must appear nowhere in that, except where a command was asked for a secret
 * by name (`output NAME`, `--secrets-out FILE`) — and there they must appear, which proves the
 * canary can see a leak.
 */
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { type CliResult, expectExit, runCliInProcess as runCli } from "../helpers/cli.js";
import { project, useSandbox } from "../helpers/e2e-sandbox.js";

// In-process runs capture also what is written straight to process.stdout/stderr meanwhile (see
// runCliInProcess), so a byte written around the CLI's IO object is still seen here.
const sandbox = useSandbox();

function config(opts: { biName: string; withSync: boolean }): string {
  return `api_users:
  alpha:
    name: canary-alpha
    description: canary
    grants:
      - team: Finance
    tokens:
      ci: { name: ci-token }
      bi: { name: ${opts.biName} }
  beta:
    name: canary-beta
${opts.withSync ? "    tokens:\n      sync: {}\n" : ""}
outputs:
  alpha_ci_token:
    value: \${popdock_api_token.alpha["ci"].token_id}
    sensitive: true
  alpha_id:
    value: \${popdock_api_user.alpha.id}
`;
}

/** Every regular file under `dir`, by path relative to it. */
async function walk(dir: string, root = dir, out = new Map<string, string>()): Promise<Map<string, string>> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await walk(p, root, out);
    else if (e.isFile()) out.set(relative(root, p), await readFile(p, "utf8"));
  }
  return out;
}

describe("secrets canary", () => {
  it("no token ID or API key in any output or file, except where asked for by name", async () => {
    await sandbox.reset();
    const dir = await project({ "popdock.yaml": config({ biName: "bi-2026-q1", withSync: true }) });
    const env = sandbox.env();
    const debug = sandbox.env({ POPDOCK_LOG: "debug" });
    const ALLOWED_FILES = new Set(["first.env", "rotated.json"]);

    /** What the CLI printed or wrote, labelled for the failure message. */
    const seen: { where: string; text: string }[] = [];
    const secrets = new Set<string>();
    const collectSecrets = async () => {
      for (const s of await sandbox.tokenIds()) secrets.add(s);
    };
    const snapshotFiles = async (after: string) => {
      for (const [path, text] of await walk(dir)) {
        if (!ALLOWED_FILES.has(path)) seen.push({ where: `file ${path} after \`${after}\``, text });
      }
    };
    /** Runs a command whose output must hold no secret. */
    const run = async (args: string[], e = debug, expectCode = 0): Promise<CliResult> => {
      const r = await runCli(args, { cwd: dir, env: e });
      const label = `popdock ${args.join(" ")}`;
      expectExit(r, expectCode);
      seen.push(
        { where: `stdout of \`${label}\``, text: r.stdout },
        { where: `stderr of \`${label}\``, text: r.stderr },
      );
      await snapshotFiles(label);
      return r;
    };

    // 1. Create everything, with the client's debug log on.
    const first = await run(["apply", "--auto-approve", "--secrets-out", "first.env"]);
    expect(first.stderr).toContain("[popdock debug]"); // the debug log really was on
    await collectSecrets();
    expect(secrets.size).toBe(3);
    const firstEnv = await readFile(join(dir, "first.env"), "utf8");
    for (const s of secrets) expect(firstEnv).toContain(s);

    // 2. Plans: clean plan, then a rotation saved, shown and summarised.
    await run(["plan", "--detailed-exitcode"]);
    await writeFile(join(dir, "popdock.yaml"), config({ biName: "bi-2026-q2", withSync: true }));
    await run(["plan", "--out", "rotate.plan"]);
    await run(["show", "rotate.plan"], env);
    await run(["show", "--json", "rotate.plan"], env);
    await run(["show", "--markdown", "rotate.plan"], env);
    await run(["plan", "--markdown"]);
    await run(["plan", "--json"]);
    await run(["plan", "--markdown", "--markdown-max-chars", "2000"]); // the cut comment
    await run(["plan", "-refresh-only", "--json"]);

    // 2b. Attempts that must fail without leaking: a tampered plan, the plan sent to another
    //     endpoint, and a `*.localhost` endpoint over plain http (DNS could point it anywhere).
    const planText = await readFile(join(dir, "rotate.plan"), "utf8");
    await writeFile(join(dir, "tampered.plan"), planText.replace("bi-2026-q2", "bi-hacked"));
    const tampered = await run(["apply", "tampered.plan"], debug, 1);
    expect(tampered.stderr).toContain("POPDOCK_PLAN_TAMPERED");
    const elsewhere = { ...debug, POPDOCK_ENDPOINT: "http://popdock.localhost:1" };
    const moved = await run(["apply", "rotate.plan"], elsewhere, 1);
    expect(moved.stderr).toContain(
      "the endpoint configured here is http://popdock.localhost:1; nothing was sent",
    );
    const insecure = await run(["plan"], elsewhere, 1);
    expect(insecure.stderr).toContain("plain http is allowed only for loopback");

    // 3. Apply the rotation from the saved plan; the new token ID goes to a 0600 file.
    const rotated = await run(["apply", "rotate.plan", "--secrets-out", "rotated.json"]);
    expect(rotated.stdout).toMatch(/replacement created/);
    const before = new Set(secrets);
    await collectSecrets();
    const fresh = [...secrets].filter((s) => !before.has(s));
    expect(fresh).toHaveLength(1);
    expect(await readFile(join(dir, "rotated.json"), "utf8")).toContain(fresh[0]);

    // 4. Looking at state and outputs.
    await run(["state", "list"], env);
    await run(["state", "show", 'popdock_api_token.alpha["bi"]'], env);
    await run(["state", "show", "popdock_api_user.alpha"], env);
    await run(["state", "pull"], env);
    await run(["state", "history"], env);
    await run(["workspace", "list"], env);
    await run(["output"]);
    await run(["output", "--json"]);
    await run(["output", "alpha_id"]);

    // Asked for by name: these must print the secret (they are not part of `seen`).
    const raw = await runCli(["output", "alpha_ci_token", "--raw"], { cwd: dir, env: debug });
    expectExit(raw, 0);
    const ci = await sandbox.tokenIds();
    expect(ci).toContain(raw.stdout);
    const named = await runCli(["output", "alpha.bi"], { cwd: dir, env });
    expectExit(named, 0);
    expect(named.stdout).toBe(`${JSON.stringify(fresh[0])}\n`);
    expect(raw.stderr, "the debug log of `output NAME` stays redacted").not.toContain(raw.stdout);

    // 4b. State-only changes: a moved rename (saved plan, shown, applied), state mv, a removed
    //     block, and import blocks with --generate-config-out. No new token ID may appear.
    const q2 = config({ biName: "bi-2026-q2", withSync: true });
    const betaBlock = "  beta:\n    name: canary-beta\n    tokens:\n      sync: {}\n";
    expect(q2).toContain(betaBlock);
    await writeFile(
      join(dir, "popdock.yaml"),
      `${q2.replace("  beta:", "  gamma:")}moved:\n  - { from: popdock_api_user.beta, to: popdock_api_user.gamma }\n`,
    );
    await run(["plan", "--out", "moved.plan"]);
    await run(["show", "--json", "moved.plan"], env);
    await run(["show", "--markdown", "moved.plan"], env);
    await run(["apply", "moved.plan"]);
    await run(["state", "mv", "--dry-run", "popdock_api_user.gamma", "popdock_api_user.delta"], env);
    const stateNow = JSON.parse(await readFile(join(dir, ".popdock", "state.json"), "utf8"));
    const gammaId = stateNow.resources["popdock_api_user.gamma"].id as string;
    const syncId = stateNow.resources['popdock_api_token.gamma["sync"]'].id as string;
    const withoutBeta = q2.replace(betaBlock, "");
    await writeFile(
      join(dir, "popdock.yaml"),
      `${withoutBeta}removed:\n  - { from: popdock_api_user.gamma, destroy: false }\n`,
    );
    await run(["apply", "--auto-approve"]);
    await writeFile(
      join(dir, "popdock.yaml"),
      `${withoutBeta}import:\n  - { to: popdock_api_user.beta, id: ${gammaId} }\n  - { to: 'popdock_api_token.beta["sync"]', id: ${gammaId}/${syncId} }\n`,
    );
    await run(["plan", "--generate-config-out", "gen.yaml"]);
    await run(["apply", "--auto-approve", "-c", "popdock.yaml", "-c", "gen.yaml"]);
    await writeFile(join(dir, "popdock.yaml"), q2);
    await run(["plan", "--detailed-exitcode", "-c", "popdock.yaml"]);
    const beforeMoves = secrets.size;
    await collectSecrets();
    expect(secrets.size, "moves, removals and imports issue no token").toBe(beforeMoves);

    // 5. Delete one token, then everything.
    await collectSecrets();
    await writeFile(join(dir, "popdock.yaml"), config({ biName: "bi-2026-q2", withSync: false }));
    const removed = await run(["apply", "--auto-approve"]);
    expect(removed.stdout).toMatch(/popdock_api_token\.beta\["sync"\]: destroyed/);
    await collectSecrets();
    await run(["destroy", "--auto-approve", "--json"]); // the machine-readable stream
    expect((await sandbox.inventory()).userCount).toBe(0);

    expect(secrets.size).toBe(4); // ci, bi (old), bi (new), sync
    const canaries = [...secrets, sandbox.apiKey];
    const leaks: string[] = [];
    for (const { where, text } of seen) {
      for (const c of canaries)
        if (text.includes(c))
          leaks.push(`${c === sandbox.apiKey ? "the API key" : `token ID …${c.slice(-4)}`} in ${where}`);
    }
    expect(leaks).toEqual([]);
    expect(seen.some((s) => s.where.startsWith("file .popdock/state.json"))).toBe(true);
    expect(seen.some((s) => s.where.startsWith("file rotate.plan"))).toBe(true);
  });

  it("a rotating token's generations: no token ID anywhere but --secrets-out, `popdock tokens --json` included", async () => {
    const dir = await project({
      "popdock.yaml": `api_users:
  gamma:
    name: canary-gamma
    tokens:
      nightly:
        rotation: { every: 30d, overlap: 7d, retire_when_unused: 24h }
`,
    });
    const debug = sandbox.env({ POPDOCK_LOG: "debug" });
    const seen: { where: string; text: string }[] = [];
    const run = async (args: string[], code = 0): Promise<CliResult> => {
      const r = expectExit(await runCli(args, { cwd: dir, env: debug }), code, args.join(" "));
      seen.push({ where: `popdock ${args.join(" ")}`, text: `${r.stdout}\n${r.stderr}` });
      return r;
    };
    const advanceDays = async (days: number) => {
      const r = await sandbox.request("PUT", "/__sandbox/clock", { advance_seconds: days * 86_400 });
      expect(r.status).toBe(200);
    };
    await run(["apply", "--auto-approve"]);
    await advanceDays(31);
    await run(["plan", "--out", "rotate.plan"]);
    await run(["show", "--json", "rotate.plan"]);
    await run(["plan", "--markdown"]);
    await run(["apply", "rotate.plan", "--secrets-out", "gen.json"]);
    const secrets = await sandbox.tokenIds();
    const gen = JSON.parse(await readFile(join(dir, "gen.json"), "utf8"));
    expect(Object.keys(gen).sort()).toEqual(["gamma.nightly", "gamma.nightly.previous"]);
    for (const v of Object.values(gen)) expect(secrets).toContain(v);
    await run(["plan", "--json"]);
    await run(["state", "list"]);
    await run(["state", "show", 'popdock_api_token.gamma["nightly"] (previous)']);
    await run(["tokens"]);
    await run(["tokens", "--json", "--all", "--max-age", "1d", "--unused", "1d"], 1);
    await advanceDays(8);
    await run(["apply", "--auto-approve"]);
    for (const [path, text] of await walk(dir)) {
      if (path !== "gen.json") seen.push({ where: `file ${path}`, text });
    }
    const leaks: string[] = [];
    for (const { where, text } of seen) {
      for (const c of [...secrets, sandbox.apiKey])
        if (text.includes(c)) leaks.push(`…${c.slice(-4)} in ${where}`);
    }
    expect(leaks).toEqual([]);
    expect(secrets).toHaveLength(2);
  });
});
