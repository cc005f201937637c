/**
 * kill -9 during a long apply, where state goes to the journal (O(change) appends between
 * snapshots): 700 creates (1,400 journal records, so compactions happen in between), killed three times at seeded random points, then a plain re-run.
 * After every kill the state (snapshot + journal) loads and every object it records exists in
 * Popdock; at the end Popdock holds exactly the declared users — none missing, none created
 * twice — and the plan is clean.
 */
import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../provider/sandbox/faults.js";
import { type Json, project, readState, statusCount, useSandbox } from "../helpers/e2e-sandbox.js";
import { countOf, waitUntilQuiet, watchStream } from "../helpers/resilience.js";

const USERS = 700;
const KILLS = 3;
const random = mulberry32(20261204);

const sandbox = useSandbox();

function usersYaml(n: number): string {
  const lines = ["api_users:"];
  for (let i = 0; i < n; i++) lines.push(`  u${i}:`, `    name: jr-${i}`);
  return `${lines.join("\n")}\n`;
}

async function liveUsers(): Promise<Json[]> {
  const out: Json[] = [];
  let cursor: string | null = null;
  do {
    const r = await sandbox.api("GET", `/api-users?limit=500${cursor ? `&cursor=${cursor}` : ""}`);
    expect(r.status).toBe(200);
    out.push(...(r.body.data as Json[]));
    cursor = r.body.next_cursor as string | null;
  } while (cursor !== null);
  return out;
}

describe("kill -9 during a long, journaled apply", () => {
  it(`${KILLS} kills in ${USERS} creates, then the re-run converges exactly`, async () => {
    await sandbox.reset();
    await sandbox.setFaults({});
    const dir = await project({ "popdock.yaml": usersYaml(USERS) });
    let recorded = 0;
    for (let k = 0; k < KILLS; k++) {
      const target = Math.max(1, Math.floor((USERS - recorded) * (0.1 + random() * 0.3)));
      const child = sandbox.spawn(["apply", "--auto-approve", "--parallelism", "10"], dir);
      const out = watchStream(child.stdout);
      await out.waitFor((t) => countOf(t, " created in ") >= target, 60_000, `${target} created lines`);
      child.kill("SIGKILL");
      expect((await child.output).signal).toBe("SIGKILL");
      await waitUntilQuiet(sandbox, 150, "the killed apply's requests to finish");

      // A state that loads (no torn record), holds at least every create the run reported, and
      // records nothing Popdock does not have.
      const state = await readState(dir);
      const count = Object.keys(state.resources).length;
      expect(count, `kill ${k}`).toBeGreaterThanOrEqual(recorded + target);
      const live = new Set((await liveUsers()).map((u) => u.id as string));
      for (const [address, r] of Object.entries(state.resources)) expect(live.has(r.id), address).toBe(true);
      recorded = count;
    }

    const rerun = await sandbox.run(dir, ["apply", "--auto-approve", "--no-color"]);
    expect(rerun.stdout).toContain("Apply complete!");
    const users = await liveUsers();
    const names = users.map((u) => u.name as string);
    expect(names).toHaveLength(USERS);
    expect(new Set(names).size).toBe(USERS);
    expect(statusCount(await sandbox.stats(), 409), "a create refused as a duplicate").toBe(0);
    const state = await readState(dir);
    expect(state.pending).toEqual([]);
    expect(state.deposed).toEqual([]);
    expect(new Set(Object.values(state.resources).map((r) => r.id))).toEqual(
      new Set(users.map((u) => u.id as string)),
    );
    await sandbox.run(dir, ["plan", "--detailed-exitcode"], 0, "nothing left to do");
  }, 120_000);
});
