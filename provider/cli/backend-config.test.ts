import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../test/helpers/tmp.js";
import { parseBackendConfigFlags, readBackendBlock, resolveBackendConfig } from "./backend-config.js";

function dirWith(files: Record<string, string>): string {
  const dir = tempDir("popdock-backend-config-");
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe("readBackendBlock", () => {
  it("reads YAML backend.pg and Terraform JSON terraform.backend.pg, with where they are", async () => {
    const y = dirWith({ "popdock.yaml": "api_users: {}\nbackend:\n  pg:\n    schema_name: team_a\n" });
    expect(await readBackendBlock({ paths: [join(y, "popdock.yaml")], baseDir: y }, y)).toEqual({
      kind: "pg",
      values: { schema_name: "team_a" },
      where: "popdock.yaml:3:3",
    });
    const t = dirWith({
      "main.tf.json": JSON.stringify({ terraform: { backend: { pg: { conn_str: "postgres://u@h/d" } } } }),
    });
    expect(await readBackendBlock({ paths: [t], baseDir: t }, t)).toMatchObject({
      values: { conn_str: "postgres://u@h/d" },
    });
    const none = dirWith({ "popdock.yaml": "api_users: {}\n" });
    expect(
      await readBackendBlock({ paths: [join(none, "popdock.yaml")], baseDir: none }, none),
    ).toBeUndefined();
  });

  it.each([
    ["backend:\n  pg:\n    schema_name: 1abc\n", "popdock.yaml:3:18: backend.pg.schema_name"],
    ["backend:\n  pg:\n    password: x\n", "popdock.yaml:3:5: backend.pg"],
    ["backend:\n  s3:\n    bucket: x\n", 'popdock.yaml:2:3: backend "s3" is not supported'],
    ["backend: pg\n", "popdock.yaml:1:10: backend must be a mapping"],
  ])("refuses %j at its position", async (text, message) => {
    const d = dirWith({ "popdock.yaml": text });
    await expect(readBackendBlock({ paths: [join(d, "popdock.yaml")], baseDir: d }, d)).rejects.toThrow(
      message,
    );
  });

  it("refuses a backend in two files", async () => {
    const d = dirWith({ "a.yaml": "backend:\n  pg: {}\n", "b.yaml": "backend:\n  pg: {}\n" });
    await expect(readBackendBlock({ paths: [d], baseDir: d }, d)).rejects.toThrow(
      "b.yaml:2:3: a backend is also configured at a.yaml:2:3",
    );
  });
});

describe("resolveBackendConfig", () => {
  const block = { kind: "pg" as const, values: { schema_name: "from_file" }, where: "popdock.yaml:2:3" };
  it("flags over the block over the environment; schema defaults to popdock_iac", () => {
    expect(
      resolveBackendConfig(block, [], { PG_CONN_STR: "postgres://e@h/d", PG_SCHEMA_NAME: "env_s" }),
    ).toEqual({
      kind: "pg",
      connStr: "postgres://e@h/d",
      schemaName: "from_file",
    });
    expect(
      resolveBackendConfig(block, ["conn_str=postgres://f@h/d", "schema_name=flag_s"], {
        PG_CONN_STR: "postgres://e@h/d",
      }),
    ).toEqual({ kind: "pg", connStr: "postgres://f@h/d", schemaName: "flag_s" });
    expect(
      resolveBackendConfig({ ...block, values: {} }, [], { PG_CONN_STR: "postgres://e@h/d" }),
    ).toMatchObject({
      schemaName: "popdock_iac",
    });
  });
  it("no block: the local backend; --backend-config without a block or a conn_str anywhere is refused", () => {
    expect(resolveBackendConfig(undefined, [], { PG_CONN_STR: "postgres://e@h/d" })).toBeUndefined();
    expect(() => resolveBackendConfig(undefined, ["schema_name=x"], {})).toThrow(/no backend block/);
    expect(() => resolveBackendConfig(block, [], {})).toThrow(/popdock\.yaml:2:3 has no connection string/);
  });
  it("refuses an unknown key without echoing its value", () => {
    expect(() => parseBackendConfigFlags(["password=hunter2"])).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining("hunter2") }),
    );
  });
});
