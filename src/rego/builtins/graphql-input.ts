/**
 * GraphQL AST objects given to the builtins as operands: decoded the way Go's encoding/json would fill
 * gqlparser's structs, and printed back to GraphQL text so graphql-js can parse and validate them.
 */
import type { Json } from "../value.js";
import {
  type GArgDef,
  type GArgument,
  type GDefinition,
  type GDirective,
  type GQueryDoc,
  type GSchemaDef,
  type GSchemaDoc,
  type GSelection,
  type GType,
  type GValue,
  type GVarDef,
  ValueKind,
} from "./graphql-ast.js";

// ---------------------------------------------------------------------------------------------
// Printing back to GraphQL text

/** GraphQL source text of a value. */
export function printValue(v: GValue | null): string {
  if (!v) return "null";
  switch (v.Kind) {
    case ValueKind.Variable:
      return `$${v.Raw}`;
    case ValueKind.String:
    case ValueKind.Block:
      return JSON.stringify(v.Raw);
    case ValueKind.List:
      return `[${v.Children.map((c) => printValue(c.Value)).join(", ")}]`;
    case ValueKind.Object:
      return `{${v.Children.map((c) => `${c.Name}: ${printValue(c.Value)}`).join(", ")}}`;
    default:
      return v.Raw;
  }
}

/** GraphQL source text of a type reference. */
export function printType(t: GType | null): string {
  if (!t) return "";
  const inner = t.Elem ? `[${printType(t.Elem)}]` : t.NamedType;
  return t.NonNull ? `${inner}!` : inner;
}

function printArgs(args: GArgument[]): string {
  return args.length ? `(${args.map((a) => `${a.Name}: ${printValue(a.Value)}`).join(", ")})` : "";
}

function printDirectives(dirs: GDirective[]): string {
  return dirs.map((d) => ` @${d.Name}${printArgs(d.Arguments)}`).join("");
}

function printVarDefs(defs: GVarDef[]): string {
  if (!defs.length) return "";
  const parts = defs.map((d) => {
    const dflt = d.DefaultValue ? ` = ${printValue(d.DefaultValue)}` : "";
    return `$${d.Variable}: ${printType(d.Type)}${dflt}${printDirectives(d.Directives)}`;
  });
  return `(${parts.join(", ")})`;
}

function printSelections(sels: GSelection[]): string {
  const parts = sels.map((s) => {
    if ("Alias" in s) {
      const alias = s.Alias && s.Alias !== s.Name ? `${s.Alias}: ` : "";
      const sub = s.SelectionSet.length ? ` ${printSelections(s.SelectionSet)}` : "";
      return `${alias}${s.Name}${printArgs(s.Arguments)}${printDirectives(s.Directives)}${sub}`;
    }
    if ("TypeCondition" in s) {
      const on = s.TypeCondition ? ` on ${s.TypeCondition}` : "";
      return `...${on}${printDirectives(s.Directives)} ${printSelections(s.SelectionSet)}`;
    }
    return `...${s.Name}${printDirectives(s.Directives)}`;
  });
  return `{ ${parts.join(" ")} }`;
}

/** GraphQL source text of a query document. */
export function printQueryDocument(doc: GQueryDoc): string {
  const out: string[] = [];
  for (const op of doc.Operations) {
    const head = `${op.Operation || "query"} ${op.Name}${printVarDefs(op.VariableDefinitions)}`;
    out.push(`${head}${printDirectives(op.Directives)} ${printSelections(op.SelectionSet)}`);
  }
  for (const f of doc.Fragments) {
    const head = `fragment ${f.Name}${printVarDefs(f.VariableDefinition)} on ${f.TypeCondition}`;
    out.push(`${head}${printDirectives(f.Directives)} ${printSelections(f.SelectionSet)}`);
  }
  return out.join("\n");
}

// ---------------------------------------------------------------------------------------------
// From Rego values: OPA round-trips AST objects through encoding/json into gqlparser's structs, so
// keys match case-insensitively, unknown keys are ignored, null means the zero value, and a type
// mismatch is an error.

type JObj = { [k: string]: Json };

/** Decoding failure, worded like encoding/json's. */
export class GqlDecodeError extends Error {}

function jsonKind(j: Json): string {
  if (j === null) return "null";
  if (Array.isArray(j)) return "array";
  return typeof j === "object" ? "object" : typeof j;
}

function mismatch(j: Json, goType: string): never {
  throw new GqlDecodeError(`json: cannot unmarshal ${jsonKind(j)} into Go value of type ${goType}`);
}

function get(o: JObj, key: string): Json | undefined {
  if (key in o) return o[key];
  const lower = key.toLowerCase();
  for (const k of Object.keys(o)) if (k.toLowerCase() === lower) return o[k];
  return undefined;
}

function scalar<T extends Json>(o: JObj, key: string, zero: T, goType: string, ok: (j: Json) => j is T): T {
  const j = get(o, key);
  if (j === undefined || j === null) return zero;
  return ok(j) ? j : mismatch(j, goType);
}

const str = (o: JObj, key: string): string => scalar(o, key, "", "string", (j) => typeof j === "string");
const bool = (o: JObj, key: string): boolean => scalar(o, key, false, "bool", (j) => typeof j === "boolean");
const int = (o: JObj, key: string): number => scalar(o, key, 0, "int", (j): j is number => Number.isInteger(j));

