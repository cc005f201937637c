/**
 * The sandbox clock: real time (or an injected base clock) plus an offset that tests and demos
 * move forward with `PUT /__sandbox/clock`, `popdock sandbox --clock` or `createSandbox({ clock })`.
 * Every timestamp the sandbox writes (created_at, updated_at, last_used_at, stats `since`,
 * idempotency expiry, the HTTP `Date` header) reads it. The offset, not a frozen time, is what
 * persists with `--data`: after a restart the sandbox time is the real time plus the same offset,
 * so it keeps running while the sandbox is down, exactly as it runs while it is up.
 */

import { ISO_DATE_TIME } from "../../schema/api.js";

/** Parses an ISO 8601 date-time with a time zone; undefined for anything else. */
export function parseIsoTime(text: string): Date | undefined {
  const trimmed = text.trim();
  if (!ISO_DATE_TIME.test(trimmed)) return undefined;
  const ms = Date.parse(trimmed);
  return Number.isFinite(ms) ? new Date(ms) : undefined;
}

/** A clock that is `base()` shifted by an offset in milliseconds. */
export class SandboxClock {
  private offset: number;

  /** `base` is the real clock by default; `offsetMs` shifts it (0: the sandbox time is real time). */
  constructor(
    private readonly base: () => Date = () => new Date(),
    offsetMs = 0,
  ) {
    this.offset = offsetMs;
  }

  /** The sandbox time. */
  now(): Date {
    return new Date(this.base().getTime() + this.offset);
  }

  /** Sandbox time minus base time, in milliseconds; what persistence writes. */
  get offsetMs(): number {
    return this.offset;
  }

  set offsetMs(ms: number) {
    if (!Number.isFinite(ms)) throw new RangeError(`clock offset must be a finite number, got ${ms}`);
    this.offset = Math.round(ms);
  }

  /** Makes the sandbox time `time` now (any direction: for the start of a sandbox). */
  setTo(time: Date): Date {
    this.offsetMs = time.getTime() - this.base().getTime();
    // Exactly the time set, not a second reading of the base clock (a millisecond later).
    return new Date(time.getTime());
  }

  /** Moves the sandbox time forward by `seconds` (≥ 0, fractions allowed). */
  advance(seconds: number): Date {
    if (!Number.isFinite(seconds) || seconds < 0) {
      throw new RangeError(`the clock only moves forward: advance_seconds must be ≥ 0, got ${seconds}`);
    }
    const base = this.base().getTime();
    this.offsetMs = this.offset + seconds * 1000;
    return new Date(base + this.offset);
  }
}
