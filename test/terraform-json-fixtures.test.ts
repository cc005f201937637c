/**
 * The Terraform JSON frontend against its fixture corpus (table-driven, after Pulumi's
 * `testdata/<case>/`): each directory `fixtures/tf-json/<case>/` is read as the path `.` with the
 * case directory as the working directory — so it is a directory of `*.tf.json` files, a CDKTF
 * output directory (`manifest.json`) or a CDKTF app (`cdktf.json`, run with `node`).
 *
 * - `expected.json`: the DesiredConfig without its digest (compared as data); no diagnostics
 *   at all, or exactly the warnings in `expected.txt`.
 * - `expected.txt`: the exact diagnostics, `formatDiagnostic` one per entry.
 * - optional `options.json`: `{ "paths"?, "stack"?, "synthTimeoutMs"? }` for the loader.
 *
 * Run with `UPDATE_FIXTURES=1` to rewrite the expected files, then review the diff.
 *
 * After the corpus, the CDKTF synth runner's process handling (timeouts, aborts) with small
 * stand-in apps written to temporary directories.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import {
  type LoadTerraformOptions,
  loadTerraformConfig,
} from "../provider/frontends/terraform-json/index.js";
import { formatDiagnostic } from "../provider/model/diagnostics.js";
import { GENERATED_CASES } from "./helpers/bad-inputs.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "fixtures", "tf-json");
const update = process.env.UPDATE_FIXTURES === "1";

interface Case {
  name: string;
  dir: string;
  kind: "valid" | "invalid";
  options: Pick<LoadTerraformOptions, "stack" | "synthTimeoutMs"> & { paths?: string[] };
}

function cases(): Case[] {
  return readdirSync(root)
    .filter((n) => statSync(join(root, n)).isDirectory())
    .sort()
    .map((name) => {
      const dir = join(root, name);
      const optionsFile = join(dir, "options.json");
      const options = existsSync(optionsFile)
        ? (JSON.parse(readFileSync(optionsFile, "utf8")) as Case["options"])
        : {};
      const kind = existsSync(join(dir, "expected.json")) || name.startsWith("valid-") ? "valid" : "invalid";
      return { name, dir, kind, options };
    });
}

function load(c: Case) {
  const { paths, ...rest } = c.options;
  // Stand-in CDKTF apps run with `node`: they need PATH, and nothing else from the environment.
  return loadTerraformConfig({ paths: paths ?? ["."], cwd: c.dir, env: { PATH: process.env.PATH }, ...rest });
}

const all = cases();

describe("Terraform JSON fixtures", () => {
  it("has a corpus", () => {
    expect(all.filter((c) => c.kind === "valid").length).toBeGreaterThanOrEqual(6);
    expect(all.filter((c) => c.kind === "invalid").length).toBeGreaterThanOrEqual(60);
  });

  it.each(all.filter((c) => c.kind === "invalid").map((c) => [c.name, c] as const))(
    "invalid: %s",
    async (_name, c) => {
      const { config, diagnostics } = await load(c);
      const text = `${diagnostics.map(formatDiagnostic).join("\n")}\n`;
      const expectedFile = join(c.dir, "expected.txt");
      if (update) writeFileSync(expectedFile, text);
      expect(config).toBeUndefined();
      expect(diagnostics.some((d) => d.severity === "error")).toBe(true);
      expect(text).toBe(readFileSync(expectedFile, "utf8"));
    },
  );

  it.each(all.filter((c) => c.kind === "valid").map((c) => [c.name, c] as const))(
    "valid: %s",
    async (_name, c) => {
      const { config, diagnostics } = await load(c);
      const expectedDiags = join(c.dir, "expected.txt");
      const warnings = diagnostics.map(formatDiagnostic);
      if (existsSync(expectedDiags) || (update && warnings.length > 0)) {
        // A valid case may expect warnings (never errors).
        const text = `${warnings.join("\n")}\n`;
        if (update) writeFileSync(expectedDiags, text);
        expect(text).toBe(readFileSync(expectedDiags, "utf8"));
      } else {
        expect(warnings).toEqual([]);
      }
      expect(config).toBeDefined();
      const { digest, ...rest } = config ?? { digest: "" };
      expect(digest).toMatch(/^[0-9a-f]{64}$/);
      const expectedFile = join(c.dir, "expected.json");
      if (update) writeFileSync(expectedFile, `${JSON.stringify(rest, null, 2)}\n`);
      // Compared as data: the files are formatted by biome like any other JSON in the repository.
      expect(JSON.parse(JSON.stringify(rest))).toEqual(JSON.parse(readFileSync(expectedFile, "utf8")));
    },
  );
});

describe("invalid Terraform JSON too large to commit (generated)", () => {
  const dir = mkdtempSync(join(tmpdir(), "popdock-tf-generated-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const generated = GENERATED_CASES.filter((c) => c.format === "tf-json");
  it.each(generated.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    writeFileSync(join(dir, c.file), c.content());
    const { config, diagnostics } = await loadTerraformConfig({ paths: [c.file], cwd: dir, env: {} });
    expect(config).toBeUndefined();
    expect(diagnostics.map(formatDiagnostic).join("\n")).toBe(c.expected);
  });
});

describe("the CDKTF synth runner", () => {
  const temps: string[] = [];
  const pids: number[] = [];
  afterAll(() => {
    for (const pid of pids) kill(pid);
    for (const t of temps) rmSync(t, { recursive: true, force: true });
  });

  /** A directory with `cdktf.json` running `app.mjs` (its source given). */
  function app(source: string): string {
    const dir = mkdtempSync(join(tmpdir(), "popdock-synth-test-"));
    temps.push(dir);
    writeFileSync(join(dir, "cdktf.json"), JSON.stringify({ app: "node app.mjs" }));
    writeFileSync(join(dir, "app.mjs"), source);
    return dir;
  }

  /** Whether `pid` runs (a zombie does not: nobody may reap it in a container). */
  function alive(pid: number): boolean {
    try {
      return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
    } catch {
      if (existsSync("/proc/self/stat")) return false;
    }
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  function kill(pid: number): void {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }

  async function until(check: () => boolean, ms: number): Promise<boolean> {
    const end = Date.now() + ms;
    while (!check()) {
      if (Date.now() > end) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
    return true;
  }

  it("stops at the timeout even when a process outside the app's group holds its output open", async () => {
    const dir = app(`
      import { spawn } from "node:child_process";
      import { writeFileSync } from "node:fs";
      // In a session of its own (setsid), out of reach of the group kill, holding stdout and stderr.
      const g = spawn(process.execPath, ["-e", "setTimeout(() => {}, 10000)"], { detached: true, stdio: "inherit" });
      g.unref();
      writeFileSync("started.json", JSON.stringify({ grandchild: g.pid, outdir: process.env.CDKTF_OUTDIR }));
      process.stdout.write("waiting\\n");
      setInterval(() => {}, 1000);
    `);
    const started = Date.now();
    const { config, diagnostics } = await loadTerraformConfig({
      paths: ["."],
      cwd: dir,
      env: { PATH: process.env.PATH },
      synthTimeoutMs: 500,
    });
    const elapsed = Date.now() - started;
    const info = JSON.parse(readFileSync(join(dir, "started.json"), "utf8")) as {
      grandchild: number;
      outdir: string;
    };
    pids.push(info.grandchild);
    expect(config).toBeUndefined();
    expect(diagnostics.map(formatDiagnostic)).toEqual([
      expect.stringMatching(
        /^cdktf\.json: error CDKTF_SYNTH_TIMEOUT: .* within 500 ms and was stopped\n {2}\| waiting\n/,
      ),
    ]);
    expect(elapsed).toBeLessThan(500 + 1000);
    expect(existsSync(info.outdir)).toBe(false);
  });

  it("stops the app and its children, and removes its output directory, when aborted", async () => {
    const dir = app(`
      import { spawn } from "node:child_process";
      import { mkdirSync, writeFileSync } from "node:fs";
      import { join } from "node:path";
      const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
      mkdirSync(join(process.env.CDKTF_OUTDIR, "stacks"));
      writeFileSync("started.json", JSON.stringify({ app: process.pid, child: child.pid, outdir: process.env.CDKTF_OUTDIR }));
      setInterval(() => {}, 1000);
    `);
    const controller = new AbortController();
    const loading = loadTerraformConfig({
      paths: ["."],
      cwd: dir,
      env: { PATH: process.env.PATH },
      signal: controller.signal,
    });
    const startedFile = join(dir, "started.json");
    expect(await until(() => existsSync(startedFile), 10_000)).toBe(true);
    const info = JSON.parse(readFileSync(startedFile, "utf8")) as {
      app: number;
      child: number;
      outdir: string;
    };
    pids.push(info.app, info.child);
    expect(existsSync(info.outdir)).toBe(true);
    const aborted = Date.now();
    controller.abort();
    const { config, diagnostics } = await loading;
    expect(Date.now() - aborted).toBeLessThan(1500);
    expect(config).toBeUndefined();
    expect(diagnostics.map(formatDiagnostic)).toEqual([
      'cdktf.json: error CDKTF_SYNTH_ABORTED: interrupted: the CDKTF app "node app.mjs" was stopped before it finished',
    ]);
    expect(existsSync(info.outdir)).toBe(false);
    expect(await until(() => !alive(info.app) && !alive(info.child), 2000)).toBe(true);
  });

  it("does not start the app when already aborted", async () => {
    const dir = app(`import { writeFileSync } from "node:fs"; writeFileSync("ran", "");`);
    const { diagnostics } = await loadTerraformConfig({
      paths: ["."],
      cwd: dir,
      env: { PATH: process.env.PATH },
      signal: AbortSignal.abort(),
    });
    expect(diagnostics.map((d) => d.code)).toEqual(["CDKTF_SYNTH_ABORTED"]);
    expect(existsSync(join(dir, "ran"))).toBe(false);
  });
});
