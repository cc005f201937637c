/**
 * Values in the YAML format: `${var.x}` interpolation, the rule on sensitive variables, and the
 * checks on what Popdock would refuse or change (empty values, names it trims, length limits).
 * One `Interpolator` per load holds the variables, what failed validation, and the diagnostics;
 * the expansion modules use it.
 *
 * Sensitive variables: a value that uses one may appear only in the value of a `sensitive: true`
 * output. Anywhere else it would be sent to Popdock or stored in state and plan files (which are
 * shown in PR comments), so it is an error, and the value is not checked further, nor quoted in
 * any other diagnostic.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: "${var.x}" and "${<address>.<attr>}" are the YAML format's own syntax, quoted on purpose.
import { type LimitProblem, nameProblem } from "../../../schema/limits.js";
import { formatAddress, type TemplatePart } from "../../model/desired.js";
import { type Diagnostic, didYouMean } from "../../model/diagnostics.js";
import { compareStrings, isRecord } from "../../model/values.js";
import type { DocPath, SourceFile } from "../source.js";
import { compactParts, parseExpr, scanTemplate } from "../template.js";
import type { Section } from "./merge.js";

export interface VarValue {
  value: string | undefined;
  sensitive: boolean;
}

/** Where an interpolated value ends up, for the rule on sensitive variables. */
export /** Where an interpolated value ends up, for the rule on sensitive variables. */
type Exposure = "popdock" | "state";

const EXPOSED_TO: Readonly<Record<Exposure, string>> = {
  popdock: "sent to Popdock and stored in state, plan files and PR comments",
  state: "stored in state, plan files and PR comments",
};

/** An interpolated string attribute. */
export interface Interpolated {
  value: string;
  /**
   * False when a problem with the value has been reported already (a bad template, an empty
   * value, a sensitive variable): it is not checked further, nor quoted in other diagnostics.
   */
  ok: boolean;
}

/** The result of `template`. */
export interface Template {
  parts: TemplatePart[];
  /** Sensitive variables used, each once. */
  sensitiveVars: string[];
  /** Whether the text has any `${var.x}`. */
  usesVars: boolean;
}

export class Interpolator {
  readonly diags: Diagnostic[] = [];
  readonly vars = new Map<string, VarValue>();
  /** What `${workspace}` is: the state workspace the command uses. */
  workspace = "default";
  /** Keys of entries that failed validation, by section; `*` when the whole section did. */
  private readonly brokenKeys = new Map<Section, Set<string>>();

  /** The keys of `section`'s entries that failed validation (`resources.<type>`: its names). */
  broken(section: Section): Set<string> {
    let keys = this.brokenKeys.get(section);
    if (keys === undefined) {
      keys = new Set();
      this.brokenKeys.set(section, keys);
    }
    return keys;
  }

  isBroken(section: Section, key: string): boolean {
    return this.broken(section).has("*") || this.broken(section).has(key);
  }

  /**
   * A variable's default, which is used as it is: `$${` is a literal `${` as in every string of
   * the format, but an expression is refused rather than kept as text (a user named
   * `${var.env}` helps nobody). Undefined (after reporting) when it has one.
   */
  defaultValue(src: SourceFile, path: DocPath, value: string | number | boolean): string | undefined {
    if (typeof value !== "string") return String(value);
    const scan = scanTemplate(value);
    const expr = scan.ok ? scan.segments.find((s) => s.kind === "expr") : undefined;
    if (scan.ok && expr === undefined) {
      return scan.segments.map((s) => (s.kind === "text" ? s.text : "")).join("");
    }
    const what = expr?.kind === "expr" ? `uses "\${${expr.expr}}"` : 'contains "${"';
    this.diags.push(
      src.diag(
        "CONFIG_INVALID_INTERPOLATION",
        `a variable default ${what}, but defaults are not interpolated`,
        path,
        {
          hint: 'write "$${" for a literal "${", or put the template where the variable is used',
        },
      ),
    );
    return undefined;
  }

  /** A variable entry that failed the schema: its default is still checked. */
  checkBrokenVariable(src: SourceFile, key: string, raw: unknown): void {
    if (isRecord(raw) && typeof raw.default === "string") {
      this.defaultValue(src, ["variables", key, "default"], raw.default);
    }
  }

