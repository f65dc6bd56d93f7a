/**
 * json.verify_schema and json.match_schema. OPA uses gojsonschema; we validate with ajv and reword
 * ajv's errors into gojsonschema's {error, type, field, desc} shape.
 */
import AjvModule, { type ErrorObject, type ValidateFunction } from "ajv";
import Ajv2019Module from "ajv/dist/2019.js";
import Ajv2020Module from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { BuiltinError } from "../errors.js";
import { formatNumber } from "../format.js";
import { fromJson, type Json, objectFrom, RegoObject, toJson, type Value } from "../value.js";
import { type BoundedCache, type BuiltinDecl, T } from "./types.js";

// ajv ships CommonJS with a `default` property; under NodeNext the class lives there.
const Ajv = AjvModule.default;
const Ajv2019 = Ajv2019Module.default;
const Ajv2020 = Ajv2020Module.default;
const addFormats = addFormatsModule.default;

const VALID_TYPES = ["array", "boolean", "integer", "number", "null", "object", "string"];

/** Converts an operand (JSON text, object or array) into plain JSON, or throws with gojsonschema's wording. */
function load(v: Value): Json {
  if (typeof v === "string") {
    try {
      return JSON.parse(v) as Json;
    } catch {
      throw new Error("invalid JSON string");
    }
  }
  if (v instanceof RegoObject || Array.isArray(v)) return toJson(v);
  throw new Error("wrong type, expected string or object");
}

// Keywords whose values are subschemas (as a schema, an array of schemas, or a map of schemas).
const SCHEMA_KEYS = new Set([
  "items",
  "additionalItems",
  "additionalProperties",
  "contains",
  "propertyNames",
  "not",
  "if",
  "then",
  "else",
  "unevaluatedItems",
  "unevaluatedProperties",
  "allOf",
  "anyOf",
  "oneOf",
  "prefixItems",
]);
const SCHEMA_MAP_KEYS = new Set([
  "properties",
  "patternProperties",
  "definitions",
  "$defs",
  "dependencies",
  "dependentSchemas",
]);

/** Rejects unknown primitive types as gojsonschema does, which ajv would word differently. */
function checkTypes(schema: Json): void {
  if (Array.isArray(schema)) {
    schema.forEach(checkTypes);
    return;
  }
  if (schema === null || typeof schema !== "object") return;
  const t = schema.type;
  for (const name of typeof t === "string" ? [t] : Array.isArray(t) ? t : []) {
    if (typeof name === "string" && !VALID_TYPES.includes(name)) {
      throw new Error(
        `has a primitive type that is NOT VALID -- given: /${name}/ Expected valid values are:[${VALID_TYPES.join(" ")}]`,
      );
    }
  }
  for (const [k, v] of Object.entries(schema)) {
    if (SCHEMA_KEYS.has(k)) checkTypes(v);
    else if (SCHEMA_MAP_KEYS.has(k) && v !== null && typeof v === "object" && !Array.isArray(v)) {
      Object.values(v).forEach(checkTypes);
    }
  }
}

/** Compiles a schema with the ajv class its `$schema` asks for (draft-07 by default), caching by text. */
function compile(schema: Json, cache: BoundedCache): ValidateFunction {
  const text = JSON.stringify(schema);
  const hit = cache.get("json.schema", text);
  if (hit) return hit as ValidateFunction;
  checkTypes(schema);
  let subject = schema;
  const declared = schema !== null && typeof schema === "object" && !Array.isArray(schema) ? schema.$schema : undefined;
  const opts = { allErrors: true, strict: false, verbose: true, logger: false, validateFormats: true } as const;
  let ajv: InstanceType<typeof Ajv>;
  if (typeof declared === "string" && declared.includes("2020-12")) ajv = new Ajv2020(opts);
  else if (typeof declared === "string" && declared.includes("2019-09")) ajv = new Ajv2019(opts);
  else {
    ajv = new Ajv(opts);
    // Older drafts (04, 06) are close enough to 07 for validation; ajv would refuse their meta-schemas.
    if (typeof declared === "string" && !declared.includes("draft-07")) {
      const { $schema: _dropped, ...rest } = subject as { [key: string]: Json };
      subject = rest;
    }
  }
  addFormats(ajv);
  let fn: ValidateFunction;
  try {
    fn = ajv.compile(subject as object | boolean);
  } catch (e) {
    throw new Error((e as Error).message);
  }
  cache.set("json.schema", text, fn);
  return fn;
}

function jsonTypeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function fieldOf(instancePath: string): string {
  if (instancePath === "") return "(root)";
  return instancePath
    .slice(1)
    .split("/")
    .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"))
    .join(".");
}

interface GoError {
  type: string;
  desc: string;
  field: string;
}

function num(v: unknown): string {
  return typeof v === "number" ? formatNumber(v) : String(v);
}

/** gojsonschema's type and description for one ajv error; undefined for errors it has no counterpart of. */
function describe(e: ErrorObject, field: string): Omit<GoError, "field"> | undefined {
  const p = e.params as Record<string, unknown>;
  const schema: unknown = e.schema;
  switch (e.keyword) {
    case "type": {
      const t = p.type;
      const expected = Array.isArray(t) ? `[${t.join(",")}]` : String(t);
      return { type: "invalid_type", desc: `Invalid type. Expected: ${expected}, given: ${jsonTypeOf(e.data)}` };
    }
    case "required":
      return { type: "required", desc: `${String(p.missingProperty)} is required` };
    case "additionalProperties":
      return {
        type: "additional_property_not_allowed",
        desc: `Additional property ${String(p.additionalProperty)} is not allowed`,
      };
    case "enum": {
      const allowed = Array.isArray(schema) ? schema.map((x) => JSON.stringify(x)).join(", ") : "";
      return { type: "enum", desc: `${field} must be one of the following: ${allowed}` };
    }
    case "const":
      return { type: "const", desc: `${field} does not match: ${JSON.stringify(p.allowedValue)}` };
    case "minLength":
      return { type: "string_gte", desc: `String length must be greater than or equal to ${num(p.limit)}` };
    case "maxLength":
      return { type: "string_lte", desc: `String length must be less than or equal to ${num(p.limit)}` };
    case "pattern":
      return { type: "pattern", desc: `Does not match pattern '${String(p.pattern)}'` };
    case "format":
      return { type: "format", desc: `Does not match format '${String(p.format)}'` };
    case "minimum":
      return { type: "number_gte", desc: `Must be greater than or equal to ${num(p.limit)}` };
    case "exclusiveMinimum":
      return { type: "number_gt", desc: `Must be greater than ${num(p.limit)}` };
    case "maximum":
      return { type: "number_lte", desc: `Must be less than or equal to ${num(p.limit)}` };
    case "exclusiveMaximum":
      return { type: "number_lt", desc: `Must be less than ${num(p.limit)}` };
    case "multipleOf":
      return { type: "multiple_of", desc: `Must be a multiple of ${num(p.multipleOf)}` };
    case "minItems":
      return { type: "array_min_items", desc: `Array must have at least ${num(p.limit)} items` };
    case "maxItems":
      return { type: "array_max_items", desc: `Array must have at most ${num(p.limit)} items` };
    case "uniqueItems":
      return { type: "unique", desc: `array items[${num(p.j)},${num(p.i)}] must be unique` };
    case "contains":
      return { type: "contains", desc: "At least one of the items must match" };
    case "minProperties":
      return { type: "array_min_properties", desc: `Must have at least ${num(p.limit)} properties` };
    case "maxProperties":
      return { type: "array_max_properties", desc: `Must have at most ${num(p.limit)} properties` };
    case "anyOf":
      return { type: "number_any_of", desc: "Must validate at least one schema (anyOf)" };
    case "oneOf":
      return { type: "number_one_of", desc: "Must validate one and only one schema (oneOf)" };
    case "not":
      return { type: "number_not", desc: "Must not validate the schema (not)" };
    case "dependencies":
    case "dependentRequired":
      return { type: "missing_dependency", desc: `Has a dependency on ${String(p.deps ?? p.missingProperty)}` };
    case "propertyNames":
      return { type: "invalid_property_name", desc: `Property name of "${String(p.propertyName)}" does not match` };
    case "if":
      return p.failingKeyword === "else"
        ? { type: "condition_else", desc: 'Must validate "else" as "if" was not valid' }
        : { type: "condition_then", desc: 'Must validate "then" as "if" was valid' };
    case "false schema":
      return { type: "false", desc: "False always fails validation" };
    case "additionalItems":
    case "items":
      return { type: "array_no_additional_items", desc: "No additional items allowed on array" };
    default:
      return undefined;
  }
}

