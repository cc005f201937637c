import { describe, expect, it } from "vitest";
import { readBody } from "./read-body.js";

const bytes = (s: string) => new TextEncoder().encode(s);

async function* chunks(...parts: string[]) {
  for (const p of parts) yield bytes(p);
}

/** Yields its parts, then waits forever (a Content-Length larger than the body). */
async function* stalls(...parts: string[]) {
  yield* chunks(...parts);
  await new Promise(() => {});
}

describe("readBody", () => {
  it("reads every chunk", async () => {
    const read = await readBody(chunks("ab", "cd"), { maxBytes: 10, timeoutMs: 60_000 });
    expect(read.kind === "ok" && new TextDecoder().decode(read.bytes)).toBe("abcd");
  });

  it("stops at the size limit", async () => {
    expect(await readBody(chunks("abc", "def"), { maxBytes: 5, timeoutMs: 60_000 })).toEqual({
      kind: "too-large",
      maxBytes: 5,
    });
  });

  it("stops at the time limit when the body stops arriving", async () => {
    expect(await readBody(stalls("ab"), { maxBytes: 10, timeoutMs: 20 })).toEqual({
      kind: "timeout",
      timeoutMs: 20,
    });
  });

  it("reads a web ReadableStream", async () => {
    const read = await readBody(new Response("hello").body ?? chunks(), { maxBytes: 10, timeoutMs: 60_000 });
    expect(read).toEqual({ kind: "ok", bytes: expect.any(Uint8Array) });
  });
});
