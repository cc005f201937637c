/**
 * `popdock output [NAME] [--json] [--raw]`: outputs from state. Listing shows sensitive ones as
 * `<sensitive>`; naming one prints its value — a token ID is read live from Popdock.
 */
import { isSensitiveRef, resolveOutput } from "../../engine/outputs.js";
import {
  CONNECTION_OPTIONS,
  connectFor,
  flag,
  LOCATE_OPTIONS,
  list,
  loadOrEmpty,
  openStateBackend,
  str,
} from "../common.js";
import type { Command } from "../io.js";
import { maskForCi } from "../secrets.js";
import { locateConfig } from "../wiring.js";

export const command: Command = {
  name: "output",
  summary: "Show outputs; a named output prints its value (token IDs read live from Popdock).",
  usage: "output [NAME] [options]",
  examples: [
    "popdock output",
    "popdock output --json",
    "popdock output reporting_bot_token --raw > token.txt",
  ],
  maxPositionals: 1,
  options: {
    ...LOCATE_OPTIONS,
    ...CONNECTION_OPTIONS,
    json: { type: "boolean", description: "Print JSON" },
    raw: { type: "boolean", description: "Print the bare value (no quotes, no newline)" },
  },
  async run(args, io) {
    const location = await locateConfig(list(args, "config"), io.cwd);
    const backend = await openStateBackend(args, io, location);
    const { state } = await loadOrEmpty(backend).finally(() => backend.close());
    const name = args.positionals[0];
    if (name === undefined) {
      const entries = Object.entries(state.outputs).sort(([a], [b]) => (a < b ? -1 : 1));
      if (flag(args, "json")) {
        const obj = Object.fromEntries(
          entries.map(([n, o]) => [
            n,
            { sensitive: o.sensitive, ...(o.sensitive ? {} : { value: o.value ?? null }) },
          ]),
        );
        io.stdout.write(`${JSON.stringify(obj, null, 2)}\n`);
        return 0;
      }
      if (entries.length === 0) {
        io.stderr.write("No outputs in state. Run `popdock apply` first.\n");
        return 0;
      }
      const width = Math.max(...entries.map(([n]) => n.length));
      for (const [n, o] of entries) {
        io.stdout.write(
          `${n.padEnd(width)} = ${o.sensitive ? "<sensitive>" : JSON.stringify(o.value ?? null)}\n`,
        );
      }
      return 0;
    }
    const needsApi =
      state.outputs[name]?.parts.some((p) => typeof p !== "string" && isSensitiveRef(p)) ?? false;
    // The state knows which Popdock it belongs to; --endpoint or POPDOCK_ENDPOINT still win.
    const endpoint = str(args, "endpoint") ?? io.env.POPDOCK_ENDPOINT ?? state.endpoint;
    const connArgs = { ...args, values: { ...args.values, endpoint } };
    const conn = needsApi ? await connectFor(connArgs, io, { location }) : undefined;
    try {
      const value = await resolveOutput(name, state, conn?.api);
      if (state.outputs[name]?.sensitive) {
        const captured = flag(args, "raw") || flag(args, "json");
        maskForCi(io, [value], captured ? io.stderr : io.stdout);
      }
      io.stdout.write(flag(args, "raw") ? value : `${JSON.stringify(value)}\n`);
      return 0;
    } finally {
      await conn?.close();
    }
  },
};
