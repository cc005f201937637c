/**
 * A real PostgreSQL server per test file (see ./postgres-server.ts): started in beforeAll, stopped
 * with its folders removed in afterAll. `server.freshDatabase()` isolates a test.
 */
import { afterAll, beforeAll } from "vitest";
import { type PostgresServer, startPostgres } from "./postgres-server.js";

export type { PostgresServer } from "./postgres-server.js";
export { startPostgres } from "./postgres-server.js";

/** One server for this test file: started in beforeAll, stopped (and its folders removed) in afterAll. */
export function usePostgres(): { readonly server: PostgresServer } {
  let server: PostgresServer | undefined;
  beforeAll(async () => {
    server = await startPostgres();
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  }, 60_000);
  return {
    get server() {
      if (!server) throw new Error("usePostgres(): the server is not started (beforeAll)");
      return server;
    },
  };
}
