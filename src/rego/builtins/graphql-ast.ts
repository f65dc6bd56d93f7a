/**
 * GraphQL documents in the shape OPA returns: gqlparser's Go AST marshalled to JSON (field names like
 * "SelectionSet", numeric value kinds). graphql-js does the parsing; this module converts its AST, maps
 * its syntax errors to gqlparser's wording, decodes AST objects given back to the builtins the way Go's
 * encoding/json would, and prints documents back to GraphQL text so graphql-js can validate them.
 */
import {
  type ConstDirectiveNode,
  type DefinitionNode,
  type DirectiveNode,
  type DocumentNode,
  type FieldDefinitionNode,
  GraphQLError,
  getLocation,
  type InputValueDefinitionNode,
  type Location as JsLocation,
  Kind,
  Lexer,
  parse,
  type SelectionNode,
  Source,
  TokenKind,
  type TypeNode,
  type ValueNode,
  type VariableDefinitionNode,
} from "graphql";
import type { Json } from "../value.js";

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

/** A parse or validation failure with gqlparser's message and (when known) a 1-based source position. */
export class GqlError extends Error {
  constructor(
    readonly detail: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(line === undefined ? detail : `${detail} in GraphQL string at location ${line}:${column}`);
    this.name = "GqlError";
  }
}

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
// Syntax errors, reworded as gqlparser reports them

/** graphql-js parse with gqlparser's error wording; `undefined` for a document without any tokens. */
function parseWithGqlErrors(text: string): DocumentNode | undefined {
  try {
    // gqlparser accepts an empty document (no definitions); graphql-js does not.
    if (new Lexer(new Source(text)).advance().kind === TokenKind.EOF) return undefined;
  } catch {
    // Lexing errors are reported by the full parse below.
  }
  try {
    return parse(text, { allowLegacyFragmentVariables: true });
  } catch (e) {
    if (e instanceof GraphQLError) throw toGqlSyntaxError(e, text);
    throw e;
  }
}

const punctuator = /"(\.\.\.|[!$&():=@[\]{|}])"/g;

function toGqlSyntaxError(e: GraphQLError, text: string): GqlError {
  const loc = e.locations?.[0];
  let msg = e.message.replace(/^Syntax Error: /, "").replace(/\.$/, "");
  if (msg.startsWith("Unexpected description")) {
    msg = `Unexpected ${(loc && tokenAt(text, loc.line, loc.column)) ?? "String"}`;
  } else if (msg.startsWith("Unexpected variable")) {
    msg = "Unexpected $";
  } else if (!/^(Expected|Unexpected) (Name|String|BlockString|Int|Float|<EOF>|")/.test(msg)) {
    // A lexing failure: gqlparser's parser peeks the bad token and reports it as <Invalid>.
    msg = "Unexpected <Invalid>";
  }
  msg = msg.replace(punctuator, "$1");
  // gqlparser insists on at least one item between braces ("{}" selection sets, field lists, enums).
  if (/^Expected .*, found \}$/.test(msg) && loc && previousSignificantChar(text, loc.line, loc.column) === "{") {
    msg = "expected at least one definition, found }";
  }
  return new GqlError(msg, loc?.line, loc && loc.column + stringTokenOffset(text, loc.line, loc.column));
}

/** gqlparser positions string tokens after their opening quote(s). */
function stringTokenOffset(text: string, line: number, column: number): number {
  const desc = tokenAt(text, line, column) ?? "";
  if (desc.startsWith("String ")) return 1;
  return desc.startsWith("BlockString ") ? 3 : 0;
}

/** gqlparser's description of the token starting at line:column, e.g. `String "Description"`. */
function tokenAt(text: string, line: number, column: number): string | undefined {
  try {
    const lexer = new Lexer(new Source(text));
    for (let t = lexer.advance(); t.kind !== TokenKind.EOF; t = lexer.advance()) {
      if (t.line === line && t.column === column) {
        return t.value === undefined ? t.kind : `${t.kind} ${JSON.stringify(t.value)}`;
      }
      if (t.line > line) break;
    }
  } catch {
    // Fall through to the caller's default.
  }
  return undefined;
}

function previousSignificantChar(text: string, line: number, column: number): string | undefined {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.slice(offset).search(/\r\n|\n|\r/);
    if (nl < 0) return undefined;
    offset += nl + (text.startsWith("\r\n", offset + nl) ? 2 : 1);
  }
  for (let i = offset + column - 2; i >= 0; i--) {
    const c = text[i] as string;
    if (!/[\s,\uFEFF]/.test(c)) return c;
  }
  return undefined;
}

function unexpectedDefinition(def: DefinitionNode, text: string): GqlError {
  const start = def.loc ? getLocation(new Source(text), def.loc.start) : undefined;
  const desc = start ? tokenAt(text, start.line, start.column) : undefined;
  const column = start && start.column + stringTokenOffset(text, start.line, start.column);
  return new GqlError(`Unexpected ${desc ?? "<Invalid>"}`, start?.line, column);
}

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
