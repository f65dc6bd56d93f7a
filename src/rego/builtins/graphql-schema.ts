/**
 * GraphQL schema checking after gqlparser's own rules (more lenient than graphql-js: no Query type needed,
 * extensions of undeclared types allowed, ...), and the graphql-js schema that queries are validated against.
 */
import { buildASTSchema, type GraphQLSchema, parse } from "graphql";
import { BuiltinError } from "../errors.js";
import type { GArgDef, GDefinition, GDirectiveDef, GFieldDef, GPos, GSchemaDoc, GType, GValue } from "./graphql-ast.js";
import { printType, printValue } from "./graphql-input.js";

// ---------------------------------------------------------------------------------------------
// Schema checking, after gqlparser's ValidateSchemaDocument (merged with its prelude)

const preludeScalars = ["Int", "Float", "String", "Boolean", "ID"];
const preludeTypes: [string, string][] = [
  ...preludeScalars.map((n): [string, string] => [n, "SCALAR"]),
  ["__Schema", "OBJECT"],
  ["__Type", "OBJECT"],
  ["__Field", "OBJECT"],
  ["__InputValue", "OBJECT"],
  ["__EnumValue", "OBJECT"],
  ["__TypeKind", "ENUM"],
  ["__Directive", "OBJECT"],
  ["__DirectiveLocation", "ENUM"],
];
const preludeDirectives: Record<string, string[]> = {
  include: ["FIELD", "FRAGMENT_SPREAD", "INLINE_FRAGMENT"],
  skip: ["FIELD", "FRAGMENT_SPREAD", "INLINE_FRAGMENT"],
  deprecated: ["FIELD_DEFINITION", "ARGUMENT_DEFINITION", "INPUT_FIELD_DEFINITION", "ENUM_VALUE"],
  specifiedBy: ["SCALAR"],
};

/** A schema that passed gqlparser's checks: its types and directives (prelude included) and its root types. */
export interface CheckedSchema {
  types: Map<string, GDefinition>;
  directives: Map<string, GDirectiveDef>;
  possible: Map<string, GDefinition[]>;
  roots: { query?: string; mutation?: string; subscription?: string };
}

/** A schema conversion failure, worded as gqlerror prints it ("input:3:5: message"). */
class SchemaError extends Error {
  constructor(message: string, position?: GPos) {
    super(`${position ? `input:${position.Line}:${position.Column}` : "input"}: ${message}`);
  }
}

function emptyDefinition(kind: string, name: string, builtIn: boolean, position?: GPos): GDefinition {
  const empty = { Description: "", Directives: [], Interfaces: [], Fields: [], Types: [], EnumValues: [] };
  return { ...empty, Kind: kind, Name: name, BuiltIn: builtIn, Position: position };
}

const typeName = (t: GType | null): string => (t === null ? "" : t.Elem ? typeName(t.Elem) : t.NamedType);

