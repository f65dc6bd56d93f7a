/**
 * graphql.* builtins. OPA implements them with gqlparser (Go) and returns its AST; here graphql-js
 * parses and validates queries, while schema checking follows gqlparser's own rules (it is more
 * lenient than graphql-js: no Query type needed, extensions of undeclared types allowed, ...).
 * This module holds the builtin table, operand handling and query validation; the AST conversion,
 * error wording, AST operands and schema checks live in graphql-ast, -errors, -input and -schema.
 */
import { type DocumentNode, GraphQLError, Kind, parse, specifiedRules, validate } from "graphql";
import { BuiltinError } from "../errors.js";
import { fromJson, RegoObject, toJson, type Value } from "../value.js";
import { type GQueryDoc, type GSchemaDoc, parseQueryDocument, parseSchemaDocument, pruneAst } from "./graphql-ast.js";
import { formatValidationErrors, GqlError } from "./graphql-errors.js";
import { decodeQueryDocument, decodeSchemaDocument, GqlDecodeError, printQueryDocument } from "./graphql-input.js";
import { type PreparedSchema, prepareSchema } from "./graphql-schema.js";
import { argString, type BoundedCache, type BuiltinDecl, operandError, T } from "./types.js";

// ---------------------------------------------------------------------------------------------
// Query validation

