/**
 * Handing token IDs out: `--secrets-out FILE` (mode 0600, JSON or dotenv) and GitHub Actions
 * masking. Every token ID the CLI is about to reveal is first registered with `::add-mask::`
 * when GITHUB_ACTIONS=true, so the runner hides it from every later log line.
 */
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { access, lstat, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { PopdockError, UsageError } from "../model/errors.js";
import type { CliIO, Out } from "./io.js";

/**
 * Registers each secret with the GitHub Actions runner before it is revealed. On stdout by
 * default, so the mask line is read before the value on the same stream; pass `io.stderr` when
 * stdout carries a machine-readable value (`--raw`, `--json`) that a script captures — the
 * runner reads workflow commands from both streams, and the captured value stays exact.
 */
export function maskForCi(io: CliIO, secrets: Iterable<string>, stream: Out = io.stdout): void {
  if (io.env.GITHUB_ACTIONS !== "true") return;
  for (const s of secrets) stream.write(`::add-mask::${s}\n`);
}

/** `reporting_bot.powerbi` → `REPORTING_BOT_POWERBI`. */
export function envName(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9_]/g, "_");
}

/**
 * Refuses output names that would collide as dotenv variables (`ci-prod` and `ci_prod` both
 * become `CI_PROD`). Called before apply, so the run is refused before it mints anything.
 */
export function checkSecretsNames(path: string, names: readonly string[]): void {
  if (!/\.env$/.test(path)) return;
  const seen = new Map<string, string>();
  for (const k of [...names].sort()) {
    const other = seen.get(envName(k));
    if (other !== undefined) {
      throw new UsageError(`outputs "${other}" and "${k}" would both be ${envName(k)} in ${path}`, {
        hint: "write JSON instead (--secrets-out FILE.json), or rename one of them",
      });
    }
    seen.set(envName(k), k);
  }
}

/**
 * Checks, before anything is planned or sent, that `--secrets-out` can be written: its directory
 * exists and is writable, and the path is not a directory or a symbolic link (the file is
 * replaced by a private temporary file renamed into place, never written through a link).
 */
export async function checkSecretsDestination(io: CliIO, path: string): Promise<void> {
  const abs = resolve(io.cwd, path);
  const dir = dirname(abs);
  const refuse = (why: string, hint: string): never => {
    throw new UsageError(`--secrets-out ${path}: ${why}; nothing was planned or sent`, { hint });
  };
  const dirStat = await stat(dir).catch(() => undefined);
  if (dirStat === undefined)
    refuse(`the directory ${dir} does not exist`, "create it first, or choose another path");
  else if (!dirStat.isDirectory()) refuse(`${dir} is not a directory`, "choose another path");
  await access(dir, constants.W_OK).catch(() =>
    refuse(`the directory ${dir} is not writable`, "choose a directory you can write to"),
  );
  const target = await lstat(abs).catch(() => undefined);
  if (target?.isSymbolicLink()) {
    refuse("it is a symbolic link", "point --secrets-out at a regular file path; links are not followed");
  }
  if (target?.isDirectory()) refuse("it is a directory", "name a file inside it, e.g. tokens.json");
}

/** The apply succeeded, but the token IDs could not be written to `--secrets-out`. */
export class SecretsOutError extends PopdockError {
  readonly code = "POPDOCK_SECRETS_OUT_FAILED";
}

function dotenvQuote(value: string): string {
  return /^[A-Za-z0-9_\-./:+=@]*$/.test(value) ? value : JSON.stringify(value);
}

/** Writes name → value pairs to `path`: dotenv when it ends in `.env`, JSON otherwise. Mode 0600. */
export async function writeSecretsFile(
  io: CliIO,
  path: string,
  values: ReadonlyMap<string, string>,
): Promise<void> {
  const abs = resolve(io.cwd, path);
  const sorted = [...values.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const dotenv = /\.env$/.test(path);
  checkSecretsNames(path, [...values.keys()]);
  maskForCi(io, values.values());
  const text = dotenv
    ? sorted.map(([k, v]) => `${envName(k)}=${dotenvQuote(v)}\n`).join("")
    : `${JSON.stringify(Object.fromEntries(sorted), null, 2)}\n`;
  // A private temporary file renamed into place: the secrets are never in a file others can
  // read, even for a moment when an existing file had a looser mode.
  const tmp = join(dirname(abs), `.${basename(abs)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    await writeFile(tmp, text, { mode: 0o600, flag: "wx" });
    await rename(tmp, abs);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
