/** Cheap file-system probes for the frontends' `detect` (only `stat` and `readdir`, no parser). */
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";

export async function isFile(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isFile(),
    () => false,
  );
}

export async function isDirectory(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/** The first regular file in `dir` (by name) that `pick` accepts. */
export async function firstFileIn(dir: string, pick: (name: string) => boolean): Promise<string | undefined> {
  const names = (await readdir(dir).catch(() => [] as string[])).sort();
  for (const n of names) if (pick(n) && (await isFile(join(dir, n)))) return n;
  return undefined;
}