/** Validates a query against a schema; throws BuiltinError with gqlparser's messages. */
function validateQuery(schema: PreparedSchema, query: ParsedQuery): void {
  let js = query.js;
  let located = true;
  if (!js) {
    if (query.doc.Operations.length === 0 && query.doc.Fragments.length === 0) return;
    // An AST object: validate its printed form; gqlparser would have no positions for it either.
    located = false;
    try {
      js = parse(printQueryDocument(query.doc), { allowLegacyFragmentVariables: true });
    } catch (e) {
      throw new BuiltinError(`GraphQL parse error: input: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const errors: { message: string; line?: number; column?: number }[] = [];
  for (const def of js.definitions) {
    if (def.kind === Kind.OPERATION_DEFINITION && !schema.checked.roots[def.operation]) {
      const loc = def.loc ? def.loc.startToken : undefined;
      errors.push({
        message: `Schema does not support operation type "${def.operation}"`,
        line: loc?.line,
        column: loc?.column,
      });
    }
  }
  for (const e of validate(schema.js, js, specifiedRules)) {
    const loc = e.locations?.[0];
    errors.push({ message: e.message, line: loc?.line, column: loc?.column });
  }
  if (!errors.length) return;
  throw new BuiltinError(formatValidationErrors(errors, located));
}

// ---------------------------------------------------------------------------------------------
// Operands

interface ParsedQuery {
  doc: GQueryDoc;
  js: DocumentNode | undefined;
}

function rethrow(e: unknown): never {
  if (e instanceof GqlError || e instanceof GqlDecodeError) throw new BuiltinError(e.message);
  if (e instanceof GraphQLError) throw new BuiltinError(e.message);
  throw e;
}

function queryOperand(v: Value, pos: number): ParsedQuery {
  try {
    if (typeof v === "string") return parseQueryDocument(v);
    if (v instanceof RegoObject) return { doc: decodeQueryDocument(toJson(v)), js: undefined };
  } catch (e) {
    rethrow(e);
  }
  return operandError(pos, "one of {string, object}", v);
}

function schemaOperand(v: Value, pos: number): GSchemaDoc {
  try {
    if (typeof v === "string") return parseSchemaDocument(v);
    if (v instanceof RegoObject) return decodeSchemaDocument(toJson(v));
  } catch (e) {
    rethrow(e);
  }
  return operandError(pos, "one of {string, object}", v);
}

/** Parses and checks a schema operand, memoised per evaluation for string schemas. */
function preparedSchemaOperand(
  v: Value,
  pos: number,
  ctx: { compiled: BoundedCache },
): { doc: GSchemaDoc; prepared: PreparedSchema } {
  const key = typeof v === "string" ? v : undefined;
  const hit = key === undefined ? undefined : ctx.compiled.get("graphql.schema", key);
  if (hit) return hit as { doc: GSchemaDoc; prepared: PreparedSchema };
  const doc = schemaOperand(v, pos);
  const result = { doc, prepared: prepareSchema(doc) };
  if (key !== undefined) ctx.compiled.set("graphql.schema", key, result);
  return result;
}

/** A gqlparser-shaped document as the Rego object OPA returns. */
function astValue(doc: unknown): Value {
  return fromJson(pruneAst(doc) ?? {});
}

/** Runs `f`, mapping any failure to `fallback` (the "never errors" builtins). */
function orElse<R extends Value>(fallback: R, f: () => R): R {
  try {
    return f();
  } catch {
    return fallback;
  }
}

const queryType = T.anyOf(T.string, T.object(T.any, T.any));
const schemaType = T.anyOf(T.string, T.object(T.any, T.any));

/** The graphql.* builtins. */
export const graphqlBuiltins: BuiltinDecl[] = [
  {
    name: "graphql.parse_query",
    args: [{ name: "query", type: T.string }],
    result: T.object(T.any, T.any),
    doc: "Parses a GraphQL query and returns its AST as an object (gqlparser's layout, without positions).",
    impl(args) {
      const text = argString(args, 1);
      try {
        return astValue(parseQueryDocument(text).doc);
      } catch (e) {
        return rethrow(e);
      }
    },
  },
  {
    name: "graphql.parse_schema",
    args: [{ name: "schema", type: T.string }],
    result: T.object(T.any, T.any),
    doc: "Parses a GraphQL schema (SDL) and returns its AST as an object; the schema is not validated.",
    impl(args) {
      const text = argString(args, 1);
      try {
        return astValue(parseSchemaDocument(text));
      } catch (e) {
        return rethrow(e);
      }
    },
  },
  {
    name: "graphql.parse",
    args: [
      { name: "query", type: queryType },
      { name: "schema", type: schemaType },
    ],
    result: T.array(T.object(T.any, T.any)),
    doc: "Parses a GraphQL query and schema, validates the query against the schema, and returns both ASTs.",
    impl(args, ctx) {
      const query = queryOperand(args[0] as Value, 1);
      const { doc, prepared } = preparedSchemaOperand(args[1] as Value, 2, ctx);
      const queryAst = astValue(query.doc);
      validateQuery(prepared, query);
      return [queryAst, astValue(doc)];
    },
  },
  {
    name: "graphql.parse_and_verify",
    args: [
      { name: "query", type: queryType },
      { name: "schema", type: schemaType },
    ],
    result: T.array(T.any),
    doc: "Like graphql.parse, but returns [valid, query AST, schema AST]; [false, {}, {}] when anything fails.",
    impl(args, ctx) {
      const failed: Value = [false, new RegoObject(), new RegoObject()];
      return orElse(failed, () => {
        const query = queryOperand(args[0] as Value, 1);
        const { doc, prepared } = preparedSchemaOperand(args[1] as Value, 2, ctx);
        validateQuery(prepared, query);
        return [true, astValue(query.doc), astValue(doc)];
      });
    },
  },
  {
    name: "graphql.is_valid",
    args: [
      { name: "query", type: queryType },
      { name: "schema", type: schemaType },
    ],
    result: T.boolean,
    doc: "Reports whether a GraphQL query (string or AST object) is valid against a schema (string or AST object).",
    impl(args, ctx) {
      return orElse(false, () => {
        const query = queryOperand(args[0] as Value, 1);
        validateQuery(preparedSchemaOperand(args[1] as Value, 2, ctx).prepared, query);
        return true;
      });
    },
  },
  {
    name: "graphql.schema_is_valid",
    args: [{ name: "schema", type: schemaType }],
    result: T.boolean,
    doc: "Reports whether a GraphQL schema (string or AST object) is valid.",
    impl(args, ctx) {
      return orElse(false, () => {
        preparedSchemaOperand(args[0] as Value, 1, ctx);
        return true;
      });
    },
  },
];