/** Validates a schema document as gqlparser does; throws SchemaError on the first problem. */
function checkSchema(doc: GSchemaDoc): CheckedSchema {
  const types = new Map<string, GDefinition>();
  const defs: GDefinition[] = [];
  // Copies, so that merging extensions never touches the document returned to the policy.
  const userDefs = doc.Definitions.map((d) => ({ ...d, Fields: [...d.Fields], Interfaces: [...d.Interfaces] }));
  for (const d of [...preludeTypes.map(([n, k]) => emptyDefinition(k, n, true)), ...userDefs]) {
    if (types.has(d.Name)) throw new SchemaError(`Cannot redeclare type ${d.Name}.`, d.Position);
    types.set(d.Name, d);
    defs.push(d);
  }
  for (const ext of doc.Extensions) {
    let def = types.get(ext.Name);
    if (!def) {
      def = emptyDefinition(ext.Kind, ext.Name, false, ext.Position);
      types.set(ext.Name, def);
      defs.push(def);
    }
    if (def.Kind !== ext.Kind) {
      const msg = `Cannot extend type ${ext.Name} because the base type is a ${def.Kind}, not ${ext.Kind}.`;
      throw new SchemaError(msg, ext.Position);
    }
    def.Directives = [...def.Directives, ...ext.Directives];
    def.Interfaces = [...def.Interfaces, ...ext.Interfaces];
    def.Fields = [...def.Fields, ...ext.Fields];
    def.Types = [...def.Types, ...ext.Types];
    def.EnumValues = [...def.EnumValues, ...ext.EnumValues];
  }
  const possible = new Map<string, GDefinition[]>();
  const addPossible = (name: string, d: GDefinition | undefined): void => {
    if (d) possible.set(name, [...(possible.get(name) ?? []), d]);
  };
  for (const d of defs) {
    if (d.Kind === "UNION") for (const t of d.Types) addPossible(d.Name, types.get(t));
    if (d.Kind === "OBJECT" || d.Kind === "INPUT_OBJECT" || d.Kind === "INTERFACE") {
      for (const i of d.Interfaces) addPossible(i, d);
      if (d.Kind !== "INTERFACE") addPossible(d.Name, d);
    }
  }
  const directives = new Map<string, GDirectiveDef>();
  for (const [name, locations] of Object.entries(preludeDirectives)) {
    directives.set(name, { Description: "", Name: name, Arguments: [], Locations: locations, IsRepeatable: false });
  }
  for (const d of doc.Directives) {
    if (directives.has(d.Name)) {
      if (d.Name in preludeDirectives) continue;
      throw new SchemaError(`Cannot redeclare directive ${d.Name}.`, d.Position);
    }
    directives.set(d.Name, d);
  }
  const schema: CheckedSchema = { types, directives, possible, roots: {} };
  if (doc.Schema.length > 1) {
    const msg = "Cannot have multiple schema entry points, consider schema extensions instead.";
    throw new SchemaError(msg, doc.Schema[1]?.Position);
  }
  for (const s of [...doc.Schema, ...doc.SchemaExtension]) {
    for (const op of s.OperationTypes) {
      if (!types.has(op.Type)) {
        const msg = `Schema root ${op.Operation} refers to a type ${op.Type} that does not exist.`;
        throw new SchemaError(msg, op.Position);
      }
      if (op.Operation === "query" || op.Operation === "mutation" || op.Operation === "subscription") {
        schema.roots[op.Operation] = op.Type;
      }
    }
  }
  for (const name of [...types.keys()].sort()) checkDefinition(schema, types.get(name) as GDefinition);
  for (const name of [...directives.keys()].sort()) {
    const d = directives.get(name) as GDirectiveDef;
    checkName(d.Name, d.Position);
    checkArgs(schema, d.Arguments, d);
  }
  if (doc.Schema.length === 0) {
    for (const [op, name] of [
      ["query", "Query"],
      ["mutation", "Mutation"],
      ["subscription", "Subscription"],
    ] as const) {
      if (!schema.roots[op] && types.has(name)) schema.roots[op] = name;
    }
  }
  return schema;
}

function checkName(name: string, position?: GPos): void {
  if (name.startsWith("__")) {
    throw new SchemaError(
      `Name "${name}" must not begin with "__", which is reserved by GraphQL introspection.`,
      position,
    );
  }
}

function checkDefinition(schema: CheckedSchema, def: GDefinition): void {
  // The prelude is known to be valid, and its introspection types are only stubs here.
  if (def.BuiltIn && preludeTypes.some(([n]) => n === def.Name)) return;
  for (const f of def.Fields) {
    checkName(f.Name, f.Position);
    checkTypeRef(schema, f.Type);
    checkArgs(schema, f.Arguments, undefined);
    checkDirectives(schema, f.Directives, def.Kind === "INPUT_OBJECT" ? "INPUT_FIELD_DEFINITION" : "FIELD_DEFINITION");
  }
  for (const t of def.Types) {
    const member = schema.types.get(t);
    if (!member) throw new SchemaError(`Undefined type ${JSON.stringify(t)}.`, def.Position);
    if (member.Kind !== "OBJECT")
      throw new SchemaError(`${def.Kind} type ${JSON.stringify(t)} must be OBJECT.`, def.Position);
  }
  for (const i of def.Interfaces) checkImplements(schema, def, i);
  const where = `${def.Kind} ${def.Name}:`;
  const fieldKinds =
    def.Kind === "INPUT_OBJECT"
      ? ["SCALAR", "ENUM", "INPUT_OBJECT"]
      : ["SCALAR", "OBJECT", "INTERFACE", "UNION", "ENUM"];
  switch (def.Kind) {
    case "OBJECT":
    case "INTERFACE":
    case "INPUT_OBJECT":
      if (def.Fields.length === 0) {
        const what = def.Kind === "INPUT_OBJECT" ? "input fields" : "fields";
        throw new SchemaError(`${where} must define one or more ${what}.`, def.Position);
      }
      for (const f of def.Fields) {
        const t = schema.types.get(typeName(f.Type));
        if (t && !fieldKinds.includes(t.Kind)) {
          const owner = def.Kind === "INPUT_OBJECT" ? `${t.Kind} ${f.Name}:` : where;
          throw new SchemaError(`${owner} field must be one of ${fieldKinds.join(", ")}.`, f.Position);
        }
      }
      break;
    case "ENUM":
      if (def.EnumValues.length === 0) {
        throw new SchemaError(`${where} must define one or more unique enum values.`, def.Position);
      }
      for (const v of def.EnumValues) {
        if (["true", "false", "null"].includes(v.Name))
          throw new SchemaError(`${where} non-enum value ${v.Name}.`, def.Position);
      }
      break;
  }
  const seen = new Set<string>();
  for (const f of def.Fields) {
    if (seen.has(f.Name)) throw new SchemaError(`Field ${def.Name}.${f.Name} can only be defined once.`, f.Position);
    seen.add(f.Name);
  }
  if (!def.BuiltIn) checkName(def.Name, def.Position);
  checkDirectives(schema, def.Directives, def.Kind);
}