function list<T>(o: JObj, key: string, item: (j: JObj) => T): T[] {
  const j = get(o, key);
  if (j === undefined || j === null) return [];
  if (!Array.isArray(j)) return mismatch(j, "slice");
  // A null element of a slice of structs decodes to the zero struct.
  return j.map((e) => item(asObj(e ?? {}, "struct")));
}

function strings(o: JObj, key: string): string[] {
  const j = get(o, key);
  if (j === undefined || j === null) return [];
  if (!Array.isArray(j)) return mismatch(j, "[]string");
  return j.map((e) => (e === null ? "" : typeof e === "string" ? e : mismatch(e, "string")));
}

function ptr<T>(o: JObj, key: string, item: (j: JObj) => T): T | null {
  const j = get(o, key);
  if (j === undefined || j === null) return null;
  return item(asObj(j, "struct"));
}

function asObj(j: Json, goType: string): JObj {
  return typeof j === "object" && j !== null && !Array.isArray(j) ? j : mismatch(j, goType);
}

const decType = (o: JObj): GType => ({
  NamedType: str(o, "NamedType"),
  Elem: ptr(o, "Elem", decType),
  NonNull: bool(o, "NonNull"),
});
const decValue = (o: JObj): GValue => ({
  Raw: str(o, "Raw"),
  Children: list(o, "Children", (c) => ({ Name: str(c, "Name"), Value: ptr(c, "Value", decValue) })),
  Kind: int(o, "Kind"),
});
const decArg = (o: JObj): GArgument => ({ Name: str(o, "Name"), Value: ptr(o, "Value", decValue) });
const decDirective = (o: JObj): GDirective => ({
  Name: str(o, "Name"),
  Arguments: list(o, "Arguments", decArg),
  Location: str(o, "Location"),
});
// gqlparser decodes every selection as a Field first, and any JSON object decodes as a Field.
const decSelection = (o: JObj): GSelection => ({
  Alias: str(o, "Alias"),
  Name: str(o, "Name"),
  Arguments: list(o, "Arguments", decArg),
  Directives: list(o, "Directives", decDirective),
  SelectionSet: list(o, "SelectionSet", decSelection),
});
const decVarDef = (o: JObj): GVarDef => ({
  Variable: str(o, "Variable"),
  Type: ptr(o, "Type", decType),
  DefaultValue: ptr(o, "DefaultValue", decValue),
  Directives: list(o, "Directives", decDirective),
  Used: bool(o, "Used"),
});

/** Decodes a query AST object (as graphql.parse_query returns) into a QueryDocument. */
export function decodeQueryDocument(j: Json): GQueryDoc {
  const o = asObj(j, "ast.QueryDocument");
  return {
    Operations: list(o, "Operations", (op) => ({
      Operation: str(op, "Operation"),
      Name: str(op, "Name"),
      VariableDefinitions: list(op, "VariableDefinitions", decVarDef),
      Directives: list(op, "Directives", decDirective),
      SelectionSet: list(op, "SelectionSet", decSelection),
    })),
    Fragments: list(o, "Fragments", (f) => ({
      Name: str(f, "Name"),
      VariableDefinition: list(f, "VariableDefinition", decVarDef),
      TypeCondition: str(f, "TypeCondition"),
      Directives: list(f, "Directives", decDirective),
      SelectionSet: list(f, "SelectionSet", decSelection),
    })),
  };
}

const decArgDef = (o: JObj): GArgDef => ({
  Description: str(o, "Description"),
  Name: str(o, "Name"),
  DefaultValue: ptr(o, "DefaultValue", decValue),
  Type: ptr(o, "Type", decType),
  Directives: list(o, "Directives", decDirective),
});
const decDefinition = (o: JObj): GDefinition => ({
  Kind: str(o, "Kind"),
  Description: str(o, "Description"),
  Name: str(o, "Name"),
  Directives: list(o, "Directives", decDirective),
  Interfaces: strings(o, "Interfaces"),
  Fields: list(o, "Fields", (f) => ({ ...decArgDef(f), Arguments: list(f, "Arguments", decArgDef) })),
  Types: strings(o, "Types"),
  EnumValues: list(o, "EnumValues", (e) => ({
    Description: str(e, "Description"),
    Name: str(e, "Name"),
    Directives: list(e, "Directives", decDirective),
  })),
  BuiltIn: bool(o, "BuiltIn"),
});
const decSchemaDef = (o: JObj): GSchemaDef => ({
  Description: str(o, "Description"),
  Directives: list(o, "Directives", decDirective),
  OperationTypes: list(o, "OperationTypes", (t) => ({ Operation: str(t, "Operation"), Type: str(t, "Type") })),
});

/** Decodes a schema AST object (as graphql.parse_schema returns) into a SchemaDocument. */
export function decodeSchemaDocument(j: Json): GSchemaDoc {
  const o = asObj(j, "ast.SchemaDocument");
  return {
    Schema: list(o, "Schema", decSchemaDef),
    SchemaExtension: list(o, "SchemaExtension", decSchemaDef),
    Directives: list(o, "Directives", (d) => ({
      Description: str(d, "Description"),
      Name: str(d, "Name"),
      Arguments: list(d, "Arguments", decArgDef),
      Locations: strings(d, "Locations"),
      IsRepeatable: bool(d, "IsRepeatable"),
    })),
    Definitions: list(o, "Definitions", decDefinition),
    Extensions: list(o, "Extensions", decDefinition),
  };
}
