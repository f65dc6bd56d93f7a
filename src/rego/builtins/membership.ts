/** The `in` operator: `x in xs` and `k, v in xs` desugar to these. */
import { equals, RegoObject, RegoSet, type Value } from "../value.js";
import { type BuiltinDecl, T } from "./types.js";

function member(x: Value, xs: Value): boolean {
  if (xs instanceof RegoSet) return xs.has(x);
  if (Array.isArray(xs)) {
    // A string equals only a string of the same characters: no need for equals' type dispatch.
    if (typeof x === "string") return xs.includes(x);
    for (let i = 0; i < xs.length; i++) if (equals(xs[i] as Value, x)) return true;
    return false;
  }
  if (xs instanceof RegoObject) {
    for (const [, v] of xs) if (equals(v, x)) return true;
  }
  return false;
}

function memberWithKey(key: Value, x: Value, xs: Value): boolean {
  if (xs instanceof RegoObject || Array.isArray(xs)) {
    const v = xs instanceof RegoObject ? xs.get(key) : typeof key === "number" ? xs[key] : undefined;
    return v !== undefined && equals(v, x);
  }
  if (xs instanceof RegoSet) return equals(key, x) && xs.has(x);
  return false;
}

export const membershipBuiltins: BuiltinDecl[] = [
  {
    name: "internal.member_2",
    exactIntegers: true,
    args: [
      { name: "x", type: T.any },
      { name: "xs", type: T.any },
    ],
    result: T.boolean,
    doc: "`x in xs`: whether xs (array, set or object values) contains x.",
    impl: ([x, xs]) => member(x as Value, xs as Value),
  },
  {
    name: "internal.member_3",
    exactIntegers: true,
    args: [
      { name: "key", type: T.any },
      { name: "x", type: T.any },
      { name: "xs", type: T.any },
    ],
    result: T.boolean,
    doc: "`k, v in xs`: whether xs has the value x at key (or index) k.",
    impl: ([key, x, xs]) => memberWithKey(key as Value, x as Value, xs as Value),
  },
];
