/**
 * The sandbox's data directory: one `store.json`, loaded at start and replaced atomically after
 * every mutation (write a temp file, fsync it, rename it over the old one, fsync the directory).
 * A `kill -9` at any moment leaves either the previous or the new state, never a torn file.
 *
 * Writes are serialized and coalesced: a save requested while one is running waits for the next
 * write, which takes the latest state. A request is answered only after its change is on disk.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { open, rename } from "node:fs/promises";
import { join } from "node:path";
import { StoreState } from "./state.js";

export const STORE_FILE = "store.json";

/** Thrown when the data directory holds a store this sandbox cannot read. */
export class StoreFileError extends Error {
  readonly code = "POPDOCK_SANDBOX_STORE_INVALID";
}

/**
 * Reads `<dir>/store.json` (creating the directory when missing) and removes temp files a killed
 * writer left behind. Returns undefined for a fresh directory; throws {@link StoreFileError} for
 * a file that does not parse or validate (it is never overwritten silently).
 */
export function loadStore(dir: string): StoreState | undefined {
  mkdirSync(dir, { recursive: true });
  for (const name of readdirSync(dir)) {
    if (name.startsWith(`${STORE_FILE}.`) && name.endsWith(".tmp")) rmSync(join(dir, name), { force: true });
  }
  const file = join(dir, STORE_FILE);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new StoreFileError(`cannot read ${file}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new StoreFileError(
      `${file} is not valid JSON (${(err as Error).message}); move it away or start with another --data directory`,
    );
  }
  const parsed = StoreState.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new StoreFileError(
      `${file} is not a sandbox store (${first ? `${first.path.join(".")}: ${first.message}` : "invalid"}); ` +
        "move it away or start with another --data directory",
    );
  }
  return parsed.data;
}

/** Writes `text` to `<dir>/store.json` atomically and durably. */
export async function writeStoreAtomic(dir: string, text: string, tmpName: string): Promise<void> {
  const tmp = join(dir, tmpName);
  const fh = await open(tmp, "w", 0o600);
  try {
    await fh.writeFile(text, "utf8");
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(dir, STORE_FILE));
  // fsync the directory so the rename itself survives a crash; not possible on every platform.
  try {
    const dh = await open(dir, "r");
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  } catch {
    // Windows cannot open directories; the rename is still atomic there.
  }
}

/** Serialized, coalescing writer of one data directory. */
export class Persister {
  private tail: Promise<void> = Promise.resolve();
  private queued: Promise<void> | undefined;
  private counter = 0;

  constructor(
    readonly dir: string,
    private readonly snapshot: () => StoreState,
  ) {}

  /** Resolves once a write that started after this call has finished. */
  save(): Promise<void> {
    if (this.queued) return this.queued;
    const run = this.tail
      .catch(() => {})
      .then(() => {
        this.queued = undefined;
        const text = `${JSON.stringify(this.snapshot())}\n`;
        this.counter += 1;
        return writeStoreAtomic(this.dir, text, `${STORE_FILE}.${process.pid}.${this.counter}.tmp`);
      });
    this.queued = run;
    this.tail = run;
    return run;
  }

  /** Waits for every write requested so far. */
  async flush(): Promise<void> {
    await this.tail.catch(() => {});
  }
}