  /**
   * `${var.x}` in `text` replaced by values, for a value that ends up as `exposure` says.
   * Undefined (after reporting) when something is wrong.
   */
  interpolate(src: SourceFile, path: DocPath, text: string, exposure: Exposure): string | undefined {
    const t = this.template(src, path, text, false);
    if (t === undefined || this.exposed(src, path, t.sensitiveVars, exposure)) return undefined;
    return t.parts.filter((p): p is string => typeof p === "string").join("");
  }

  /** Reports each sensitive variable in a value that ends up as `exposure` says; whether there was one. */
  exposed(src: SourceFile, path: DocPath, sensitiveVars: readonly string[], exposure: Exposure): boolean {
    for (const name of sensitiveVars) {
      this.diags.push(
        src.diag(
          "VAR_SENSITIVE_EXPOSED",
          `sensitive variable "${name}" is used here, so its value would be ${EXPOSED_TO[exposure]}`,
          path,
          {
            hint: 'a sensitive variable may be used only in the value of an output with "sensitive: true"; if it is not a secret, remove "sensitive: true" from the variable',
          },
        ),
      );
    }
    return sensitiveVars.length > 0;
  }

  template(src: SourceFile, path: DocPath, text: string, allowRefs: boolean): Template | undefined {
    const scan = scanTemplate(text);
    if (!scan.ok) {
      this.diags.push(
        src.diag("CONFIG_INVALID_INTERPOLATION", scan.message, path, {
          hint: 'close it with "}", or write "$${" for a literal "${"',
        }),
      );
      return undefined;
    }
    const parts: TemplatePart[] = [];
    const sensitiveVars: string[] = [];
    const reported = new Set<string>();
    let ok = true;
    let usesVars = false;
    for (const seg of scan.segments) {
      if (seg.kind === "text") {
        parts.push(seg.text);
        continue;
      }
      const expr = parseExpr(seg.expr);
      if (expr.kind === "var") {
        usesVars = true;
        const v = this.variable(src, path, expr.name, reported);
        if (v === undefined) ok = false;
        else {
          parts.push(v.value);
          if (v.sensitive && !sensitiveVars.includes(expr.name)) sensitiveVars.push(expr.name);
        }
      } else if (expr.kind === "workspace") {
        usesVars = true;
        parts.push(this.workspace);
      } else if (expr.kind === "ref" && allowRefs) {
        parts.push({ address: formatAddress(expr.type, expr.name, expr.index), attr: expr.attr });
      } else if (expr.kind === "ref") {
        ok = false;
        this.diags.push(
          src.diag(
            "CONFIG_INVALID_INTERPOLATION",
            `"\${${seg.expr}}": resource references are allowed only in output values`,
            path,
            {
              hint: "names and descriptions are fixed when the configuration is loaded; use ${var.<name>}",
            },
          ),
        );
      } else {
        ok = false;
        this.diags.push(
          src.diag("CONFIG_INVALID_INTERPOLATION", `unsupported expression "\${${seg.expr}}"`, path, {
            hint: allowRefs
              ? 'use ${var.<name>}, ${workspace} or ${<address>.<attribute>}; write "$${" for a literal "${"'
              : 'use ${var.<name>} or ${workspace}; write "$${" for a literal "${"',
          }),
        );
      }
    }
    return ok ? { parts: compactParts(parts), sensitiveVars, usesVars } : undefined;
  }

  variable(
    src: SourceFile,
    path: DocPath,
    name: string,
    reported: Set<string>,
  ): { value: string; sensitive: boolean } | undefined {
    const v = this.vars.get(name);
    if (v?.value !== undefined) return { value: v.value, sensitive: v.sensitive };
    if (reported.has(name)) return undefined;
    reported.add(name);
    if (v === undefined) {
      if (this.isBroken("variables", name)) return undefined;
      const guess = didYouMean(name, [...this.vars.keys()]);
      this.diags.push(
        src.diag("VAR_UNDEFINED", `variable "${name}" is not declared`, path, {
          hint: guess !== undefined ? `did you mean "var.${guess}"?` : `declare it under "variables:"`,
        }),
      );
    } else {
      this.diags.push(
        src.diag("VAR_UNDEFINED", `variable "${name}" has no value`, path, {
          hint: `pass --var ${name}=…, set POPDOCK_VAR_${name}, or give it a default`,
        }),
      );
    }
    return undefined;
  }

