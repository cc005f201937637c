/**
 * Stage 4, convert: an identified block → a DesiredResource: lifecycle, dependencies (depends_on,
 * replace_triggered_by, references) and the type's attributes (its configuration's `attrs`).
 *   in: Block   out: a desired resource
 */
import type { AnyDesiredResource, Lifecycle } from "../../model/desired.js";
import { parseAddress } from "../../model/desired.js";
import type { Block, ReadContext } from "./context.js";
import { allAttrs, targetOf, unknownAttribute } from "./references.js";

export function toResource(ctx: ReadContext, b: Block): AnyDesiredResource | undefined {
  const address = b.address;
  if (address === undefined) return undefined;
  const lifecycle: Lifecycle = {
    preventDestroy: b.lifecycle.preventDestroy ?? false,
    ignoreChanges: b.lifecycle.ignoreChanges,
    replaceTriggeredBy: [],
  };
  const cbd = b.lifecycle.createBeforeDestroy ?? b.tf.createBeforeDestroy;
  if (cbd !== undefined) lifecycle.createBeforeDestroy = cbd;
  const deps: string[] = [];
  const addDep = (a: string) => {
    if (a !== address && !deps.includes(a)) deps.push(a);
  };
  for (const { ref, path } of b.dependsOn) {
    const t = targetOf(ctx, b, ref, path);
    if (t?.address !== undefined) addDep(t.address);
  }
  for (const { ref, path } of b.lifecycle.replaceTriggeredBy) {
    const t = targetOf(ctx, b, ref, path);
    if (t?.address === undefined) continue;
    if (ref.attr !== undefined && !allAttrs(t).includes(ref.attr)) {
      unknownAttribute(ctx, b.src, t, ref, path, b.constructPath);
      continue;
    }
    lifecycle.replaceTriggeredBy.push(ref.attr === undefined ? t.address : `${t.address}.${ref.attr}`);
    addDep(t.address);
  }
  for (const key of b.refs) {
    const t = ctx.blocks.get(key);
    if (t?.address !== undefined && key !== b.user) addDep(t.address);
  }
  const source = b.src.sourceRef(b.path, b.constructPath);
  const name = parseAddress(address)?.name ?? b.name;
  const user = b.user === undefined ? undefined : ctx.blocks.get(b.user)?.address;
  const attrs = () =>
    b.tf.attrs(b.values, b.name, ({ path, severity, code, message, hint }) =>
      ctx.blockDiag(b, code, message, [...b.path, ...path], {
        ...(severity !== undefined ? { severity } : {}),
        ...(hint !== undefined ? { hint } : {}),
      }),
    );
  const type = b.type;
  if (b.tf.parentArgument === undefined) {
    return { type, address, name, dependsOn: deps, lifecycle, source, attrs: attrs() };
  }
  if (user === undefined || b.index === undefined) return undefined;
  return { type, address, name, index: b.index, user, dependsOn: deps, lifecycle, source, attrs: attrs() };
}
