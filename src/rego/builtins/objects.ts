/** Object builtins: object.get, object.keys, object.remove, object.filter, object.union(_n), object.subset. */
import { BuiltinTypeError } from "../errors.js";
import { compare, equals, RegoObject, RegoSet, type Value } from "../value.js";
import { argArray, argObject, type BuiltinDecl, describeType, operandError, T } from "./types.js";

/** Follows `path` through objects, arrays (integer indices) and sets (members), as OPA's Value.Find does. */
function find(root: Value, path: Value[]): Value | undefined {
  let cur: Value = root;
  for (const key of path) {
    if (cur instanceof RegoObject) {
      const next = cur.get(key);
      if (next === undefined) return undefined;
      cur = next;
    } else if (Array.isArray(cur)) {
      if (typeof key !== "number" || !Number.isInteger(key) || key < 0 || key >= cur.length) return undefined;
      cur = cur[key] as Value;
    } else if (cur instanceof RegoSet) {
      if (!cur.has(key)) return undefined;
      cur = key;
    } else {
      return undefined;
    }
  }
  return cur;
}

/** The keys named by operand 2 of object.remove/object.filter: an array, a set, or an object's keys. */
function keysParam(args: Value[]): RegoSet {
  const v = args[1] as Value;
  if (Array.isArray(v)) return new RegoSet(v);
  if (v instanceof RegoSet) return v;
  if (v instanceof RegoObject) return new RegoSet(v.keys());
  return operandError(2, "one of {object, set, array}", v);
}

/** Recursive merge where b wins, except that two object values are merged. */
function mergeObjects(a: RegoObject, b: RegoObject): RegoObject {
  const out = a.copy();
  for (const [k, bv] of b) {
    const av = out.get(k);
    out.set(k, av instanceof RegoObject && bv instanceof RegoObject ? mergeObjects(av, bv) : bv);
  }
  return out;
}

function objectSubset(sup: RegoObject, sub: RegoObject): boolean {
  for (const [k, subV] of sub) {
    const supV = sup.get(k);
    if (supV === undefined) return false;
    if (equals(subV, supV)) continue;
    // Only like-typed composites are compared recursively; array-in-set is a top-level-only case.
    if (supV instanceof RegoObject && subV instanceof RegoObject) {
      if (!objectSubset(supV, subV)) return false;
    } else if (supV instanceof RegoSet && subV instanceof RegoSet) {
      if (!setSubset(supV, subV)) return false;
    } else if (Array.isArray(supV) && Array.isArray(subV)) {
      if (!arraySubset(supV, subV)) return false;
    } else {
      return false;
    }
  }
  return true;
}

function setSubset(sup: RegoSet, sub: RegoSet): boolean {
  for (const v of sub) if (!sup.has(v)) return false;
  return true;
}

/** Is `sub` a contiguous run inside `sup`? */
function arraySubset(sup: Value[], sub: Value[]): boolean {
  if (sub.length > sup.length) return false;
  outer: for (let start = 0; start + sub.length <= sup.length; start++) {
    for (let i = 0; i < sub.length; i++) if (compare(sup[start + i] as Value, sub[i] as Value) !== 0) continue outer;
    return true;
  }
  return false;
}

// OPA counts down once per array element found in the set (duplicates count twice) and only checks after
// visiting an element, so an empty array never contains even the empty set. Kept for compatibility.
function arraySetSubset(sup: Value[], sub: RegoSet): boolean {
  let unmatched = sub.size;
  for (const v of sup) {
    if (sub.has(v)) unmatched--;
    if (unmatched === 0) return true;
  }
  return false;
}

const anyObject = T.object(T.any, T.any);
const keyCollection = T.anyOf(T.array(T.any), T.set(T.any), anyObject);
const subsetOperand = T.anyOf(anyObject, T.set(T.any), T.array(T.any));

