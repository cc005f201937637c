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
