/**
 * How an apply keeps its state durable in O(change) per step: every change is a `StateDelta`
 * appended to the backend's journal (fsync / COMMIT) before the step goes on, and a full
 * snapshot (`write`) is taken only every `compactEvery` records or `compactAfterMs`, and at the
 * end. Records from steps running in parallel that arrive while an append is in flight go out
 * together in the next one (a group commit: one fsync for several steps).
 *
 * The in-memory state is changed by the very function replay uses (`applyDeltas`), in the order
 * the records are written, so what this run sees is what a reload after a kill would see.
 */
import type { StateFile } from "../../schema/state.js";
import { applyDeltas } from "../backends/deltas.js";
import type { StateBackend, StateDelta, WriteOptions } from "../backends/types.js";

export interface JournalOptions {
  /** Take a snapshot after this many records (default 500). */
  compactEvery?: number;
  /** …or when the last snapshot is older than this (default 10 s). */
  compactAfterMs?: number;
  /** Monotonic milliseconds (tests). */
  clock?: () => number;
}

type Sink = Pick<StateBackend, "append" | "write">;

interface Waiting {
  deltas: readonly StateDelta[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class StateJournal {
  /** The state as recorded so far (mutated as records are written). */
  readonly state: StateFile;
  readonly #backend: Sink;
  /** The stored serial this journal continues from; -1 while nothing is stored. */
  #serial: number;
  #records = 0;
  #lastSnapshot: number;
  #waiting: Waiting[] = [];
  #flushing: Promise<void> | undefined;
  #running = false;
  readonly #every: number;
  readonly #afterMs: number;
  readonly #clock: () => number;

  /** `serial`: the stored serial `state` was loaded at (-1: there is no stored state yet). */
  constructor(backend: Sink, state: StateFile, serial: number, opts: JournalOptions = {}) {
    this.#backend = backend;
    this.state = state;
    this.#serial = serial;
    this.#every = Math.max(1, opts.compactEvery ?? 500);
    this.#afterMs = opts.compactAfterMs ?? 10_000;
    this.#clock = opts.clock ?? (() => performance.now());
    this.#lastSnapshot = this.#clock();
  }

  /** The serial of what is stored now. */
  get serial(): number {
    return this.#serial;
  }

  /**
   * Writes the whole state as a snapshot now (compare-and-swap on the serial it continues from).
   * Waits for records in flight first.
   */
  async snapshot(opts: WriteOptions = {}): Promise<number> {
    await this.#flushing;
    return this.#snapshotNow(opts);
  }

  /**
   * Applies `deltas` to the state and makes them durable; resolves once they are stored. Records
   * are stored in call order.
   */
  record(deltas: readonly StateDelta[]): Promise<void> {
    if (deltas.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#waiting.push({ deltas, resolve, reject });
      if (!this.#running) {
        this.#running = true;
        this.#flushing = this.#flush();
      }
    });
  }

  async #flush(): Promise<void> {
    // The loop's last look at the queue and clearing #running happen in one tick: a record()
    // after it starts a new flush, none is left waiting.
    while (this.#waiting.length > 0) {
      const batch = this.#waiting.splice(0);
      try {
        const all = batch.flatMap((w) => w.deltas);
        applyDeltas(this.state, all);
        if (this.#serial < 0) await this.#snapshotNow();
        else {
          this.#serial = await this.#backend.append(all, this.#serial);
          this.state.serial = this.#serial;
          this.#records++;
          if (this.#records >= this.#every || this.#clock() - this.#lastSnapshot >= this.#afterMs) {
            await this.#snapshotNow({ checkpoint: true });
          }
        }
        for (const w of batch) w.resolve();
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    this.#running = false;
  }

  async #snapshotNow(opts: WriteOptions = {}): Promise<number> {
    this.#serial = await this.#backend.write(this.state, this.#serial, opts);
    this.state.serial = this.#serial;
    this.#records = 0;
    this.#lastSnapshot = this.#clock();
    return this.#serial;
  }
}
