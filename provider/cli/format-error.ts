/** Turns a thrown error into the text printed on stderr. */
import { PopdockError } from "../model/errors.js";

export function formatError(err: unknown, env: Readonly<Record<string, string | undefined>>): string {
  if (err instanceof PopdockError) {
    const hint = err.hint ? `\n  ${err.hint}` : "";
    return `error ${err.code}: ${err.message}${hint}\n`;
  }
  const e = err as Error;
  const level = env.POPDOCK_LOG?.trim().toLowerCase();
  const stack = (level === "debug" || level === "trace") && e?.stack ? `\n${e.stack}` : "";
  return `error: ${e?.message ?? String(err)}${stack}\n`;
}
