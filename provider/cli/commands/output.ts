/**
 * `popdock output [NAME] [--json] [--raw]`: outputs from state. Listing shows sensitive ones as
 * `<sensitive>`; naming one prints its value — a token ID is read live from Popdock.
 */
import { resolveOutput } from "../../engine/outputs.js";
import { StateStore } from "../../engine/state-store.js";
import { locateConfig, statePathFor } from "../../engine/workspace.js";
import { CONNECTION_OPTIONS, connectFor, flag, list, str } from "../common.js";
import type { Command } from "../io.js";
import { maskForCi } from "../secrets.js";

export const command: Command = {
  name: "output",
  summary: "Show outputs; a named output prints its value (token IDs read live from Popdock).",
  usage: "output [NAME] [options]",
  maxPositionals: 1,
  options: {
    config: {
      type: "string",
      short: "c",
      multiple: true,
      value: "PATH",
      description: "Config file or directory (locates the state)",
    },
    state: { type: "string", value: "PATH", description: "State file" },
    ...CONNECTION_OPTIONS,
    json: { type: "boolean", description: "Print JSON" },
    raw: { type: "boolean", description: "Print the bare value (no quotes, no newline)" },
  },
  async run(args, io) {
    const location = await locateConfig(list(args, "config"), io.cwd);
    const store = new StateStore(statePathFor(location, str(args, "state"), io.cwd));
    const state = await store.load();
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
      state.outputs[name]?.parts.some((p) => typeof p !== "string" && p.attr === "token_id") ?? false;
    const conn = needsApi
      ? await connectFor(args, io, {
          location,
          ...(state.endpoint && !str(args, "endpoint") && !io.env.POPDOCK_ENDPOINT
            ? { config: { provider: { endpoint: state.endpoint } } as never }
            : {}),
        })
      : undefined;
    try {
      const value = await resolveOutput(name, state, conn?.api);
      if (state.outputs[name]?.sensitive) maskForCi(io, [value]);
      if (flag(args, "raw")) io.stdout.write(value);
      else if (flag(args, "json")) io.stdout.write(`${JSON.stringify(value)}\n`);
      else io.stdout.write(`${JSON.stringify(value)}\n`);
      return 0;
    } finally {
      await conn?.close();
    }
  },
};
