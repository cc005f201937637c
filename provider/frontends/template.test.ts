// biome-ignore-all lint/suspicious/noTemplateCurlyInString: "${var.x}" and "${<address>.<attr>}" are the YAML format's own syntax, quoted on purpose.
import { describe, expect, it } from "vitest";
import { compactParts, parseExpr, scanTemplate } from "./template.js";

describe("scanTemplate", () => {
  it("splits text and expressions", () => {
    expect(scanTemplate("a-${var.x}-b")).toEqual({
      ok: true,
      segments: [
        { kind: "text", text: "a-" },
        { kind: "expr", expr: "var.x" },
        { kind: "text", text: "-b" },
      ],
    });
  });
  it("treats $${ as a literal ${ and a lone $ as text", () => {
    expect(scanTemplate("$${x} costs $5")).toEqual({
      ok: true,
      segments: [{ kind: "text", text: "${x} costs $5" }],
    });
  });
  it("trims whitespace inside ${ } and allows } inside quotes", () => {
    expect(scanTemplate('${ a.b["x}y"].id }')).toEqual({
      ok: true,
      segments: [{ kind: "expr", expr: 'a.b["x}y"].id' }],
    });
  });
  it("reports an unterminated ${", () => {
    expect(scanTemplate("a ${var.x").ok).toBe(false);
  });
});

describe("parseExpr", () => {
  it("parses variables and references", () => {
    expect(parseExpr("var.env")).toEqual({ kind: "var", name: "env" });
    expect(parseExpr("popdock_api_user.bot.id")).toEqual({
      kind: "ref",
      type: "popdock_api_user",
      name: "bot",
      attr: "id",
    });
    expect(parseExpr('popdock_api_user_grant.bot["connector:GP Production"].id')).toEqual({
      kind: "ref",
      type: "popdock_api_user_grant",
      name: "bot",
      index: "connector:GP Production",
      attr: "id",
    });
  });
  it("rejects anything else", () => {
    for (const e of ["env", "upper(var.x)", "var.", "a.b[1].id", "a.b", ""]) {
      expect(parseExpr(e)).toEqual({ kind: "invalid" });
    }
  });
});

describe("compactParts", () => {
  it("joins adjacent text and drops empty text", () => {
    const ref = { address: "a.b", attr: "id" };
    expect(compactParts(["", "a", "b", ref, "", "c"])).toEqual(["ab", ref, "c"]);
  });
});
