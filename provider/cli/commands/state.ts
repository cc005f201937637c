/**
 * `popdock state list | show ADDRESS | rm ADDRESS | mv SRC DST | pull | push FILE | history |
 * migrate`: look at, edit, copy or move the state. None of them touches Popdock.
 */
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { migrateState } from "../../backends/migrate.js";
import { parseState, stringifyState } from "../../backends/state-codec.js";
import type { StateBackend } from "../../backends/types.js";
import { moveInState } from "../../engine/moves.js";
import { previousLabel } from "../../engine/rotation.js";
import { UsageError } from "../../model/errors.js";
import { resourceTypes } from "../../resources/index.js";
import {
  flag,
  LOCATE_OPTIONS,
  list,
  loadOrEmpty,
  openStateBackend,
  STATE_OPTIONS,
  str,
  withLock,
} from "../common.js";
import type { CliIO, Command, OptionSpec, ParsedArgs } from "../io.js";
import { type ConfigLocation, locateConfig, openBackend } from "../wiring.js";

const USAGE =
  "state list | show ADDRESS | rm ADDRESS | mv SRC DST [--dry-run] | pull [--serial N] | push FILE [--force] | history | migrate --to local --to-path DIR | migrate --to pg";

export const command: Command = {
  name: "state",
  summary: "List, show, remove, move, pull, push, migrate state entries (Popdock is never changed).",
  usage: `${USAGE} [options]`,
  help: "rm forgets an object (it deletes nothing in Popdock). pull prints the state as JSON; push replaces it with a file (refusing another lineage or a lower serial unless --force). history lists the snapshots kept (the local backend keeps the last 20 under .popdock/history/). migrate copies every workspace to another backend.",
  examples: [
    "popdock state list",
    "popdock state show popdock_api_user.reporting_bot",
    "popdock state rm 'popdock_api_token.reporting_bot[\"ci\"]'",
    "popdock state mv popdock_api_user.old popdock_api_user.new --dry-run",
    "popdock state pull > state.json",
  ],
  maxPositionals: 3,
  options: {
    ...LOCATE_OPTIONS,
    "lock-timeout": STATE_OPTIONS["lock-timeout"] as OptionSpec,
    lock: STATE_OPTIONS.lock as OptionSpec,
    "dry-run": { type: "boolean", description: "mv: show what would move, change nothing" },
    serial: {
      type: "string",
      value: "N",
      description: "pull: a past snapshot, by serial (see state history)",
    },
    force: {
      type: "boolean",
      description: "push: replace another lineage or a higher serial; migrate: overwrite",
    },
    limit: { type: "string", value: "N", description: "history: how many snapshots (default 20)" },
    to: {
      type: "string",
      value: "KIND",
      description: "migrate: the target backend kind (local, or pg: the database PG_CONN_STR names)",
    },
    "to-path": {
      type: "string",
      value: "DIR",
      description: "migrate: the directory whose .popdock/ receives the state",
    },
  },
  async run(args, io) {
    const [sub, address] = args.positionals;
    const location = await locateConfig(list(args, "config"), io.cwd);
    const opened = async <T>(fn: (b: StateBackend) => Promise<T>): Promise<T> => {
      const backend = await openStateBackend(args, io, location);
      try {
        return await fn(backend);
      } finally {
        await backend.close();
      }
    };
    switch (sub) {
      case "list": {
        const { state } = await opened(loadOrEmpty);
        for (const a of Object.keys(state.resources).sort()) {
          io.stdout.write(`${a}\n`);
          const prev = state.resources[a]?.previous;
          if (prev) io.stdout.write(`${a} ${previousLabel(prev.retires_at)}\n`);
        }
        return 0;
      }
      case "show": {
        if (!address) throw new UsageError("state show needs an ADDRESS");
        const { state } = await opened(loadOrEmpty);
        // `ADDR (previous…)`: the previous generation of a rotating token.
        const of = /^(.*) \(previous(, retires [^)]*)?\)$/.exec(address)?.[1];
        const prev = of === undefined ? undefined : state.resources[of]?.previous;
        if (of !== undefined && prev) {
          const label = `${of} ${previousLabel(prev.retires_at)}`;
          io.stdout.write(
            `${JSON.stringify({ address: label, generation: "previous", ...prev }, null, 2)}\n`,
          );
          return 0;
        }
        const r = state.resources[address];
        if (!r) throw new UsageError(`${address} is not in state`, { hint: "popdock state list" });
        io.stdout.write(`${JSON.stringify({ address, ...r }, null, 2)}\n`);
        return 0;
      }
      case "rm":
        return stateRm(args, io, location, address);
      case "mv":
        return stateMv(args, io, location);
      case "pull":
        return opened(async (b) => {
          const serial = str(args, "serial");
          const state =
            serial === undefined ? await b.load() : await b.loadSerial(wholeNumber(serial, "--serial"));
          if (state === undefined) {
            throw new UsageError(
              serial === undefined
                ? `no state found at ${b.describe()} (workspace ${b.workspace})`
                : `${b.describe()} keeps no snapshot at serial ${serial}`,
              { hint: serial === undefined ? "apply first" : "list the kept ones: popdock state history" },
            );
          }
          io.stdout.write(stringifyState(state));
          return 0;
        });
      case "push":
        return statePush(args, io, location, address);
      case "history":
        return opened(async (b) => {
          const entries = await b.history(wholeNumber(str(args, "limit") ?? "20", "--limit"));
          if (entries.length === 0) {
            io.stderr.write(`No past snapshots kept for ${b.describe()} (workspace ${b.workspace}).\n`);
            return 0;
          }
          for (const e of entries)
            io.stdout.write(`${String(e.serial).padStart(6)}  ${e.written_at}  ${e.lineage}\n`);
          return 0;
        });
      case "migrate":
        return stateMigrate(args, io, location);
      default:
        throw new UsageError(`unknown state subcommand "${sub ?? ""}"`, { hint: `popdock ${USAGE}` });
    }
  },
};

