/**
 * Reads a request body with a size limit and a time limit. One reader for both ways into the
 * sandbox: server.ts reads the socket with it, and the app reads an in-process Request's stream
 * with it. A body that stops arriving (Content-Length larger than what was sent) ends in
 * `timeout` instead of hanging.
 */

/** Largest request body accepted, in bytes (bigger ones get a 413). */
export const MAX_BODY_BYTES = 1024 * 1024;
/** How long a request body may take to arrive, by default, before a 408. */
export const DEFAULT_BODY_TIMEOUT_MS = 10_000;

export interface BodyLimits {
  maxBytes: number;
  timeoutMs: number;
}

export type BodyRead =
  | { kind: "ok"; bytes: Uint8Array }
  | { kind: "too-large"; maxBytes: number }
  | { kind: "timeout"; timeoutMs: number };

/**
 * Reads `source` to its end, or stops at the first of: more than `maxBytes`, or `timeoutMs`
 * since the start. Stopping early does not cancel the source (for a socket, that would destroy
 * it before the answer is written); the caller closes the connection after answering.
 */
export async function readBody(
  source: AsyncIterable<Uint8Array | string>,
  limits: BodyLimits,
): Promise<BodyRead> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const iterator = source[Symbol.asyncIterator]();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), limits.timeoutMs);
  });
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), timedOut]);
      if (next === "timeout") return { kind: "timeout", timeoutMs: limits.timeoutMs };
      if (next.done) break;
      const chunk = typeof next.value === "string" ? Buffer.from(next.value) : next.value;
      size += chunk.length;
      if (size > limits.maxBytes) return { kind: "too-large", maxBytes: limits.maxBytes };
      chunks.push(chunk);
    }
  } finally {
    clearTimeout(timer);
  }
  return { kind: "ok", bytes: Buffer.concat(chunks) };
}
