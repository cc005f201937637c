/**
 * `popdock import ADDRESS ID`: adopt an existing Popdock object into state. The address must be
 * in the configuration; a grant or token's API user must be in state already.
 */

import { stateEntryOf } from "../../engine/recover.js";
import { didYouMean } from "../../model/diagnostics.js";
import { UsageError } from "../../model/errors.js";
import { parentAddressOf, resourceTypeFor, resourceTypes } from "../../resources/index.js";
import {
  CONFIG_OPTIONS,
  CONNECTION_OPTIONS,
  checkStateEndpoint,
  connectFor,
  loadConfigOrFail,
  loadOrEmpty,
  STATE_OPTIONS,
  withLock,
} from "../common.js";
import type { Command } from "../io.js";

export const command: Command = {
  name: "import",
  summary: "Adopt an existing Popdock object into state.",
  usage: "import ADDRESS ID [options]",
  get help() {
    const ids = resourceTypes()
      .filter((t) => !t.local)
      .map((t) => `${t.import.format} (${t.type})`);
    return `ID is ${ids.slice(0, -1).join(", ")} or ${ids.at(-1) ?? ""}.
`;
  },
  examples: ["popdock import 'popdock_api_user.reporting_bot' usr_123"],
  maxPositionals: 2,
  options: { ...CONFIG_OPTIONS, ...CONNECTION_OPTIONS, ...STATE_OPTIONS },
  async run(args, io) {
    const [address, id] = args.positionals;
    if (address === undefined || id === undefined)
      throw new UsageError("import needs ADDRESS and ID", { hint: "popdock import --help" });
    const loaded = await loadConfigOrFail(args, io);
    const res = loaded.config.resources.find((r) => r.address === address);
    if (!res) {
      const guess = didYouMean(
        address,
        loaded.config.resources.map((r) => r.address),
      );
      throw new UsageError(
        `${address} is not in the configuration; add it first, then import`,
        guess ? { hint: `did you mean ${guess}?` } : {},
      );
    }
    const h = resourceTypeFor(res.type, res.address);
    return withLock(args, io, loaded.location, "popdock import", async (backend) => {
      const { state, serial } = await loadOrEmpty(backend);
      if (state.resources[address]) {
        throw new UsageError(`${address} is already in state (id ${state.resources[address]?.id})`, {
          hint: `to adopt another object, first \`popdock state rm '${address}'\``,
        });
      }
      const conn = await connectFor(args, io, loaded);
      try {
        checkStateEndpoint(state, conn.identity, backend.describe());
        const w = await h.importObject({ api: conn.api, signal: io.signal }, id);
        const parent = parentAddressOf(res);
        if (parent !== undefined) {
          const p = state.resources[parent];
          if (!p) throw new UsageError(`import ${parent} first: ${address} belongs to it`);
          if (p.id !== w.parentId)
            throw new UsageError(
              `${id} belongs to API user ${w.parentId}, but ${parent} is ${p.id} in state`,
            );
        }
        const key = h.import.addressIndex?.(w.attrs);
        if (key !== undefined && key.toLowerCase() !== (res.index ?? "").toLowerCase()) {
          const noun = h.render.noun;
          throw new UsageError(`${id} is a ${key} ${noun}, but ${address} is the ${res.index} ${noun}`, {
            hint: `import it at '${res.type}.${res.name}["${key}"]', or pick the ${res.index} ${noun}'s id`,
          });
        }
        if (Object.values(state.resources).some((r) => r.id === w.id)) {
          throw new UsageError(`${w.id} is already managed under another address`);
        }
        state.resources[address] = stateEntryOf(res.type, w, {
          dependencies: parent ? [parent] : [],
          ...(parent !== undefined ? { parent } : {}),
        });
        state.endpoint = conn.identity;
        await backend.write(state, serial);
        io.stdout.write(
          `${address}: imported [id=${w.id}]. Run \`popdock plan\` to see how it differs from the configuration.\n`,
        );
        return 0;
      } finally {
        await conn.close();
      }
    });
  },
};
