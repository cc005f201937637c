/**
 * Stage 4, convert: an identified block → a DesiredResource: lifecycle, dependencies (depends_on,
 * replace_triggered_by, references) and the type's attributes (resource-types.ts).
 *   in: Block   out: DesiredResource
 */
import { type DesiredResource, type Lifecycle, parseAddress } from "../../model/desired.js";
import type { Block, ReadContext } from "./context.js";
import { allAttrs, targetOf, unknownAttribute } from "./references.js";
import { grantAttrs, nullAttrs, tokenAttrs, userAttrs } from "./resource-types.js";
import { GRANT_TYPE, NULL_TYPE, TOKEN_TYPE, USER_TYPE } from "./schema.js";

export function toResource(ctx: ReadContext, b: Block): DesiredResource | undefined {
  const address = b.address;
  if (address === undefined) return undefined;
  const lifecycle: Lifecycle = {
    preventDestroy: b.lifecycle.preventDestroy ?? false,
    ignoreChanges: b.lifecycle.ignoreChanges,
    replaceTriggeredBy: [],
  };
  const cbd = b.lifecycle.createBeforeDestroy ?? (b.type === TOKEN_TYPE ? true : undefined);
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
    if (ref.attr !== undefined && !allAttrs(t.type).includes(ref.attr)) {
      unknownAttribute(ctx, b.src, t.type, ref, path, b.constructPath);
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
  switch (b.type) {
    case USER_TYPE:
      return { type: USER_TYPE, address, name, dependsOn: deps, lifecycle, source, attrs: userAttrs(b) };
    case NULL_TYPE:
      return { type: NULL_TYPE, address, name, dependsOn: deps, lifecycle, source, attrs: nullAttrs(b) };
    case GRANT_TYPE: {
      if (user === undefined || b.index === undefined) return undefined;
      const attrs = grantAttrs(ctx, b);
      return {
        type: GRANT_TYPE,
        address,
        name,
        index: b.index,
        user,
        dependsOn: deps,
        lifecycle,
        source,
        attrs,
      };
    }
    case TOKEN_TYPE: {
      if (user === undefined || b.index === undefined) return undefined;
      const attrs = tokenAttrs(b);
      return {
        type: TOKEN_TYPE,
        address,
        name,
        index: b.index,
        user,
        dependsOn: deps,
        lifecycle,
        source,
        attrs,
      };
    }
  }
}
