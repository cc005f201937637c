import { describe, expect, it } from "vitest";
import type { CliIO, Out } from "./io.js";
import { COMMANDS, runMain } from "./main.js";

function capture(): { io: CliIO; out: () => string; err: () => string } {
  let out = "";
  let err = "";
  const stream = (append: (s: string) => void): Out =>
    ({
      write: (s: string) => {
        append(s);
        return true;
      },
    }) as unknown as Out;
  const io: CliIO = {
    stdout: stream((s) => (out += s)),
    stderr: stream((s) => (err += s)),
    env: {},
    cwd: process.cwd(),
    signal: new AbortController().signal,
  };
  return { io, out: () => out, err: () => err };
}

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
