/** In-process calls to a sandbox, shaped for assertions. */
import type { Sandbox } from "../../provider/sandbox/index.js";

export const API_KEY = "test-admin-key";
export const S = "/api/v1/security";

export interface CallResult {
  status: number;
  headers: Headers;
  /** Parsed JSON, or undefined for an empty body. */
  body: Json;
  text: string;
}

export interface CallOptions {
  body?: unknown;
  /** Raw body text (wins over `body`). */
  raw?: string;
  /** A body stream (wins over `raw` and `body`), e.g. one that never ends. */
  stream?: ReadableStream<Uint8Array>;
  headers?: Record<string, string>;
  /** API key to send; null sends no Authorization header. Default API_KEY. */
  key?: string | null;
}

export async function call(
  sb: Sandbox,
  method: string,
  path: string,
  opts: CallOptions = {},
): Promise<CallResult> {
  const headers: Record<string, string> = {};
  const key = opts.key === undefined ? API_KEY : opts.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  const payload =
    opts.stream ?? opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  if (payload !== undefined) headers["content-type"] = "application/json";
  Object.assign(headers, opts.headers);
  const res = await sb.handle(
    new Request(`http://sandbox.test${path}`, {
      method,
      headers,
      ...(payload === undefined ? {} : { body: payload, duplex: "half" }),
    } as RequestInit),
  );
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: text === "" ? undefined : JSON.parse(text) };
}

/** The `data` of a list body, or the body itself, typed loosely for tests. */
// biome-ignore lint/suspicious/noExplicitAny: test convenience for reading JSON bodies
export type Json = any;
