/**
 * A small JSON Schema validator for the subset the OpenAPI contract uses: type (with type arrays
 * for nullable), properties, required, additionalProperties, items, enum, const, oneOf with an
 * optional discriminator, $ref to `#/...`, and the numeric/string bounds. Annotation keywords are
 * ignored; any other keyword throws, so the contract cannot use a keyword this validator would
 * silently skip.
 */

export type JsonSchema = { [key: string]: unknown } | boolean;

const ANNOTATIONS = new Set([
  "description",
  "title",
  "examples",
  "example",
  "default",
  "format",
  "deprecated",
  "readOnly",
  "writeOnly",
  "$schema",
]);
const SUPPORTED = new Set([
  "$ref",
  "type",
  "properties",
  "required",
  "additionalProperties",
  "items",
  "enum",
  "const",
  "oneOf",
  "discriminator",
  "minimum",
  "maximum",
  "minLength",
  "maxLength",
]);

const typeOf = (v: unknown): string => {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
};

const fits = (want: string, v: unknown): boolean => {
  const got = typeOf(v);
  return want === got || (want === "number" && got === "integer");
};

const deepEqual = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Resolves a local `$ref` such as `#/components/schemas/ApiUser` against `root`. */
export function resolveRef(root: unknown, ref: string): JsonSchema {
  if (!ref.startsWith("#/")) throw new Error(`only local $refs are supported, got ${ref}`);
  let node: unknown = root;
  for (const raw of ref.slice(2).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (node === null || typeof node !== "object" || !(key in node))
      throw new Error(`unresolvable $ref ${ref}`);
    node = (node as Record<string, unknown>)[key];
  }
  return node as JsonSchema;
}

/** Validates `value`; returns one message per problem (empty when valid). */
export function validate(schema: JsonSchema, value: unknown, root: unknown = schema, path = "$"): string[] {
  if (schema === true) return [];
  if (schema === false) return [`${path}: no value is allowed here`];
  for (const key of Object.keys(schema)) {
    if (!SUPPORTED.has(key) && !ANNOTATIONS.has(key) && !key.startsWith("x-")) {
      throw new Error(`json-schema.ts does not support the keyword "${key}" (at ${path})`);
    }
  }
  const s = schema as Record<string, unknown>;
  if (typeof s.$ref === "string") return validate(resolveRef(root, s.$ref), value, root, path);

  const errors: string[] = [];
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
    if (!types.some((t) => fits(t, value))) {
      return [`${path}: expected ${types.join(" or ")}, got ${typeOf(value)}`];
    }
  }
  if (s.enum !== undefined && !(s.enum as unknown[]).some((e) => deepEqual(e, value))) {
    errors.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(s.enum)}`);
  }
  if (s.const !== undefined && !deepEqual(s.const, value)) {
    errors.push(`${path}: expected ${JSON.stringify(s.const)}, got ${JSON.stringify(value)}`);
  }
  if (typeof value === "number") {
    if (typeof s.minimum === "number" && value < s.minimum)
      errors.push(`${path}: ${value} < minimum ${s.minimum}`);
    if (typeof s.maximum === "number" && value > s.maximum)
      errors.push(`${path}: ${value} > maximum ${s.maximum}`);
  }
  if (typeof value === "string") {
    const len = [...value].length;
    if (typeof s.minLength === "number" && len < s.minLength)
      errors.push(`${path}: shorter than ${s.minLength}`);
    if (typeof s.maxLength === "number" && len > s.maxLength)
      errors.push(`${path}: longer than ${s.maxLength}`);
  }

  if (typeOf(value) === "object") {
    const obj = value as Record<string, unknown>;
    const props = (s.properties ?? {}) as Record<string, JsonSchema>;
    for (const req of (s.required ?? []) as string[]) {
      if (!(req in obj)) errors.push(`${path}: missing required property "${req}"`);
    }
    for (const [k, v] of Object.entries(obj)) {
      const sub = props[k];
      if (sub !== undefined) errors.push(...validate(sub, v, root, `${path}.${k}`));
      else if (s.additionalProperties === false) errors.push(`${path}: unexpected property "${k}"`);
      else if (typeof s.additionalProperties === "object" && s.additionalProperties !== null) {
        errors.push(...validate(s.additionalProperties as JsonSchema, v, root, `${path}.${k}`));
      }
    }
  }
  if (Array.isArray(value) && s.items !== undefined) {
    value.forEach((item, i) => {
      errors.push(...validate(s.items as JsonSchema, item, root, `${path}[${i}]`));
    });
  }

  if (Array.isArray(s.oneOf)) {
    const disc = s.discriminator as { propertyName: string; mapping?: Record<string, string> } | undefined;
    if (disc && typeOf(value) === "object") {
      const tag = (value as Record<string, unknown>)[disc.propertyName];
      const ref = typeof tag === "string" ? disc.mapping?.[tag] : undefined;
      if (ref === undefined) {
        errors.push(`${path}.${disc.propertyName}: ${JSON.stringify(tag)} matches no discriminator mapping`);
      } else {
        errors.push(...validate(resolveRef(root, ref), value, root, path));
      }
    } else {
      const matching = (s.oneOf as JsonSchema[]).filter(
        (sub) => validate(sub, value, root, path).length === 0,
      );
      if (matching.length !== 1)
        errors.push(`${path}: matches ${matching.length} of oneOf's schemas, not exactly 1`);
    }
  }
  return errors;
}