/** Object access and manipulation. */
export const objectBuiltins: BuiltinDecl[] = [
  {
    name: "object.get",
    args: [
      { name: "object", type: anyObject },
      { name: "key", type: T.any },
      { name: "default", type: T.any },
    ],
    result: T.any,
    doc: "Returns object[key], or the default when absent; an array key is a path into nested values.",
    impl: (args) => {
      const obj = argObject(args, 1);
      const key = args[1] as Value;
      const dflt = args[2] as Value;
      if (!Array.isArray(key)) return obj.get(key) ?? dflt;
      return find(obj, key) ?? dflt;
    },
  },
  {
    name: "object.keys",
    args: [{ name: "object", type: anyObject }],
    result: T.set(T.any),
    doc: "Returns the set of an object's keys.",
    impl: (args) => new RegoSet(argObject(args, 1).keys()),
  },
  {
    name: "object.remove",
    args: [
      { name: "object", type: anyObject },
      { name: "keys", type: keyCollection },
    ],
    result: anyObject,
    doc: "Returns the object without the given keys (an array, a set, or an object's keys).",
    impl: (args) => {
      const obj = argObject(args, 1);
      const keys = keysParam(args);
      const out = new RegoObject();
      for (const [k, v] of obj) if (!keys.has(k)) out.set(k, v);
      return out;
    },
  },
  {
    name: "object.filter",
    args: [
      { name: "object", type: anyObject },
      { name: "keys", type: keyCollection },
    ],
    result: anyObject,
    doc: "Returns the object with only the given keys (an array, a set, or an object's keys).",
    impl: (args) => {
      const obj = argObject(args, 1);
      const keys = keysParam(args);
      const out = new RegoObject();
      for (const [k, v] of obj) if (keys.has(k)) out.set(k, v);
      return out;
    },
  },
  {
    name: "object.union",
    args: [
      { name: "a", type: anyObject },
      { name: "b", type: anyObject },
    ],
    result: anyObject,
    doc: "Merges two objects recursively; on conflicts b wins unless both values are objects, which are merged.",
    impl: (args) => {
      const a = argObject(args, 1);
      const b = argObject(args, 2);
      // An empty side adds nothing (a frequent case: defaults of `{}`).
      if (b.size === 0) return a;
      if (a.size === 0) return b;
      return equals(a, b) ? a : mergeObjects(a, b);
    },
  },
  {
    name: "object.union_n",
    args: [{ name: "objects", type: T.array(anyObject) }],
    result: anyObject,
    doc: "Merges an array of objects left to right with object.union semantics.",
    impl: (args) => {
      const arr = argArray(args, 1);
      // OPA walks the array from the end, so the last non-object is the one reported.
      for (let i = arr.length - 1; i >= 0; i--) {
        const v = arr[i] as Value;
        if (!(v instanceof RegoObject)) {
          throw new BuiltinTypeError(`operand 1 must be array of objects but got array containing ${describeType(v)}`);
        }
      }
      return (arr as RegoObject[]).reduce((acc, o) => mergeObjects(acc, o), new RegoObject());
    },
  },
  {
    name: "object.subset",
    args: [
      { name: "super", type: subsetOperand },
      { name: "sub", type: subsetOperand },
    ],
    result: T.boolean,
    doc:
      "Reports whether sub is contained in super: recursively for objects, by membership for sets, as a " +
      "contiguous run for arrays, and element-wise for a set inside an array.",
    impl: (args) => {
      const sup = args[0] as Value;
      const sub = args[1] as Value;
      if (sup instanceof RegoObject && sub instanceof RegoObject) return objectSubset(sup, sub);
      if (sup instanceof RegoSet && sub instanceof RegoSet) return setSubset(sup, sub);
      if (Array.isArray(sup) && Array.isArray(sub)) return arraySubset(sup, sub);
      if (Array.isArray(sup) && sub instanceof RegoSet) return arraySetSubset(sup, sub);
      throw new BuiltinTypeError("both arguments object.subset must be of the same type or array and set");
    },
  },
];
