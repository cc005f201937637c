import { describe, expect, it } from "vitest";
import { parseConnString, wrapPgError } from "./conn.js";

describe("parseConnString", () => {
  it("reads user, host, port and database, with defaults", () => {
    expect(parseConnString("postgresql://ci:pw@db.example/ops")).toMatchObject({
      user: "ci",
      host: "db.example",
      port: 5432,
      database: "ops",
      where: "ci@db.example:5432/ops",
    });
    expect(parseConnString("postgres://ci@[::1]:6000").where).toBe("ci@[::1]:6000/ci");
  });

  it("redacts the password raw and URL-encoded, and any postgres URL's password", () => {
    const c = parseConnString("postgres://ci:p%40ss%2Fw0rd@h:1/d");
    expect(c.redact("auth failed for p@ss/w0rd and p%40ss%2Fw0rd")).toBe("auth failed for *** and ***");
    expect(c.redact("see postgres://x:other@y/z")).toBe("see postgres://x:***@y/z");
  });
});

describe("wrapPgError", () => {
  const c = parseConnString("postgres://ci:hunter2hunter2@db:5433/ops");
  it("maps network failures to PgUnreachableError naming host:port", () => {
    const e = wrapPgError(
      Object.assign(new Error("connect ECONNREFUSED 10.0.0.1:5433"), { code: "ECONNREFUSED" }),
      c,
      "reading",
    );
    expect(e).toMatchObject({ code: "POPDOCK_PG_UNREACHABLE", reason: "ECONNREFUSED" });
    expect(e.message).toBe(
      "cannot reach PostgreSQL at db:5433 (ECONNREFUSED) while reading — is it running?",
    );
  });
  it("takes the code of an AggregateError's first error (a host with several addresses)", () => {
    const agg = Object.assign(
      new AggregateError([Object.assign(new Error("x"), { code: "ECONNREFUSED" })], ""),
      {},
    );
    expect(wrapPgError(agg, c, "reading")).toMatchObject({ code: "POPDOCK_PG_UNREACHABLE" });
  });
  it("redacts a password the server echoed, from message and cause", () => {
    const e = wrapPgError(
      Object.assign(new Error('syntax error near "hunter2hunter2"'), { code: "42601" }),
      c,
      "writing",
    );
    expect(e).toMatchObject({ code: "POPDOCK_PG_ERROR", sqlState: "42601" });
    expect(e.message).not.toContain("hunter2hunter2");
    expect(String((e.cause as Error).message)).not.toContain("hunter2hunter2");
  });
  it("a dropped connection is unreachable, not a server error", () => {
    expect(wrapPgError(new Error("Connection terminated unexpectedly"), c, "appending")).toMatchObject({
      code: "POPDOCK_PG_UNREACHABLE",
      reason: "CONNECTION_LOST",
    });
  });
});
