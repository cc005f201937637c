/**
 * Reference data of the sandbox: teams, roles and connectors. Read-only over the API, the same
 * on every fresh start (stable IDs), replaceable with `popdock sandbox --seed FILE`.
 */
import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { Connector, Role, Team } from "../../schema/api.js";

const uniqueBy =
  <T>(what: string, key: (item: T) => string) =>
  (items: T[], ctx: z.RefinementCtx) => {
    const seen = new Set<string>();
    items.forEach((item, i) => {
      const k = key(item);
      if (seen.has(k)) ctx.addIssue({ code: "custom", path: [i], message: `duplicate ${what} "${k}"` });
      seen.add(k);
    });
  };

/** Reference data a sandbox serves. IDs must be unique per kind; role names unique per scope. */
export const SeedData = z.strictObject({
  teams: z.array(Team.strict()).superRefine(uniqueBy("team id", (t) => t.id)),
  roles: z
    .array(Role.strict())
    .superRefine(uniqueBy("role id", (r) => r.id))
    .superRefine(uniqueBy("role name in its scope", (r) => `${r.scope}:${r.name}`)),
  connectors: z.array(Connector.strict()).superRefine(uniqueBy("connector id", (c) => c.id)),
});
export type SeedData = z.infer<typeof SeedData>;

/** The default reference data. Stable IDs: clients and tests may hard-code them. */
export const DEFAULT_SEED: SeedData = Object.freeze({
  teams: [
    { id: "team_finance", name: "Finance", description: "Accounts payable, receivables and reporting." },
    { id: "team_sales", name: "Sales", description: "Customer accounts, quotes and orders." },
    { id: "team_operations", name: "Operations", description: "Inventory, purchasing and fulfilment." },
    { id: "team_it", name: "IT", description: "Administrators of Popdock and its connectors." },
  ],
  roles: [
    {
      id: "role_administrator",
      name: "Administrator",
      scope: "system",
      description: "Full access to account settings, security, widgets and schedules.",
    },
    {
      id: "role_contributor",
      name: "Contributor",
      scope: "system",
      description: "Creates and edits widgets, schedules and shared views.",
    },
    {
      id: "role_user",
      name: "User",
      scope: "system",
      description: "Uses Popdock with the access granted by teams and connectors.",
    },
    {
      id: "role_connector_reader",
      name: "Reader",
      scope: "connector",
      description: "Sees the connector's details.",
    },
    {
      id: "role_connector_user",
      name: "User",
      scope: "connector",
      description: "Views data of the companies, lists, actions and details explicitly granted.",
    },
    {
      id: "role_connector_customlistcontributor",
      name: "CustomListContributor",
      scope: "connector",
      description: "Builds custom lists on the connector.",
    },
    {
      id: "role_connector_customlistadministrator",
      name: "CustomListAdministrator",
      scope: "connector",
      description: "Builds and manages every custom list on the connector.",
    },
  ],
  connectors: [
    {
      id: "con_gp_production",
      name: "GP Production",
      companies: ["Fabrikam Inc", "Contoso Ltd"],
      lists: ["Customers", "Vendors", "Invoices", "Open receivables"],
      actions: ["Email invoice"],
      details: ["Customer detail"],
    },
    {
      id: "con_business_central",
      name: "Business Central",
      companies: ["CRONUS USA"],
      lists: ["Customers", "Items", "Sales orders"],
      actions: [],
      details: [],
    },
    {
      id: "con_salesforce",
      name: "Salesforce",
      companies: [],
      lists: ["Accounts", "Opportunities", "Contacts"],
      actions: [],
      details: [],
    },
  ],
}) as SeedData;

/** Thrown when a seed file cannot be read or does not fit {@link SeedData}. */
export class SeedFileError extends Error {
  readonly code = "POPDOCK_SANDBOX_SEED_INVALID";
}

/**
 * Reads and validates a seed file (`.json`, or YAML for anything else). Throws
 * {@link SeedFileError} naming the file and every problem found.
 */
export function loadSeedFile(path: string): SeedData {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new SeedFileError(`cannot read seed file ${path}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = extname(path).toLowerCase() === ".json" ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new SeedFileError(`seed file ${path} does not parse: ${(err as Error).message}`);
  }
  const parsed = SeedData.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new SeedFileError(
      `seed file ${path} is not valid sandbox reference data:\n${problems.join("\n")}\n` +
        "It needs `teams`, `roles` and `connectors` arrays shaped like the API's reference data.",
    );
  }
  return parsed.data;
}
