/**
 * A resource type defined in this one file, to show that a type plugs into planning, applying
 * and rendering through the registry alone: `fixture_widget`, a child of an API user with a
 * name (unique per user), a size that updates in place and a colour that forces replacement.
 *
 * Its "remote" is an in-memory map the test controls (`widgets`), standing in for API calls.
 */
import { z } from "zod";
import type { DesiredCustom } from "../../provider/model/desired.js";
import { InternalError, UsageError } from "../../provider/model/errors.js";
import { defineResourceType, type LiveObject } from "../../provider/resources/index.js";

export const WIDGET = "fixture_widget";

const WidgetAttrs = z.object({ name: z.string(), size: z.number().int(), color: z.string() });
export type WidgetAttrs = z.infer<typeof WidgetAttrs>;

/** The desired resource frontends would build: `user` names the owning API user. */
export type DesiredWidget = DesiredCustom<typeof WIDGET, WidgetAttrs> & { user: string };

export interface RemoteWidget extends WidgetAttrs {
  id: string;
  userId: string;
  version: number;
}

/** The fixture's remote objects, by id. */
export const widgets = new Map<string, RemoteWidget>();
let nextId = 1;

function toLive(w: RemoteWidget): LiveObject<WidgetAttrs> {
  return {
    id: w.id,
    parentId: w.userId,
    version: w.version,
    attrs: { name: w.name, size: w.size, color: w.color },
  };
}

export const fixtureWidget = defineResourceType<DesiredWidget, WidgetAttrs>({
  type: WIDGET,
  order: 25,
  parent: { type: "popdock_api_user", address: (res) => res.user },
  createBeforeDestroy: false,
  uniqueName: true,
  referenceable: ["id", "name", "size", "color"],
  sensitive: [],
  compared: ["name", "size", "color"],
  updatable: ["size"],
  computed: ["id"],
  sets: [],
  attrs: WidgetAttrs,
  render: {
    noun: "widget",
    describe: (a) => `a widget named "${a.name}" of this API user`,
    attributeOrder: ["name", "size", "color", "id"],
    displayNames: [],
    informational: [],
    dotShape: 'shape = "hexagon"',
    mermaidShape: ["{{{", "}}}"],
  },
  import: {
    format: "USER_ID/WIDGET_ID",
    parse(importId) {
      const [userId, id, extra] = importId.split("/");
      if (!userId || !id || extra !== undefined)
        throw new UsageError(`"${importId}" is not USER_ID/WIDGET_ID`);
      return { id, parentId: userId };
    },
  },

  desired: (res) => ({ attrs: { ...res.attrs }, diagnostics: [] }),
  read(_live, entry) {
    const w = widgets.get(entry.id);
    return w ? toLive(w) : undefined;
  },
  conflict(_live, parentId, after) {
    const w = [...widgets.values()].find((x) => x.userId === parentId && x.name === after.name);
    return w ? toLive(w) : undefined;
  },
  async create(_ctx, after, parentId) {
    if (parentId === undefined) throw new InternalError("widget create without a parent user id");
    const w: RemoteWidget = { ...after, id: `wid_${nextId++}`, userId: parentId, version: 1 };
    widgets.set(w.id, w);
    return toLive(w);
  },
  async update(_ctx, remote, after) {
    const w = widgets.get(remote.id);
    if (!w) throw new InternalError(`no widget ${remote.id}`);
    Object.assign(w, { size: after.size, version: w.version + 1 });
    return toLive(w);
  },
  async delete(_ctx, remote) {
    widgets.delete(remote.id);
  },
  async importRead(_ctx, { id }) {
    const w = widgets.get(id);
    if (!w) throw new UsageError(`no widget ${id}`);
    return toLive(w);
  },
});
