/**
 * How the shared semantic pass (../semantic.ts) words its findings for YAML: by document path and
 * `file:line:column`, at the entry.
 */

import { didYouMean } from "../../model/diagnostics.js";
import { registeredTypeNames } from "../resource-config.js";
import type { DocPath, SourceFile } from "../source.js";
import type { Phrasing } from "../types.js";
import { refersToBroken } from "./outputs.js";

/** Where a YAML resource comes from, for the semantic pass's diagnostics (`yamlPhrasing`). */
export interface YamlOrigin {
  src: SourceFile;
  /** The entry's document path (`api_users.<key>`, a grant, a token, a rotation). */
  path: DocPath;
  /** The API user's key. */
  key: string;
  tokenKey?: string;
  /** Where a token's name is: its `name`, or its key when it has none (`nameAtKey`). */
  namePath?: DocPath;
  nameAtKey?: boolean;
}

/** Where a YAML output comes from. */
export interface YamlOutputOrigin {
  src: SourceFile;
  key: string;
  /** Keys of API users left out as invalid (`*`: all): references to them are not reported again. */
  brokenUsers: ReadonlySet<string>;
}

/** The semantic pass's findings, in the YAML format's terms. */
export const yamlPhrasing: Phrasing<YamlOrigin, YamlOutputOrigin> = {
  unknownResourceType({ origin: { src, key } }, type) {
    const types = registeredTypeNames();
    const guess = didYouMean(type, types);
    return src.diag("REF_UNKNOWN_RESOURCE", `unknown resource type "${type}"`, ["outputs", key, "value"], {
      hint: guess !== undefined ? `did you mean "${guess}"?` : `types: ${types.join(", ")}`,
    });
  },
  unknownResource({ origin: { src, key, brokenUsers } }, address, declared) {
    if (refersToBroken(brokenUsers, address)) return undefined;
    const guess = didYouMean(address, declared);
    return src.diag(
      "REF_UNKNOWN_RESOURCE",
      `reference to undeclared resource ${address}`,
      ["outputs", key, "value"],
      {
        hint: guess !== undefined ? `did you mean ${guess}?` : undefined,
      },
    );
  },
  unknownAttribute({ origin: { src, key } }, type, attr, attrs) {
    const guess = didYouMean(attr, attrs);
    return src.diag(
      "REF_UNKNOWN_ATTRIBUTE",
      `${type} has no attribute "${attr}"`,
      ["outputs", key, "value"],
      {
        hint: guess !== undefined ? `did you mean "${guess}"?` : `attributes: ${attrs.join(", ")}`,
      },
    );
  },
  sensitiveRequired({ origin: { src, key } }, secret) {
    const what =
      "variable" in secret ? `variable "${secret.variable}"` : `${secret.ref.address}.${secret.ref.attr}`;
    return src.diag(
      "OUTPUT_SENSITIVE_REQUIRED",
      `output "${key}" refers to ${what}, which is sensitive`,
      ["outputs", key],
      {
        at: "key",
        hint: "add `sensitive: true` to the output",
      },
    );
  },
  duplicateGrant({ resource: r, origin: { src, path } }, first) {
    const index = r.type === "popdock_api_user_grant" ? r.index : "";
    const connector = r.type === "popdock_api_user_grant" && r.attrs.kind === "connector";
    return src.diag(
      "CONFIG_DUPLICATE_GRANT",
      `grant "${index}" is also given at ${src.where(first.origin.path)}`,
      path,
      {
        hint: connector ? "merge the two connector grants into one" : "remove one of them",
      },
    );
  },
  duplicateAddress({ resource: r }) {
    return {
      code: "CONFIG_DUPLICATE_ADDRESS",
      severity: "error",
      message: `two resources would have the address ${r.address}`,
      file: r.source.file,
      ...(r.source.line !== undefined ? { line: r.source.line } : {}),
      ...(r.source.column !== undefined ? { column: r.source.column } : {}),
      ...(r.source.path !== undefined ? { path: r.source.path } : {}),
      hint: 'rename a user or token key so that "<user>__<token>" differs',
    };
  },
  duplicateUserName({ resource: r, origin: { src, key } }, { origin: prev }) {
    const name = r.type === "popdock_api_user" ? String(r.attrs.name) : "";
    return src.diag(
      "CONFIG_DUPLICATE_USER_NAME",
      `API user name "${name}" is also used by api_users.${prev.key} at ${prev.src.where(["api_users", prev.key, "name"])}`,
      ["api_users", key, "name"],
      { hint: "API user names are unique in Popdock, case-insensitively" },
    );
  },
  duplicateTokenName({ resource: r, origin }, { origin: prev }) {
    const name = r.type === "popdock_api_token" ? String(r.attrs.name) : "";
    return origin.src.diag(
      "CONFIG_DUPLICATE_TOKEN_NAME",
      `token name "${name}" is also used by token "${prev.tokenKey}" at ${origin.src.where(prev.namePath ?? prev.path)}`,
      origin.namePath ?? origin.path,
      {
        at: origin.nameAtKey === true ? "key" : "value",
        hint: "token names are unique per user, case-insensitively (a token without name is named after its key)",
      },
    );
  },
};
