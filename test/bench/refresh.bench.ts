/**
 * Benchmark: popdock-iac's refresh (reference lists + paged `expand=grants,tokens`) against the
 * per-resource refresh Terraform providers do (one read per resource in state), on the sandbox
 * over loopback with a fixed added latency per request, as a remote Popdock would have.
 *
 *   npm run bench -- refresh                          (part of the whole run)
 *   node dist/test/bench/refresh.bench.js 500 10      (alone: users, latency ms)
 *
 * Prints request counts, wall times and their ratios. Numbers are measured on each run; none are
 * hard-coded.
 */
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { PopdockClient } from "../../provider/client/client.js";
import { refresh } from "../../provider/engine/refresh.js";
import { createSandbox } from "../../provider/sandbox/index.js";
import type { Bench } from "./lib.js";

interface Measured {
  name: string;
  ms: number;
  requests: number;
}

async function compare(
  users: number,
  latency: number,
): Promise<{ ours: Measured; theirs: Measured; resources: number }> {
  const apiKey = randomBytes(16).toString("hex");
  const sandbox = createSandbox({ apiKey });
  const server = await sandbox.listen({ host: "127.0.0.1", port: 0 });
  const api = new PopdockClient({ endpoint: server.url, apiKey, connections: 10 });

  // Seed: users with a team grant, a role grant, a connector grant and two tokens each.
  const [teams, roles, connectors] = await Promise.all([
    api.listTeams(),
    api.listRoles(),
    api.listConnectors(),
  ]);
  const team = teams[0];
  const role = roles.find((r) => r.scope === "system");
  const connector = connectors[0];
  if (!team || !role || !connector) throw new Error("the sandbox has no reference data to grant");
  const ids: { user: string; grants: string[]; tokens: string[] }[] = [];
  const batch = 20;
  for (let i = 0; i < users; i += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, users - i) }, async (_, j) => {
        const u = await api.createApiUser({ name: `bench-${i + j}` });
        const g = await Promise.all([
          api.createGrant(u.id, { type: "team", team_id: team.id }),
          api.createGrant(u.id, { type: "role", role_id: role.id }),
          api.createGrant(u.id, {
            type: "connector",
            connector_id: connector.id,
            lists: connector.lists.slice(0, 2),
          }),
        ]);
        const t = await Promise.all([
          api.createToken(u.id, { name: "a" }),
          api.createToken(u.id, { name: "b" }),
        ]);
        ids.push({ user: u.id, grants: g.map((x) => x.id), tokens: t.map((x) => x.id) });
      }),
    );
  }
  sandbox.setFaults({ latency_ms: latency });

  async function measure(
    name: string,
    fn: () => Promise<unknown>,
  ): Promise<{ name: string; ms: number; requests: number }> {
    api.resetStats();
    const t0 = performance.now();
    await fn();
    const ms = performance.now() - t0;
    return { name, ms, requests: api.stats().attempts };
  }

  /** What a per-resource provider does: read each resource in state on its own (bounded parallelism 10, like Terraform). */
  async function perResource(): Promise<void> {
    const reads: (() => Promise<unknown>)[] = [];
    for (const r of ids) {
      reads.push(() => api.getApiUser(r.user));
      for (const _ of r.grants) reads.push(() => api.listGrants(r.user)); // no single-grant GET in the API
      for (const t of r.tokens) reads.push(() => api.getToken(r.user, t));
    }
    reads.push(
      () => api.listTeams(),
      () => api.listRoles(),
      () => api.listConnectors(),
    );
    let next = 0;
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while (next < reads.length) {
          const i = next++;
          await reads[i]?.();
        }
      }),
    );
  }

  const ours = await measure("popdock-iac refresh (paged expand)", () => refresh(api));
  const theirs = await measure("per-resource refresh (parallelism 10)", perResource);
  const resources = ids.length * 6;
  await api.close();
  await server.close();
  return { ours, theirs, resources };
}

export const bench: Bench = {
  name: "refresh",
  async run(ctx) {
    const users = ctx.quick ? 200 : 500;
    const latency = 5;
    const { ours, theirs, resources } = await compare(users, latency);
    const note = `${users} users, ${resources} resources, ${latency} ms latency: ${ours.requests} vs ${theirs.requests} requests, ${ours.ms.toFixed(0)} vs ${theirs.ms.toFixed(0)} ms`;
    return [
      {
        metric: "refresh requests, per-resource / ours",
        value: theirs.requests / ours.requests,
        unit: "×",
        note,
      },
      { metric: "refresh wall time, per-resource / ours", value: theirs.ms / ours.ms, unit: "×" },
    ];
  },
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const users = Number(process.argv[2] ?? 200);
  const latency = Number(process.argv[3] ?? 5);
  const { ours, theirs, resources } = await compare(users, latency);
  process.stdout.write(
    `${users} API users, ${resources} resources, ${latency} ms added latency per request\n\n`,
  );
  for (const m of [ours, theirs]) {
    process.stdout.write(
      `${m.name.padEnd(40)} ${String(m.requests).padStart(6)} requests ${m.ms.toFixed(0).padStart(7)} ms\n`,
    );
  }
  process.stdout.write(
    `\nratio per-resource / popdock-iac: ${(theirs.requests / ours.requests).toFixed(1)}× requests, ${(theirs.ms / ours.ms).toFixed(1)}× wall time\n`,
  );
}
