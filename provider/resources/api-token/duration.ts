/**
 * Rotation durations: an integer and a unit, `s m h d w` (`90d`, `24h`, `2w`), as the rotation
 * policy of a token spells them. Positive and at most 10 years. Also the short form plans and
 * reports print (`94 d`, `2 h`).
 */
import { z } from "zod";

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 } as const;
/** The longest duration accepted: 10 years. */
export const MAX_DURATION_SECONDS = 3650 * 86_400;
const DURATION = /^([0-9]{1,7})([smhdw])$/;

/** Seconds in `text`, or a message saying what is wrong with it. */
export function parseDuration(text: string): { seconds: number } | { problem: string } {
  const m = DURATION.exec(text.trim());
  if (!m) {
    return {
      problem: `"${text}" is not a duration: write a whole number and a unit, s m h d or w (e.g. 90d, 24h)`,
    };
  }
  const seconds = Number(m[1]) * UNIT_SECONDS[m[2] as keyof typeof UNIT_SECONDS];
  if (seconds <= 0) return { problem: `"${text}" must be longer than zero` };
  if (seconds > MAX_DURATION_SECONDS) return { problem: `"${text}" is longer than 3650d (10 years)` };
  return { seconds };
}

/** Seconds of a duration already checked by `Duration`. */
export function durationSeconds(text: string): number {
  const r = parseDuration(text);
  if ("problem" in r) throw new Error(r.problem);
  return r.seconds;
}

/** A duration in configuration: checked with a message at the value's position. */
export const Duration = z.string().superRefine((v, ctx) => {
  const r = parseDuration(v);
  if ("problem" in r) ctx.addIssue({ code: "custom", message: r.problem });
});

/** `94 d`, `2 h`, `5 min`, `30 s`: the largest whole unit, for plans and reports. */
export function formatAge(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s >= 86_400) return `${Math.floor(s / 86_400)} d`;
  if (s >= 3600) return `${Math.floor(s / 3600)} h`;
  if (s >= 60) return `${Math.floor(s / 60)} min`;
  return `${s} s`;
}
