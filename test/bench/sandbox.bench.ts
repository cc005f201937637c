/**
 * Benchmark: the sandbox as it fills. Seeds N API users (a team, a role and a connector grant and
 * two tokens each: 6 creates a user) through the sandbox's whole request pipeline in-process
 * (`sandbox.handle`, no sockets), 20 users at a time, in a child process so its CPU and peak RSS
 * are its own; then times a walk of every page of `GET /api-users?expand=grants,tokens`.
 * Target (issue 9, 3): seeding 10× the users takes ≤ 10× the time.
 *
 *   node dist/test/bench/sandbox.bench.js 2000     (alone: prints the child's JSON)
 */
import { fileURLToPath } from "node:url";
import { createSandbox } from "../../provider/sandbox/index.js";
import { type Bench, expectOk, measureNode, apiKey as newKey, round } from "./lib.js";

const BASE = "http://sandbox.local/api/v1/security";

async function seed(users: number): Promise<{ seedMs: number; pagesMs: number; heapMiB: number }> {
  const key = newKey();
  const sandbox = createSandbox({ apiKey: key });
  const call = async (method: string, path: string, body?: unknown): Promise<{ id: string }> => {
    const res = await sandbox.handle(
      new Request(`${BASE}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          "content-type": "application/json",
          ...(method === "POST" ? { "idempotency-key": crypto.randomUUID() } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    );
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as { id: string };
  };
  const team = sandbox.store.teams()[0];
  const role = sandbox.store.roles().find((r) => r.scope === "system");
  const connector = sandbox.store.connectors()[0];
  if (!team || !role || !connector) throw new Error("no reference data");
  const t0 = performance.now();
  for (let i = 0; i < users; i += 20) {
    await Promise.all(
      Array.from({ length: Math.min(20, users - i) }, async (_, j) => {
        const u = await call("POST", "/api-users", { name: `seed-${i + j}` });
        await call("POST", `/api-users/${u.id}/grants`, { type: "team", team_id: team.id });
        await call("POST", `/api-users/${u.id}/grants`, { type: "role", role_id: role.id });
        await call("POST", `/api-users/${u.id}/grants`, {
          type: "connector",
          connector_id: connector.id,
          lists: connector.lists.slice(0, 1),
        });
        await call("POST", `/api-users/${u.id}/tokens`, { name: "a" });
        await call("POST", `/api-users/${u.id}/tokens`, { name: "b" });
      }),
    );
  }
  const seedMs = performance.now() - t0;
  const p0 = performance.now();
  let cursor: string | null = null;
  do {
    const q: string = `?limit=500&expand=grants,tokens${cursor === null ? "" : `&cursor=${cursor}`}`;
    const page = (await call("GET", `/api-users${q}`)) as unknown as { next_cursor: string | null };
    cursor = page.next_cursor;
  } while (cursor !== null);
  const pagesMs = performance.now() - p0;
  return { seedMs, pagesMs, heapMiB: process.memoryUsage().heapUsed / 2 ** 20 };
}

export const bench: Bench = {
  name: "sandbox",
  async run(ctx) {
    const script = fileURLToPath(import.meta.url);
    const sizes = [Math.max(1, Math.round(ctx.users / 10)), ctx.users];
    const results = [];
    for (const n of sizes) {
      ctx.log(`seeding ${n} users (${n * 6} creates)`);
      const u = expectOk(`seed ${n}`, await measureNode([script, String(n)], {}, ctx.tmp));
      const r = JSON.parse(u.stdout) as { seedMs: number; pagesMs: number; heapMiB: number };
      results.push({ n, ...r, rss: u.maxRssMiB, cpu: u.cpuMs });
    }
    const [small, large] = results as [(typeof results)[0], (typeof results)[0]];
    const ratio = large.seedMs / small.seedMs;
    const linear = large.n / small.n;
    return [
      {
        metric: `seed time ${large.n} / ${small.n} users`,
        value: ratio,
        unit: "×",
        target: `≤ ${linear}`,
        ok: ratio <= linear,
        note: `${(small.seedMs / 1000).toFixed(2)} s vs ${(large.seedMs / 1000).toFixed(2)} s; ${Math.round((large.n * 6) / (large.seedMs / 1000))} creates/s at ${large.n}`,
      },
      {
        metric: `list all pages ${large.n} / ${small.n} users`,
        value: large.pagesMs / small.pagesMs,
        unit: "×",
        target: `≤ ${linear}`,
        ok: large.pagesMs / small.pagesMs <= linear,
        note: `${small.pagesMs.toFixed(0)} ms vs ${large.pagesMs.toFixed(0)} ms`,
      },
      {
        metric: `sandbox memory at ${large.n} users`,
        value: round(large.rss, 0),
        unit: "MiB RSS",
        note: `heap ${large.heapMiB.toFixed(0)} MiB; ${small.rss.toFixed(0)} MiB RSS at ${small.n}`,
      },
    ];
  },
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${JSON.stringify(await seed(Number(process.argv[2] ?? 1000)))}\n`);
}
