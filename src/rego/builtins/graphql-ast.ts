/**
 * GraphQL documents in the shape OPA returns: gqlparser's Go AST marshalled to JSON (field names like
 * "SelectionSet", numeric value kinds). graphql-js does the parsing; this module declares gqlparser's
 * layouts, converts graphql-js's AST into them, and prunes the result the way OPA does.
 */
import {
  type ConstDirectiveNode,
  type DefinitionNode,
  type DirectiveNode,
  type DocumentNode,
  type FieldDefinitionNode,
  getLocation,
  type InputValueDefinitionNode,
  type Location as JsLocation,
  Kind,
  type SelectionNode,
  Source,
  type TypeNode,
  type ValueNode,
  type VariableDefinitionNode,
} from "graphql";
import type { Json } from "../value.js";
import { parseWithGqlErrors, unexpectedDefinition } from "./graphql-errors.js";

/** Source position; OPA prunes every "Position" key from results, so it only feeds error messages. */
export type GPos = { Line: number; Column: number };
type At = { Position?: GPos };
type Named = { Name: string };
type Described = { Description: string };
type Directed = { Directives: GDirective[] };
type Selecting = { SelectionSet: GSelection[] };

// The layouts of gqlparser's ast structs (fields the builtins never fill, like Definition, are left out).
export type GType = At & { NamedType: string; Elem: GType | null; NonNull: boolean };
export type GValue = { Raw: string; Children: GArgument[]; Kind: number };
export type GArgument = Named & { Value: GValue | null };
export type GDirective = At & Named & { Arguments: GArgument[]; Location: string };
export type GField = At & Named & Directed & Selecting & { Alias: string; Arguments: GArgument[] };
export type GSpread = At & Named & Directed;
export type GInline = At & Directed & Selecting & { TypeCondition: string };
export type GSelection = GField | GSpread | GInline;
export type GVarDef = Directed & { Variable: string; Type: GType | null; DefaultValue: GValue | null; Used: boolean };
export type GOperation = Named & Directed & Selecting & { Operation: string; VariableDefinitions: GVarDef[] };
export type GFragment = Named & Directed & Selecting & { VariableDefinition: GVarDef[]; TypeCondition: string };
export type GQueryDoc = { Operations: GOperation[]; Fragments: GFragment[] };
export type GArgDef = At & Named & Described & Directed & { DefaultValue: GValue | null; Type: GType | null };
export type GFieldDef = GArgDef & { Arguments: GArgDef[] };
export type GEnumValueDef = Named & Described & Directed;
export type GDefinition = At & Named & Described & Directed & { Kind: string; BuiltIn: boolean } & GMembers;
type GMembers = { Interfaces: string[]; Fields: GFieldDef[]; Types: string[]; EnumValues: GEnumValueDef[] };
export type GDirectiveDef = At &
  Named &
  Described & { Arguments: GArgDef[]; Locations: string[]; IsRepeatable: boolean };
export type GOpType = At & { Operation: string; Type: string };
export type GSchemaDef = At & Described & Directed & { OperationTypes: GOpType[] };
export type GSchemaDoc = {
  Schema: GSchemaDef[];
  SchemaExtension: GSchemaDef[];
  Directives: GDirectiveDef[];
} & GTypeDefs;
type GTypeDefs = { Definitions: GDefinition[]; Extensions: GDefinition[] };

/** gqlparser's ast.ValueKind numbering. */
export const ValueKind = {
  Variable: 0,
  Int: 1,
  Float: 2,
  String: 3,
  Block: 4,
  Boolean: 5,
  Null: 6,
  Enum: 7,
  List: 8,
  Object: 9,
};

// ---------------------------------------------------------------------------------------------
// Parsing

/** Parses an executable document into gqlparser's QueryDocument shape (and keeps graphql-js's AST). */
export function parseQueryDocument(text: string): { doc: GQueryDoc; js: DocumentNode | undefined } {
  const js = parseWithGqlErrors(text);
  const doc: GQueryDoc = { Operations: [], Fragments: [] };
  if (!js) return { doc, js };
  const source = new Source(text);
  for (const def of js.definitions) {
    if (def.kind === Kind.OPERATION_DEFINITION) {
      doc.Operations.push({
        Operation: def.operation,
        Name: def.name?.value ?? "",
        VariableDefinitions: (def.variableDefinitions ?? []).map(convertVarDef),
        Directives: convertDirectives(def.directives, source),
        SelectionSet: convertSelections(def.selectionSet.selections, source),
      });
    } else if (def.kind === Kind.FRAGMENT_DEFINITION) {
      doc.Fragments.push({
        Name: def.name.value,
        VariableDefinition: (def.variableDefinitions ?? []).map(convertVarDef),
        TypeCondition: def.typeCondition.name.value,
        Directives: convertDirectives(def.directives, source),
        SelectionSet: convertSelections(def.selectionSet.selections, source),
      });
    } else {
      throw unexpectedDefinition(def, text);
    }
  }
  return { doc, js };
}

