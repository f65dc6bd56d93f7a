/** Comparison builtins over Rego's total order: equal, neq, lt, lte, gt, gte. */
import { compare, equals, type Value } from "../value.js";
import { type BuiltinDecl, T } from "./types.js";

function comparator(name: string, infix: string, test: (a: Value, b: Value) => boolean): BuiltinDecl {
  return {
    name,
    args: [
      { name: "x", type: T.any },
      { name: "y", type: T.any },
    ],
    result: T.boolean,
    // Across types the order is null < boolean < number < string < array < object < set.
    doc: `Compares any two values by Rego's total order (infix \`${infix}\`).`,
    exactIntegers: true,
    impl: (args) => test(args[0] as Value, args[1] as Value),
  };
}

/** Equality and ordering of any two values. */
export const comparisonBuiltins: BuiltinDecl[] = [
  comparator("equal", "==", (a, b) => equals(a, b)),
  comparator("neq", "!=", (a, b) => !equals(a, b)),
  comparator("lt", "<", (a, b) => compare(a, b) < 0),
  comparator("lte", "<=", (a, b) => compare(a, b) <= 0),
  comparator("gt", ">", (a, b) => compare(a, b) > 0),
  comparator("gte", ">=", (a, b) => compare(a, b) >= 0),
];