/**
 * `state mv SRC DST`: renames an address in state under the lock (an API user's grants and tokens
 * move with it); Popdock is not touched. Refuses a DST already in state. `--dry-run` prints the
 * moves and writes nothing.
 */
async function stateMv(args: ParsedArgs, io: CliIO, location: ConfigLocation): Promise<number> {
  const [, src, dst] = args.positionals;
  if (src === undefined || dst === undefined) {
    throw new UsageError("state mv needs SRC and DST", {
      hint: "popdock state mv 'popdock_api_user.old' 'popdock_api_user.new'",
    });
  }
  const dryRun = flag(args, "dry-run");
  return withLock(args, io, location, "popdock state mv", async (backend) => {
    const { state, serial } = await loadOrEmpty(backend);
    const edit = moveInState(state, src, dst);
    for (const m of edit.moves) io.stdout.write(`${dryRun ? "Would move" : "Moved"} ${m.from} to ${m.to}\n`);
    if (dryRun) {
      io.stdout.write("Dry run: the state was not changed.\n");
      return 0;
    }
    await backend.write(edit.state, serial);
    io.stdout.write(
      `Successfully moved ${edit.moves.length} object${edit.moves.length === 1 ? "" : "s"}. Popdock was not changed.\n`,
    );
    return 0;
  });
}

function wholeNumber(text: string, what: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n))
    throw new UsageError(`${what} must be a whole number, not "${text}"`);
  return n;
}

async function stateRm(args: ParsedArgs, io: CliIO, location: ConfigLocation, address: string | undefined) {
  if (!address) throw new UsageError("state rm needs an ADDRESS");
  return withLock(args, io, location, "popdock state rm", async (backend) => {
    const { state, serial } = await loadOrEmpty(backend);
    if (!state.resources[address])
      throw new UsageError(`${address} is not in state`, { hint: "popdock state list" });
    const children = Object.entries(state.resources)
      .filter(([, r]) => r.parent === address)
      .map(([a]) => a);
    const gone = new Set([address, ...children]);
    // A rotating token's previous generation is forgotten with it but stays valid in Popdock.
    const previous = [...gone].flatMap((a) => {
      const p = state.resources[a]?.previous;
      return p === undefined ? [] : [`${a} ${previousLabel(p.retires_at)}: ${p.id}`];
    });
    for (const a of gone) delete state.resources[a];
    // Forget their pending steps and deposed objects too: nothing here may act on them later.
    state.pending = state.pending.filter((p) => !gone.has(p.address));
    state.deposed = state.deposed.filter((d) => !gone.has(d.address));
    await backend.write(state, serial);
    io.stdout.write(`Removed ${[address, ...children].join(", ")} from state. Popdock was not changed.\n`);
    for (const p of previous) {
      io.stderr.write(
        `warning: the previous generation ${p} is no longer managed and stays valid in Popdock; delete it there when nobody uses it\n`,
      );
    }
    return 0;
  });
}

