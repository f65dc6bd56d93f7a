/** Array builtins: array.concat, array.slice, array.reverse. */
import type { Value } from "../value.js";
import { argArray, argInt, type BuiltinDecl, T } from "./types.js";

/** Array manipulation. */
export const arrayBuiltins: BuiltinDecl[] = [
  {
    name: "array.concat",
    args: [
      { name: "x", type: T.array(T.any) },
      { name: "y", type: T.array(T.any) },
    ],
    result: T.array(T.any),
    doc: "Concatenates two arrays.",
    impl: (args) => [...argArray(args, 1), ...argArray(args, 2)],
  },
  {
    name: "array.slice",
    args: [
      { name: "arr", type: T.array(T.any) },
      { name: "start", type: T.number },
      { name: "stop", type: T.number },
    ],
    result: T.array(T.any),
    doc: "Returns arr[start:stop] (stop exclusive); indices are clamped to the array, never an error.",
    impl: (args) => {
      const arr = argArray(args, 1);
      const start = argInt(args, 2);
      const stop = Math.min(Math.max(argInt(args, 3), 0), arr.length);
      // A start past stop yields the empty slice rather than an error, as in OPA.
      return arr.slice(Math.min(Math.max(start, 0), stop), stop);
    },
  },
  {
    name: "array.reverse",
    args: [{ name: "arr", type: T.array(T.any) }],
    result: T.array(T.any),
    doc: "Returns the elements of an array in reverse order.",
    impl: (args): Value => [...argArray(args, 1)].reverse(),
  },
];
