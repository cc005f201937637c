/** `popdock state list | show ADDRESS | rm ADDRESS`: look at or edit the state (rm never touches Popdock). */
import { StateStore } from "../../engine/state-store.js";
import { UsageError } from "../../model/errors.js";
import { LOCATE_OPTIONS, list, STATE_OPTIONS, str, withLock } from "../common.js";
import type { Command, OptionSpec } from "../io.js";
import { locateConfig, statePathFor } from "../wiring.js";

export const command: Command = {
  name: "state",
  summary: "List, show or remove resources in state (rm forgets; it deletes nothing in Popdock).",
  usage: "state list | show ADDRESS | rm ADDRESS [options]",
  examples: [
    "popdock state list",
    "popdock state show popdock_api_user.reporting_bot",
    "popdock state rm 'popdock_api_token.reporting_bot[\"ci\"]'",
  ],
  maxPositionals: 2,
  options: {
    ...LOCATE_OPTIONS,
    "lock-timeout": STATE_OPTIONS["lock-timeout"] as OptionSpec,
    lock: STATE_OPTIONS.lock as OptionSpec,
  },
  async run(args, io) {
    const [sub, address] = args.positionals;
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
      hint: "popdock state list | show ADDRESS | rm ADDRESS",
    });
  },
};
