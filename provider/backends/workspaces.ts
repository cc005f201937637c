/** Workspace names, shared by every backend: `default` always exists; others are made on demand. */
import { UsageError } from "../model/errors.js";

export const DEFAULT_WORKSPACE = "default";

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

/**
 * Refuses a workspace name that could not be a directory or a `${workspace}` value safely: 1–63
 * letters, digits, `-` and `_`, starting with a letter or digit.
 */
export function checkWorkspaceName(name: string, from: string): string {
  if (!NAME.test(name)) {
    throw new UsageError(
      `${from}: ${JSON.stringify(name)} is not a workspace name: use 1 to 63 letters, digits, - and _, starting with a letter or digit`,
      { hint: "for example: popdock workspace new staging" },
    );
  }
  return name;
}
