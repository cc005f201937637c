/**
 * Benchmark: `popdock apply` of N creates (default 2,000 API users) with the local file backend
 * and with the PostgreSQL backend, the real CLI (bin/popdock.js, a child process) against the
 * sandbox on loopback; each backend gets a fresh sandbox. PostgreSQL is the embedded server of
 * test/helpers/postgres-server.ts, or POPDOCK_TEST_PG_URL.
 *
 *   npm run build && node dist/test/bench/backends.bench.js            (2,000 creates, 2 rounds)
 *   npm run build && node dist/test/bench/backends.bench.js 500 1      (creates, rounds)
 *
 * Prints each run's wall time and the pg / file ratio of the medians (the bar: ≤ 1.3).
 * Nothing is hard-coded; every number is measured on this run.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createSandbox } from "../../provider/sandbox/index.js";
import { startPostgres } from "../helpers/postgres-server.js";
import type { Bench } from "./lib.js";

const bin = fileURLToPath(new URL("../../../bin/popdock.js", import.meta.url));

function config(prefix: string, backend: string, creates: number): string {
  const lines = ["api_users:"];
  for (let i = 0; i < creates; i++) lines.push(`  u${i}:`, `    name: ${prefix}-${i}`);
  return `${lines.join("\n")}\n${backend}`;
}

async function applyOnce(kind: "file" | "pg", pgUrl: string, creates: number): Promise<number> {
  const apiKey = randomBytes(16).toString("hex");
  const sandbox = createSandbox({ apiKey });
  const server = await sandbox.listen({ host: "127.0.0.1", port: 0 });
  const dir = mkdtempSync(join(tmpdir(), `popdock-bench-${kind}-`));
  try {
    const schema = `bench_${randomBytes(4).toString("hex")}`;
    writeFileSync(
      join(dir, "popdock.yaml"),
      config(`bench-${kind}`, kind === "pg" ? `backend:\n  pg:\n    schema_name: ${schema}\n` : "", creates),
    );
    const started = performance.now();
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [bin, "apply", "--auto-approve", "--no-color"], {
        cwd: dir,
        env: { ...process.env, POPDOCK_ENDPOINT: server.url, POPDOCK_API_KEY: apiKey, PG_CONN_STR: pgUrl },
        stdio: ["ignore", "ignore", "inherit"],
      });
      child.on("close", resolve);
    });
    const ms = performance.now() - started;
    if (code !== 0) throw new Error(`${kind} apply exited ${code}`);
    return ms;
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** Median wall times of `rounds` applies of `creates` creates with each backend, in ms. */
async function compareBackends(
  creates: number,
  rounds: number,
  log: (line: string) => void,
): Promise<{ file: number; pg: number }> {
  const pgServer = await startPostgres();
  try {
    const db = await pgServer.freshDatabase();
    const times: Record<"file" | "pg", number[]> = { file: [], pg: [] };
    for (let r = 0; r < rounds; r++) {
      // alternate the order, so that a machine getting busier does not favour one backend
      for (const kind of r % 2 === 0 ? (["file", "pg"] as const) : (["pg", "file"] as const)) {
        const ms = await applyOnce(kind, db, creates);
        times[kind].push(ms);
        log(`round ${r + 1}: ${kind.padEnd(4)} apply of ${creates} creates: ${(ms / 1000).toFixed(2)} s`);
      }
    }
    return { file: median(times.file), pg: median(times.pg) };
  } finally {
    await pgServer.stop();
  }
}

export const bench: Bench = {
  name: "backends",
  async run(ctx) {
    const creates = ctx.quick ? 500 : 2000;
    const rounds = ctx.quick ? 1 : 2;
    const { file, pg } = await compareBackends(creates, rounds, ctx.log);
    return [
      {
        metric: `apply ${creates} creates, pg / file backend`,
        value: pg / file,
        unit: "×",
        target: "≤ 1.3",
        ok: pg / file <= 1.3,
        note: `file ${(file / 1000).toFixed(1)} s, pg ${(pg / 1000).toFixed(1)} s (median of ${rounds})`,
      },
    ];
  },
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const creates = Number(process.argv[2] ?? 2000);
  const rounds = Number(process.argv[3] ?? 2);
  const { file, pg } = await compareBackends(creates, rounds, (l) => process.stdout.write(`${l}\n`));
  process.stdout.write(
    `median: file ${(file / 1000).toFixed(2)} s, pg ${(pg / 1000).toFixed(2)} s, pg/file = ${(pg / file).toFixed(2)}\n`,
  );
}
