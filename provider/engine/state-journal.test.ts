import { describe, expect, it } from "vitest";
import type { StateFile } from "../../schema/state.js";
import { emptyState } from "../backends/state-codec.js";
import type { StateDelta, WriteOptions } from "../backends/types.js";
import { StateJournal } from "./state-journal.js";

const put = (n: number): StateDelta => ({
  op: "put",
  address: `popdock_api_user.u${n}`,
  resource: { type: "popdock_api_user", id: `usr_${n}`, version: 1, attributes: {}, dependencies: [] },
});

/** A sink that logs what it is asked to store and holds each append until released. */
function sink() {
  const log: string[] = [];
  const gates: (() => void)[] = [];
  return {
    log,
    release: () => {
      for (const g of gates.splice(0)) g();
    },
    backend: {
      async append(deltas: readonly StateDelta[], serial: number): Promise<number> {
        log.push(`append@${serial}:${deltas.length}`);
        await new Promise<void>((r) => gates.push(r));
        return serial + 1;
      },
      async write(state: StateFile, serial: number, opts?: WriteOptions): Promise<number> {
        const kind = opts?.checkpoint ? " (checkpoint)" : "";
        log.push(`write@${serial}:${Object.keys(state.resources).length}${kind}`);
        return serial + 1;
      },
    },
  };
}

describe("StateJournal", () => {
  it("writes a first snapshot when nothing is stored, then appends", async () => {
    const s = sink();
    const j = new StateJournal(s.backend, emptyState(), -1);
    await j.record([put(1)]);
    const second = j.record([put(2)]);
    await new Promise((r) => setImmediate(r));
    s.release();
    await second;
    expect(s.log).toEqual(["write@-1:1", "append@0:1"]);
    expect(j.serial).toBe(1);
    expect(j.state.serial).toBe(1);
  });

  it("groups records that arrive while an append is in flight into one append, in call order", async () => {
    const s = sink();
    const j = new StateJournal(s.backend, emptyState(), 4);
    const first = j.record([put(1)]);
    const rest = [j.record([put(2)]), j.record([put(3), put(4)])];
    await Promise.resolve();
    s.release(); // the first append completes; the two others go out together
    await first;
    await new Promise((r) => setImmediate(r));
    s.release();
    await Promise.all(rest);
    expect(s.log).toEqual(["append@4:1", "append@5:3"]);
    expect(Object.keys(j.state.resources)).toEqual([1, 2, 3, 4].map((n) => `popdock_api_user.u${n}`));
  });

  it("snapshots after compactEvery records or compactAfterMs, then appends on the new serial", async () => {
    const s = sink();
    let now = 0;
    const j = new StateJournal(s.backend, emptyState(), 0, {
      compactEvery: 2,
      compactAfterMs: 1000,
      clock: () => now,
    });
    const go = async (d: StateDelta) => {
      const p = j.record([d]);
      await new Promise((r) => setImmediate(r));
      s.release();
      await p;
    };
    await go(put(1));
    await go(put(2)); // second record: snapshot
    now = 1500;
    await go(put(3)); // the last snapshot is too old: snapshot
    // Compactions part-way are checkpoints (not entries of `state history`); a snapshot asked for
    // (the end of an apply) is not.
    await j.snapshot();
    expect(s.log).toEqual([
      "append@0:1",
      "append@1:1",
      "write@2:2 (checkpoint)",
      "append@3:1",
      "write@4:3 (checkpoint)",
      "write@5:3",
    ]);
  });

  it("a failed append rejects the records it carried", async () => {
    const j = new StateJournal(
      { append: async () => Promise.reject(new Error("disk full")), write: async (_s, n) => n + 1 },
      emptyState(),
      0,
    );
    await expect(j.record([put(1)])).rejects.toThrow("disk full");
  });
});
