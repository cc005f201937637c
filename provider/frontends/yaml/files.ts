/**
 * Finding and reading configuration files. A directory means its `*.yaml` / `*.yml` entries, in
 * name order. Only regular files (after following symbolic links) are read, and never more than
 * the size limit of one. Everything else — a dangling symlink, a FIFO, a device, a directory named
 * `*.yaml`, a permission error — is a diagnostic: never a throw, and never a silent skip, since a
 * file left out would have its resources planned for deletion.
 */
import { constants, type Stats } from "node:fs";
import { type FileHandle, lstat, open, readdir, readlink, stat } from "node:fs/promises";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { type Diagnostic, fileDiagnostic } from "../../model/diagnostics.js";
import { POLICY_FILE_NAME } from "../../policy/config.js";
import { decodeConfigFile } from "../input.js";
import { tooLarge } from "./parse.js";

/** A YAML text with the name diagnostics should show for it. */
export interface YamlSource {
  file: string;
  text: string;
}

const YAML_NAME = /\.ya?ml$/i;

/**
 * The files `paths` name, read, in order and each once; `cwd` resolves relative paths, and names
 * are shown relative to it.
 */
export async function readYamlFiles(
  paths: readonly string[],
  cwd: string,
  maxFileBytes: number,
): Promise<{ sources: YamlSource[]; diagnostics: Diagnostic[] }> {
  const diagnostics: Diagnostic[] = [];
  const display = (abs: string) => {
    const rel = relative(cwd, abs);
    return (rel === "" ? abs : rel).split(sep).join("/");
  };
  const files = new Set<string>(); // absolute paths, in the order given
  for (const given of paths) {
    const abs = isAbsolute(given) ? given : resolve(cwd, given);
    const st = await stat(abs).catch((e: NodeJS.ErrnoException) => e);
    if (st instanceof Error) {
      diagnostics.push(await missing(abs, given, st));
    } else if (!st.isDirectory()) {
      files.add(abs);
    } else {
      const names = await readdir(abs).catch((e: NodeJS.ErrnoException) => e);
      if (names instanceof Error) {
        diagnostics.push(fileDiagnostic(given, names));
        continue;
      }
      // Hidden files are skipped, as Terraform does: editor lock links (.#popdock.yaml), swap
      // and backup files are not configuration.
      // A directory's popdock-policy.yaml is its policy (provider/policy), not configuration.
      const yaml = names
        .filter((n) => YAML_NAME.test(n) && !n.startsWith(".") && n !== POLICY_FILE_NAME)
        .sort();
      if (yaml.length === 0) {
        diagnostics.push({
          code: "CONFIG_EMPTY_DIR",
          severity: "error",
          message: `directory ${display(abs) || "."} contains no .yaml or .yml files`,
          file: given,
          hint: "pass a configuration file, or create popdock.yaml in it",
        });
      }
      for (const name of yaml) files.add(join(abs, name));
    }
  }
  const sources: YamlSource[] = [];
  for (const abs of files) {
    const file = display(abs);
    const r = await readRegularFile(abs, file, maxFileBytes);
    if ("text" in r) sources.push({ file, text: r.text });
    else diagnostics.push(r.diagnostic);
  }
  return { sources, diagnostics };
}

/**
 * The file at `abs` as strict UTF-8 (see `decodeConfigFile`), if it is a regular file of at most `max` bytes. It is opened
 * without blocking (a FIFO with no writer would hang a plain read) and checked through the open
 * handle, so that what is checked is what is read.
 */
async function readRegularFile(
  abs: string,
  file: string,
  max: number,
): Promise<{ text: string } | { diagnostic: Diagnostic }> {
  let handle: FileHandle;
  try {
    // O_NONBLOCK is not defined on Windows, which has no FIFOs to open.
    handle = await open(abs, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    return { diagnostic: await missing(abs, file, e as NodeJS.ErrnoException) };
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) return { diagnostic: notRegular(file, st) };
    if (st.size > max) return { diagnostic: tooLarge(file, st.size, max) };
    // The file may have grown since: read to its end, but never more than one byte over the limit.
    let buf = Buffer.alloc(Math.min(st.size, max) + 1);
    let length = 0;
    for (;;) {
      if (length === buf.length) {
        if (length > max) break;
        const bigger = Buffer.alloc(Math.min(buf.length * 2, max + 1));
        buf.copy(bigger, 0, 0, length);
        buf = bigger;
      }
      const { bytesRead } = await handle.read(buf, length, buf.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > max) return { diagnostic: tooLarge(file, length, max) };
    return decodeConfigFile(file, buf.subarray(0, length));
  } catch (e) {
    return { diagnostic: fileDiagnostic(file, e as NodeJS.ErrnoException) };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** A path that could not be opened; a symbolic link to nothing says so, with its target. */
async function missing(abs: string, file: string, e: NodeJS.ErrnoException): Promise<Diagnostic> {
  if (e.code === "ENOENT") {
    const link = await lstat(abs).catch(() => undefined);
    if (link?.isSymbolicLink()) {
      const target = await readlink(abs).catch(() => "?");
      return {
        code: "FILE_NOT_FOUND",
        severity: "error",
        message: `symbolic link to ${JSON.stringify(target)}, which does not exist`,
        file,
        hint: "fix or remove the link: a configuration file left out would plan its resources for deletion",
      };
    }
  }
  return fileDiagnostic(file, e);
}

function notRegular(file: string, st: Stats): Diagnostic {
  const what = st.isDirectory()
    ? "a directory"
    : st.isFIFO()
      ? "a FIFO (named pipe)"
      : st.isSocket()
        ? "a socket"
        : "a device";
  return {
    code: "FILE_NOT_REGULAR",
    severity: "error",
    message: `is ${what}, not a regular file; only regular files are read`,
    file,
    hint: st.isDirectory()
      ? "directories are not searched recursively: rename it, or pass it as a path of its own"
      : "pass a regular file (a symbolic link to one is fine)",
  };
}
