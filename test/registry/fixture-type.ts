/**
 * A resource type defined in this one file, to show that a type plugs into configuration,
 * planning, applying and rendering through the registry alone: `fixture_widget`, a child of an
 * API user with a name (unique per user), a size that updates in place and a colour that forces
 * replacement.
 *
 * Its configuration (`widgetConfig`): in Terraform JSON a `fixture_widget` block with
 * `api_user_id`, `name`, `size`, `color` (address `fixture_widget.<user>["<resource name>"]`); in
 * YAML a `widgets:` map under an API user (address `fixture_widget.<user>["<key>"]`, `name`
 * defaulting to the key). `widgetConfigIn("resources")` places it in the generic `resources:`
 * section instead (`resources.fixture_widget.<key>` with `api_user: <user key>`).
 *
 * Its "remote" is an in-memory map the test controls (`widgets`), standing in for API calls.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: "${popdock_api_user.<name>.id}" is Terraform's reference syntax.
import { z } from "zod";
import type { DesiredCustom } from "../../provider/model/desired.js";
import { InternalError, UsageError } from "../../provider/model/errors.js";
import {
  defineResourceConfig,
  defineResourceType,
  type LiveObject,
  type ResourceConfig,
} from "../../provider/resources/index.js";

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

/** `fixture_widget` in Terraform JSON (and a CDKTF construct, if it had one). */
export const WidgetArgs = z.strictObject({
  api_user_id: z.string().min(1).describe('The owning API user: `"${popdock_api_user.<name>.id}"`.'),
  name: z.string().min(1).describe("The widget's name, unique per API user."),
  size: z.number().int().describe("Updates in place."),
  color: z.string().min(1).describe("A new colour replaces the widget."),
});
export type WidgetArgs = z.infer<typeof WidgetArgs>;

/** A YAML widget entry (before interpolation: strings may hold `${var.x}`). */
export const WidgetEntry = z.strictObject({
  name: z.string().min(1).optional().describe("Defaults to the widget's key."),
  size: z.number().int(),
  color: z.string().min(1),
});
/** …and in the generic `resources` section, naming its API user by key. */
export const WidgetResourceEntry = WidgetEntry.extend({ api_user: z.string().min(1) });

/** The widget's configuration, placed under API users (`widgets:`) or in the `resources` section. */
export function widgetConfigIn(placement: "child" | "resources"): ResourceConfig {
  const terraform = {
    schema: WidgetArgs,
    arguments: Object.keys(WidgetArgs.shape),
    parentArgument: "api_user_id",
    known: ["name", "color"],
    computed: ["id", "api_user_id"],
    ignorable: ["size", "color"],
    index: (_v: WidgetArgs, name: string) => name,
    attrs: (v: WidgetArgs) => ({ name: v.name, size: v.size, color: v.color }),
  };
  if (placement === "child") {
    return defineResourceConfig<WidgetArgs, z.infer<typeof WidgetEntry>>(WIDGET, {
      terraform,
      yaml: {
        placement: { kind: "child", key: "widgets", shape: "map", description: "Widgets, by key." },
        entry: WidgetEntry,
        convert: (e, key, path, values) => ({
          attrs: {
            name: values.text([...path, "name"], e.name ?? key).value,
            size: e.size,
            color: values.text([...path, "color"], e.color).value,
          },
        }),
      },
    });
  }
  return defineResourceConfig<WidgetArgs, z.infer<typeof WidgetResourceEntry>>(WIDGET, {
    terraform,
    yaml: {
      placement: { kind: "resources" },
      entry: WidgetResourceEntry,
      convert: (e, key, path, values) => ({
        attrs: {
          name: values.text([...path, "name"], e.name ?? key).value,
          size: e.size,
          color: values.text([...path, "color"], e.color).value,
        },
        parent: e.api_user,
      }),
    },
  });
}

export const widgetConfig = widgetConfigIn("child");

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
  config: widgetConfig,
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