function checkTypeRef(schema: CheckedSchema, t: GType | null): void {
  if (!schema.types.has(typeName(t))) throw new SchemaError(`Undefined type ${typeName(t)}.`, t?.Position);
}

function checkArgs(schema: CheckedSchema, args: GArgDef[], current: GDirectiveDef | undefined): void {
  for (const a of args) {
    checkName(a.Name, a.Position);
    checkTypeRef(schema, a.Type);
    const kind = schema.types.get(typeName(a.Type))?.Kind ?? "";
    if (!["SCALAR", "ENUM", "INPUT_OBJECT"].includes(kind)) {
      const msg = `cannot use ${printType(a.Type)} as argument ${a.Name} because ${kind} is not a valid input type`;
      throw new SchemaError(msg, a.Position);
    }
    checkDirectives(schema, a.Directives, "ARGUMENT_DEFINITION", current);
  }
}

function checkDirectives(
  schema: CheckedSchema,
  dirs: GDefinition["Directives"],
  location: string,
  current?: GDirectiveDef,
): void {
  for (const d of dirs) {
    checkName(d.Name, d.Position);
    if (current && d.Name === current.Name)
      throw new SchemaError(`Directive ${d.Name} cannot refer to itself.`, d.Position);
    const def = schema.directives.get(d.Name);
    if (!def) throw new SchemaError(`Undefined directive ${d.Name}.`, d.Position);
    if (!def.Locations.includes(location)) {
      throw new SchemaError(`Directive ${d.Name} is not applicable on ${location}.`, d.Position);
    }
  }
}

function checkImplements(schema: CheckedSchema, def: GDefinition, name: string): void {
  const intf = schema.types.get(name);
  if (!intf) throw new SchemaError(`Undefined type ${JSON.stringify(name)}.`, def.Position);
  if (intf.Kind !== "INTERFACE") {
    throw new SchemaError(`${JSON.stringify(name)} is a non interface type ${intf.Kind}.`, def.Position);
  }
  const prefix = `For ${def.Name} to implement ${intf.Name}`;
  for (const required of intf.Fields) {
    const found = def.Fields.find((f) => f.Name === required.Name);
    if (!found) throw new SchemaError(`${prefix} it must have a field called ${required.Name}.`, def.Position);
    if (!isCovariant(schema, required.Type, found.Type)) {
      const msg = `${prefix} the field ${required.Name} must have type ${printType(required.Type)}.`;
      throw new SchemaError(msg, found.Position);
    }
    for (const arg of required.Arguments) {
      const got = found.Arguments.find((a) => a.Name === arg.Name);
      const same = `${prefix} the field ${required.Name} must have the same arguments but`;
      if (!got) throw new SchemaError(`${same} it is missing ${arg.Name}.`, found.Position);
      if (!isCompatible(arg.Type, got.Type)) {
        throw new SchemaError(`${same} ${arg.Name} has the wrong type.`, got.Position);
      }
    }
    for (const extra of found.Arguments) {
      if (!required.Arguments.some((a) => a.Name === extra.Name) && extra.Type?.NonNull && !extra.DefaultValue) {
        const rule = `any additional arguments on ${found.Name} must be optional or have a default value`;
        throw new SchemaError(`${prefix} ${rule} but ${extra.Name} is required.`, extra.Position);
      }
    }
  }
  for (const transitive of intf.Interfaces) {
    if (def.Interfaces.includes(transitive)) continue;
    if (transitive === def.Name) {
      throw new SchemaError(
        `Type ${def.Name} cannot implement ${name} because it would create a circular reference.`,
        def.Position,
      );
    }
    throw new SchemaError(
      `Type ${def.Name} must implement ${transitive} because it is implemented by ${name}.`,
      def.Position,
    );
  }
}

