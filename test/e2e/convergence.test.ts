/**
 * Convergence: after an apply, the configuration and Popdock agree — `plan --detailed-exitcode`
 * exits 0 and a second apply sends no mutating request (checked with the sandbox's request
 * counters, not the CLI's word). First for the quick-start example, then as a fast-check
 * property over random configurations and random edits of them.
 */
import { copyFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/cli.js";
import {
  type ModelConfig,
  type ModelGrant,
  type ModelUser,
  project,
  uniq,
  useSandbox,
  writeConfig,
} from "../helpers/e2e-sandbox.js";

const sb = useSandbox();

/**
 * Checks that `dir` has converged: plan --detailed-exitcode exits 0 with "No changes", and
 * another apply exits 0 having sent only GETs.
 */
async function expectConverged(dir: string, context = ""): Promise<void> {
  const plan = await sb.run(dir, ["plan", "--detailed-exitcode", "--no-color"], 0, context);
  expect(plan.stdout).toContain("No changes. Your Popdock API users match the configuration.");

  const again = await sb.counting(dir, ["apply", "--auto-approve", "--no-color"], 0, context);
  expect(again.r.stdout).toContain("No changes.");
  expect(again.r.stdout).not.toContain("Apply complete!");
  expect(again.sent, `second apply sent mutating requests${context}`).toEqual({});
  expect(Object.keys(again.requests).length).toBeGreaterThan(0); // it did refresh
}

describe("the quick-start example", () => {
  it("converges: no changes after apply, and a second apply sends only GETs", async () => {
    const dir = await project();
    await copyFile(join(REPO_ROOT, "examples", "quickstart", "popdock.yaml"), join(dir, "popdock.yaml"));
    const first = await sb.counting(dir, ["apply", "--auto-approve", "--no-color"]);
    expect(first.r.stdout).toContain("Apply complete! Resources: 13 added, 0 changed, 0 destroyed.");
    expect(first.sent).toEqual({
      "POST /api/v1/security/api-users": 2,
      "POST /api/v1/security/api-users/{userId}/grants": 7,
      "POST /api/v1/security/api-users/{userId}/tokens": 3,
    });
    await expectConverged(dir);
  });
});

// ------------------------------------------------------------------ the property

const USER_KEYS = ["a", "b", "c"] as const;
const TOKEN_KEYS = ["t1", "t2"] as const;
const GP = {
  lists: ["Customers", "Vendors", "Invoices", "Open receivables"],
  companies: ["Fabrikam Inc", "Contoso Ltd"],
};

const subset = <T>(items: readonly T[], minLength = 0) => fc.subarray([...items], { minLength });

/** One API user of the model, minus its name (the name carries the run's unique prefix). */
const userArb = fc.record({
  renamed: fc.boolean(),
  description: fc.option(fc.constantFrom("alpha", "beta", "with spaces and ü"), { nil: undefined }),
  teams: subset(["Finance", "Sales", "Operations"]),
  roles: subset(["Contributor", "User"]),
  gp: fc.option(
    fc.record({
      roles: subset(["Reader", "User"], 1),
      companies: subset(GP.companies),
      lists: subset(GP.lists),
      actions: subset(["Email invoice"]),
    }),
    { nil: undefined },
  ),
  salesforce: fc.option(subset(["Accounts", "Opportunities", "Contacts"]), { nil: undefined }),
  tokens: fc.dictionary(fc.constantFrom(...TOKEN_KEYS), fc.constantFrom("v1", "v2"), { maxKeys: 2 }),
});
type UserShape = typeof userArb extends fc.Arbitrary<infer T> ? T : never;

/** A configuration: which of the user keys exist, and each one's shape. */
const configArb = fc.dictionary(fc.constantFrom(...USER_KEYS), userArb, { minKeys: 1, maxKeys: 3 });
type ConfigShape = Record<string, UserShape>;

function toModel(prefix: string, shape: ConfigShape): ModelConfig {
  const users: Record<string, ModelUser> = {};
  for (const [key, u] of Object.entries(shape)) {
    const grants: ModelGrant[] = [
      ...u.teams.map((team) => ({ team })),
      ...u.roles.map((role) => ({ role })),
      ...(u.gp ? [{ connector: "GP Production", ...u.gp }] : []),
      ...(u.salesforce
        ? [{ connector: "Salesforce", roles: ["CustomListContributor"], lists: u.salesforce }]
        : []),
    ];
    users[key] = {
      name: `${prefix}-${key}${u.renamed ? "-renamed" : ""}`,
      ...(u.description !== undefined ? { description: u.description } : {}),
      grants,
      tokens: Object.fromEntries(Object.entries(u.tokens).map(([k, v]) => [k, `${k}-${v}`])),
    };
  }
  return { users };
}

describe("apply then plan is empty (property)", () => {
  it("holds for random configurations and random edits of them", { timeout: 180_000 }, async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(configArb, configArb, async (first, edited) => {
        run++;
        const prefix = `cv${run}-${uniq()}`;
        const dir = await project();
        const steps: [string, ConfigShape][] = [
          ["initial", first],
          ["edited", edited],
        ];
        for (const [label, shape] of steps) {
          const yaml = await writeConfig(dir, toModel(prefix, shape));
          const context = ` (run ${run}, ${label} configuration)\n--- popdock.yaml\n${yaml}`;
          // An edit may share no key with the first configuration: it then replaces every
          // object, which a plan refuses without --allow-destroy-all (tested in safety.test.ts).
          await sb.run(dir, ["apply", "--auto-approve", "--no-color", "--allow-destroy-all"], 0, context);
          // Creating from scratch converges in the quick-start case above; here the edit is what
          // matters, and each check costs two CLI processes, so only the edit gets them.
          if (label === "edited") await expectConverged(dir, context);
        }
      }),
      // Each run costs a few CLI processes: no shrinking (a failure reports its own YAML).
      { numRuns: 8, endOnFailure: true },
    );
    expect(run).toBe(8);
  });
});
