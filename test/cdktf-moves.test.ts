/**
 * CDKTF's `moveTo` and `importFrom` synthesize Terraform JSON `moved` and `import`
 * blocks (cdktf 0.21 writes `"moved": [{ "to", "from" }]` and `"import": [{ "provider", "id",
 * "to" }]` at the top level); the Terraform JSON frontend reads them and the planner moves and
 * imports — the same path a CDKTF app's synth output takes through `popdock plan`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TerraformStack, Testing } from "cdktf";
import { afterAll, describe, expect, it } from "vitest";
import { PopdockApiToken, PopdockApiUser, PopdockProvider } from "../provider/cdktf/index.js";
import { makePlan } from "../provider/engine/plan.js";
import { parseTerraformSources } from "../provider/frontends/terraform-json/index.js";
import { buildSnapshot } from "../provider/model/live.js";
import type { StateFile } from "../schema/state.js";

const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

function newStack(): TerraformStack {
  const outdir = mkdtempSync(join(tmpdir(), "popdock-cdktf-moves-"));
  temps.push(outdir);
  const stack = new TerraformStack(Testing.app({ outdir }), "popdock");
  new PopdockProvider(stack, "popdock");
  return stack;
}

const T = "2026-01-01T00:00:00Z";
const live = buildSnapshot({
  teams: [],
  roles: [],
  connectors: [],
  users: [
    {
      id: "usr_1",
      name: "bot",
      description: "",
      version: 1,
      created_at: T,
      updated_at: T,
      grants: [],
      tokens: [
        {
          id: "tok_1",
          api_user_id: "usr_1",
          name: "ci",
          version: 1,
          created_at: T,
          last_used_at: null,
          token_id_hint: "abcd",
        },
      ],
    },
  ],
});

const state: StateFile = {
  format_version: 1,
  tool: "popdock-iac",
  lineage: "00000000-0000-4000-8000-000000000000",
  serial: 1,
  resources: {
    "popdock_api_user.old": {
      type: "popdock_api_user",
      id: "usr_1",
      version: 1,
      attributes: { name: "bot", description: "" },
      dependencies: [],
    },
    'popdock_api_token.old["ci"]': {
      type: "popdock_api_token",
      id: "tok_1",
      parent_id: "usr_1",
      parent: "popdock_api_user.old",
      version: 1,
      attributes: { name: "ci" },
      dependencies: ["popdock_api_user.old"],
    },
  },
  pending: [],
  deposed: [],
  outputs: {},
};

describe("CDKTF moves and imports", () => {
  it("moveTo renames a user: the plan moves it and its token, and changes nothing in Popdock", () => {
    const stack = newStack();
    const old = new PopdockApiUser(stack, "old", { name: "bot" });
    const renamed = new PopdockApiUser(stack, "renamed", { name: "bot" });
    renamed.addMoveTarget("renamed-user");
    old.moveTo("renamed-user");
    new PopdockApiToken(stack, "ci", { apiUserId: renamed.id, name: "ci" });
    const text = Testing.synth(stack);
    expect(JSON.parse(text).moved).toEqual([
      { from: "popdock_api_user.old", to: "popdock_api_user.renamed" },
    ]);

    const { config, diagnostics } = parseTerraformSources([{ file: "cdk.tf.json", text }]);
    expect(diagnostics).toEqual([]);
    const r = makePlan({ config: config as NonNullable<typeof config>, state, live, endpoint: "local" });
    expect(r.diagnostics).toEqual([]);
    expect(r.plan?.state_actions).toEqual([
      {
        kind: "move",
        type: "popdock_api_user",
        from: "popdock_api_user.old",
        to: "popdock_api_user.renamed",
      },
      {
        kind: "move",
        type: "popdock_api_token",
        from: 'popdock_api_token.old["ci"]',
        to: 'popdock_api_token.renamed["ci"]',
        with: "popdock_api_user.renamed",
      },
    ]);
    expect(r.plan?.changes.map((c) => `${c.address} ${c.action}`).sort()).toEqual([
      'popdock_api_token.renamed["ci"] noop',
      "popdock_api_user.renamed noop",
    ]);
  });

  it("importFrom synthesizes an import block the reader takes and the planner adopts", () => {
    const stack = newStack();
    const adopted = new PopdockApiUser(stack, "adopted", { name: "bot" });
    adopted.importFrom("usr_1");
    const text = Testing.synth(stack);
    const { config, diagnostics } = parseTerraformSources([{ file: "cdk.tf.json", text }]);
    expect(diagnostics).toEqual([]);
    expect(config?.imports).toMatchObject([{ to: "popdock_api_user.adopted", id: "usr_1" }]);
    const empty = { ...state, resources: {} };
    const r = makePlan({
      config: config as NonNullable<typeof config>,
      state: empty,
      live,
      endpoint: "local",
    });
    expect(r.plan?.state_actions).toMatchObject([
      { kind: "import", address: "popdock_api_user.adopted", id: "usr_1" },
    ]);
  });
});
