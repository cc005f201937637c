/**
 * msw handlers served over real HTTP on 127.0.0.1, port 0.
 *
 * msw 2 intercepts global fetch and node:http clients, not undici's own dispatcher, so a test of
 * `PopdockClient` (which sends through an undici Agent) cannot use `setupServer`. This helper runs
 * a node:http server that turns each incoming request into a web `Request`, answers it with msw's
 * `getResponse(handlers, request)`, and writes the `Response` back.
 *
 * - `use(...handlers)` prepends per-test overrides (like `server.use`); `resetHandlers()` drops them.
 * - A handler returning `HttpResponse.error()` (or `dropConnection()`) makes the server destroy
 *   the socket without answering: the client sees "other side closed". Work the handler did
 *   before returning stays done, which is how "commit, then drop" is simulated.
 * - `requests` records every request (method, path, headers, body) in arrival order.
 * - A request no handler answers gets a 501 and lands in `unhandled`; a handler that throws gets a
 *   500 and its error lands in `handlerErrors`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { getResponse, HttpResponse, type RequestHandler } from "msw";
import { afterAll, afterEach, beforeAll } from "vitest";

export interface RecordedRequest {
  method: string;
  /** Path and query, e.g. `/api/v1/security/api-users?limit=2`. */
  path: string;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  body: string;
}

export interface MswHttpServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly requests: RecordedRequest[];
  readonly unhandled: RecordedRequest[];
  readonly handlerErrors: unknown[];
  /** Prepends handlers that take precedence until `resetHandlers()`. */
  use(...handlers: RequestHandler[]): void;
  /** Drops the `use()` overrides (or replaces the initial handlers when given some). */
  resetHandlers(...next: RequestHandler[]): void;
  /** Closes the server and every open connection. */
  close(): Promise<void>;
}

/** A response that makes the server drop the connection without answering. */
export function dropConnection(): Response {
  return HttpResponse.error();
}

export async function startMswServer(...initial: RequestHandler[]): Promise<MswHttpServer> {
  let base = [...initial];
  let overrides: RequestHandler[] = [];
  const requests: RecordedRequest[] = [];
  const unhandled: RecordedRequest[] = [];
  const handlerErrors: unknown[] = [];

  const server = createServer((req, res) => {
    void handle(req, res);
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.on("error", () => {});
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const headers = new Headers();
    const flat: Record<string, string> = {};
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i] as string;
      const value = req.rawHeaders[i + 1] as string;
      headers.append(name, value);
      flat[name.toLowerCase()] = value;
    }
    const method = req.method ?? "GET";
    const recorded: RecordedRequest = {
      method,
      path: req.url ?? "/",
      headers: flat,
      body: body.toString("utf8"),
    };
    requests.push(recorded);
    const request = new Request(`${url}${req.url ?? "/"}`, {
      method,
      headers,
      ...(method === "GET" || method === "HEAD" ? {} : { body }),
    });

    let response: Response | undefined;
    try {
      response = await getResponse([...overrides, ...base], request);
    } catch (err) {
      handlerErrors.push(err);
      response = HttpResponse.json(
        { error: { code: "internal", message: "msw handler threw" } },
        { status: 500 },
      );
    }
    if (res.destroyed || res.socket === null || res.socket.destroyed) return;
    if (response === undefined) {
      unhandled.push(recorded);
      response = HttpResponse.json(
        { error: { code: "internal", message: `no msw handler for ${method} ${req.url}` } },
        { status: 501 },
      );
    }
    if (response.type === "error") {
      req.socket.destroy();
      return;
    }
    const out = Buffer.from(await response.arrayBuffer());
    const outHeaders: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      outHeaders[name] = value;
    });
    outHeaders["content-length"] = String(out.length);
    if (res.destroyed) return;
    res.writeHead(response.status, outHeaders);
    res.end(out);
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    requests,
    unhandled,
    handlerErrors,
    use(...handlers) {
      overrides = [...handlers, ...overrides];
    },
    resetHandlers(...next) {
      overrides = [];
      if (next.length > 0) base = [...next];
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

/**
 * The msw server of a test file: started before its tests (handed to `started`), reset after
 * each test (handlers, recorded requests, and the clients in the returned list, which are
 * closed), closed after all of them. Returns the list the test registers its clients in.
 */
export function useMswServer<C extends { close(): Promise<unknown> }>(
  started: (server: MswHttpServer) => void,
  ...initial: RequestHandler[]
): C[] {
  const clients: C[] = [];
  let server: MswHttpServer | undefined;
  beforeAll(async () => {
    server = await startMswServer(...initial);
    started(server);
  });
  afterEach(async () => {
    server?.resetHandlers();
    if (server) server.requests.length = 0;
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await server?.close();
  });
  return clients;
}
