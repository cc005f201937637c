/**
 * Stage 5, cycles: dependency cycles between blocks (references, depends_on,
 * replace_triggered_by, owners), one diagnostic per cycle (Tarjan's strongly connected components).
 *   in: Block[] (those the semantic pass keeps)   out: diagnostics; blocks in a cycle are marked broken
 */
import type { Block, ReadContext } from "./context.js";
import { refKey } from "./expressions.js";

/** Tarjan's strongly connected components over Terraform keys; one diagnostic per cycle. */
export function checkCycles(ctx: ReadContext, blocks: readonly Block[]): void {
  const edges = new Map<string, string[]>();
  const live = new Set(blocks.map((b) => b.key));
  for (const b of blocks) {
    const out = new Set<string>();
    for (const d of b.dependsOn) out.add(refKey(d.ref));
    for (const r of b.lifecycle.replaceTriggeredBy) out.add(refKey(r.ref));
    for (const r of b.refs) out.add(r);
    if (b.user !== undefined) out.add(b.user);
    edges.set(
      b.key,
      [...out].filter((k) => live.has(k)),
    );
  }
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const sccs: string[][] = [];
  const strong = (v: string) => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
      }
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string | undefined;
      do {
        w = stack.pop();
        if (w === undefined) break;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      sccs.push(scc);
    }
  };
  for (const b of blocks) if (!index.has(b.key)) strong(b.key);
  const order = blocks.map((b) => b.key);
  for (const scc of sccs) {
    const first = order.find((k) => scc.includes(k));
    if (first === undefined) continue;
    const selfLoop = (edges.get(first) ?? []).includes(first);
    if (scc.length < 2 && !selfLoop) continue;
    const members = new Set(scc);
    const path = cyclePath(first, (k) => (edges.get(k) ?? []).filter((w) => members.has(w)));
    const b = ctx.blocks.get(first);
    if (b === undefined) continue;
    ctx.blockDiag(b, "TF_JSON_CYCLE", `dependency cycle: ${path.join(" → ")}`, b.path, {
      at: "key",
      hint: "remove one of the depends_on, replace_triggered_by or references that form it",
    });
    for (const k of scc) {
      const m = ctx.blocks.get(k);
      if (m) m.broken = true;
    }
  }
}

/** A cycle through `start` (which is in a strongly connected component with `next` edges). */
export function cyclePath(start: string, next: (k: string) => string[]): string[] {
  const prev = new Map<string, string>();
  const queue = [start];
  const seen = new Set([start]);
  while (queue.length > 0) {
    const v = queue.shift() as string;
    for (const w of next(v)) {
      if (w === start) {
        const path = [v];
        let cur = v;
        while (cur !== start) {
          cur = prev.get(cur) as string;
          path.unshift(cur);
        }
        return [...path, start];
      }
      if (!seen.has(w)) {
        seen.add(w);
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}