async function statePush(args: ParsedArgs, io: CliIO, location: ConfigLocation, file: string | undefined) {
  if (!file) throw new UsageError("state push needs a FILE (a state as `popdock state pull` prints it)");
  const text = await readFile(resolve(io.cwd, file), "utf8").catch((e: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read ${file}: ${e.code ?? e.message}`);
  });
  const pushed = parseState(text, file, { knownTypes: resourceTypes().map((t) => t.type) });
  return withLock(args, io, location, "popdock state push", async (backend) => {
    const current = await backend.load();
    if (current !== undefined && !flag(args, "force")) {
      if (current.lineage !== pushed.lineage) {
        throw new UsageError(
          `${file} is another state (lineage ${pushed.lineage}) than ${backend.describe()} (lineage ${current.lineage}); nothing was written`,
          { hint: "pass --force to replace it anyway" },
        );
      }
      if (pushed.serial < current.serial) {
        throw new UsageError(
          `${file} is older (serial ${pushed.serial}) than ${backend.describe()} (serial ${current.serial}); nothing was written`,
          { hint: "pull the current state and edit that, or pass --force" },
        );
      }
    }
    const serial = await backend.write(pushed, current?.serial ?? -1);
    io.stdout.write(
      `Pushed ${file} to ${backend.describe()} (workspace ${backend.workspace}, serial ${serial}).\n`,
    );
    return 0;
  });
}

async function stateMigrate(args: ParsedArgs, io: CliIO, location: ConfigLocation) {
  const kind = str(args, "to");
  if (kind !== "local" && kind !== "pg") {
    throw new UsageError(
      `state migrate needs --to local or --to pg${kind === undefined ? "" : ` (not "${kind}")`}`,
      {
        hint: "popdock state migrate --to local --to-path DIR, or PG_CONN_STR=… popdock state migrate --to pg",
      },
    );
  }
  const dir = str(args, "to-path");
  if (kind === "local" && dir === undefined)
    throw new UsageError("state migrate --to local needs --to-path DIR");
  // --to pg: the database PG_CONN_STR names (schema PG_SCHEMA_NAME, else popdock_iac)
  const connStr = io.env.PG_CONN_STR;
  if (kind === "pg" && (connStr === undefined || connStr === "")) {
    throw new UsageError(
      "state migrate --to pg copies into the database PG_CONN_STR names, and it is not set",
      {
        hint: "PG_CONN_STR=postgres://USER:PASSWORD@HOST:5432/DB [PG_SCHEMA_NAME=…] popdock state migrate --to pg",
      },
    );
  }
  const from = await openStateBackend(args, io, location);
  const to = await openBackend({
    config:
      kind === "pg"
        ? { kind: "pg", connStr: connStr as string, schemaName: io.env.PG_SCHEMA_NAME || "popdock_iac" }
        : { kind: "local", path: join(resolve(io.cwd, dir as string), ".popdock", "state.json") },
    baseDir: kind === "pg" ? location.baseDir : resolve(io.cwd, dir as string),
    workspace: from.workspace,
    cwd: io.cwd,
  });
  try {
    const timeout = str(args, "lock-timeout");
    const { parseDuration } = await import("../../model/duration.js");
    const copied = await migrateState(from, to, {
      force: flag(args, "force"),
      lock: {
        timeoutMs: timeout === undefined ? 0 : parseDuration(timeout),
        signal: io.signal,
        onWait: (m) => io.stderr.write(`${m}\n`),
        onTakeover: (m) => io.stderr.write(`${m}\n`),
      },
      onWorkspace: (ws, serial) =>
        io.stdout.write(
          `${ws}: ${serial === undefined ? "no state, skipped" : `copied (serial ${serial})`}\n`,
        ),
    });
    io.stdout.write(
      `Copied ${copied.length} workspace${copied.length === 1 ? "" : "s"} to ${to.forWorkspace("default").describe()}. The source is unchanged; point your configuration at the new backend.\n`,
    );
    return 0;
  } finally {
    await Promise.all([from.close(), to.close()]);
  }
}
