/**
 * Convergence: after an apply, the configuration and Popdock agree — `plan --detailed-exitcode`
 * exits 0 and a second apply sends no mutating request (checked with the sandbox's request
 * counters, not the CLI's word). First for the quick-start example, then as a fast-check
 * property over random configurations and random edits of them.
 */
import { copyFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/cli.js";
import {
  type E2ESandbox,
  type ModelConfig,
  type ModelGrant,
  type ModelUser,
  mutations,
  project,
  removeProjects,
  startE2ESandbox,
  statsDiff,
  toYaml,
  uniq,
} from "../helpers/e2e-sandbox.js";

let sb: E2ESandbox;

beforeAll(async () => {
  sb = await startE2ESandbox();
});

afterAll(async () => {
  await sb?.stop();
  await removeProjects();
});

function explain(args: readonly string[], r: { stdout: string; stderr: string }, extra = ""): string {
  return `popdock ${args.join(" ")}${extra}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

/**
 * Checks that `dir` has converged: plan --detailed-exitcode exits 0 with "No changes", and
 * another apply exits 0 having sent only GETs.
 */
async function expectConverged(dir: string, context = ""): Promise<void> {
  const planArgs = ["plan", "--detailed-exitcode", "--no-color"];
  const plan = await sb.popdock(planArgs, dir);
  expect(plan.code, explain(planArgs, plan, context)).toBe(0);
  expect(plan.stdout).toContain("No changes. Your Popdock API users match the configuration.");

  const before = await sb.stats();
  const applyArgs = ["apply", "--auto-approve", "--no-color"];
  const again = await sb.popdock(applyArgs, dir);
  const sent = statsDiff(before, await sb.stats());
  expect(again.code, explain(applyArgs, again, context)).toBe(0);
  expect(again.stdout).toContain("No changes.");
  expect(again.stdout).not.toContain("Apply complete!");
  expect(mutations(sent), `second apply sent mutating requests${context}`).toEqual({});
  expect(Object.keys(sent).length).toBeGreaterThan(0); // it did refresh
}

describe("the quick-start example", () => {
  it("converges: no changes after apply, and a second apply sends only GETs", async () => {
    const dir = await project();
    await copyFile(join(REPO_ROOT, "examples", "quickstart", "popdock.yaml"), join(dir, "popdock.yaml"));
    const before = await sb.stats();
    const first = await sb.popdock(["apply", "--auto-approve", "--no-color"], dir);
    expect(first.code, explain(["apply"], first)).toBe(0);
    expect(first.stdout).toContain("Apply complete! Resources: 13 added, 0 changed, 0 destroyed.");
    expect(mutations(statsDiff(before, await sb.stats()))).toEqual({
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
          const yaml = toYaml(toModel(prefix, shape));
          await writeFile(join(dir, "popdock.yaml"), yaml);
          const context = ` (run ${run}, ${label} configuration)\n--- popdock.yaml\n${yaml}`;
          const applied = await sb.popdock(["apply", "--auto-approve", "--no-color"], dir);
          expect(applied.code, explain(["apply", "--auto-approve"], applied, context)).toBe(0);
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
