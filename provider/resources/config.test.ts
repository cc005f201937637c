// biome-ignore-all lint/suspicious/noTemplateCurlyInString: "${popdock_api_user.u.id}" is Terraform's reference syntax.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { InternalError } from "../model/errors.js";
import { apiUserGrantConfig } from "./api-user-grant/config.js";
import { defineResourceConfig } from "./config.js";
import { resourceTypeFor } from "./index.js";

const Args = z.strictObject({ size: z.number().int(), label: z.string().optional() });

const cfg = defineResourceConfig<z.infer<typeof Args>>("fixture_thing", {
  terraform: {
    schema: Args,
    arguments: ["size", "label"],
    known: ["label"],
    computed: ["id"],
    ignorable: ["size"],
    attrs: (v) => ({ size: v.size }),
  },
});

describe("defineResourceConfig", () => {
  it("checks a body with the schema, with issues a person can act on", () => {
    expect(cfg.terraform.check({ size: 1 })).toEqual({ ok: true, value: { size: 1 } });
    expect(cfg.terraform.check({ size: 1, sise: 2 })).toEqual({
      ok: false,
      issues: [
        {
          code: "CONFIG_UNKNOWN_KEY",
          message: 'unknown argument "sise"',
          path: ["sise"],
          hint: 'did you mean "size"?',
        },
      ],
    });
  });

  it("converts checked values, and refuses values that do not fit the type", () => {
    expect(cfg.terraform.attrs({ size: 2 }, "t", () => {})).toEqual({ size: 2 });
    expect(() => cfg.terraform.attrs({ size: "2" }, "t", () => {})).toThrow(InternalError);
  });

  it("reads a known argument for a reference by default, strings only", () => {
    expect(cfg.terraform.knownValue({ size: 1, label: "x" }, "t", "label")).toBe("x");
    expect(cfg.terraform.knownValue({ size: 1 }, "t", "size")).toBeUndefined();
  });

  it("is what the built-in types attach to their definition", () => {
    expect(resourceTypeFor("popdock_api_user_grant").config).toBe(apiUserGrantConfig);
    const warnings: unknown[] = [];
    const attrs = apiUserGrantConfig.terraform.attrs(
      { api_user_id: "${popdock_api_user.u.id}", connector: "GP", lists: ["b", "a", "b"] },
      "g",
      (i) => warnings.push(i),
    );
    expect(attrs).toMatchObject({ kind: "connector", lists: ["a", "b"] });
    expect(warnings).toMatchObject([
      { code: "CONFIG_DUPLICATE_ITEM", path: ["lists", 2], severity: "warning" },
    ]);
  });
});