/** Parses a type-system document into gqlparser's SchemaDocument shape. */
export function parseSchemaDocument(text: string): GSchemaDoc {
  const js = parseWithGqlErrors(text);
  const doc: GSchemaDoc = { Schema: [], SchemaExtension: [], Directives: [], Definitions: [], Extensions: [] };
  if (!js) return doc;
  const source = new Source(text);
  for (const def of js.definitions) {
    switch (def.kind) {
      case Kind.SCHEMA_DEFINITION:
      case Kind.SCHEMA_EXTENSION:
        (def.kind === Kind.SCHEMA_DEFINITION ? doc.Schema : doc.SchemaExtension).push({
          Description: def.kind === Kind.SCHEMA_DEFINITION ? (def.description?.value ?? "") : "",
          Directives: convertDirectives(def.directives, source),
          OperationTypes: (def.operationTypes ?? []).map((o) => ({
            Operation: o.operation,
            Type: o.type.name.value,
            Position: pos(source, o.loc),
          })),
          Position: pos(source, def.loc),
        });
        break;
      case Kind.DIRECTIVE_DEFINITION:
        doc.Directives.push({
          Description: def.description?.value ?? "",
          Name: def.name.value,
          Arguments: (def.arguments ?? []).map((a) => convertInputValue(a, source)),
          Locations: def.locations.map((l) => l.value),
          IsRepeatable: def.repeatable,
          Position: pos(source, def.loc),
        });
        break;
      case Kind.OPERATION_DEFINITION:
      case Kind.FRAGMENT_DEFINITION:
        throw unexpectedDefinition(def, text);
      default: {
        const target = def.kind.endsWith("Extension") ? doc.Extensions : doc.Definitions;
        target.push(convertTypeDefinition(def, source));
      }
    }
  }
  return doc;
}

const definitionKinds: Record<string, string> = {
  ScalarTypeDefinition: "SCALAR",
  ScalarTypeExtension: "SCALAR",
  ObjectTypeDefinition: "OBJECT",
  ObjectTypeExtension: "OBJECT",
  InterfaceTypeDefinition: "INTERFACE",
  InterfaceTypeExtension: "INTERFACE",
  UnionTypeDefinition: "UNION",
  UnionTypeExtension: "UNION",
  EnumTypeDefinition: "ENUM",
  EnumTypeExtension: "ENUM",
  InputObjectTypeDefinition: "INPUT_OBJECT",
  InputObjectTypeExtension: "INPUT_OBJECT",
};

function convertTypeDefinition(def: DefinitionNode, source: Source): GDefinition {
  const out: GDefinition = {
    Kind: definitionKinds[def.kind] ?? "",
    Description: "description" in def && def.description ? def.description.value : "",
    Name: "name" in def && def.name ? def.name.value : "",
    Directives: "directives" in def ? convertDirectives(def.directives, source) : [],
    Interfaces: "interfaces" in def ? (def.interfaces ?? []).map((i) => i.name.value) : [],
    Fields: [],
    Types: "types" in def ? (def.types ?? []).map((t) => t.name.value) : [],
    EnumValues: [],
    BuiltIn: false,
    Position: pos(source, def.loc),
  };
  if ("fields" in def && def.fields) {
    for (const f of def.fields as readonly (FieldDefinitionNode | InputValueDefinitionNode)[]) {
      const base = convertInputValue(
        f.kind === Kind.INPUT_VALUE_DEFINITION ? f : { ...f, defaultValue: undefined },
        source,
      );
      const args = f.kind === Kind.FIELD_DEFINITION ? (f.arguments ?? []).map((a) => convertInputValue(a, source)) : [];
      out.Fields.push({ ...base, Arguments: args });
    }
  }
  if ("values" in def && def.values) {
    out.EnumValues = def.values.map((v) => ({
      Description: v.description?.value ?? "",
      Name: v.name.value,
      Directives: convertDirectives(v.directives, source),
    }));
  }
  return out;
}

function convertInputValue(
  v: Pick<InputValueDefinitionNode, "description" | "name" | "type" | "defaultValue" | "directives" | "loc">,
  source: Source,
): GArgDef {
  return {
    Description: v.description?.value ?? "",
    Name: v.name.value,
    DefaultValue: v.defaultValue ? convertValue(v.defaultValue) : null,
    Type: convertType(v.type, source),
    Directives: convertDirectives(v.directives, source),
    Position: pos(source, v.loc),
  };
}