/**
 * Rewords ajv's errors. For a failed anyOf/oneOf, gojsonschema reports the combinator error followed by
 * the errors of the best-matching branch only; we take the branch with the fewest errors.
 */
function translate(errors: ErrorObject[]): GoError[] {
  const out: GoError[] = [];
  const consumed = new Set<ErrorObject>();
  const emit = (e: ErrorObject): void => {
    const field = fieldOf(e.instancePath);
    const d = describe(e, field);
    if (d) out.push({ ...d, field });
  };
  for (const e of errors) {
    if (consumed.has(e)) continue;
    if (e.keyword !== "anyOf" && e.keyword !== "oneOf") continue;
    const branches = new Map<string, ErrorObject[]>();
    for (const s of errors) {
      if (s === e || !s.schemaPath.startsWith(`${e.schemaPath}/`)) continue;
      consumed.add(s);
      const idx = s.schemaPath.slice(e.schemaPath.length + 1).split("/")[0] ?? "";
      branches.set(idx, [...(branches.get(idx) ?? []), s]);
    }
    let best: ErrorObject[] | undefined;
    for (const list of branches.values()) if (!best || list.length < best.length) best = list;
    (e as ErrorObject & { branch?: ErrorObject[] }).branch = best ?? [];
  }
  for (const e of errors) {
    if (consumed.has(e)) continue;
    emit(e);
    const branch = (e as ErrorObject & { branch?: ErrorObject[] }).branch;
    if (branch) for (const s of branch) emit(s);
  }
  return out;
}

/** json.verify_schema and json.match_schema. */
export const jsonSchemaBuiltins: BuiltinDecl[] = [
  {
    name: "json.verify_schema",
    args: [{ name: "schema", type: T.anyOf(T.string, T.object(T.any, T.any)) }],
    result: T.array(T.anyOf(T.boolean, T.null, T.string)),
    doc: "Checks that the input is a valid JSON schema: `[true, null]`, or `[false, error]`.",
    impl(args, ctx) {
      try {
        compile(load(args[0] as Value), ctx.compiled);
        return [true, null];
      } catch (e) {
        return [false, `jsonschema: ${(e as Error).message}`];
      }
    },
  },
  {
    name: "json.match_schema",
    args: [
      { name: "document", type: T.anyOf(T.string, T.object(T.any, T.any)) },
      { name: "schema", type: T.anyOf(T.string, T.object(T.any, T.any)) },
    ],
    result: T.array(T.anyOf(T.boolean, T.array(T.object(T.string, T.string)))),
    doc: "Checks a document against a JSON schema: `[true, []]`, or `[false, errors]` in gojsonschema's shape.",
    impl(args, ctx) {
      let doc: Json;
      let validate: ValidateFunction;
      try {
        doc = load(args[0] as Value);
        validate = compile(load(args[1] as Value), ctx.compiled);
      } catch (e) {
        throw new BuiltinError((e as Error).message);
      }
      if (validate(doc)) return [true, []];
      const errors = translate(validate.errors ?? []).map((g) =>
        objectFrom({ error: `${g.field}: ${g.desc}`, type: g.type, field: g.field, desc: g.desc }),
      );
      return [false, fromJson(errors)];
    },
  },
];
