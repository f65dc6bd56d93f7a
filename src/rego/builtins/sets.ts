/** Set builtins: and (`&`), or (`|`), intersection, union, set_diff. */
import { RegoSet } from "../value.js";
import { argSet, type BuiltinDecl, operandError, T } from "./types.js";

function intersect(a: RegoSet, b: RegoSet): RegoSet {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  const out = new RegoSet();
  for (const v of small) if (large.has(v)) out.add(v);
  return out;
}

/** The member sets of a set-of-sets operand; OPA reports a non-set member as operand 1 itself. */
function memberSets(s: RegoSet): RegoSet[] {
  return [...s].map((v) => (v instanceof RegoSet ? v : operandError(1, "set", v)));
}

const setOfSets = T.set(T.set(T.any));

/** Set algebra. */
export const setBuiltins: BuiltinDecl[] = [
  {
    name: "and",
    args: [
      { name: "x", type: T.set(T.any) },
      { name: "y", type: T.set(T.any) },
    ],
    result: T.set(T.any),
    doc: "Returns the intersection of two sets (infix `&`).",
    impl: (args) => intersect(argSet(args, 1), argSet(args, 2)),
  },
  {
    name: "or",
    args: [
      { name: "x", type: T.set(T.any) },
      { name: "y", type: T.set(T.any) },
    ],
    result: T.set(T.any),
    doc: "Returns the union of two sets (infix `|`).",
    impl: (args) => {
      const x = argSet(args, 1);
      const y = argSet(args, 2);
      const out = x.copy();
      for (const v of y) out.add(v);
      return out;
    },
  },
  {
    name: "intersection",
    args: [{ name: "xs", type: setOfSets }],
    result: T.set(T.any),
    doc: "Returns the intersection of a set of sets (the empty set for no sets).",
    impl: (args) => {
      const sets = memberSets(argSet(args, 1));
      let acc: RegoSet | undefined;
      for (const s of sets) acc = acc === undefined ? s : intersect(acc, s);
      return acc ?? new RegoSet();
    },
  },
  {
    name: "union",
    args: [{ name: "xs", type: setOfSets }],
    result: T.set(T.any),
    doc: "Returns the union of a set of sets.",
    impl: (args) => {
      const out = new RegoSet();
      for (const s of memberSets(argSet(args, 1))) for (const v of s) out.add(v);
      return out;
    },
  },
  {
    name: "set_diff",
    args: [
      { name: "x", type: T.set(T.any) },
      { name: "y", type: T.set(T.any) },
    ],
    result: T.set(T.any),
    doc: "Deprecated: the elements of x not in y; use `x - y` (rejected in Rego v1 modules).",
    impl: (args) => {
      const x = argSet(args, 1);
      const y = argSet(args, 2);
      return new RegoSet([...x].filter((v) => !y.has(v)));
    },
  },
];
