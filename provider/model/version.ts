/** The package version, read once from package.json: the one definition of it. */
import { readFileSync } from "node:fs";

function readVersion(): string {
  // Compiled to dist/provider/model, sources in provider/model: package.json is two or three up.
  for (const rel of ["../../package.json", "../../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), "utf8")) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === "popdock-iac" && typeof pkg.version === "string") return pkg.version;
    } catch {
      // not this one
    }
  }
  return "0.0.0-unknown";
}

export const POPDOCK_IAC_VERSION: string = readVersion();
