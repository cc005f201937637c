import { describe, expect, it } from "vitest";
import { HttpError } from "./http-error.js";
import { type Ctx, compose, type Middleware, newContext, type SyncMiddleware } from "./pipeline.js";

const ctx = (): Ctx => newContext(new Request("http://x/"), new URL("http://x/"), "GET");

describe("compose", () => {
  it("runs outer middleware in order, then inner, then the operation", async () => {
    const seen: string[] = [];
    const outer =
      (name: string): Middleware =>
      async (_c, next) => {
        seen.push(name);
        await Promise.resolve();
        return next();
      };
    const inner =
      (name: string): SyncMiddleware =>
      (_c, next) => {
        seen.push(name);
        return next();
      };
    const run = compose([outer("a"), outer("b")], [inner("c")], () => {
      seen.push("op");
      return { status: 201, body: { ok: true } };
    });
    const res = await run(ctx());
    expect(seen).toEqual(["a", "b", "c", "op"]);
    expect(res.status).toBe(201);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  });

  it("runs the inner chain and the operation in one synchronous turn", async () => {
    let sameTurn = false;
    const run = compose(
      [],
      [
        (_c, next) => {
          let flag = true;
          const reply = next();
          sameTurn = flag;
          flag = false;
          return reply;
        },
      ],
      () => ({ status: 204 }),
    );
    await run(ctx());
    expect(sameTurn).toBe(true);
  });

  it("lets an early middleware stop the chain by throwing", async () => {
    const stop: Middleware = () => {
      throw new HttpError(401, "unauthorized", "no");
    };
    const run = compose([stop], [], () => {
      throw new Error("must not run");
    });
    await expect(run(ctx())).rejects.toMatchObject({ status: 401 });
  });
});
