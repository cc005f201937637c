import { describe, expect, it } from "vitest";
import { checkSecretsNames, envName } from "./secrets.js";

describe("secrets files", () => {
  it("names dotenv variables after outputs", () => {
    expect(envName("reporting_bot.powerbi")).toBe("REPORTING_BOT_POWERBI");
    expect(envName("ci-prod")).toBe("CI_PROD");
  });

  it("refuses outputs that would collide as dotenv variables, and allows them in JSON", () => {
    expect(() => checkSecretsNames("t.env", ["b.ci-prod", "b.ci_prod"])).toThrow(
      'outputs "b.ci-prod" and "b.ci_prod" would both be B_CI_PROD in t.env',
    );
    expect(() => checkSecretsNames("t.json", ["b.ci-prod", "b.ci_prod"])).not.toThrow();
    expect(() => checkSecretsNames("t.env", ["a.x", "b.x"])).not.toThrow();
  });
});
