/**
 * Arithmetic builtins (plus, minus, mul, div, rem, round, ceil, floor, abs), numbers.range(_step) and rand.intn.
 *
 * OPA computes on decimal strings with big.Float (64-bit mantissa) and only meets doubles when the result is
 * read back, so `0.1 + 0.2 == 0.3` holds in Rego. We reproduce that by doing non-trivial arithmetic exactly in
 * decimal (BigInt mantissa and power-of-ten exponent) and rounding once to the nearest double.
 */
import { BuiltinError, BuiltinTypeError } from "../errors.js";
import { normalizeInteger } from "../integers.js";
import { RegoSet, type Value, withDoubles } from "../value.js";
import { argInt, argNumber, argString, type BuiltinDecl, describeType, operandError, T } from "./types.js";

/** A decimal `m * 10^e`. */
export interface Decimal {
  m: bigint;
  e: number;
}

const DECIMAL_RE = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/;

/** The decimal a double stands for, taken from its shortest round-trip text (what the Rego literal said). */
export function toDecimal(x: number): Decimal {
  const match = DECIMAL_RE.exec(String(x));
  if (!match) throw new BuiltinError(`not a finite number: ${x}`);
  const frac = match[3] ?? "";
  return { m: BigInt(`${match[1]}${match[2]}${frac}`), e: Number(match[4] ?? "0") - frac.length };
}

/** Rounds a decimal to the nearest double; throws when it does not fit one. */
export function fromDecimal(d: Decimal): number {
  return checkFinite(Number(`${d.m}e${d.e}`));
}

/**
 * Guards results: OPA's big numbers never overflow, but our values are doubles, so a result beyond the
 * double range is reported instead of becoming Infinity. Also folds -0 into 0 (OPA has no negative zero).
 */
export function checkFinite(n: number): number {
  if (!Number.isFinite(n)) throw new BuiltinError("numeric overflow: result does not fit a 64-bit float");
  return n === 0 ? 0 : n;
}

function pow10(k: number): bigint {
  return 10n ** BigInt(k);
}

/** Exact decimal sum. */
export function addDecimal(a: Decimal, b: Decimal): Decimal {
  if (a.e === b.e) return { m: a.m + b.m, e: a.e };
  if (a.e > b.e) return { m: a.m * pow10(a.e - b.e) + b.m, e: b.e };
  return { m: a.m + b.m * pow10(b.e - a.e), e: a.e };
}

/** Exact decimal product. */
export function mulDecimal(a: Decimal, b: Decimal): Decimal {
  return { m: a.m * b.m, e: a.e + b.e };
}

function digitCount(m: bigint): number {
  return (m < 0n ? -m : m).toString().length;
}

function isSafeInt(n: number): boolean {
  return Number.isSafeInteger(n);
}

/** Rego `x + y`. */
export function addNumbers(x: number, y: number): number {
  if (isSafeInt(x) && isSafeInt(y)) {
    const r = x + y;
    if (isSafeInt(r)) return r;
  }
  return fromDecimal(addDecimal(toDecimal(x), toDecimal(y)));
}

/**
 * Exact integer arithmetic when an operand is a bigint (an integer beyond 2^53) and both are
 * integers; undefined otherwise, for the double arithmetic to take over.
 */
function exactInteger(args: Value[], op: (x: bigint, y: bigint) => bigint): Value | undefined {
  const [x, y] = args as [Value, Value];
  if (typeof x !== "bigint" && typeof y !== "bigint") return undefined;
  const asBig = (v: Value): bigint | undefined =>
    typeof v === "bigint" ? v : typeof v === "number" && Number.isInteger(v) ? BigInt(v) : undefined;
  const a = asBig(x);
  const b = asBig(y);
  if (a === undefined || b === undefined) return undefined;
  return normalizeInteger(op(a, b));
}

/** The operands with bigints as doubles (for arithmetic that is not exact-integer). */
function asDoubles(args: Value[]): Value[] {
  return args.some((a) => typeof a === "bigint") ? args.map(withDoubles) : args;
}

/** Rego `x * y`. */
export function mulNumbers(x: number, y: number): number {
  if (isSafeInt(x) && isSafeInt(y)) {
    const r = x * y;
    if (isSafeInt(r)) return checkFinite(r);
  }
  return fromDecimal(mulDecimal(toDecimal(x), toDecimal(y)));
}

