import { describe, expect, it } from "vitest";
import type { StateFile } from "../../schema/state.js";
import { buildSnapshot } from "../model/live.js";
import { RECOVERY_CLOCK_SKEW_MS, recoverPending } from "./recover.js";

const REF = { teams: [], roles: [], connectors: [] };

function stateWithPendingCreate(startedAt: string): StateFile {
  return {
    format_version: 1,
    tool: "popdock-iac",
    lineage: "00000000-0000-4000-8000-000000000000",
    serial: 2,
    resources: {},
    pending: [
      {
        address: "popdock_api_user.bot",
        action: "create",
        type: "popdock_api_user",
        idempotency_key: "k-1",
        request: { name: "bot", description: "" },
        started_at: startedAt,
      },
    ],
    deposed: [],
    outputs: {},
  };
}

function liveUser(createdAt: string) {
  return buildSnapshot({
    ...REF,
    users: [
      { id: "usr_1", name: "Bot", description: "", version: 1, created_at: createdAt, updated_at: createdAt },
    ],
  });
}

describe("recoverPending", () => {
  it("adopts the object an interrupted create made (found by name, created after the attempt)", () => {
    const r = recoverPending(
      stateWithPendingCreate("2026-01-01T10:00:00Z"),
      liveUser("2026-01-01T10:00:01Z"),
    );
    expect(r.state.pending).toEqual([]);
    expect(r.state.resources["popdock_api_user.bot"]).toMatchObject({
      id: "usr_1",
      attributes: { name: "Bot" },
    });
    expect(r.notes[0]).toMatch(/had reached Popdock \(id usr_1\); adopted/);
  });

  it("does not adopt a same-named object created before the attempt: someone else's", () => {
    const before = new Date(Date.parse("2026-01-01T10:00:00Z") - RECOVERY_CLOCK_SKEW_MS - 1000).toISOString();
    const r = recoverPending(stateWithPendingCreate("2026-01-01T10:00:00Z"), liveUser(before));
    expect(r.state.resources).toEqual({});
    expect(r.state.pending).toEqual([]);
    expect(r.notes[0]).toMatch(/predates the interrupted create, so it is not ours/);
  });

  it("drops a pending create that never reached Popdock", () => {
    const r = recoverPending(
      stateWithPendingCreate("2026-01-01T10:00:00Z"),
      buildSnapshot({ ...REF, users: [] }),
    );
    expect(r.state.resources).toEqual({});
    expect(r.notes[0]).toMatch(/did not reach Popdock; it will be planned again/);
  });
});
