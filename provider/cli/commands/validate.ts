/** `popdock validate`: offline schema and reference checks; `--remote` also checks names against Popdock. */

import { refreshReference } from "../../engine/refresh.js";
import { hasErrors } from "../../model/diagnostics.js";
import { ConfigError } from "../../model/errors.js";
import { resourceTypeFor } from "../../resources/index.js";
import {
  CONFIG_OPTIONS,
  CONNECTION_OPTIONS,
  connectFor,
  flag,
  loadConfigOrFail,
  printDiagnostics,
} from "../common.js";
import type { Command } from "../io.js";

export const command: Command = {
  name: "validate",
  summary: "Check the configuration (offline; --remote also checks team, role, connector and scope names).",
  usage: "validate [options]",
  maxPositionals: 0,
  options: {
    ...CONFIG_OPTIONS,
    ...CONNECTION_OPTIONS,
    remote: { type: "boolean", description: "Also resolve names against Popdock's reference data" },
  },
  async run(args, io) {
    const loaded = await loadConfigOrFail(args, io);
    if (flag(args, "remote")) {
      const conn = await connectFor(args, io, loaded);
      try {
        const live = await refreshReference(conn.api, { signal: io.signal });
        const diags = loaded.config.resources.flatMap(
          (r) => resourceTypeFor(r.type, r.address).desired(r, live).diagnostics,
        );
        printDiagnostics(io, diags);
        if (hasErrors(diags)) throw new ConfigError("the configuration names things Popdock does not have");
      } finally {
        await conn.close();
      }
    }
    const n = loaded.config.resources.length;
    io.stdout.write(
      `The configuration is valid: ${n} resource${n === 1 ? "" : "s"}, ${loaded.config.outputs.length} outputs.\n`,
    );
    return 0;
  },
};