function isCovariant(schema: CheckedSchema, required: GType | null, actual: GType | null): boolean {
  if (!required || !actual) return required === actual;
  if (required.NonNull && !actual.NonNull) return false;
  if (required.NamedType !== "") {
    if (required.NamedType === actual.NamedType) return true;
    return (schema.possible.get(required.NamedType) ?? []).some((d) => d.Name === actual.NamedType);
  }
  if (required.Elem && !actual.Elem) return false;
  return isCovariant(schema, required.Elem, actual.Elem);
}

function isCompatible(a: GType | null, b: GType | null): boolean {
  if (!a || !b) return a === b;
  if (a.NamedType !== b.NamedType) return false;
  if (a.Elem && (!b.Elem || !isCompatible(a.Elem, b.Elem))) return false;
  return b.NonNull ? a.NonNull : true;
}

// ---------------------------------------------------------------------------------------------
// graphql-js schema for query validation, built from SDL printed off the checked schema

const printDefault = (v: GValue | null): string => (v ? ` = ${printValue(v)}` : "");

function printArgDefs(args: GArgDef[]): string {
  return args.length
    ? `(${args.map((a) => `${a.Name}: ${printType(a.Type)}${printDefault(a.DefaultValue)}`).join(", ")})`
    : "";
}

function printFieldDefs(fields: GFieldDef[], input: boolean): string {
  const lines = fields.map((f) =>
    input
      ? `  ${f.Name}: ${printType(f.Type)}${printDefault(f.DefaultValue)}`
      : `  ${f.Name}${printArgDefs(f.Arguments)}: ${printType(f.Type)}`,
  );
  return `{\n${lines.join("\n")}\n}`;
}

function printSdl(schema: CheckedSchema): string {
  const out: string[] = [];
  for (const d of schema.types.values()) {
    if (d.BuiltIn && preludeTypes.some(([n]) => n === d.Name)) continue;
    const impl = d.Interfaces.length ? ` implements ${d.Interfaces.join(" & ")}` : "";
    switch (d.Kind) {
      case "SCALAR":
        out.push(`scalar ${d.Name}`);
        break;
      case "OBJECT":
      case "INTERFACE":
        out.push(`${d.Kind === "OBJECT" ? "type" : "interface"} ${d.Name}${impl} ${printFieldDefs(d.Fields, false)}`);
        break;
      case "INPUT_OBJECT":
        out.push(`input ${d.Name} ${printFieldDefs(d.Fields, true)}`);
        break;
      case "UNION":
        out.push(`union ${d.Name} = ${d.Types.join(" | ")}`);
        break;
      case "ENUM":
        out.push(`enum ${d.Name} { ${d.EnumValues.map((v) => v.Name).join(" ")} }`);
        break;
    }
  }
  for (const d of schema.directives.values()) {
    if (d.Name in preludeDirectives) continue;
    const repeatable = d.IsRepeatable ? " repeatable" : "";
    out.push(`directive @${d.Name}${printArgDefs(d.Arguments)}${repeatable} on ${d.Locations.join(" | ")}`);
  }
  const roots = Object.entries(schema.roots).map(([op, t]) => `${op}: ${t}`);
  if (roots.length) out.push(`schema { ${roots.join(" ")} }`);
  return out.join("\n");
}

/** A checked schema together with the graphql-js schema that queries are validated against. */
export interface PreparedSchema {
  checked: CheckedSchema;
  js: GraphQLSchema;
}

/** Checks a schema document and builds its graphql-js form; throws BuiltinError with OPA's wording. */
export function prepareSchema(doc: GSchemaDoc): PreparedSchema {
  let checked: CheckedSchema;
  let js: GraphQLSchema;
  try {
    checked = checkSchema(doc);
    js = buildASTSchema(parse(printSdl(checked)), { assumeValid: true, assumeValidSDL: true });
  } catch (e) {
    const msg = e instanceof SchemaError ? e.message : `input: ${e instanceof Error ? e.message : String(e)}`;
    throw new BuiltinError(`Error in gqlparser SchemaDocument to Schema conversion: ${msg}`);
  }
  return { checked, js };
}