function divNumbers(x: number, y: number): number {
  if (y === 0) throw new BuiltinError("divide by zero");
  if (isSafeInt(x) && isSafeInt(y) && x % y === 0) return checkFinite(x / y);
  const a = toDecimal(x);
  const b = toDecimal(y);
  // 40 significant digits before the single rounding to double is far more than a double holds.
  const k = Math.max(0, 40 + digitCount(b.m) - digitCount(a.m));
  return fromDecimal({ m: (a.m * pow10(k)) / b.m, e: a.e - b.e - k });
}

function remNumbers(x: number, y: number): number {
  if (!Number.isInteger(x) || !Number.isInteger(y)) throw new BuiltinError("modulo on floating-point number");
  if (y === 0) throw new BuiltinError("modulo by zero");
  // JS `%` truncates like Go's big.Int.Rem and is exact on integral doubles.
  return checkFinite(x % y);
}

// OPA rounds half away from zero; computing on the integral part keeps 0.49999999999999994 from rounding up.
function roundNumber(x: number): number {
  const t = Math.trunc(x);
  const frac = x - t;
  if (frac >= 0.5) return checkFinite(t + 1);
  if (frac <= -0.5) return checkFinite(t - 1);
  return checkFinite(t);
}

// OPA truncates, then adjusts unless the truncated value is negative (ceil) or non-negative (floor). Values in
// (-1, 0) truncate to an unsigned zero, so OPA returns ceil(-0.5) = 1 and floor(-0.5) = 0; we keep that.
function ceilNumber(x: number): number {
  if (Number.isInteger(x)) return checkFinite(x);
  const t = checkFinite(Math.trunc(x));
  return t < 0 ? t : t + 1;
}

function floorNumber(x: number): number {
  if (Number.isInteger(x)) return checkFinite(x);
  const t = checkFinite(Math.trunc(x));
  return t >= 0 ? t : t - 1;
}

/** Operand `pos` as an exact integer, worded as OPA's BigIntOperand ("must be integer but got string"). */
export function argBigInt(args: Value[], pos: number): bigint {
  const v = args[pos - 1] as Value;
  if (typeof v !== "number") throw new BuiltinTypeError(`operand ${pos} must be integer but got ${describeType(v)}`);
  if (!Number.isInteger(v)) {
    throw new BuiltinTypeError(`operand ${pos} must be integer number but got floating-point number`);
  }
  return BigInt(v);
}

/** Converts an exact integer result back to a number, failing beyond the double range. */
export function bigIntToNumber(i: bigint): number {
  return checkFinite(Number(i));
}

/**
 * The most elements a range may have. A builtin runs to completion before the evaluation deadline
 * is checked, and bounds may come from input, so an unbounded range could exhaust memory.
 */
export const MAX_RANGE = 1_000_000;

function rangeOf(x: bigint, y: bigint, step: bigint): number[] {
  const size = (x <= y ? y - x : x - y) / step + 1n;
  if (size > BigInt(MAX_RANGE)) {
    throw new BuiltinError(`range of ${size} numbers is over the limit of ${MAX_RANGE}`);
  }
  const out: number[] = [];
  // BigInt iteration: above 2^53 a double counter would stop advancing.
  if (x <= y) for (let i = x; i <= y; i += step) out.push(bigIntToNumber(i));
  else for (let i = x; i >= y; i -= step) out.push(bigIntToNumber(i));
  return out;
}

// OPA's "cheap range" fast path applies when both bounds are interned small ints (-1..512).
function isInternedInt(v: Value | undefined): boolean {
  return typeof v === "number" && Number.isInteger(v) && v >= -1 && v <= 512;
}

const STEP_ERROR = "numbers.range_step: step must be a positive number above zero";

function numberArgs(...names: string[]): { name: string; type: typeof T.number }[] {
  return names.map((name) => ({ name, type: T.number }));
}

