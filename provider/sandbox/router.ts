/**
 * Matches a method and path against the routes table: the route, its decoded path parameters,
 * and the methods the path allows (for a 405 with `Allow`).
 */
import type { RouteDef } from "./pipeline.js";

interface Compiled {
  def: RouteDef;
  regex: RegExp;
  keys: string[];
}

export interface Match {
  route?: RouteDef;
  /** The template of the path when some route has it, for stats. */
  template?: string;
  params: Record<string, string>;
  /** Methods of the routes whose template matches the path, in table order. */
  allowed: string[];
}

function compile(def: RouteDef): Compiled {
  const keys: string[] = [];
  const pattern = def.template
    .split("/")
    .map((seg) => {
      const m = /^\{(\w+)\}$/.exec(seg);
      if (!m?.[1]) return seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      keys.push(m[1]);
      return "([^/]+)";
    })
    .join("/");
  return { def, keys, regex: new RegExp(`^${pattern}$`) };
}

export class Router {
  private readonly routes: Compiled[];

  constructor(table: readonly RouteDef[]) {
    this.routes = table.map(compile);
  }

  /** A path parameter that is not valid percent-encoding matches nothing (404). */
  match(method: string, path: string): Match {
    let template: string | undefined;
    const allowed: string[] = [];
    for (const r of this.routes) {
      const m = r.regex.exec(path);
      if (!m) continue;
      template = r.def.template;
      allowed.push(r.def.method);
      if (r.def.method !== method) continue;
      const params: Record<string, string> = {};
      try {
        r.keys.forEach((k, i) => {
          params[k] = decodeURIComponent(m[i + 1] ?? "");
        });
      } catch {
        return { params: {}, allowed: [] };
      }
      return { template, route: r.def, params, allowed };
    }
    return { ...(template === undefined ? {} : { template }), params: {}, allowed };
  }
}
