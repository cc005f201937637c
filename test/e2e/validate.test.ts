/**
 * `popdock validate`: offline it checks the configuration alone; `--remote` also resolves names
 * against Popdock's reference data, with three requests and no look at the user directory.
 * `popdock graph` draws the configuration's dependencies, offline too.
 */
import { describe, expect, it } from "vitest";
import { runCliInProcess as runCli } from "../helpers/cli.js";
import { project, uniq, useSandbox } from "../helpers/e2e-sandbox.js";

const sb = useSandbox();

describe("validate", () => {
  it("passes a good configuration offline, with no endpoint at all", async () => {
    const dir = await project({
      "popdock.yaml": `api_users:\n  u:\n    name: val-${uniq()}\n    grants:\n      - team: Finanse\n`,
    });
    // Offline: names are not checked against Popdock, so the misspelt team passes here.
    const r = await runCli(["validate"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("The configuration is valid: 2 resources, 0 outputs.\n");
  });

  it("--remote reports unknown names with a did-you-mean, reading only the reference data", async () => {
    const dir = await project({
      "popdock.yaml": `api_users:\n  u:\n    name: val-${uniq()}\n    grants:\n      - team: Finanse\n`,
    });
    const r = await sb.counting(dir, ["validate", "--remote"], 1);
    expect(r.r.stderr).toContain('popdock.yaml:5:9: error REF_UNKNOWN_TEAM: unknown team "Finanse"');
    expect(r.r.stderr).toContain('hint: did you mean "Finance"?');
    expect(r.requests).toEqual({
      "GET /api/v1/security/teams": 1,
      "GET /api/v1/security/roles": 1,
      "GET /api/v1/security/connectors": 1,
    });
  });

  it("--json prints one document with every diagnostic's code and position, and exits 1 when invalid", async () => {
    const ok = await project({ "popdock.yaml": `api_users:\n  u:\n    name: val-${uniq()}\n` });
    const good = await runCli(["validate", "--json"], { cwd: ok });
    expect(good.code, good.stderr).toBe(0);
    expect(JSON.parse(good.stdout)).toEqual({
      format_version: "1.0",
      valid: true,
      error_count: 0,
      warning_count: 0,
      diagnostics: [],
    });

    const bad = await project({ "popdock.yaml": `api_users:\n  u:\n    name: val\n    nmae: x\n` });
    const r = await runCli(["validate", "--json"], { cwd: bad });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("");
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ valid: false, error_count: 1, warning_count: 0 });
    expect(doc.diagnostics).toEqual([
      expect.objectContaining({
        severity: "error",
        code: "CONFIG_UNKNOWN_KEY",
        file: "popdock.yaml",
        line: 4,
        column: 5,
      }),
    ]);

    const remote = await sb.counting(
      await project({
        "popdock.yaml": `api_users:\n  u:\n    name: val-${uniq()}\n    grants:\n      - team: Finanse\n`,
      }),
      ["validate", "--remote", "--json"],
      1,
    );
    expect(JSON.parse(remote.r.stdout).diagnostics).toEqual([
      expect.objectContaining({
        code: "REF_UNKNOWN_TEAM",
        line: 5,
        column: 9,
        detail: 'did you mean "Finance"?',
      }),
    ]);
  });

  it("graph draws users before their grants and tokens, offline, in dot or mermaid", async () => {
    const dir = await project({
      "popdock.yaml":
        "api_users:\n  u:\n    name: g\n    grants:\n      - team: Finance\n    tokens:\n      t: {}\n",
    });
    const dot = await runCli(["graph"], { cwd: dir });
    expect(dot.code, dot.stderr).toBe(0);
    expect(dot.stdout).toMatch(/^digraph /);
    expect(dot.stdout).toContain('"popdock_api_user.u" -> "popdock_api_token.u[\\"t\\"]"');
    expect(dot.stdout).toContain('"popdock_api_user.u" -> "popdock_api_user_grant.u[\\"team:Finance\\"]"');
    const mermaid = await runCli(["graph", "--format", "mermaid"], { cwd: dir });
    expect(mermaid.stdout).toMatch(/^flowchart LR\n/);
    const bad = await runCli(["graph", "--format", "svg"], { cwd: dir });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--format must be dot or mermaid, not "svg"');
  });
});