/** Arithmetic, numeric ranges and random integers. */
export const numberBuiltins: BuiltinDecl[] = [
  {
    name: "plus",
    args: numberArgs("x", "y"),
    result: T.number,
    doc: "Adds two numbers (infix `+`).",
    exactIntegers: true,
    impl: (args) => {
      const exact = exactInteger(args, (x, y) => x + y);
      if (exact !== undefined) return exact;
      const ds = asDoubles(args);
      return addNumbers(argNumber(ds, 1), argNumber(ds, 2));
    },
  },
  {
    name: "minus",
    args: [
      { name: "x", type: T.anyOf(T.number, T.set()) },
      { name: "y", type: T.anyOf(T.number, T.set()) },
    ],
    result: T.anyOf(T.number, T.set()),
    doc: "Subtracts numbers, or returns the difference of two sets (infix `-`).",
    exactIntegers: true,
    impl: (args) => {
      const exact = exactInteger(args, (a, b) => a - b);
      if (exact !== undefined) return exact;
      const [x, y] = asDoubles(args) as [Value, Value];
      if (typeof x === "number" && typeof y === "number") return addNumbers(x, -y);
      if (x instanceof RegoSet && y instanceof RegoSet) {
        if (y.size === 0) return x.copy();
        const out = new RegoSet();
        for (const v of x) if (!y.has(v)) out.add(v);
        return out;
      }
      if (typeof x !== "number" && !(x instanceof RegoSet)) return operandError(1, "one of {number, set}", x);
      // OPA's wording: a number second operand means the first was a set, anything else expected a number.
      if (typeof y === "number") return operandError(2, "set", y);
      return operandError(2, "number", y);
    },
  },
  {
    name: "mul",
    args: numberArgs("x", "y"),
    result: T.number,
    doc: "Multiplies two numbers (infix `*`).",
    exactIntegers: true,
    impl: (args) => {
      const exact = exactInteger(args, (x, y) => x * y);
      if (exact !== undefined) return exact;
      const ds = asDoubles(args);
      return mulNumbers(argNumber(ds, 1), argNumber(ds, 2));
    },
  },
  {
    name: "div",
    args: numberArgs("x", "y"),
    result: T.number,
    doc: "Divides the first number by the second (infix `/`); dividing by zero is an error.",
    impl: (args) => divNumbers(argNumber(args, 1), argNumber(args, 2)),
  },
  {
    name: "rem",
    args: numberArgs("x", "y"),
    result: T.number,
    doc: "Returns the remainder of integer division, with the sign of the dividend (infix `%`).",
    impl: (args) => remNumbers(argNumber(args, 1), argNumber(args, 2)),
  },
  {
    name: "round",
    args: numberArgs("x"),
    result: T.number,
    doc: "Rounds a number to the nearest integer, halves away from zero.",
    impl: (args) => roundNumber(argNumber(args, 1)),
  },
  {
    name: "ceil",
    args: numberArgs("x"),
    result: T.number,
    doc: "Rounds a number up to the nearest integer.",
    impl: (args) => ceilNumber(argNumber(args, 1)),
  },
  {
    name: "floor",
    args: numberArgs("x"),
    result: T.number,
    doc: "Rounds a number down to the nearest integer.",
    impl: (args) => floorNumber(argNumber(args, 1)),
  },
  {
    name: "abs",
    args: numberArgs("x"),
    result: T.number,
    doc: "Returns the absolute value of a number.",
    impl: (args) => checkFinite(Math.abs(argNumber(args, 1))),
  },
  {
    name: "numbers.range",
    args: numberArgs("a", "b"),
    result: T.array(T.number),
    doc: "Returns the integers from a to b inclusive, ascending or descending.",
    impl: (args) => rangeOf(argBigInt(args, 1), argBigInt(args, 2), 1n),
  },
  {
    name: "numbers.range_step",
    args: numberArgs("a", "b", "step"),
    result: T.array(T.number),
    doc: "Returns the integers from a towards b inclusive, stepping by a positive step.",
    impl: (args) => {
      if (isInternedInt(args[0]) && isInternedInt(args[1])) {
        // OPA's fast path reads a non-integer step as 0 and reports it as a bad step.
        const step = args[2];
        if (typeof step !== "number" || !Number.isInteger(step) || step <= 0) throw new BuiltinError(STEP_ERROR);
        return rangeOf(BigInt(args[0] as number), BigInt(args[1] as number), BigInt(step));
      }
      const x = argBigInt(args, 1);
      const y = argBigInt(args, 2);
      const step = argBigInt(args, 3);
      if (step <= 0n) throw new BuiltinError(STEP_ERROR);
      return rangeOf(x, y, step);
    },
  },
  {
    name: "rand.intn",
    args: [
      { name: "str", type: T.string },
      { name: "n", type: T.number },
    ],
    result: T.number,
    doc: "Returns a random integer in [0, |n|); the same (str, n) gives the same result within one evaluation.",
    nondeterministic: true,
    impl: (args, ctx) => {
      const str = argString(args, 1);
      let n = argInt(args, 2);
      if (n === 0) return 0;
      if (n < 0) n = -n;
      const key = `rand.intn\u0000${str}-${n}`;
      const cached = ctx.cache.get(key);
      if (typeof cached === "number") return cached;
      const result = Math.floor(Math.random() * n);
      ctx.cache.set(key, result);
      return result;
    },
  },
];
