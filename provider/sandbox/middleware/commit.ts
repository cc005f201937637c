/**
 * After the operation: make a change durable (persist) before answering, then apply the
 * fail-after-commit fault (a 500, or a dropped connection) to committed mutations of the API.
 * `track` (synchronous, around the operation) records whether the store changed.
 */
import type { FaultInjector } from "../faults.js";
import { HttpError } from "../http-error.js";
import { errorResponse, type Middleware, type SyncMiddleware } from "../pipeline.js";
import type { SandboxStore } from "../store.js";

const dropped = new WeakSet<Response>();

/**
 * True for a response the server must not send: it destroys the connection instead (the
 * `fail_after_commit_mode: drop` fault). In-process callers see it as a 500.
 */
export function isDropResponse(res: Response): boolean {
  return dropped.has(res);
}

/** Records in `ctx.committed` whether the store's revision moved during the operation. */
export function track(store: SandboxStore): SyncMiddleware {
  return (ctx, next) => {
    const before = store.revision;
    try {
      return next();
    } finally {
      ctx.committed = store.revision !== before;
    }
  };
}

export function commit(faults: FaultInjector, persist: (() => Promise<void>) | undefined): Middleware {
  return async (ctx, next) => {
    const res = await next();
    if (!ctx.committed) return res;
    if (persist) await persist();
    if (ctx.route?.hook !== false || ctx.method === "GET" || res.status >= 300) return res;
    const mode = faults.failAfterCommit();
    if (!mode) return res;
    const failed = errorResponse(
      new HttpError(
        500,
        "internal",
        mode === "drop"
          ? "injected fault: connection dropped after the change was committed"
          : "injected fault: internal error after the change was committed",
      ),
    );
    if (mode === "drop") dropped.add(failed);
    return failed;
  };
}
