import { describe, expect, it } from "vitest";
import { captureIO } from "../../test/helpers/cli.js";
import { COMMANDS, runMain, terraformSpellings } from "./main.js";

const capture = captureIO;

describe("common options", () => {
  it.each(Object.keys(COMMANDS))("%s accepts --no-color and lists it in its help", async (name) => {
    const c = capture();
    expect(await runMain([name, "--no-color", "--help"], c.io), c.err()).toBe(0);
    expect(c.out()).toMatch(/--no-color\s+No colour/);
  });
});

describe("POPDOCK_LOG", () => {
  it.each(["trace", "debug", "info", "warn", "error", "DEBUG", ""])("accepts %j", async (level) => {
    const c = capture();
    c.io.env = { POPDOCK_LOG: level };
    // The command runs (an empty state there: nothing to list).
    expect(await runMain(["state", "list", "-c", "/nonexistent/popdock.yaml"], c.io), c.err()).toBe(0);
    expect(c.err()).not.toContain("POPDOCK_LOG");
  });

  it("refuses an unknown level with the ones it takes", async () => {
    const c = capture();
    c.io.env = { POPDOCK_LOG: "verbose" };
    expect(await runMain(["state", "list", "-c", "/nonexistent/popdock.yaml"], c.io)).toBe(1);
    expect(c.err()).toBe(
      'error POPDOCK_USAGE: POPDOCK_LOG must be one of trace, debug, info, warn, error, not "verbose"\n  POPDOCK_LOG=debug logs every request (redacted); unset it for the normal output\n',
    );
  });
});

describe("help and version", () => {
  it("`help plan` is `plan --help`; `help nope` says it is unknown", async () => {
    const a = capture();
    const b = capture();
    expect(await runMain(["help", "plan"], a.io)).toBe(0);
    expect(await runMain(["plan", "--help"], b.io)).toBe(0);
    expect(a.out()).toBe(b.out());
    expect(a.out()).toContain("Usage: popdock plan");
    const c = capture();
    expect(await runMain(["help", "nope"], c.io)).toBe(1);
    expect(c.err()).toContain('error: unknown command "nope"');
  });

  it("`--help` lists every command with its summary", async () => {
    const c = capture();
    expect(await runMain(["--help"], c.io)).toBe(0);
    for (const [name, load] of Object.entries(COMMANDS)) {
      expect(c.out()).toMatch(
        new RegExp(
          `\\n  ${name} +${(await load()).summary.slice(0, 20).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`,
        ),
      );
    }
  });

  it("`version` prints the package version", async () => {
    const c = capture();
    expect(await runMain(["version"], c.io)).toBe(0);
    expect(c.out()).toMatch(/^popdock-iac \d+\.\d+\.\d+/);
  });
});

describe("Terraform's single-dash spellings", () => {
  const options = { "no-color": {}, out: {}, "lock-timeout": {}, var: {}, "auto-approve": {}, config: {} };

  it("become long options when the command has them", () => {
    expect(
      terraformSpellings(
        ["-no-color", "-out=p.json", "-lock-timeout=30s", "-var", "a=b", "-auto-approve", "-c", "x.yaml"],
        options,
      ),
    ).toEqual([
      "--no-color",
      "--out=p.json",
      "--lock-timeout=30s",
      "--var",
      "a=b",
      "--auto-approve",
      "-c",
      "x.yaml",
    ]);
  });

  it("make any single-dash word long (so an unknown one gets a suggestion); leave one-letter options, values and anything after -- alone", () => {
    expect(terraformSpellings(["-nope", "-h", "--out", "-x", "--", "-no-color"], options)).toEqual([
      "--nope",
      "-h",
      "--out",
      "-x",
      "--",
      "-no-color",
    ]);
  });

  it("work end to end through runMain", async () => {
    const c = capture();
    expect(await runMain(["validate", "-no-color", "-help"], c.io)).toBe(0); // Terraform's -help, too
    expect(c.out()).toContain("Usage: popdock validate");
    const d = capture();
    expect(await runMain(["show", "-no-color"], d.io)).toBe(1);
    expect(d.err()).toContain("show needs a PLANFILE"); // parsed: -no-color was taken as --no-color
  });
});
