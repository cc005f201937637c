/**
 * The one error type of the sandbox: an HTTP status with the contract's error body
 * (`{ error: { code, message, details? } }`). Store operations throw it; app.ts turns it into a
 * response.
 */
import type { z } from "zod";
import type { ErrorBody, ErrorCode, ErrorDetail } from "../../schema/api.js";

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetail[],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "HttpError";
  }

  body(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details && this.details.length > 0 ? { details: this.details } : {}),
      },
    };
  }
}

export const notFound = (message: string) => new HttpError(404, "not_found", message);
export const conflict = (message: string) => new HttpError(409, "conflict", message);
export const invalid = (message: string, details?: ErrorDetail[]) =>
  new HttpError(422, "validation_failed", message, details);

/** `companies[1]`, `name`, `a.b[0].c`: the path format of error details. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out === "" ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

/** Turns zod issues into error details; an unknown field becomes one detail per field. */
export function zodDetails(error: z.ZodError): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        details.push({ path: formatPath([...issue.path, key]), message: `unknown field "${key}"` });
      }
      continue;
    }
    const path = formatPath(issue.path);
    details.push(path === "" ? { message: issue.message } : { path, message: issue.message });
  }
  return details;
}

/** Parses `input` with `schema`, or throws a 422 whose details list every issue. */
export function parseBody<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw invalid(`${what} is invalid`, zodDetails(result.error));
}
