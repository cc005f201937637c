/** The PostgreSQL state backend (see `backend.ts`). */
export {
  DEFAULT_HISTORY_LIMIT,
  DEFAULT_SCHEMA_NAME,
  openPgBackend,
  type PgBackendOptions,
} from "./backend.js";
export { parseConnString } from "./conn.js";
export {
  PgBackendError,
  PgLockIdMismatchError,
  PgNotLockedError,
  PgStateLockedError,
  PgUnreachableError,
} from "./errors.js";
