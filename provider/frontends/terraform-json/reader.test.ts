// biome-ignore-all lint/suspicious/noTemplateCurlyInString: "${…}" is Terraform's own syntax, quoted on purpose.
import { describe, expect, it } from "vitest";
import { parseTerraformSources } from "./index.js";

describe("Terraform JSON duplicates", () => {
  it("are reported once, as duplicates: not converted, nor checked for cycles", () => {
    const user = "${popdock_api_user.u.id}";
    const doc = {
      resource: {
        popdock_api_user: { u: { name: "U" } },
        popdock_api_user_grant: {
          g1: { api_user_id: user, connector: "C", roles: ["a"] },
          g2: {
            api_user_id: user,
            connector: "c",
            roles: ["a", "a"],
            lifecycle: { replace_triggered_by: ["popdock_api_user.u.nope"] },
          },
        },
        popdock_api_token: {
          t1: { api_user_id: user, key: "k" },
          t2: { api_user_id: user, key: "k", depends_on: ["popdock_api_token.t2"] },
        },
      },
      output: { o: { value: "${popdock_api_user_grant.g2.id}" } },
    };
    const r = parseTerraformSources([{ file: "m.tf.json", text: JSON.stringify(doc, null, 2) }]);
    expect(r.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([
      'CONFIG_DUPLICATE_GRANT grant "connector:c" of popdock_api_user.u is also given by popdock_api_user_grant.g1',
      'CONFIG_DUPLICATE_ADDRESS popdock_api_token.t2 and popdock_api_token.t1 would both have the address popdock_api_token.u["k"]',
    ]);
  });
});
