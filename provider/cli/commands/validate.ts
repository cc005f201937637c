/** `popdock validate`: offline schema and reference checks; `--remote` also checks names against Popdock. */

import { refreshReference } from "../../engine/refresh.js";
import { countErrors, type Diagnostic, hasErrors } from "../../model/diagnostics.js";
import { ConfigError } from "../../model/errors.js";
import { resourceTypeFor } from "../../resources/index.js";
import {
  CONFIG_OPTIONS,
  CONNECTION_OPTIONS,
  connectFor,
  flag,
  loadConfigFromArgs,
  loadConfigOrFail,
  printDiagnostics,
} from "../common.js";
import type { CliIO, Command, ParsedArgs } from "../io.js";
import { loadPolicy, POLICY_OPTIONS, readPolicy } from "../policy.js";

export const command: Command = {
  name: "validate",
  summary: "Check the configuration (offline; --remote also checks team, role, connector and scope names).",
  usage: "validate [options]",
  examples: [
    "popdock validate",
    "popdock validate -c infra/ --var-file prod.yaml",
    "popdock validate --json | jq '.diagnostics[] | .summary'",
    "popdock validate --remote --endpoint local",
  ],
  maxPositionals: 0,
  options: {
    ...CONFIG_OPTIONS,
    ...CONNECTION_OPTIONS,
    ...POLICY_OPTIONS,
    remote: { type: "boolean", description: "Also resolve names against Popdock's reference data" },
    json: {
      type: "boolean",
      description:
        "Print the result as JSON: valid, counts, and every diagnostic with code, file, line, column",
    },
  },
  async run(args, io) {
    if (flag(args, "json")) return validateJson(args, io);
    const loaded = await loadConfigOrFail(args, io);
    const policy = await loadPolicy(args, io, loaded.location);
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
    const rules = policy.rules.length;
    io.stdout.write(
      `The configuration is valid: ${n} resource${n === 1 ? "" : "s"}, ${loaded.config.outputs.length} outputs${rules > 0 ? `, ${rules} policy rule${rules === 1 ? "" : "s"}` : ""}.\n`,
    );
    return 0;
  },
};

/**
 * `validate --json`: one JSON document on stdout (Terraform's `validate -json` shape: `valid`,
 * `error_count`, `warning_count`, `diagnostics`, with our stable `code` and positions), exit 1
 * when invalid. Nothing else is printed on stdout.
 */
async function validateJson(args: ParsedArgs, io: CliIO): Promise<number> {
  const { location, result } = await loadConfigFromArgs(args, io);
  const diagnostics: Diagnostic[] = [...result.diagnostics];
  diagnostics.push(...(await readPolicy(args, io, location)).diagnostics);
  if (result.config && !hasErrors(diagnostics) && flag(args, "remote")) {
    const conn = await connectFor(args, io, { location, config: result.config });
    try {
      const live = await refreshReference(conn.api, { signal: io.signal });
      for (const r of result.config.resources)
        diagnostics.push(...resourceTypeFor(r.type, r.address).desired(r, live).diagnostics);
    } finally {
      await conn.close();
    }
  }
  const errors = countErrors(diagnostics);
  const doc = {
    format_version: "1.0",
    valid: errors === 0 && result.config !== undefined,
    error_count: errors,
    warning_count: diagnostics.filter((d) => d.severity === "warning").length,
    diagnostics: diagnostics.map((d) => ({
      severity: d.severity,
      code: d.code,
      summary: d.message,
      ...(d.hint !== undefined ? { detail: d.hint } : {}),
      ...(d.file !== undefined ? { file: d.file } : {}),
      ...(d.line !== undefined ? { line: d.line } : {}),
      ...(d.column !== undefined ? { column: d.column } : {}),
      ...(d.path !== undefined ? { path: d.path } : {}),
    })),
  };
  io.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  return doc.valid ? 0 : 1;
}
