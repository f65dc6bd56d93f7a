/** Aggregate builtins: count, sum, product, max, min, sort, all, any. */
import { BuiltinTypeError } from "../errors.js";
import { compare, RegoObject, RegoSet, type Value } from "../value.js";
import { addDecimal, checkFinite, type Decimal, fromDecimal, mulDecimal, toDecimal } from "./numbers.js";
import { type BuiltinDecl, describeType, operandError, T } from "./types.js";

const collection = T.anyOf(T.array(T.any), T.set(T.any));

/** Elements of an array or set operand, with OPA's "one of {set, array}" error otherwise. */
function setOrArray(args: Value[], order: "set, array" | "array, set"): Value[] {
  const v = args[0] as Value;
  if (Array.isArray(v)) return v;
  if (v instanceof RegoSet) return v.sorted();
  return operandError(1, `one of {${order}}`, v);
}

/** The numbers in operand 1, or OPA's element error ("must be array of numbers but got array containing string"). */
function numbersOf(args: Value[]): number[] {
  const v = args[0] as Value;
  const items = setOrArray(args, "set, array");
  const kind = describeType(v);
  return items.map((x) => {
    if (typeof x !== "number") {
      throw new BuiltinTypeError(`operand 1 must be ${kind} of numbers but got ${kind} containing ${describeType(x)}`);
    }
    return x;
  });
}

function sum(ns: number[]): number {
  let small = 0;
  let exact = true;
  for (const n of ns) {
    small += n;
    if (!Number.isSafeInteger(n) || !Number.isSafeInteger(small)) {
      exact = false;
      break;
    }
  }
  if (exact) return small;
  // OPA sums in arbitrary precision; a single final rounding reproduces that.
  let acc: Decimal = { m: 0n, e: 0 };
  for (const n of ns) acc = addDecimal(acc, toDecimal(n));
  return fromDecimal(acc);
}

function product(ns: number[]): number {
  let acc: Decimal = { m: 1n, e: 0 };
  for (const n of ns) {
    if (n === 0) return 0;
    acc = mulDecimal(acc, toDecimal(n));
  }
  return fromDecimal(acc);
}

function extreme(args: Value[], pick: (c: number) => boolean): Value | undefined {
  const v = args[0] as Value;
  if (v instanceof RegoSet) {
    // Members are distinct, so the extreme is one whatever the order: no need to sort them.
    let best: Value | undefined;
    for (const x of v) if (best === undefined || pick(compare(x, best))) best = x;
    return best;
  }
  const items = setOrArray(args, "set, array");
  if (items.length === 0) return undefined;
  let best = items[0] as Value;
  for (const x of items) if (pick(compare(x, best))) best = x;
  return best;
}

/** Any UTF-16 surrogate: one character class, so the search is linear and cannot backtrack. */
const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * The code points of a string, as OPA counts them. Most strings have no surrogates and are counted
 * by their length; the native search for one is far cheaper than iterating (arguments run to
 * thousands of characters).
 */
function codePointCount(s: string): number {
  if (!SURROGATE.test(s)) return s.length;
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Aggregates over collections. */
export const aggregateBuiltins: BuiltinDecl[] = [
  {
    name: "count",
    args: [{ name: "collection", type: T.anyOf(T.string, T.array(T.any), T.object(T.any, T.any), T.set(T.any)) }],
    result: T.number,
    doc: "Counts the elements of an array, set or object, or the code points of a string.",
    impl: (args) => {
      const v = args[0] as Value;
      if (typeof v === "string") return codePointCount(v);
      if (Array.isArray(v)) return v.length;
      if (v instanceof RegoSet || v instanceof RegoObject) return v.size;
      return operandError(1, "one of {array, object, set, string}", v);
    },
  },
  {
    name: "sum",
    args: [{ name: "collection", type: T.anyOf(T.array(T.number), T.set(T.number)) }],
    result: T.number,
    doc: "Sums the numbers of an array or set.",
    impl: (args) => checkFinite(sum(numbersOf(args))),
  },
  {
    name: "product",
    args: [{ name: "collection", type: T.anyOf(T.array(T.number), T.set(T.number)) }],
    result: T.number,
    doc: "Multiplies the numbers of an array or set.",
    impl: (args) => product(numbersOf(args)),
  },
  {
    name: "max",
    args: [{ name: "collection", type: collection }],
    result: T.any,
    doc: "Returns the largest element of an array or set (undefined when empty).",
    impl: (args) => extreme(args, (c) => c > 0),
  },
  {
    name: "min",
    args: [{ name: "collection", type: collection }],
    result: T.any,
    doc: "Returns the smallest element of an array or set (undefined when empty).",
    impl: (args) => extreme(args, (c) => c < 0),
  },
  {
    name: "sort",
    args: [{ name: "collection", type: collection }],
    result: T.array(T.any),
    doc: "Returns the elements of an array or set as an array in Rego's sort order.",
    impl: (args) => {
      const v = args[0] as Value;
      if (v instanceof RegoSet) return [...v.sorted()];
      return [...setOrArray(args, "set, array")].sort(compare);
    },
  },
  {
    name: "all",
    args: [{ name: "collection", type: collection }],
    result: T.boolean,
    doc: "Deprecated: true when every element of an array or set is `true` (rejected in Rego v1 modules).",
    impl: (args) => setOrArray(args, "array, set").every((x) => x === true),
  },
  {
    name: "any",
    args: [{ name: "collection", type: collection }],
    result: T.boolean,
    doc: "Deprecated: true when some element of an array or set is `true` (rejected in Rego v1 modules).",
    impl: (args) => setOrArray(args, "array, set").some((x) => x === true),
  },
];
