/**
 * What the resilience tests (crash, interrupt, faults, canary under test/e2e/) add to the shared
 * sandbox wrapper (./e2e-sandbox.ts): a generated fleet configuration and checks that Popdock
 * holds exactly it, convergence checks after an interrupted or failed apply, clearing the lock of
 * a dead holder, and a watcher over a running CLI's stdout.
 */
import { existsSync, readdirSync } from "node:fs";
import { dirname } from "node:path";
import { expect } from "vitest";
import type { SandboxFaultsInput } from "../../schema/api.js";
import type { StateFile } from "../../schema/state.js";
import type { CliResult, spawnCli } from "./cli.js";
import { type E2ESandbox, lockPath, project, readState, sleep, statusCount } from "./e2e-sandbox.js";

/**
 * `users` API users named `<prefix>-<i>`, each with a team grant, a system-role grant and one
 * token: `users * 4` resources, `users * 2` grants, `users` tokens.
 */
export function fleetYaml(users: number, prefix = "fleet"): string {
  const lines = ["api_users:"];
  for (let i = 0; i < users; i++) {
    lines.push(
      `  u${i}:`,
      `    name: ${prefix}-${i}`,
      `    description: e2e user ${i}`,
      "    grants:",
      "      - team: Finance",
      "      - role: Contributor",
      "    tokens:",
      `      t: { name: token-${i} }`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/**
 * The start of every resilience scenario: an empty sandbox with `faults` on, and a fresh project
 * whose popdock.yaml is `fleetYaml(users, prefix)`. Returns the project directory.
 */
export async function fleetProject(
  sandbox: E2ESandbox,
  users: number,
  faults: SandboxFaultsInput,
  prefix?: string,
): Promise<string> {
  await sandbox.reset();
  await sandbox.setFaults(faults);
  return project({ "popdock.yaml": fleetYaml(users, prefix) });
}

/** Asserts Popdock holds exactly the fleet of `fleetYaml(users)`: no object missing, none twice. */
export async function expectFleet(sandbox: E2ESandbox, users: number, prefix = "fleet"): Promise<void> {
  const inv = await sandbox.inventory();
  expect(inv.users.map((u) => u.name).sort()).toEqual(
    Array.from({ length: users }, (_, i) => `${prefix}-${i}`).sort(),
  );
  expect({ users: inv.userCount, grants: inv.grantCount, tokens: inv.tokenCount }).toEqual({
    users,
    grants: users * 2,
    tokens: users,
  });
  for (const u of inv.users) {
    expect(u.grants, u.name).toHaveLength(2);
    expect(
      u.tokens.map((t) => t.name),
      u.name,
    ).toEqual([`token-${u.name.slice(prefix.length + 1)}`]);
  }
}

/** Asserts the state is valid, has no pending step and every entry points at an object in Popdock. */
export async function expectCleanState(sandbox: E2ESandbox, dir: string): Promise<StateFile> {
  const state = await readState(dir);
  expect(state.pending).toEqual([]);
  expect(state.deposed).toEqual([]);
  const inv = await sandbox.inventory();
  const live = new Set(
    inv.users.flatMap((u) => [u.id, ...u.grants.map((g) => g.id), ...u.tokens.map((t) => t.id)]),
  );
  for (const [address, r] of Object.entries(state.resources)) {
    if (r.type !== "null_resource") expect(live.has(r.id), `${address} → ${r.id}`).toBe(true);
  }
  return state;
}

/**
 * Run after the holder of `dir`'s lock died (kill -9): the lock file is still there, and the next
 * run on this machine takes it over by itself (the holder provably died during this boot).
 * Returns a check for that next run's result: it said so in one line, and left no temp file of
 * an interrupted state write behind.
 */
export function expectDeadHolderLock(dir: string): (next: CliResult) => void {
  expect(existsSync(lockPath(dir)), "the dead holder's lock file").toBe(true);
  return (next) => {
    expect(next.stderr).toMatch(
      /Took over the state lock \S+ left by pid \d+ .*no longer running on this host/,
    );
    const left = readdirSync(dirname(lockPath(dir))).filter((n) => n.endsWith(".tmp"));
    expect(left, "temp files of an interrupted state write").toEqual([]);
  };
}

/** Faults off, then `plan --detailed-exitcode` exits 0 (nothing to do) and the state is clean. */
export async function expectConverged(sandbox: E2ESandbox, dir: string): Promise<StateFile> {
  await sandbox.setFaults({});
  await sandbox.run(dir, ["plan", "--detailed-exitcode"]);
  return expectCleanState(sandbox, dir);
}

/**
 * The re-run every interrupted apply must allow: exit 0, exactly the fleet of `fleetYaml(users)`
 * with every object created once over all runs (no create refused as a duplicate with 409, none
 * gone through twice), then `expectConverged`.
 */
export async function expectRerunConverges(
  sandbox: E2ESandbox,
  dir: string,
  users: number,
): Promise<{ rerun: CliResult; state: StateFile }> {
  const rerun = await sandbox.run(dir, ["apply", "--auto-approve"]);
  await expectFleet(sandbox, users);
  const stats = await sandbox.stats();
  expect(statusCount(stats, 409), "a create refused as a duplicate").toBe(0);
  // Each pending create the re-run resolved by replaying its Idempotency-Key may answer 201 once
  // more (Popdock replays the first answer; a create still in flight when the process died may
  // land after it): every object is created once, the rest are replays of the same objects.
  const replays = countOf(rerun.stderr, "resolved an earlier create by replaying its Idempotency-Key");
  const created = statusCount(stats, 201);
  expect(created, "objects created, over both runs").toBeGreaterThanOrEqual(users * 4);
  expect(created, "objects created, over both runs, plus replays").toBeLessThanOrEqual(users * 4 + replays);
  expect(
    Object.entries(stats.by_route).filter(([route]) => route.startsWith("DELETE ")),
    "nothing created twice and then deleted",
  ).toEqual([]);
  return { rerun, state: await expectConverged(sandbox, dir) };
}

/** Accumulates a child's stdout (or stderr) and waits for a condition on it. */
export function watchStream(stream: NodeJS.ReadableStream | null | undefined): {
  text(): string;
  waitFor(pred: (text: string) => boolean, timeoutMs: number, what: string): Promise<void>;
} {
  let text = "";
  const waiters = new Set<() => void>();
  stream?.on("data", (d: Buffer | string) => {
    text += typeof d === "string" ? d : d.toString("utf8");
    for (const w of [...waiters]) w();
  });
  stream?.on("end", () => {
    for (const w of [...waiters]) w();
  });
  return {
    text: () => text,
    waitFor(pred, timeoutMs, what) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (pred(text)) {
            done();
            resolve();
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; output so far:\n${text}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** Occurrences of `needle` in `text`. */
export function countOf(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

/** `address → id` of every `<address>: created in 0.1s [id=…]` line (replacements included). */
export function createdLines(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of stdout.matchAll(/^(\S+): (?:created|replacement created) in [\d.]+s \[id=(\S+)\]$/gm)) {
    out.set(m[1] as string, m[2] as string);
  }
  return out;
}

/**
 * The child's result once it exits, or — when it is still running after `ms` — a SIGKILL and an
 * error, so that a hang fails the test quickly instead of running into the test timeout.
 */
export async function exitWithin(
  child: ReturnType<typeof spawnCli>,
  ms: number,
  what: string,
): Promise<CliResult> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), ms);
  });
  const r = await Promise.race([child.output, late]);
  clearTimeout(timer);
  if (r !== "late") return r;
  child.kill("SIGKILL");
  const killed = await child.output;
  throw new Error(
    `${what}: still running after ${ms} ms; killed. stdout tail:\n${killed.stdout.slice(-1500)}\nstderr:\n${killed.stderr}`,
  );
}

/**
 * Waits until the sandbox has answered no request for `quietMs` (its request counter stood
 * still), and not before `notBefore` (epoch ms): after a client died, the requests it had sent
 * are then finished on the server. A condition, not a fixed sleep: on a slow machine it waits
 * longer. Fails after `deadlineMs` naming the counter it kept seeing move.
 */
export async function waitUntilQuiet(
  sandbox: E2ESandbox,
  quietMs: number,
  what: string,
  opts: { notBefore?: number; deadlineMs?: number } = {},
): Promise<void> {
  const deadlineMs = opts.deadlineMs ?? 30_000;
  const deadline = Date.now() + deadlineMs;
  let last = (await sandbox.stats()).total;
  let stillSince = Date.now();
  for (;;) {
    await sleep(20);
    const total = (await sandbox.stats()).total;
    const now = Date.now();
    if (total !== last) {
      last = total;
      stillSince = now;
    } else if (now - stillSince >= quietMs && now >= (opts.notBefore ?? 0)) {
      return;
    }
    if (now > deadline) {
      throw new Error(
        `timed out after ${deadlineMs} ms waiting for ${what}: the sandbox kept answering requests (total ${total})`,
      );
    }
  }
}
