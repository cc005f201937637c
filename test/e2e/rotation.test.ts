/**
 * The life of a rotating token, through the real CLI against a `popdock sandbox` child process,
 * with the sandbox clock advanced (PUT /__sandbox/clock) instead of waiting: a new generation
 * exists before anyone needs it, the old one stays valid through the overlap, and it is deleted
 * only once the overlap has passed and nobody uses it. Consumers use tokens as real ones do:
 * `GET /api/v2/user` with `Authorization: Bearer <Token ID>`.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import type { StateFile } from "../../schema/state.js";
import { type CliResult, expectExit } from "../helpers/cli.js";
import { project, readState, statePath, uniq, useSandbox, waitFor } from "../helpers/e2e-sandbox.js";
import { waitUntilQuiet, watchStream } from "../helpers/resilience.js";

const sb = useSandbox();
const DAY = 86_400;
const ADDR = 'popdock_api_token.ledger["nightly"]';

function config(user: string, opts: { rotation?: string; quarter?: string } = {}): string {
  const rotation =
    opts.rotation ??
    `
        rotation:
          every: 90d
          overlap: 7d
          retire_when_unused: 24h
          triggers: { quarter: "${opts.quarter ?? "q1"}" }`;
  return `api_users:
  ledger:
    name: ${user}
    tokens:
      nightly:
        name: nightly-loader${rotation}
`;
}

async function advance(seconds: number): Promise<string> {
  const r = await sb.request<{ now: string }>("PUT", "/__sandbox/clock", { advance_seconds: seconds });
  expect(r.status).toBe(200);
  return r.body.now;
}

/** A consumer's call with a token: the status of `GET /api/v2/user`. */
async function use(tokenId: string): Promise<number> {
  const res = await fetch(`${sb.url}/api/v2/user`, { headers: { authorization: `Bearer ${tokenId}` } });
  await res.text();
  return res.status;
}

async function output(dir: string): Promise<string> {
  const r = expectExit(await sb.popdock(["output", "ledger.nightly", "--raw"], dir), 0);
  return r.stdout.trim();
}

/** The plan as one JSON document (`plan --out`, then `show --json`; `plan --json` is the UI stream). */
async function planJson(dir: string, extra: string[] = []): Promise<Json> {
  expectExit(await sb.popdock(["plan", "--out", "plan.json", ...extra], dir), 0);
  const r = expectExit(await sb.popdock(["show", "plan.json", "--json"], dir), 0);
  return JSON.parse(r.stdout);
}

// biome-ignore lint/suspicious/noExplicitAny: plan JSON read loosely in assertions
type Json = any;

/** The actions of a plan's resource changes that do something, by address. */
function actions(plan: Json): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const c of plan.resource_changes ?? []) {
    if (c.change.actions[0] !== "no-op") out[c.address] = c.change.actions;
  }
  return out;
}

/** Tokens of the user in Popdock (names). */
async function liveTokens(user: string): Promise<string[]> {
  const inv = await sb.inventory();
  return (inv.users.find((u) => u.name === user)?.tokens ?? []).map((t) => t.name).sort();
}

function everything(results: CliResult[]): string {
  return results.map((r) => `${r.stdout}\n${r.stderr}`).join("\n");
}

