// A test that prints to the console by accident fails (after zod's scripts/fail-on-console.ts).
// Tests that want output capture it explicitly (the CLI takes its streams as parameters).
import { afterEach, beforeEach } from "vitest";

const methods = ["log", "info", "warn", "error", "debug"] as const;
let printed: string[] = [];
const originals = new Map<string, (...args: unknown[]) => void>();

beforeEach(() => {
  printed = [];
  for (const m of methods) {
    originals.set(m, console[m]);
    console[m] = (...args: unknown[]) => {
      printed.push(`console.${m}: ${args.map(String).join(" ")}`);
    };
  }
});

afterEach(() => {
  for (const m of methods) {
    const orig = originals.get(m);
    if (orig) console[m] = orig;
  }
  if (printed.length > 0) {
    throw new Error(`test printed to the console:\n${printed.join("\n")}`);
  }
});
