/** Type predicates (is_number, is_string, ...) and type_name. They never fail: a mismatch is `false`. */
import { type TypeName, typeName, type Value } from "../value.js";
import { type BuiltinDecl, T } from "./types.js";

function predicate(name: string, type: TypeName): BuiltinDecl {
  return {
    name,
    args: [{ name: "x", type: T.any }],
    result: T.boolean,
    doc: `Returns true if x is a${type === "array" || type === "object" ? "n" : ""} ${type}, false otherwise.`,
    exactIntegers: true,
    impl: (args) => typeName(args[0] as Value) === type,
  };
}

/** Runtime type inspection. */
export const typeBuiltins: BuiltinDecl[] = [
  predicate("is_number", "number"),
  predicate("is_string", "string"),
  predicate("is_boolean", "boolean"),
  predicate("is_array", "array"),
  predicate("is_set", "set"),
  predicate("is_object", "object"),
  predicate("is_null", "null"),
  {
    name: "type_name",
    exactIntegers: true,
    args: [{ name: "x", type: T.any }],
    result: T.string,
    doc: 'Returns the type of x: "null", "boolean", "number", "string", "array", "object" or "set".',
    impl: (args) => typeName(args[0] as Value),
  },
];
