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

describe("terraform.workspace", () => {
  const doc = {
    resource: {
      popdock_api_user: {
        u: { name: "svc-${terraform.workspace}", description: "in ${terraform.workspace}" },
      },
    },
    output: { where: { value: "${terraform.workspace}/${popdock_api_user.u.name}" } },
  };
  const text = JSON.stringify(doc);

  it("is the state workspace's name, in arguments and outputs", () => {
    const r = parseTerraformSources([{ file: "m.tf.json", text }], "prod");
    expect(r.diagnostics).toEqual([]);
    expect(r.config?.resources[0]?.attrs).toMatchObject({ name: "svc-prod", description: "in prod" });
    expect(r.config?.outputs.find((o) => o.name === "where")?.parts).toEqual([
      "prod/",
      { address: "popdock_api_user.u", attr: "name" },
    ]);
  });

  it("is default without a workspace; $${ keeps it literal", () => {
    const r = parseTerraformSources([{ file: "m.tf.json", text }]);
    expect(r.config?.resources[0]?.attrs).toMatchObject({ name: "svc-default" });
    const lit = JSON.stringify({
      resource: { popdock_api_user: { u: { name: "a-$${terraform.workspace}" } } },
    });
    expect(
      parseTerraformSources([{ file: "m.tf.json", text: lit }], "prod").config?.resources[0]?.attrs,
    ).toMatchObject({
      name: "a-${terraform.workspace}",
    });
  });
});
