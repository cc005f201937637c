/**
 * ERROR_CODES is the one list of error codes: it must name exactly the codes the error classes
 * under provider/ carry, each beside the class and file it lists. (tsc already refuses a
 * `PopdockError` subclass whose code is not listed; this catches the other direction, a listed
 * code no class uses, and the sandbox classes, which extend `Error`.)
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ConfigError, ERROR_CODES, InternalError, isPopdockErrorCode, UsageError } from "./errors.js";

const providerDir = fileURLToPath(new URL("..", import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") ? [path] : [];
  });
}

/** `class X extends Y {` followed (within the class head) by `readonly code[: T] = "POPDOCK_…"`. */
const CLASS_WITH_CODE =
  /class (\w+) extends \w+ \{\s*(?:\/\*\*[\s\S]*?\*\/\s*)?(?:override )?readonly code(?:: \w+)? = "(POPDOCK_[A-Z_]+)"/g;

describe("ERROR_CODES", () => {
  const found = sources(providerDir).flatMap((file) =>
    [...readFileSync(file, "utf8").matchAll(CLASS_WITH_CODE)].map((m) => ({
      code: m[2] as string,
      error: m[1] as string,
      file: relative(providerDir, file).split("\\").join("/"),
    })),
  );

  it("lists exactly the codes the error classes carry, with their class and file", () => {
    const listed = Object.entries(ERROR_CODES).map(([code, info]) => ({
      code,
      error: info.error,
      file: info.file,
    }));
    const byCode = (a: { code: string }, b: { code: string }) => a.code.localeCompare(b.code);
    expect(found.sort(byCode)).toEqual(listed.sort(byCode));
  });

  it("codes are unique per class", () => {
    expect(new Set(found.map((f) => f.code)).size).toBe(found.length);
  });

  it("the model's own classes carry their literal codes", () => {
    expect(new UsageError("x").code).toBe("POPDOCK_USAGE");
    expect(new ConfigError("x").code).toBe("POPDOCK_CONFIG_INVALID");
    expect(new InternalError("x").code).toBe("POPDOCK_INTERNAL");
  });

  it("isPopdockErrorCode accepts listed codes only", () => {
    expect(isPopdockErrorCode("POPDOCK_API_TIMEOUT")).toBe(true);
    expect(isPopdockErrorCode("POPDOCK_NOPE")).toBe(false);
    expect(isPopdockErrorCode("toString")).toBe(false);
    expect(isPopdockErrorCode(undefined)).toBe(false);
  });
});
