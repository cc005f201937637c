/**
 * The connection string: parsed once into a non-secret identity, and the one place that knows
 * the password, so that it can be taken out of every message. pg errors become
 * `PgUnreachableError` / `PgBackendError` with the password redacted from message and cause.
 */
import { PopdockError, UsageError } from "../../model/errors.js";
import { PgBackendError, PgUnreachableError } from "./errors.js";

export interface PgConn {
  /** What pg connects with (contains the password: never print it). */
  readonly connectionString: string;
  readonly user: string;
  readonly host: string;
  readonly port: number;
  readonly database: string;
  /** `user@host:port/db`, for messages. */
  readonly where: string;
  /** Replaces every secret (password, raw or URL-encoded) in `text` with `***`. */
  redact(text: string): string;
}

/** Parses a `postgres://user:password@host:port/db?…` connection string. */
export function parseConnString(connStr: string): PgConn {
  const trimmed = connStr.trim();
  let url: URL | undefined;
  try {
    url = /^postgres(ql)?:\/\//i.test(trimmed) ? new URL(trimmed) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || url.hostname === "") {
    // never echo the string: it may hold a password
    throw new UsageError("the pg backend's conn_str is not a postgres:// URL", {
      hint: "set PG_CONN_STR (or conn_str) to postgres://USER:PASSWORD@HOST:5432/DATABASE",
    });
  }
  const password = safeDecode(url.password);
  const user = safeDecode(url.username) || process.env.PGUSER || "postgres";
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const port = url.port === "" ? 5432 : Number(url.port);
  const database = safeDecode(url.pathname.replace(/^\//, "")) || user;
  const secrets = [password, url.password, process.env.PGPASSWORD ?? ""].filter((s) => s.length >= 1);
  // longest first, so that an encoded form is not half-replaced by its decoded prefix
  secrets.sort((a, b) => b.length - a.length);
  const redact = (text: string): string => {
    let out = text.replace(/(postgres(?:ql)?:\/\/[^:/@\s]*):[^@\s]*@/gi, "$1:***@");
    for (const s of secrets) out = out.split(s).join("***");
    return out;
  };
  return {
    connectionString: trimmed,
    user,
    host,
    port,
    database,
    where: `${user}@${host.includes(":") ? `[${host}]` : host}:${port}/${database}`,
    redact,
  };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "ECONNABORTED",
]);

/** SQLSTATEs that mean the server is going away or not accepting connections yet. */
const SERVER_GONE = new Set(["57P01", "57P02", "57P03", "08000", "08003", "08006", "08001", "08004"]);

interface RawPgError {
  message?: unknown;
  code?: unknown;
  errors?: unknown;
}

/** A PopdockError for any failure of a pg call, without the password anywhere in it. */
export function wrapPgError(err: unknown, conn: PgConn, doing: string): PopdockError {
  if (err instanceof PopdockError) return err;
  const raw = (typeof err === "object" && err !== null ? err : { message: String(err) }) as RawPgError;
  const firstInner = Array.isArray(raw.errors) ? (raw.errors[0] as RawPgError | undefined) : undefined;
  const code =
    typeof raw.code === "string" ? raw.code : typeof firstInner?.code === "string" ? firstInner.code : "";
  const text = conn.redact(
    typeof raw.message === "string" && raw.message !== ""
      ? raw.message
      : typeof firstInner?.message === "string"
        ? firstInner.message
        : String(err),
  );
  const cause = Object.assign(new Error(text), code === "" ? {} : { code });
  const at = `${conn.host.includes(":") ? `[${conn.host}]` : conn.host}:${conn.port}`;
  const settings = "PG_CONN_STR, the backend's conn_str or --backend-config conn_str=…";

  if (NETWORK_CODES.has(code)) {
    return new PgUnreachableError(
      `cannot reach PostgreSQL at ${at} (${code}) while ${doing} — is it running?`,
      code,
      {
        cause,
        hint: `check that the server is up and reachable, and the host and port in ${settings}`,
      },
    );
  }
  if (
    /Connection terminated|connection timeout|terminating connection|Client has encountered a connection error/i.test(
      text,
    ) ||
    SERVER_GONE.has(code)
  ) {
    const reason = code || "CONNECTION_LOST";
    return new PgUnreachableError(
      `lost the connection to PostgreSQL at ${at} while ${doing} (${reason}: ${text})`,
      reason,
      {
        cause,
        hint: "nothing after the last completed write was recorded; check the server and run the command again",
      },
    );
  }
  switch (code) {
    case "28P01":
    case "28000":
      return new PgBackendError(
        `PostgreSQL at ${conn.where} rejected the login of user ${conn.user} (${code})`,
        code,
        {
          cause,
          hint: `check the user and password in ${settings}`,
        },
      );
    case "3D000":
      return new PgBackendError(`PostgreSQL at ${at} has no database ${conn.database} (${code})`, code, {
        cause,
        hint: `create it (CREATE DATABASE ${conn.database}) or fix the database name in ${settings}`,
      });
    case "42501":
      return new PgBackendError(`PostgreSQL at ${conn.where} refused ${doing}: ${text} (${code})`, code, {
        cause,
        hint: "the user needs CREATE on the database (the first run creates the schema and tables) and USAGE on the schema",
      });
    default:
      return new PgBackendError(
        `PostgreSQL at ${conn.where} failed while ${doing}: ${text}${code === "" ? "" : ` (${code})`}`,
        code === "" ? undefined : code,
        { cause },
      );
  }
}
