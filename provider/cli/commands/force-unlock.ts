/** `popdock force-unlock LOCK_ID`: clear a stale state lock (the id is in the "locked" message). */
import { UsageError } from "../../model/errors.js";
import { LOCATE_OPTIONS, list, openStateBackend } from "../common.js";
import type { Command } from "../io.js";
import { locateConfig } from "../wiring.js";

export const command: Command = {
  name: "force-unlock",
  summary: "Remove a stale state lock. Only when its holder is gone.",
  usage: "force-unlock LOCK_ID [options]",
  examples: ["popdock force-unlock 3f2a9c1e-0b7d-4e55-9a0e-2d1c6b8f4a10"],
  maxPositionals: 1,
  options: {
    ...LOCATE_OPTIONS,
  },
  async run(args, io) {
    const id = args.positionals[0];
    if (!id) throw new UsageError("force-unlock needs the LOCK_ID shown in the lock message");
    const location = await locateConfig(list(args, "config"), io.cwd);
    const backend = await openStateBackend(args, io, location);
    try {
      await backend.forceUnlock(id);
    } finally {
      await backend.close();
    }
    io.stdout.write(`Lock ${id} removed.\n`);
    return 0;
  },
};