describe("a rotating token's whole life", () => {
  it("rotates without downtime: create first, overlap, kept while used, retired when unused", async () => {
    const user = `rot-${uniq()}`;
    const dir = await project({ "popdock.yaml": config(user) });
    const runs: CliResult[] = [];
    const run = async (args: string[], code = 0) => {
      const r = expectExit(await sb.popdock(args, dir), code, args.join(" "));
      runs.push(r);
      return r;
    };

    await run(["apply", "--auto-approve", "--no-color"]);
    const first = await output(dir);
    expect(await use(first)).toBe(200);
    const firstName = (await liveTokens(user))[0];
    expect(firstName).toMatch(/^nightly-loader-\d{8}$/);

    // Past `every`: exactly one create, no delete; the text says how old it is.
    await advance(91 * DAY);
    const due = await planJson(dir);
    expect(actions(due)).toEqual({ [ADDR]: ["create"] });
    const text = await run(["plan", "--no-color", "--detailed-exitcode"], 2);
    expect(text.stdout).toContain("will be rotated: its next generation will be created");
    expect(text.stdout).toMatch(
      /created (90|91) d ago, last used \d+ (d|h) ago, rotation overdue by (1 d|23 h)/,
    );
    expect(text.stdout).toContain("Plan: 1 to add, 0 to change, 0 to destroy.");

    await run(["apply", "--auto-approve", "--no-color", "--secrets-out", "secrets.json"]);
    const second = await output(dir);
    expect(second).not.toBe(first);
    expect(await use(first)).toBe(200);
    expect(await use(second)).toBe(200);
    expect(await liveTokens(user)).toHaveLength(2);
    // The secrets file written during the overlap carries both, the previous one by a clear name.
    const secrets = JSON.parse(await readFile(join(dir, "secrets.json"), "utf8"));
    expect(secrets).toEqual({ "ledger.nightly": second, "ledger.nightly.previous": first });
    const state: StateFile = await readState(dir);
    expect(state.resources[ADDR]?.previous?.attributes.name).toBe(firstName);
    const list = await run(["state", "list"]);
    expect(list.stdout).toMatch(
      /popdock_api_token\.ledger\["nightly"\] \(previous, retires \d{4}-\d{2}-\d{2}\)/,
    );

    // Within the overlap: nothing to do.
    await advance(3 * DAY);
    expect(actions(await planJson(dir))).toEqual({});

    // Past the overlap, but the old token is still used: kept, with a warning; exit 0.
    await advance(5 * DAY);
    expect(await use(first)).toBe(200);
    const kept = await run(["plan", "--no-color", "--detailed-exitcode"], 0);
    expect(kept.stderr).toContain("PLAN_TOKEN_STILL_USED");
    expect(kept.stderr).toContain(`${ADDR} (previous)`);
    expect(kept.stderr).toMatch(/last used \d+ s ago/);
    expect(actions(await planJson(dir))).toEqual({});

    // Nobody uses it for longer than retire_when_unused: exactly one delete.
    await advance(2 * DAY);
    const retire = await planJson(dir);
    expect(actions(retire)).toEqual({ [`${ADDR} (previous)`]: ["delete"] });
    await run(["apply", "--auto-approve", "--no-color"]);
    expect(await use(first)).toBe(401);
    expect(await use(second)).toBe(200);
    expect(await liveTokens(user)).toHaveLength(1);
    expect((await readState(dir)).resources[ADDR]?.previous).toBeUndefined();
    expect(actions(await planJson(dir))).toEqual({});

    // No token ID in any stream or in state.
    const all = `${everything(runs)}\n${await readFile(statePath(dir), "utf8")}`;
    for (const s of [first, second]) expect(all).not.toContain(s);
  });

  it("a trigger change and -replace rotate through the same overlap", async () => {
    const user = `trig-${uniq()}`;
    const dir = await project({ "popdock.yaml": config(user) });
    expectExit(await sb.popdock(["apply", "--auto-approve"], dir), 0);
    const first = await output(dir);

    await import("node:fs/promises").then((fs) =>
      fs.writeFile(join(dir, "popdock.yaml"), config(user, { quarter: "q2" })),
    );
    const plan = await planJson(dir);
    expect(actions(plan)).toEqual({ [ADDR]: ["create"] });
    expectExit(await sb.popdock(["apply", "--auto-approve"], dir), 0);
    const second = await output(dir);
    expect(await use(first)).toBe(200);
    expect(await use(second)).toBe(200);

    // A second rotation while the previous one is in its overlap is refused…
    const blocked = await sb.popdock(["plan", "-replace", ADDR], dir);
    expectExit(blocked, 1);
    expect(blocked.stderr).toContain("PLAN_ROTATION_BLOCKED");
    // …unless the previous one is retired in the same run.
    const forced = await planJson(dir, ["-replace", ADDR, "--force-retire", ADDR]);
    expect(actions(forced)).toEqual({ [ADDR]: ["create"], [`${ADDR} (previous)`]: ["delete"] });
    expectExit(
      await sb.popdock(["apply", "--auto-approve", "-replace", ADDR, "--force-retire", ADDR], dir),
      0,
    );
    const third = await output(dir);
    expect(await use(first)).toBe(401);
    expect(await use(second)).toBe(200);
    expect(await use(third)).toBe(200);
    expect(await liveTokens(user)).toHaveLength(2);
  });

  it("a token without rotation behaves as before; -replace replaces it; an unknown address is an error", async () => {
    const user = `plain-${uniq()}`;
    const dir = await project({ "popdock.yaml": config(user, { rotation: "" }) });
    expectExit(await sb.popdock(["apply", "--auto-approve"], dir), 0);
    expect(await liveTokens(user)).toEqual(["nightly-loader"]);
    await advance(400 * DAY);
    expect(actions(await planJson(dir))).toEqual({});
    const replaced = await planJson(dir, ["-replace", ADDR]);
    expect(actions(replaced)).toEqual({ [ADDR]: ["delete", "create"] });
    const userReplaced = await planJson(dir, ["-replace", "popdock_api_user.ledger"]);
    expect(actions(userReplaced)["popdock_api_user.ledger"]).toEqual(["delete", "create"]);
    const unknown = await sb.popdock(["plan", "-replace", "popdock_api_user.nope"], dir);
    expectExit(unknown, 1);
    expect(unknown.stderr).toContain("PLAN_REPLACE_UNKNOWN");
  });

  it("plans identically whatever this machine's clock says", async () => {
    const user = `skew-${uniq()}`;
    const dir = await project({ "popdock.yaml": config(user) });
    expectExit(await sb.popdock(["apply", "--auto-approve"], dir), 0);
    await advance(89 * DAY + 23 * 3600);
    const plans: string[] = [];
    // The runner's clock: on time, 3 days ahead, 2 days behind (this process runs the CLI).
    try {
      for (const skew of [0, 3 * DAY, -2 * DAY]) {
        vi.useFakeTimers({ toFake: ["Date"] });
        vi.setSystemTime(Date.now() + skew * 1000);
        expectExit(await sb.popdock(["plan", "--out", "plan.json"], dir), 0);
        vi.useRealTimers();
        const r = expectExit(await sb.popdock(["show", "plan.json", "--json"], dir), 0);
        const { timestamp: _t, ...rest } = JSON.parse(r.stdout);
        plans.push(JSON.stringify(rest));
      }
    } finally {
      vi.useRealTimers();
    }
    // Same decisions, same ages (Popdock's clock moves only seconds between the runs).
    const strip = (p: string) =>
      p.replace(/"server_time":"[^"]*"/g, "").replace(/"(age_seconds|due_in_seconds)":-?\d+/g, "");
    expect(strip(plans[1] ?? "")).toBe(strip(plans[0] ?? ""));
    expect(strip(plans[2] ?? "")).toBe(strip(plans[0] ?? ""));
    const first: Json = JSON.parse(plans[0] ?? "{}");
    expect(actions(first)).toEqual({});
    const token = first.resource_changes.find((c: Json) => c.address === ADDR).token;
    expect(token.rotation.decision).toBe("wait");
    // (The Date header has whole seconds: an age may read a second short.)
    expect(token.age_seconds).toBeGreaterThanOrEqual(89 * DAY + 23 * 3600 - 1);
    expect(token.age_seconds).toBeLessThan(89 * DAY + 23 * 3600 + 600);
  });

  it("kill -9 between creating the next generation and writing state: the re-run adopts it", async () => {
    const user = `kill-${uniq()}`;
    const dir = await project({ "popdock.yaml": config(user) });
    expectExit(await sb.popdock(["apply", "--auto-approve"], dir), 0);
    const firstId = (await readState(dir)).resources[ADDR]?.id;
    await advance(91 * DAY);
    await sb.setFaults({ latency_ms: 1500 });
    try {
      const child = sb.spawn(["apply", "--auto-approve"], dir);
      const out = watchStream(child.stdout);
      await out.waitFor((t) => t.includes(`${ADDR}: Creating…`), 20_000, "the rotation's create");
      // The create is recorded (journal) and its request is on its way (the sandbox is slow).
      await waitFor("the pending create in state", async () =>
        (await readState(dir)).pending.length > 0 ? true : undefined,
      );
      child.kill("SIGKILL");
      await child.output;
      const left = await readState(dir);
      expect(left.pending.map((p) => p.action)).toEqual(["create"]);
      await waitUntilQuiet(sb, 3 * 1500, "the killed apply's request to finish");
    } finally {
      await sb.setFaults({});
    }
    const rerun = expectExit(await sb.popdock(["apply", "--auto-approve"], dir), 0);
    expect(rerun.stderr).toMatch(/replaying its Idempotency-Key|adopted into state/);
    expect(rerun.stdout).toContain("No changes");
    expect(await liveTokens(user)).toHaveLength(2);
    const state = await readState(dir);
    expect(state.pending).toEqual([]);
    expect(state.resources[ADDR]?.previous?.id).toBe(firstId);
    expect(actions(await planJson(dir))).toEqual({});
  });

  it("popdock tokens: managed and unmanaged tokens, ages by Popdock's clock, findings exit 1", async () => {
    const user = `report-${uniq()}`;
    const dir = await project({ "popdock.yaml": config(user) });
    expectExit(await sb.popdock(["apply", "--auto-approve"], dir), 0);
    const userId = (await readState(dir)).resources["popdock_api_user.ledger"]?.id;
    const made = await sb.api("POST", `/api-users/${userId}/tokens`, { name: "hand-made" });
    expect(made.status).toBe(201);
    await advance(40 * DAY);
    expect(await use(await output(dir))).toBe(200);

    const text = expectExit(await sb.popdock(["tokens", "--no-color"], dir), 0).stdout;
    expect(text).toMatch(
      /popdock_api_token\.ledger\["nightly"\]\s+current\s+nightly-loader-\d{8}\s+…\S{4}\s+\S+\s+\d+ s ago\s+(39|40) d\s+in (49|50) d/,
    );
    expect(text).toMatch(/unmanaged\s+-\s+hand-made/);

    const json = JSON.parse(
      expectExit(await sb.popdock(["tokens", "--json", "--max-age", "30d", "--unused", "7d"], dir), 1).stdout,
    );
    const names = json.tokens.map((t: Json) => t.name).sort();
    expect(names).toHaveLength(2);
    const findings = json.findings.map((f: Json) => `${f.rule} ${f.name}`).sort();
    expect(findings).toEqual([
      "max-age hand-made",
      `max-age ${names.find((n: string) => n !== "hand-made")}`,
      "unused hand-made",
    ]);
    // Without limits, no findings: exit 0. A bad duration is a usage error.
    expectExit(await sb.popdock(["tokens", "--json"], dir), 0);
    const bad = expectExit(await sb.popdock(["tokens", "--max-age", "90 days"], dir), 1);
    expect(bad.stderr).toContain("is not a duration");
    expect(JSON.stringify(json)).not.toContain(made.body.token_id);
  });

  it("a saved plan stays exact: made before the rotation was due, applied after, it rotates nothing", async () => {
    const user = `saved-${uniq()}`;
    const dir = await project({ "popdock.yaml": config(user) });
    expectExit(await sb.popdock(["apply", "--auto-approve"], dir), 0);
    await writeFile(
      join(dir, "popdock.yaml"),
      config(user).replace("name: nightly-loader", "name: nightly-loader\n        # edited"),
    );
    expectExit(await sb.popdock(["plan", "--out", "early.plan"], dir), 0);
    await advance(91 * DAY);
    const applied = expectExit(await sb.popdock(["apply", "early.plan"], dir), 0);
    expect(applied.stdout).not.toContain("rotated");
    expect(await liveTokens(user)).toHaveLength(1);
    // The next plan sees the rotation due; saved now and applied a day later, it makes exactly one.
    expectExit(await sb.popdock(["plan", "--out", "due.plan"], dir), 0);
    await advance(DAY);
    expectExit(await sb.popdock(["apply", "due.plan"], dir), 0);
    expect(await liveTokens(user)).toHaveLength(2);
    expect(actions(await planJson(dir))).toEqual({});
  });
});
