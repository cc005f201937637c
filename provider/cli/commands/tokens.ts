/**
 * `popdock tokens [--all] [--json] [--max-age D] [--unused D]`: every token of the managed API
 * users (with --all, of every API user), with address or "unmanaged", generation, name, hint,
 * creation, last use, age and rotation due, by Popdock's clock. --max-age and --unused turn rows
 * into findings and exit 1 when there are any (a nightly CI check). Never prints a token ID.
 */
import { refresh } from "../../engine/refresh.js";
import { renderTokenReport, tokenReport } from "../../engine/token-report.js";
import { UsageError } from "../../model/errors.js";
import { parseDuration } from "../../resources/api-token/duration.js";
import {
  CONFIG_OPTIONS,
  CONNECTION_OPTIONS,
  connectFor,
  flag,
  loadConfigOrFail,
  loadOrEmpty,
  openStateBackend,
  STATE_OPTIONS,
  str,
} from "../common.js";
import type { Command, OptionSpec, ParsedArgs } from "../io.js";

function durationOption(args: ParsedArgs, name: string): number | undefined {
  const v = str(args, name);
  if (v === undefined) return undefined;
  const r = parseDuration(v);
  if ("problem" in r) throw new UsageError(`--${name}: ${r.problem}`);
  return r.seconds;
}

export const command: Command = {
  name: "tokens",
  summary: "Report every token's age and last use by Popdock's clock; --max-age/--unused for CI checks.",
  usage: "tokens [options]",
  examples: [
    "popdock tokens",
    "popdock tokens --all --json",
    "popdock tokens --max-age 90d --unused 30d   # exit 1 on findings: a nightly CI check",
  ],
  help: 'Lists the tokens of the API users in state (--all: of every API user): address or "unmanaged", generation (current/previous), name, token_id_hint, created, last used, age and rotation due. With --max-age or --unused, rows past the limit are findings and the exit code is 1 when there is any. No token ID is ever printed.',
  maxPositionals: 0,
  options: {
    ...CONFIG_OPTIONS,
    ...CONNECTION_OPTIONS,
    state: STATE_OPTIONS.state as OptionSpec,
    "backend-config": STATE_OPTIONS["backend-config"] as OptionSpec,
    all: { type: "boolean", description: "Every API user's tokens, not only the managed users'" },
    json: { type: "boolean", description: "Print JSON (rows and findings)" },
    "max-age": {
      type: "string",
      value: "DURATION",
      description: "A finding for each token older than DURATION (e.g. 90d); exit 1 when any",
    },
    unused: {
      type: "string",
      value: "DURATION",
      description: "A finding for each token not used for DURATION (e.g. 30d); exit 1 when any",
    },
  },
  async run(args, io) {
    const maxAge = durationOption(args, "max-age");
    const unused = durationOption(args, "unused");
    const loaded = await loadConfigOrFail(args, io);
    const backend = await openStateBackend(args, io, loaded.location);
    const { state } = await loadOrEmpty(backend).finally(() => backend.close());
    const conn = await connectFor(args, io, loaded);
    try {
      const live = await refresh(conn.api, { signal: io.signal });
      const report = tokenReport({
        state,
        live,
        desired: loaded.config.resources,
        all: flag(args, "all"),
        ...(maxAge !== undefined ? { maxAgeSeconds: maxAge } : {}),
        ...(unused !== undefined ? { unusedSeconds: unused } : {}),
      });
      io.stdout.write(
        flag(args, "json") ? `${JSON.stringify(report, null, 2)}\n` : renderTokenReport(report),
      );
      return report.findings.length > 0 ? 1 : 0;
    } finally {
      await conn.close();
    }
  },
};