  /**
   * Interpolation checks on every string of an entry that failed the schema (and so is not
   * expanded), so that a misspelt variable is reported in the same run as a misspelt key.
   */
  checkStrings(src: SourceFile, path: DocPath, raw: unknown): void {
    if (typeof raw === "string") {
      const inOutputValue = path[0] === "outputs" && path.length === 3 && path[2] === "value";
      const t = this.template(src, path, raw, inOutputValue);
      // An output's value may use a sensitive variable when the output is sensitive; that is
      // checked once the output is valid.
      if (t !== undefined && !inOutputValue) {
        const inState = path[0] === "outputs" || path[4] === "rotation";
        this.exposed(src, path, t.sensitiveVars, inState ? "state" : "popdock");
      }
    } else if (Array.isArray(raw)) {
      raw.forEach((item, i) => {
        this.checkStrings(src, [...path, i], item);
      });
    } else if (isRecord(raw)) {
      for (const [k, v] of Object.entries(raw)) this.checkStrings(src, [...path, k], v);
    }
  }

  /**
   * A string attribute of a resource, interpolated. `required`: it must not be empty or only
   * whitespace. `exposure`: where it ends up (`popdock` unless it is only kept in state).
   */
  attr(
    src: SourceFile,
    path: DocPath,
    text: string,
    opts: { required?: boolean; exposure?: Exposure } = {},
  ): Interpolated {
    const t = this.template(src, path, text, false);
    if (t === undefined) return { value: "", ok: false };
    const value = t.parts.filter((p): p is string => typeof p === "string").join("");
    if (this.exposed(src, path, t.sensitiveVars, opts.exposure ?? "popdock")) return { value, ok: false };
    if ((opts.required ?? true) && value.trim() === "") {
      const what = value === "" ? "empty" : "only whitespace";
      this.diags.push(
        src.diag(
          "CONFIG_INVALID_VALUE",
          t.usesVars ? `value is ${what} after interpolation (${JSON.stringify(text)})` : `value is ${what}`,
          path,
          { hint: t.usesVars ? "give the variable a non-empty value" : "give it a value" },
        ),
      );
      return { value, ok: false };
    }
    return { value, ok: true };
  }

  /** An API user's or token's name (`what`): an attribute Popdock trims and limits in length. */
  name(src: SourceFile, path: DocPath, text: string, what: string): Interpolated {
    const a = this.attr(src, path, text);
    return a.ok ? this.limit(src, path, a, nameProblem(what, a.value)) : a;
  }

  /** Reports `problem` (from `schema/limits.ts`) with `a`, at `path`. */
  limit(
    src: SourceFile,
    path: DocPath,
    a: Interpolated,
    problem: LimitProblem | undefined,
    at: "key" | "value" = "value",
  ): Interpolated {
    if (problem === undefined) return a;
    this.diags.push(src.diag("CONFIG_INVALID_VALUE", problem.message, path, { at, hint: problem.hint }));
    return { value: a.value, ok: false };
  }

  /** A scope list as a set: sorted, duplicates dropped with a warning. */
  nameSet(src: SourceFile, path: DocPath, items: readonly string[]): string[] {
    const seen = new Map<string, number>();
    items.forEach((item, i) => {
      const { value: v, ok } = this.attr(src, [...path, i], item);
      const first = seen.get(v);
      if (first !== undefined && ok) {
        this.diags.push(
          src.diag(
            "CONFIG_DUPLICATE_ITEM",
            `"${v}" is listed twice (also at ${src.where([...path, first])}); lists are sets, the duplicate is ignored`,
            [...path, i],
            { severity: "warning" },
          ),
        );
      } else {
        seen.set(v, i);
      }
    });
    return [...seen.keys()].sort(compareStrings);
  }
}

/** `record[key]` when it is the record's own property: never an inherited `constructor` or `__proto__`. */
export function own<T>(record: Readonly<Record<string, T | undefined>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