function convertVarDef(v: VariableDefinitionNode): GVarDef {
  return {
    Variable: v.variable.name.value,
    Type: convertType(v.type),
    DefaultValue: v.defaultValue ? convertValue(v.defaultValue) : null,
    Directives: convertDirectives(v.directives),
    Used: false,
  };
}

function convertSelections(sels: readonly SelectionNode[], source: Source): GSelection[] {
  return sels.map((s): GSelection => {
    switch (s.kind) {
      case Kind.FIELD:
        return {
          Alias: s.alias?.value ?? s.name.value,
          Name: s.name.value,
          Arguments: (s.arguments ?? []).map((a) => ({ Name: a.name.value, Value: convertValue(a.value) })),
          Directives: convertDirectives(s.directives, source),
          SelectionSet: s.selectionSet ? convertSelections(s.selectionSet.selections, source) : [],
        };
      case Kind.FRAGMENT_SPREAD:
        return { Name: s.name.value, Directives: convertDirectives(s.directives, source) };
      default:
        return {
          TypeCondition: s.typeCondition?.name.value ?? "",
          Directives: convertDirectives(s.directives, source),
          SelectionSet: convertSelections(s.selectionSet.selections, source),
        };
    }
  });
}

function convertDirectives(
  dirs: readonly (DirectiveNode | ConstDirectiveNode)[] | undefined,
  source?: Source,
): GDirective[] {
  return (dirs ?? []).map((d) => ({
    Name: d.name.value,
    Arguments: (d.arguments ?? []).map((a) => ({ Name: a.name.value, Value: convertValue(a.value) })),
    Location: "",
    Position: source ? pos(source, d.loc) : undefined,
  }));
}

function convertType(t: TypeNode, source?: Source): GType {
  const position = source ? pos(source, t.loc) : undefined;
  switch (t.kind) {
    case Kind.NAMED_TYPE:
      return { NamedType: t.name.value, Elem: null, NonNull: false, Position: position };
    case Kind.LIST_TYPE:
      return { NamedType: "", Elem: convertType(t.type, source), NonNull: false, Position: position };
    case Kind.NON_NULL_TYPE:
      return { ...convertType(t.type, source), NonNull: true };
  }
}

function convertValue(v: ValueNode): GValue {
  const scalar = (kind: number, raw: string): GValue => ({ Raw: raw, Children: [], Kind: kind });
  switch (v.kind) {
    case Kind.VARIABLE:
      return scalar(ValueKind.Variable, v.name.value);
    case Kind.INT:
      return scalar(ValueKind.Int, v.value);
    case Kind.FLOAT:
      return scalar(ValueKind.Float, v.value);
    case Kind.STRING:
      return scalar(v.block ? ValueKind.Block : ValueKind.String, v.value);
    case Kind.BOOLEAN:
      return scalar(ValueKind.Boolean, v.value ? "true" : "false");
    case Kind.NULL:
      return scalar(ValueKind.Null, "null");
    case Kind.ENUM:
      return scalar(ValueKind.Enum, v.value);
    case Kind.LIST:
      return { Raw: "", Children: v.values.map((e) => ({ Name: "", Value: convertValue(e) })), Kind: ValueKind.List };
    case Kind.OBJECT:
      return {
        Raw: "",
        Children: v.fields.map((f) => ({ Name: f.name.value, Value: convertValue(f.value) })),
        Kind: ValueKind.Object,
      };
  }
}

function pos(source: Source, loc: JsLocation | undefined): GPos | undefined {
  if (!loc) return undefined;
  const l = getLocation(source, loc.start);
  return { Line: l.line, Column: l.column };
}

// ---------------------------------------------------------------------------------------------
// To Rego values: OPA drops "Position", nulls, and empty arrays/objects (recursively).

/** The pruned JSON form of a gqlparser-shaped document, as OPA returns it. */
export function pruneAst(v: unknown): Json | undefined {
  if (v === null || v === undefined) return undefined;
  if (Array.isArray(v)) {
    const out: Json[] = [];
    for (const e of v) {
      const p = pruneAst(e);
      if (p !== undefined && !isEmptyComposite(p)) out.push(p);
    }
    return out;
  }
  if (typeof v === "object") {
    const out: { [k: string]: Json } = {};
    for (const [k, e] of Object.entries(v as Record<string, unknown>)) {
      if (k === "Position") continue;
      const p = pruneAst(e);
      if (p !== undefined && !isEmptyComposite(p)) out[k] = p;
    }
    return out;
  }
  return v as Json;
}

function isEmptyComposite(j: Json): boolean {
  if (Array.isArray(j)) return j.length === 0;
  return typeof j === "object" && j !== null && Object.keys(j).length === 0;
}
