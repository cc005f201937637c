/**
 * `popdock state list | show ADDRESS | rm ADDRESS | mv SRC DST`: look at or edit the state (rm and
 * mv never touch Popdock).
 */

import { moveInState } from "../../engine/moves.js";
import { StateStore } from "../../engine/state-store.js";
import { UsageError } from "../../model/errors.js";
import { flag, LOCATE_OPTIONS, list, STATE_OPTIONS, str, withLock } from "../common.js";
import type { CliIO, Command, OptionSpec, ParsedArgs } from "../io.js";
import { locateConfig, statePathFor } from "../wiring.js";

export const command: Command = {
  name: "state",
  summary: "List, show or remove resources in state (rm forgets; it deletes nothing in Popdock).",
  usage: "state list | show ADDRESS | rm ADDRESS | mv SRC DST [options]",
  maxPositionals: 3,
  options: {
    ...LOCATE_OPTIONS,
    "lock-timeout": STATE_OPTIONS["lock-timeout"] as OptionSpec,
    "dry-run": { type: "boolean", description: "mv: show what would move, change nothing" },
  },
  async run(args, io) {
    const [sub, address] = args.positionals;
    if (sub === "mv") return stateMv(args, io);
    if (args.positionals.length > 2) throw new UsageError(`state ${sub ?? ""} takes one ADDRESS`);
    const location = await locateConfig(list(args, "config"), io.cwd);
    const statePath = statePathFor(location, str(args, "state"), io.cwd);
    if (sub === "list") {
      const state = await new StateStore(statePath).load();
      for (const a of Object.keys(state.resources).sort()) io.stdout.write(`${a}\n`);
      return 0;
    }
    if (sub === "show") {
      if (!address) throw new UsageError("state show needs an ADDRESS");
      const state = await new StateStore(statePath).load();
      const r = state.resources[address];
      if (!r) throw new UsageError(`${address} is not in state`, { hint: "popdock state list" });
      io.stdout.write(`${JSON.stringify({ address, ...r }, null, 2)}\n`);
      return 0;
    }
    if (sub === "rm") {
      if (!address) throw new UsageError("state rm needs an ADDRESS");
      return withLock(args, io, location, "popdock state rm", async (store) => {
        const state = await store.load();
        if (!state.resources[address])
          throw new UsageError(`${address} is not in state`, { hint: "popdock state list" });
        const children = Object.entries(state.resources)
          .filter(([, r]) => r.parent === address)
          .map(([a]) => a);
        const gone = new Set([address, ...children]);
        for (const a of gone) delete state.resources[a];
        // Forget their pending steps and deposed objects too: nothing here may act on them later.
        state.pending = state.pending.filter((p) => !gone.has(p.address));
        state.deposed = state.deposed.filter((d) => !gone.has(d.address));
        await store.write(state);
        io.stdout.write(
          `Removed ${[address, ...children].join(", ")} from state. Popdock was not changed.\n`,
        );
        return 0;
      });
    }
    throw new UsageError(`unknown state subcommand "${sub ?? ""}"`, {
      hint: "popdock state list | show ADDRESS | rm ADDRESS | mv SRC DST",
    });
  },
};

/**
 * `state mv SRC DST`: renames an address in state under the lock (an API user's grants and tokens
 * move with it); Popdock is not touched. Refuses a DST already in state. `--dry-run` prints the
 * moves and writes nothing.
 */
async function stateMv(args: ParsedArgs, io: CliIO): Promise<number> {
  const [, src, dst] = args.positionals;
  if (src === undefined || dst === undefined) {
    throw new UsageError("state mv needs SRC and DST", {
      hint: "popdock state mv 'popdock_api_user.old' 'popdock_api_user.new'",
    });
  }
  const location = await locateConfig(list(args, "config"), io.cwd);
  const dryRun = flag(args, "dry-run");
  return withLock(args, io, location, "popdock state mv", async (store) => {
    const state = await store.load();
    const edit = moveInState(state, src, dst);
    for (const m of edit.moves) io.stdout.write(`${dryRun ? "Would move" : "Moved"} ${m.from} to ${m.to}\n`);
    if (dryRun) {
      io.stdout.write("Dry run: the state was not changed.\n");
      return 0;
    }
    await store.write(edit.state);
    io.stdout.write(
      `Successfully moved ${edit.moves.length} object${edit.moves.length === 1 ? "" : "s"}. Popdock was not changed.\n`,
    );
    return 0;
  });
}
