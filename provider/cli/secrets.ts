/**
 * Handing token IDs out: `--secrets-out FILE` (mode 0600, JSON or dotenv) and GitHub Actions
 * masking. Every token ID the CLI is about to reveal is first registered with `::add-mask::`
 * when GITHUB_ACTIONS=true, so the runner hides it from every later log line.
 */
import { chmod, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
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

function dotenvQuote(value: string): string {
  return /^[A-Za-z0-9_\-./:+=@]*$/.test(value) ? value : JSON.stringify(value);
}

/** Writes name → value pairs to `path`: dotenv when it ends in `.env`, JSON otherwise. Mode 0600. */
export async function writeSecretsFile(
  io: CliIO,
  path: string,
  values: ReadonlyMap<string, string>,
): Promise<void> {
  maskForCi(io, values.values());
  const abs = resolve(io.cwd, path);
  const sorted = [...values.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const text = /\.env$/.test(path)
    ? sorted.map(([k, v]) => `${envName(k)}=${dotenvQuote(v)}\n`).join("")
    : `${JSON.stringify(Object.fromEntries(sorted), null, 2)}\n`;
  await writeFile(abs, text, { mode: 0o600 });
  await chmod(abs, 0o600); // an existing file keeps its old mode on write
}
