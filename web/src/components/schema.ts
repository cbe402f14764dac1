/** A subset of JSON Schema as pydantic writes it, and how to read it. */

export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  allOf?: JsonSchema[];
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  additionalProperties?: boolean | JsonSchema;
}

/** Follow `$ref`s into the root's `$defs` and unwrap a single `allOf`. */
export function resolve(schema: JsonSchema, root: JsonSchema): JsonSchema {
  let s = schema;
  for (let i = 0; i < 10; i++) {
    if (s.$ref) {
      const name = s.$ref.split("/").pop() ?? "";
      const target = root.$defs?.[name];
      if (!target) return s;
      const { $ref: _ref, ...rest } = s;
      s = { ...target, ...rest };
    } else if (s.allOf?.length === 1 && s.allOf[0]) {
      const { allOf, ...rest } = s;
      s = { ...allOf[0], ...rest };
    } else {
      return s;
    }
  }
  return s;
}

/** `X | None` → `[X, true]`; anything else → `[schema, false]`. */
export function unwrapNullable(schema: JsonSchema): [JsonSchema, boolean] {
  if (!schema.anyOf) return [schema, false];
  const other = schema.anyOf.filter((o) => o.type !== "null");
  if (other.length === 1 && other[0] && other.length < schema.anyOf.length) {
    const { anyOf: _a, ...rest } = schema;
    return [{ ...other[0], ...rest }, true];
  }
  return [schema, false];
}

export type FieldKind = "enum" | "boolean" | "integer" | "number" | "string" | "list" | "object" | "json";

export function fieldKind(s: JsonSchema): FieldKind {
  if (s.enum) return "enum";
  if (s.type === "boolean") return "boolean";
  if (s.type === "integer") return "integer";
  if (s.type === "number") return "number";
  if (s.type === "string") return "string";
  if (s.type === "array" && s.items && ["number", "integer", "string"].includes(String(s.items.type))) {
    return "list";
  }
  if (s.properties && Object.keys(s.properties).length > 0) return "object";
  return "json";
}

/** The defaults of every property that has one (nested objects included). */
export function defaults(schema: JsonSchema, root: JsonSchema = schema): Record<string, unknown> {
  const s = resolve(schema, root);
  const out: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(s.properties ?? {})) {
    const [prop] = unwrapNullable(resolve(raw, root));
    if (prop.default !== undefined) out[name] = prop.default;
    else if (fieldKind(prop) === "object") out[name] = defaults(prop, root);
  }
  return out;
}
