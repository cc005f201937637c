import { describe, expect, it } from "vitest";
import { buildSnapshot } from "../model/live.js";
import { policyNow } from "./clock.js";

describe("policyNow", () => {
  const local = () => new Date("2030-01-01T00:00:00Z");

  it("is Popdock's clock when the snapshot has one, whatever the runner's clock says", () => {
    const live = {
      ...buildSnapshot({ users: [], teams: [], roles: [], connectors: [] }),
      serverTime: "2027-03-01T12:00:00.000Z",
    };
    expect(policyNow(live, local).toISOString()).toBe("2027-03-01T12:00:00.000Z");
  });

  it("falls back to the given clock without a snapshot or server time", () => {
    expect(policyNow(undefined, local).toISOString()).toBe("2030-01-01T00:00:00.000Z");
    const live = buildSnapshot({ users: [], teams: [], roles: [], connectors: [] });
    expect(policyNow(live, local).toISOString()).toBe("2030-01-01T00:00:00.000Z");
  });
});
