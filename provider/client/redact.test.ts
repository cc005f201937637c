import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatHeaders, redact } from "./redact.js";

describe("redact", () => {
  it.each([
    ["authorization: Bearer pdk_abc.def", "authorization: Bearer ***"],
    ['{"Authorization":"Bearer pdk_abc"}', '{"Authorization":"Bearer ***"}'],
    ["Authorization: Basic dXNlcjpwYXNz", "Authorization: ***"],
    ["authorization=xyz&a=1", "authorization=***&a=1"],
    ['{"id":"t1","token_id":"tok_123","name":"ci"}', '{"id":"t1","token_id":"***","name":"ci"}'],
    ['{"token_id" : "tok_\\"q\\"x"}', '{"token_id" : "***"}'],
    ['"message":"body {\\"token_id\\":\\"tok_123\\"}"', '"message":"body {\\"token_id\\":\\"***\\"}"'],
    ["GET /x?token_id=tok_123&b=2", "GET /x?token_id=***&b=2"],
    ['{"token_id_hint":"x9z1"}', '{"token_id_hint":"x9z1"}'],
    ["{ id: 't1', token_id: 'pdk_abc' }", "{ id: 't1', token_id: '***' }"],
    ['tokenId: "pdk_abc"', 'tokenId: "***"'],
    ["TOKEN_ID=pdk_abc rest", "TOKEN_ID=*** rest"],
    ["Token-ID: pdk_abc", "Token-ID: ***"],
    ["x-api-key: k123456", "x-api-key: ***"],
    ['{"api_key":"k123456"}', '{"api_key":"***"}'],
    ["nothing secret here", "nothing secret here"],
  ])("%s → %s", (input, expected) => {
    expect(redact(input)).toBe(expected);
  });

  it("masks literal secrets it is given, in any context", () => {
    expect(redact("key pdk_live_1234 in text", ["pdk_live_1234"])).toBe("key *** in text");
    expect(redact("ab is short", ["ab"])).toBe("ab is short");
  });

  it("is idempotent", () => {
    const once = redact('authorization: Bearer k1 {"token_id":"t"} token_id=t tokenId: \'x\' x-api-key: k');
    expect(redact(once)).toBe(once);
  });

  it("property: a token_id in any JSON document never survives", () => {
    const secret = fc.string({ minLength: 1 }).filter((s) => s.trim().length > 0);
    fc.assert(
      fc.property(fc.jsonValue(), secret, (doc, tokenId) => {
        const text = JSON.stringify({ before: doc, token_id: tokenId, after: doc });
        const out = redact(text);
        expect(out).toContain('"token_id":"***"');
        // The value, as JSON encodes it, is gone from where it was.
        expect(out.includes(`"token_id":${JSON.stringify(tokenId)}`)).toBe(false);
      }),
    );
  });

  it("property: a Bearer credential never survives", () => {
    const cred = fc.stringMatching(/^[A-Za-z0-9._~+/=-]{8,40}$/);
    fc.assert(
      fc.property(
        cred,
        fc.constantFrom("authorization: ", '"authorization":"', "Authorization=", ""),
        (c, pre) => {
          expect(redact(`${pre}Bearer ${c}`)).not.toContain(c);
        },
      ),
    );
  });
});

describe("formatHeaders", () => {
  it("masks secret headers whatever their case, and redacts the others", () => {
    expect(
      formatHeaders({
        Authorization: "Bearer pdk_abc",
        "Idempotency-Key": "k1",
        cookie: "a=b",
        "x-echo": "token_id=tok_1",
        "x-list": ["a", "b"],
        absent: undefined,
      }),
    ).toBe("authorization: Bearer ***, idempotency-key: k1, cookie: ***, x-echo: token_id=***, x-list: a, b");
  });
});
