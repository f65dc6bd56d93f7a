/** Bitwise builtins on integers, computed on BigInt like OPA's big.Int so two's-complement results are exact. */
import { BuiltinError, BuiltinTypeError } from "../errors.js";
import type { Value } from "../value.js";
import { argBigInt, bigIntToNumber } from "./numbers.js";
import { type BuiltinDecl, T } from "./types.js";

// Shifting a non-zero integer left by more than this leaves the double range whatever its value.
const MAX_USEFUL_SHIFT = 1100n;

function shiftAmount(args: Value[]): bigint {
  const n = argBigInt(args, 2);
  if (n < 0n) throw new BuiltinTypeError("operand 2 must be an unsigned integer number but got a negative integer");
  return n;
}

function binary(name: string, doc: string, op: (x: bigint, y: bigint) => bigint): BuiltinDecl {
  return {
    name,
    args: [
      { name: "x", type: T.number },
      { name: "y", type: T.number },
    ],
    result: T.number,
    doc,
    impl: (args) => bigIntToNumber(op(argBigInt(args, 1), argBigInt(args, 2))),
  };
}

/** Bit manipulation of integers. */
export const bitsBuiltins: BuiltinDecl[] = [
  binary("bits.or", "Returns the bitwise OR of two integers.", (x, y) => x | y),
  binary("bits.and", "Returns the bitwise AND of two integers.", (x, y) => x & y),
  binary("bits.xor", "Returns the bitwise XOR of two integers.", (x, y) => x ^ y),
  {
    name: "bits.negate",
    args: [{ name: "x", type: T.number }],
    result: T.number,
    doc: "Returns the bitwise negation (two's complement NOT) of an integer.",
    impl: (args) => bigIntToNumber(~argBigInt(args, 1)),
  },
  {
    name: "bits.lsh",
    args: [
      { name: "x", type: T.number },
      { name: "s", type: T.number },
    ],
    result: T.number,
    doc: "Shifts an integer left by s bits (s must not be negative).",
    impl: (args) => {
      const x = argBigInt(args, 1);
      const s = shiftAmount(args);
      if (x === 0n) return 0;
      if (s > MAX_USEFUL_SHIFT) throw new BuiltinError("numeric overflow: result does not fit a 64-bit float");
      return bigIntToNumber(x << s);
    },
  },
  {
    name: "bits.rsh",
    args: [
      { name: "x", type: T.number },
      { name: "s", type: T.number },
    ],
    result: T.number,
    doc: "Shifts an integer right by s bits, arithmetically (s must not be negative).",
    impl: (args) => {
      const x = argBigInt(args, 1);
      const s = shiftAmount(args);
      // Past the width of any double-sized integer the result is 0, or -1 for negatives.
      return bigIntToNumber(x >> (s > MAX_USEFUL_SHIFT ? MAX_USEFUL_SHIFT : s));
    },
  },
];
