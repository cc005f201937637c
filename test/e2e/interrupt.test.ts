/**
 * Ctrl-C during an apply. The first SIGINT starts no new step, lets the calls in flight finish
 * and be recorded, saves the state, releases the lock and exits 130. A second SIGINT exits at
 * once; the state it leaves is still a valid file (possibly with pending steps) that the next
 * run recovers from. Both end with a re-run that converges without duplicates.
 */
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { expectExit } from "../helpers/cli.js";
import { lockPath, readState, sleep, useSandbox } from "../helpers/e2e-sandbox.js";
import {
  countOf,
  createdLines,
  exitWithin,
  expectRerunConverges,
  fleetProject,
  waitUntilQuiet,
  watchStream,
} from "../helpers/resilience.js";

const sandbox = useSandbox();

describe("SIGINT during apply", () => {
  it("first SIGINT: in-flight steps finish, state saved, lock released, exit 130", async () => {
    const users = 20;
    const dir = await fleetProject(sandbox, users, { latency_ms: 100 });

    const child = sandbox.spawn(["apply", "--auto-approve"], dir);
    const out = watchStream(child.stdout);
    await out.waitFor((t) => countOf(t, " created in ") >= 15, 20_000, "15 created lines");
    const sentAt = Date.now();
    child.kill("SIGINT");
    const r = await exitWithin(child, 8_000, "apply after one SIGINT");
    const tookMs = Date.now() - sentAt;

    expectExit(r, 130);
    expect(tookMs, "exit after the first SIGINT").toBeLessThan(5_000);
    expect(r.stderr).toContain("POPDOCK_APPLY_INTERRUPTED");
    expect(r.stderr).toMatch(/interrupted: \d+ of \d+ steps completed; state is saved/);
    expect(r.stdout).not.toContain("Apply complete!");
    expect(existsSync(lockPath(dir)), "the lock is released").toBe(false);

    // Every step that started also finished and was reported; none was left half-done.
    const created = createdLines(r.stdout);
    expect(countOf(r.stdout, ": Creating…")).toBe(created.size);
    expect(created.size).toBeLessThan(users * 4);

    // The state records exactly the completed steps, with the ids Popdock gave them, and
    // Popdock holds nothing the state does not know about.
    const state = await readState(dir);
    expect(state.pending).toEqual([]);
    expect(new Map(Object.entries(state.resources).map(([a, e]) => [a, e.id]))).toEqual(created);
    const inv = await sandbox.inventory();
    expect(inv.userCount + inv.grantCount + inv.tokenCount).toBe(created.size);

    await sandbox.setFaults({});
    await expectRerunConverges(sandbox, dir, users);
  });

  it("second SIGINT exits at once and leaves a state the next run recovers from", {
    timeout: 60_000,
  }, async () => {
    const users = 12;
    // Calls in flight for long enough to tell "wait for them" from "exit now" also on a machine
    // whose cores are busy: the bounds below leave seconds, not milliseconds, of margin.
    const latency = 5_000;
    const dir = await fleetProject(sandbox, users, { latency_ms: latency });

    const child = sandbox.spawn(["apply", "--auto-approve"], dir);
    const out = watchStream(child.stdout);
    await out.waitFor((t) => t.includes(": Creating…"), 20_000, "the first Creating… line");
    const firstStepAt = Date.now();
    await sleep(200);
    child.kill("SIGINT");
    await sleep(300);
    // The first SIGINT waits for the calls in flight (a latency each).
    expect(child.exitCode, "still finishing the calls in flight").toBeNull();
    expect(child.signalCode).toBeNull();
    const secondAt = Date.now();
    child.kill("SIGINT");
    const r = await exitWithin(child, 5_000, "apply after a second SIGINT");
    expectExit(r, 130);
    // "At once": well under the calls' latency (the first SIGINT would have waited all of it).
    expect(Date.now() - secondAt, "exit after the second SIGINT").toBeLessThan(latency / 2);
    expect(Date.now() - firstStepAt, "exited before its calls in flight could finish").toBeLessThan(latency);

    // Whatever the moment, the state file is whole: it parses and validates.
    const state = await readState(dir);
    expect(state.pending.length, "the creates in flight are recorded as pending").toBeGreaterThan(0);

    // Let the requests the process had sent before it died finish on the server: none can answer
    // before a latency after the second SIGINT, and then the sandbox must fall quiet.
    await waitUntilQuiet(sandbox, 500, "the interrupted apply's requests to finish", {
      notBefore: secondAt + latency,
    });
    await sandbox.setFaults({});

    // The process released its lock on the way out, so the re-run needs no force-unlock.
    expect(existsSync(lockPath(dir)), "the lock is released by the exiting process").toBe(false);
    await expectRerunConverges(sandbox, dir, users);
  });
});
