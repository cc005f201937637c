/**
 * `npm run bench [-- --quick] [-- NAME …]`: runs every benchmark module in this folder
 * (`*.bench.js` with a `bench` export, see lib.ts for the shape) one after the other in one
 * process tree, then prints one table of ratios and absolute figures, with the machine's core
 * count and load. Sizes scale with `BENCH_USERS` (default 10,000; 2,000 with --quick).
 */
import { readdirSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type BenchRow, isBench, repoRoot, tempDir } from "./lib.js";

const argv = process.argv.slice(2);
const quick = argv.includes("--quick");
const only = argv.filter((a) => !a.startsWith("--"));
const envUsers = Number(process.env.BENCH_USERS);
const users = Number.isInteger(envUsers) && envUsers > 0 ? envUsers : quick ? 2_000 : 10_000;
const here = dirname(fileURLToPath(import.meta.url));
const root = repoRoot();
const log = (line: string): void => {
  process.stderr.write(`bench: ${line}\n`);
};

const files = readdirSync(here)
  .filter((f) => f.endsWith(".bench.js"))
  .sort();
const rows: { bench: string; row: BenchRow }[] = [];
const started = performance.now();
for (const file of files) {
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { bench?: unknown };
  if (!isBench(mod.bench)) {
    rows.push({ bench: file, row: { metric: "(skipped: no `bench` export of the Bench shape)", value: "" } });
    continue;
  }
  const b = mod.bench;
  if (only.length > 0 && !only.includes(b.name)) continue;
  const tmp = tempDir(b.name);
  const t0 = performance.now();
  log(`${b.name}…`);
  try {
    for (const row of await b.run({
      quick,
      users,
      root,
      tmp: tmp.path,
      log: (l) => log(`${b.name}: ${l}`),
    })) {
      rows.push({ bench: b.name, row });
    }
  } catch (err) {
    rows.push({
      bench: b.name,
      row: { metric: "FAILED", value: String((err as Error).stack ?? err).slice(0, 500) },
    });
  } finally {
    tmp.remove();
  }
  log(`${b.name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

const fmt = (v: number | string): string =>
  typeof v === "string"
    ? v
    : Math.abs(v) >= 100
      ? v.toFixed(0)
      : Math.abs(v) >= 10
        ? v.toFixed(1)
        : v.toFixed(2);
const table = rows.map(({ bench, row }) => [
  bench,
  row.metric,
  `${fmt(row.value)}${row.unit ? ` ${row.unit}` : ""}`,
  row.target ?? "",
  row.ok === undefined ? "" : row.ok ? "ok" : "MISSED",
  row.note ?? "",
]);
const head = ["bench", "metric", "value", "target", "", "absolute / note"];
const widths = head.map((h, i) => Math.max(h.length, ...table.map((r) => (r[i] ?? "").length)));
const line = (cells: string[]): string =>
  cells
    .map((c, i) => (i === 2 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
    .join("  ")
    .trimEnd();
const [l1, l5] = loadavg();
process.stdout.write(
  `popdock-iac bench${quick ? " --quick" : ""}: ${availableParallelism()} cores, load ${l1?.toFixed(1)}/${l5?.toFixed(1)}, node ${process.version}, BENCH_USERS=${users}, ${((performance.now() - started) / 1000).toFixed(0)} s\n\n`,
);
process.stdout.write(`${line(head)}\n${line(widths.map((w) => "-".repeat(w)))}\n`);
for (const r of table) process.stdout.write(`${line(r)}\n`);
if (rows.some((r) => r.row.metric === "FAILED")) process.exitCode = 1;
