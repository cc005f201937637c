/**
 * Copying every workspace's state from one backend to another, over the `StateBackend`
 * interface only (so local → local, local → pg and pg → local are the same code). Each
 * workspace is copied holding the locks on both sides; a state keeps its lineage, serial and
 * content, so the copy serializes byte for byte like the original.
 */
import { UsageError } from "../model/errors.js";
import type { LockRequest, StateBackend } from "./types.js";

export interface MigrateOptions {
  /** How to take each lock (command name, wait). */
  lock: Omit<LockRequest, "command">;
  /** Overwrite a target workspace that already has a state. */
  force: boolean;
  /** Told about each workspace as it is copied. */
  onWorkspace?: (workspace: string, serial: number | undefined) => void;
}

/** Copies all workspaces of `from` into `to`; returns the workspaces copied (those with a state). */
export async function migrateState(
  from: StateBackend,
  to: StateBackend,
  opts: MigrateOptions,
): Promise<string[]> {
  const copied: string[] = [];
  const workspaces = await from.listWorkspaces();
  // Refuse before copying anything when a target workspace is taken.
  if (!opts.force) {
    for (const ws of workspaces) {
      const there = await to.forWorkspace(ws).load();
      if (there !== undefined) {
        throw new UsageError(
          `${to.forWorkspace(ws).describe()} already has a state (workspace ${ws}, serial ${there.serial}); nothing was copied`,
          { hint: "migrate into an empty backend, or pass --force to overwrite it" },
        );
      }
    }
  }
  for (const ws of workspaces) {
    const src = from.forWorkspace(ws);
    const dst = to.forWorkspace(ws);
    const req = { ...opts.lock, command: "popdock state migrate" };
    const srcLock = await src.lock(req);
    try {
      const dstLock = await dst.lock(req);
      try {
        const state = await src.load();
        opts.onWorkspace?.(ws, state?.serial);
        if (state === undefined) continue;
        const there = await dst.load();
        await dst.write(state, there?.serial ?? -1);
        copied.push(ws);
      } finally {
        await dstLock.release();
      }
    } finally {
      await srcLock.release();
      await Promise.all([src.close(), dst.close()]);
    }
  }
  return copied;
}
