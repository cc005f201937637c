/**
 * Which state backend a command uses, the Terraform way:
 * - the configuration's backend block — YAML `backend: { pg: { conn_str, schema_name } }`,
 *   Terraform JSON `terraform.backend.pg` (what CDKTF's `PgBackend` construct synthesizes) —
 *   read here by itself, so that every command that touches state (also `state …`,
 *   `force-unlock`, which load no configuration) finds it;
 * - `--backend-config key=value` (repeatable) over the block's values, then `PG_CONN_STR` /
 *   `PG_SCHEMA_NAME` for what neither sets, so passwords stay out of files.
 * No block: the local backend (`.popdock/state.json`).
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { basename, join, relative } from "node:path";
import { isMap, isScalar, LineCounter, type Node, parseDocument } from "yaml";
import { PgBackendBlock } from "../../schema/config.js";
import { UsageError } from "../model/errors.js";
import type { BackendConfig, ConfigLocation } from "./wiring.js";

const BACKEND_CONFIG_KEYS = ["conn_str", "schema_name"] as const;
type BackendConfigKey = (typeof BACKEND_CONFIG_KEYS)[number];

/** A backend block found in a configuration file. */
export interface FoundBackendBlock {
  kind: "pg";
  values: Partial<Record<BackendConfigKey, string>>;
  /** `popdock.yaml:3:3` */
  where: string;
}

/** The files a configuration location reads whose backend block counts. */
async function configFiles(location: ConfigLocation): Promise<string[]> {
  const out: string[] = [];
  for (const p of location.paths) {
    const st = await stat(p).catch(() => undefined);
    if (st === undefined) continue;
    if (st.isFile()) {
      out.push(p);
      continue;
    }
    const names = (await readdir(p).catch(() => [] as string[])).sort();
    for (const n of names) {
      if (/\.(ya?ml|tf\.json)$/.test(n) && n !== "cdktf.json") out.push(join(p, n));
    }
    // a CDKTF app: its synthesized stacks (cdktf.out/stacks/*/cdk.tf.json)
    const stacks = join(p, "cdktf.out", "stacks");
    for (const s of (await readdir(stacks).catch(() => [] as string[])).sort()) {
      out.push(join(stacks, s, "cdk.tf.json"));
    }
  }
  return out;
}

/**
 * The backend block of the configuration at `location`, if any. A bad block is refused with its
 * file:line:col; a block in two files is refused too.
 */
export async function readBackendBlock(
  location: ConfigLocation,
  cwd: string,
): Promise<FoundBackendBlock | undefined> {
  let found: FoundBackendBlock | undefined;
  for (const file of await configFiles(location)) {
    const text = await readFile(file, "utf8").catch(() => undefined);
    if (text === undefined) continue;
    const isJson = file.endsWith(".json");
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false });
    if (doc.errors.length > 0) continue; // the configuration's own loader reports syntax errors
    const path = isJson ? ["terraform", "backend"] : ["backend"];
    const block = doc.getIn(path, true) as Node | undefined;
    if (block === undefined || block === null) continue;
    const name = relative(cwd, file) || basename(file);
    const at = (node: Node | undefined | null): string => {
      const offset = node?.range?.[0] ?? 0;
      const { line, col } = lines.linePos(offset);
      return `${name}:${line}:${col}`;
    };
    const where = at(block);
    if (!isMap(block)) {
      throw new UsageError(
        `${where}: ${path.join(".")} must be a mapping such as { pg: { schema_name: … } }`,
      );
    }
    const kinds = block.items.map((i) => (isScalar(i.key) ? String(i.key.value) : "?"));
    const other = kinds.find((k) => k !== "pg");
    if (other !== undefined) {
      const node = block.items.find((i) => isScalar(i.key) && String(i.key.value) === other)?.key as
        | Node
        | undefined;
      throw new UsageError(
        `${at(node)}: backend "${other}" is not supported: popdock-iac stores state locally (no block) or in pg`,
        {
          hint: "use backend: { pg: { conn_str, schema_name } }, or remove the block for the local state file",
        },
      );
    }
    if (found !== undefined) {
      throw new UsageError(`${where}: a backend is also configured at ${found.where}`, {
        hint: "keep one backend block",
      });
    }
    const pgNode = block.get("pg", true) as Node | undefined;
    const raw: unknown = pgNode === undefined || pgNode === null ? {} : pgNode.toJSON();
    const parsed = PgBackendBlock.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const key = issue?.path[0];
      const keyNode =
        typeof key === "string" && isMap(pgNode)
          ? ((pgNode.get(key, true) as Node | undefined) ?? pgNode)
          : pgNode;
      const field = [...path, "pg", ...(issue?.path ?? []).map(String)].join(".");
      throw new UsageError(`${at(keyNode)}: ${field}: ${issue?.message ?? "invalid"}`, {
        hint: "backend.pg takes conn_str (better: PG_CONN_STR) and schema_name",
      });
    }
    found = {
      kind: "pg",
      values: {
        ...(parsed.data.conn_str === undefined ? {} : { conn_str: parsed.data.conn_str }),
        ...(parsed.data.schema_name === undefined ? {} : { schema_name: parsed.data.schema_name }),
      },
      where,
    };
  }
  return found;
}

/** `--backend-config key=value` pairs (repeatable), checked. */
export function parseBackendConfigFlags(pairs: readonly string[]): Partial<Record<BackendConfigKey, string>> {
  const out: Partial<Record<BackendConfigKey, string>> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    const key = eq < 0 ? pair : pair.slice(0, eq);
    if (eq < 0 || !(BACKEND_CONFIG_KEYS as readonly string[]).includes(key)) {
      // never echo the value: it may be a connection string with a password
      throw new UsageError(
        `--backend-config takes key=value with key ${BACKEND_CONFIG_KEYS.join(" or ")}, got "${key}"`,
        {
          hint: "e.g. --backend-config conn_str=postgres://ci@db:5432/ops --backend-config schema_name=team_a",
        },
      );
    }
    out[key as BackendConfigKey] = pair.slice(eq + 1);
  }
  return out;
}

/**
 * The backend settings for a command: the block (if any) with `--backend-config` over it and the
 * environment under it. `undefined` when the configuration names no backend (the local one).
 */
export function resolveBackendConfig(
  block: FoundBackendBlock | undefined,
  flags: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): BackendConfig | undefined {
  const overrides = parseBackendConfigFlags(flags);
  if (block === undefined) {
    if (flags.length > 0) {
      throw new UsageError("--backend-config was given, but the configuration has no backend block", {
        hint: "add `backend: { pg: {} }` (YAML) or terraform.backend.pg (Terraform JSON / CDKTF PgBackend)",
      });
    }
    return undefined;
  }
  const connStr = overrides.conn_str ?? block.values.conn_str ?? nonEmpty(env.PG_CONN_STR);
  if (connStr === undefined) {
    throw new UsageError(`the pg backend configured at ${block.where} has no connection string`, {
      hint: "set PG_CONN_STR=postgres://USER:PASSWORD@HOST:5432/DATABASE, or pass --backend-config conn_str=…",
    });
  }
  const schemaName =
    overrides.schema_name ?? block.values.schema_name ?? nonEmpty(env.PG_SCHEMA_NAME) ?? "popdock_iac";
  return { kind: "pg", connStr, schemaName };
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === "" ? undefined : v;
}
