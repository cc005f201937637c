import { describe, expect, it } from "vitest";
import { parseIsoTime, SandboxClock } from "./clock.js";

const fixed = (iso: string) => () => new Date(iso);

describe("parseIsoTime", () => {
  it.each([
    ["2026-12-03T11:00:00Z", "2026-12-03T11:00:00.000Z"],
    ["2026-12-03T11:00Z", "2026-12-03T11:00:00.000Z"],
    ["2026-12-03T12:00:00.250+01:00", "2026-12-03T11:00:00.250Z"],
    [" 2026-12-03T11:00:00z ", "2026-12-03T11:00:00.000Z"],
  ])("reads %s", (text, iso) => {
    expect(parseIsoTime(text)?.toISOString()).toBe(iso);
  });

  it.each(["", "yesterday", "2026-12-03", "2026-12-03T11:00:00", "2026-13-03T11:00:00Z", "1733223600"])(
    "refuses %j",
    (text) => {
      expect(parseIsoTime(text)).toBeUndefined();
    },
  );
});

describe("SandboxClock", () => {
  it("is the base clock until moved", () => {
    const clock = new SandboxClock(fixed("2026-01-01T00:00:00Z"));
    expect(clock.now().toISOString()).toBe("2026-01-01T00:00:00.000Z");
    expect(clock.offsetMs).toBe(0);
  });

  it("advances and keeps running with the base clock", () => {
    let base = Date.parse("2026-01-01T00:00:00Z");
    const clock = new SandboxClock(() => new Date(base));
    expect(clock.advance(90).toISOString()).toBe("2026-01-01T00:01:30.000Z");
    base += 1000;
    expect(clock.now().toISOString()).toBe("2026-01-01T00:01:31.000Z");
    expect(clock.offsetMs).toBe(90_000);
  });

  it("sets the time in either direction, and restores from an offset", () => {
    const clock = new SandboxClock(fixed("2026-01-01T00:00:00Z"));
    clock.setTo(new Date("2025-06-01T00:00:00Z"));
    expect(clock.now().toISOString()).toBe("2025-06-01T00:00:00.000Z");
    const again = new SandboxClock(fixed("2026-01-01T00:00:00Z"), clock.offsetMs);
    expect(again.now().toISOString()).toBe("2025-06-01T00:00:00.000Z");
  });

  it("refuses to go backwards or by a non-number", () => {
    const clock = new SandboxClock(fixed("2026-01-01T00:00:00Z"));
    expect(() => clock.advance(-1)).toThrow(/only moves forward/);
    expect(() => clock.advance(Number.NaN)).toThrow(RangeError);
    expect(clock.offsetMs).toBe(0);
  });

  it("answers the time it set, even when the base clock moves between two readings", () => {
    let t = Date.parse("2026-01-01T00:00:00Z");
    const clock = new SandboxClock(() => new Date(t++)); // a millisecond passes at every reading
    expect(clock.setTo(new Date("2027-01-01T00:00:00Z")).toISOString()).toBe("2027-01-01T00:00:00.000Z");
    const before = clock.now().getTime();
    expect(clock.advance(60).getTime()).toBe(before + 1 + 60_000);
  });
});
