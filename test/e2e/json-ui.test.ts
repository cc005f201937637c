/**
 * `plan --json`, `apply --json`, `destroy --json`: every stdout line is one message of the
 * machine-readable UI (schema/ui-events.ts), in Terraform's shape, and none carries a token ID.
 * Through the real CLI against a `popdock sandbox` child process.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type UiEvent, UiEvent as UiEventSchema } from "../../schema/ui-events.js";
import { project, stateId, uniq, useSandbox, writeConfig } from "../helpers/e2e-sandbox.js";

const sb = useSandbox();

/** Parses every stdout line against the schema; fails on any line that is not a message. */
function messages(stdout: string): UiEvent[] {
  const lines = stdout.split("\n");
  expect(lines.pop()).toBe(""); // ends with a newline
  return lines.map((line, i) => {
    const r = UiEventSchema.safeParse(JSON.parse(line));
    expect(r.success, `line ${i + 1}: ${line}\n${r.success ? "" : JSON.stringify(r.error.issues)}`).toBe(
      true,
    );
    return r.data as UiEvent;
  });
}

describe("--json: the machine-readable UI", () => {
  it("apply --json streams planned changes, hooks, summary and outputs without a secret; destroy too", async () => {
    const dir = await project();
    const name = `json-ui-${uniq()}`;
    await writeConfig(dir, {
      users: { j: { name, description: "json ui", tokens: { ci: "ci", bi: "bi" } } },
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the YAML format's own reference syntax
      outputs: { user_id: { value: "${popdock_api_user.j.id}" } },
    });

    const applied = await sb.run(dir, ["apply", "--json", "--auto-approve", "--secrets-out", "s.json"]);
    const events = messages(applied.stdout);
    const types = events.map((e) => e.type);
    expect(types[0]).toBe("version");
    expect(types.filter((t) => t === "planned_change")).toHaveLength(3);
    expect(types.filter((t) => t === "apply_start")).toHaveLength(3);
    expect(types.filter((t) => t === "apply_complete")).toHaveLength(3);
    expect(types.slice(-2)).toEqual(["outputs", "change_summary"]);
    for (const e of events) expect(e["@module"]).toBe("popdock.ui");
    const summary = events.at(-1);
    expect(summary).toMatchObject({
      "@message": "Apply complete! Resources: 3 added, 0 changed, 0 destroyed.",
      changes: { add: 3, change: 0, remove: 0, operation: "apply" },
    });
    const created = events.find(
      (e) => e.type === "apply_complete" && e.hook.resource.addr === "popdock_api_user.j",
    );
    expect(created).toMatchObject({
      hook: { action: "create", id_key: "id", id_value: await stateId(dir, "popdock_api_user.j") },
    });
    const outputs = events.find((e) => e.type === "outputs");
    if (outputs?.type !== "outputs") throw new Error("no outputs message");
    expect(outputs.outputs.user_id).toEqual({
      sensitive: false,
      type: "string",
      value: await stateId(dir, "popdock_api_user.j"),
    });
    const sensitive = Object.values(outputs.outputs).filter((o) => o.sensitive);
    expect(sensitive.length).toBeGreaterThan(0);
    for (const o of sensitive) expect(o).not.toHaveProperty("value");

    // No line carries a token ID (the administrator's GET shows what they are).
    const inv = await sb.inventory();
    const user = inv.users.find((u) => u.name === name);
    expect(user?.tokens).toHaveLength(2);
    for (const t of user?.tokens ?? []) {
      const live = await sb.api("GET", `/api-users/${user?.id}/tokens/${t.id}`);
      const secret = live.body.token_id as string;
      expect(secret.length).toBeGreaterThan(8);
      expect(applied.stdout).not.toContain(secret);
      expect(applied.stderr).not.toContain(secret);
    }

    // plan --json with nothing to do: version and a zero summary; --detailed-exitcode still 0.
    const plan = messages((await sb.run(dir, ["plan", "--json", "--detailed-exitcode"])).stdout);
    expect(plan.map((e) => e.type)).toEqual(["version", "outputs", "change_summary"]);

    const destroyed = messages((await sb.run(dir, ["destroy", "--json", "--auto-approve"])).stdout);
    expect(
      destroyed
        .filter((e) => e.type === "planned_change")
        .map((e) => e.type === "planned_change" && e.change.action),
    ).toEqual(expect.arrayContaining(["delete"]));
    expect(destroyed.at(-1)).toMatchObject({
      type: "change_summary",
      "@message": "Destroy complete! Resources: 3 destroyed.",
      changes: { operation: "destroy", remove: 3 },
    });
  });

  it("configuration errors and refusals are diagnostic messages, with file and position", async () => {
    const dir = await project();
    await writeFile(join(dir, "popdock.yaml"), "api_users:\n  e:\n    nmae: typo\n");
    const bad = await sb.run(dir, ["plan", "--json"], 1);
    const events = messages(bad.stdout);
    expect(events[0]?.type).toBe("version");
    const diag = events.find((e) => e.type === "diagnostic" && e.diagnostic.range !== undefined);
    expect(diag).toMatchObject({
      "@level": "error",
      diagnostic: {
        severity: "error",
        range: { filename: "popdock.yaml", start: { line: expect.any(Number), column: expect.any(Number) } },
      },
    });
    expect(events.at(-1)).toMatchObject({
      type: "diagnostic",
      diagnostic: { code: "POPDOCK_CONFIG_INVALID" },
    });

    const noApprove = await sb.run(dir, ["apply", "--json"], 1);
    expect(messages(noApprove.stdout).at(-1)).toMatchObject({
      type: "diagnostic",
      diagnostic: { summary: "apply --json needs --auto-approve or a saved PLANFILE", code: "POPDOCK_USAGE" },
    });
  });
});
