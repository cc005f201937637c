/**
 * node:http adapter for the sandbox app: turns each IncomingMessage into a web Request, writes
 * the Response back, and destroys the socket for a "dropped connection" fault.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { isDropResponse, OVERSIZED_HEADER } from "./app.js";

/** Largest request body accepted, in bytes (bigger ones get a 413 and the connection closes). */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface ListenOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8787; 0 picks a free port. */
  port?: number;
}

export interface RunningServer {
  /** `http://HOST:PORT`, with the port actually bound. */
  url: string;
  /** Stops accepting, closes every connection, resolves when the server is down. */
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Buffer | "too-large"> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return "too-large";
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

async function serve(
  handle: (req: Request) => Promise<Response>,
  base: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const method = req.method ?? "GET";
  const read = method === "GET" || method === "HEAD" ? undefined : await readBody(req);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name === OVERSIZED_HEADER) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  // Too large: the app still checks the key first, then answers 413; the rest of the body is
  // never read, so the connection closes after the answer.
  const oversized = read === "too-large";
  if (oversized) headers.set(OVERSIZED_HEADER, String(MAX_BODY_BYTES));
  const body = oversized ? undefined : read;
  const request = new Request(new URL(req.url ?? "/", base), {
    method,
    headers,
    ...(body && body.length > 0 ? { body } : {}),
  });
  const response = await handle(request);
  if (isDropResponse(response)) {
    req.socket.destroy();
    return;
  }
  const out: Record<string, string> = {};
  response.headers.forEach((v, k) => {
    out[k] = v;
  });
  const payload = Buffer.from(await response.arrayBuffer());
  if (response.status !== 204 && response.status !== 304) out["content-length"] = String(payload.length);
  if (oversized) out.connection = "close";
  res.writeHead(response.status, out);
  res.end(response.status === 204 ? undefined : payload);
}

/** Serves `handle` on host:port until `close()`. */
export function listen(
  handle: (req: Request) => Promise<Response>,
  options: ListenOptions = {},
): Promise<RunningServer> {
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? 8787;
  const hostInUrl = host.includes(":") ? `[${host}]` : host;
  const base = `http://${hostInUrl}:${port}`;
  const server = createServer((req, res) => {
    serve(handle, base, req, res).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res.writeHead(500, { "content-type": "application/json; charset=utf-8" });
      res.end(
        JSON.stringify({
          error: { code: "internal", message: `sandbox failure: ${(err as Error)?.message}` },
        }),
      );
    });
  });
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const addr = server.address() as AddressInfo;
      const url = `http://${hostInUrl}:${addr.port}`;
      resolve({
        url,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
