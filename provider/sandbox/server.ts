/**
 * node:http adapter for the sandbox app: reads each request's body (within the size and time
 * limits), hands the app a web Request plus what only the server knows (the method as sent, the
 * body as read), writes the Response back, and destroys the socket for a "dropped connection"
 * fault.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { isDropResponse } from "./middleware/commit.js";
import type { RequestMeta } from "./pipeline.js";
import { type BodyLimits, readBody } from "./read-body.js";

export { MAX_BODY_BYTES } from "./read-body.js";

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

/** What the server serves: the app's handler and its body limits. */
export interface Served {
  handle(req: Request, meta: RequestMeta): Promise<Response>;
  limits: BodyLimits;
}

/** Methods a web Request refuses to carry; the app still answers them (405 or 404). */
const FORBIDDEN_METHODS = new Set(["CONNECT", "TRACE", "TRACK"]);

async function serve(app: Served, base: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method ?? "GET";
  const noBody = method === "GET" || method === "HEAD";
  const read = noBody ? undefined : await readBody(req, app.limits);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  const carried = FORBIDDEN_METHODS.has(method.toUpperCase()) ? "GET" : method;
  const body = read?.kind === "ok" && read.bytes.length > 0 && carried !== "GET" ? read.bytes : undefined;
  const request = new Request(new URL(req.url ?? "/", base), {
    method: carried,
    headers,
    ...(body ? { body } : {}),
  });
  const response = await app.handle(request, { method, ...(read ? { body: read } : {}) });
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
  // The rest of a body that was too large or too slow is never read: close after the answer.
  if (read !== undefined && read.kind !== "ok") out.connection = "close";
  res.writeHead(response.status, out);
  res.end(response.status === 204 ? undefined : payload);
}

/** Serves `app` on host:port until `close()`. */
export function listen(app: Served, options: ListenOptions = {}): Promise<RunningServer> {
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? 8787;
  const hostInUrl = host.includes(":") ? `[${host}]` : host;
  const base = `http://${hostInUrl}:${port}`;
  const server = createServer((req, res) => {
    serve(app, base, req, res).catch((err: unknown) => {
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
