/**
 * units.parse and units.parse_bytes. OPA computes these with Go's math/big (exact rationals for
 * units.parse, 64-bit-mantissa big.Float for units.parse_bytes); we reproduce both with BigInt so
 * results round exactly as OPA's do before they become doubles.
 */
import { BuiltinError } from "../errors.js";
import type { Value } from "../value.js";
import { argString, type BuiltinDecl, T } from "./types.js";

/** An exact rational num/den with den > 0. */
interface Rat {
  num: bigint;
  den: bigint;
}

// OPA rejects exponents with more digits than this (newer releases; it bounds the big-number work).
const maxExponentDigits = 6;
// Beyond this decimal magnitude a double cannot hold the result; OPA would build a huge integer.
const maxDecimalMagnitude = 400;

const isDigit = (c: string): boolean => c >= "0" && c <= "9";

/** Splits "10.5Ki" into ["10.5", "Ki"] the way OPA's extractNumAndUnit does; null when the exponent is too long. */
export function extractNumAndUnit(s: string): [string, string] | null {
  let firstNonNum = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (!isDigit(c) && c !== "." && c !== "e" && c !== "E" && c !== "+" && c !== "-") {
      firstNonNum = i;
      break;
    }
    if (c === "e" || c === "E") {
      const next = s[i + 1];
      // An 'e' not followed by a digit or sign starts the unit (exa).
      if (next === undefined || (!isDigit(next) && next !== "+" && next !== "-")) {
        firstNonNum = i;
        break;
      }
      if (next === "+" || next === "-") i++;
      let end = i + 1;
      while (end < s.length && isDigit(s[end] as string)) end++;
      if (end - (i + 1) > maxExponentDigits) return null;
    }
  }
  if (firstNonNum === -1) return [s, ""];
  if (firstNonNum === 0) return ["", s];
  return [s.slice(0, firstNonNum), s.slice(firstNonNum)];
}

const decimalRe = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** Parses a decimal literal exactly (Go's big.Rat/big.Float SetString grammar for decimals). */
function parseDecimal(s: string, unitsName: string): Rat | null {
  const m = decimalRe.exec(s);
  if (!m) return null;
  const intPart = m[2] ?? "";
  const frac = m[3] ?? "";
  if (intPart === "" && frac === "") return null;
  const exp = Number(m[4] ?? "0") - frac.length;
  let num = BigInt(intPart + frac || "0");
  if (m[1] === "-") num = -num;
  if (num === 0n) return { num: 0n, den: 1n };
  const magnitude = exp + (intPart + frac).replace(/^0+/, "").length;
  if (magnitude > maxDecimalMagnitude) throw new BuiltinError(`${unitsName}: exponent too large`);
  // Far below any representable quantity: the value rounds to zero either way.
  if (magnitude < -maxDecimalMagnitude) return { num: 0n, den: 1n };
  return exp >= 0 ? { num: num * 10n ** BigInt(exp), den: 1n } : { num, den: 10n ** BigInt(-exp) };
}

const bitLength = (n: bigint): number => (n === 0n ? 0 : n.toString(2).length);

/** Rounds the positive rational num/den to a `prec`-bit mantissa (half to even): returns [mant, exp2]. */
function roundToPrec(num: bigint, den: bigint, prec: number): [bigint, number] {
  let e = bitLength(num) - bitLength(den) - prec;
  let q: bigint;
  let r: bigint;
  let d: bigint;
  for (;;) {
    const n = e >= 0 ? num : num << BigInt(-e);
    d = e >= 0 ? den << BigInt(e) : den;
    q = n / d;
    r = n % d;
    if (bitLength(q) > prec) e++;
    else if (bitLength(q) < prec) e--;
    else break;
  }
  const twice = 2n * r;
  if (twice > d || (twice === d && (q & 1n) === 1n)) {
    q += 1n;
    if (bitLength(q) > prec) {
      q >>= 1n;
      e++;
    }
  }
  return [q, e];
}

const rationalOfDouble = (x: number): Rat => {
  // Used for OPA's x.SetFloat64(0.001): the exact binary value, not one thousandth.
  let den = 1n;
  let v = x;
  while (!Number.isInteger(v)) {
    v *= 2;
    den *= 2n;
  }
  return { num: BigInt(v), den };
};

const pow2 = (k: number): bigint => 1n << BigInt(k);

const bytesUnits: Record<string, bigint> = {
  "": 1n,
  kb: 1000n,
  k: 1000n,
  kib: pow2(10),
  ki: pow2(10),
  mb: 1000n ** 2n,
  m: 1000n ** 2n,
  mib: pow2(20),
  mi: pow2(20),
  gb: 1000n ** 3n,
  g: 1000n ** 3n,
  gib: pow2(30),
  gi: pow2(30),
  tb: 1000n ** 4n,
  t: 1000n ** 4n,
  tib: pow2(40),
  ti: pow2(40),
  pb: 1000n ** 5n,
  p: 1000n ** 5n,
  pib: pow2(50),
  pi: pow2(50),
  eb: 1000n ** 6n,
  e: 1000n ** 6n,
  eib: pow2(60),
  ei: pow2(60),
};

const milli = rationalOfDouble(0.001);

/** units.parse multipliers after OPA's "first letter as typed, rest lowercased" normalisation. */
function unitMultiplier(unit: string): Rat | undefined {
  const one = (n: bigint): Rat => ({ num: n, den: 1n });
  switch (unit) {
    case "m":
      return milli;
    case "":
      return one(1n);
    case "k":
    case "K":
      return one(1000n);
    case "ki":
    case "Ki":
      return one(pow2(10));
    case "M":
      return one(1000n ** 2n);
    case "mi":
    case "Mi":
      return one(pow2(20));
    case "g":
    case "G":
      return one(1000n ** 3n);
    case "gi":
    case "Gi":
      return one(pow2(30));
    case "t":
    case "T":
      return one(1000n ** 4n);
    case "ti":
    case "Ti":
      return one(pow2(40));
    case "p":
    case "P":
      return one(1000n ** 5n);
    case "pi":
    case "Pi":
      return one(pow2(50));
    case "e":
    case "E":
      return one(1000n ** 6n);
    case "ei":
    case "Ei":
      return one(pow2(60));
    default:
      return undefined;
  }
}

/** big.Rat.FloatString(10): ten decimals, halves rounded away from zero. */
function floatString10(r: Rat): string {
  const neg = r.num < 0n;
  const abs = neg ? -r.num : r.num;
  const scale = 10n ** 10n;
  let q = (abs * scale) / r.den;
  const rem = (abs * scale) % r.den;
  if (2n * rem >= r.den) q += 1n;
  const digits = q.toString().padStart(11, "0");
  return `${neg ? "-" : ""}${digits.slice(0, -10)}.${digits.slice(-10)}`;
}

function unitsParse(args: Value[]): Value {
  const name = "units.parse";
  const s = argString(args, 1).replaceAll('"', "");
  if (s.includes(" ")) throw new BuiltinError(`${name}: spaces not allowed in resource strings`);
  const parts = extractNumAndUnit(s);
  if (parts === null) throw new BuiltinError(`${name}: exponent too large`);
  let [num, unit] = parts;
  if (num === "") throw new BuiltinError(`${name}: no amount provided`);
  // Only the first letter keeps its case, so that 'm' (milli) and 'M' (mega) stay distinct.
  if (unit.length > 1) unit = unit[0] + unit.slice(1).toLowerCase();
  const mult = unitMultiplier(unit);
  if (mult === undefined) throw new BuiltinError(`${name}: unit ${unit} not recognized`);
  const value = parseDecimal(num, name);
  if (value === null) throw new BuiltinError(`${name}: could not parse amount to a number`);
  const prod: Rat = { num: value.num * mult.num, den: value.den * mult.den };
  if (prod.num % prod.den === 0n) return Number(prod.num / prod.den);
  return Number(floatString10(prod));
}

function unitsParseBytes(args: Value[]): Value {
  const name = "units.parse_bytes";
  const s = argString(args, 1).toLowerCase().replaceAll('"', "");
  if (s.includes(" ")) throw new BuiltinError(`${name}: spaces not allowed in resource strings`);
  const parts = extractNumAndUnit(s);
  if (parts === null) throw new BuiltinError(`${name}: exponent too large`);
  const [num, unit] = parts;
  if (num === "") throw new BuiltinError(`${name}: no byte amount provided`);
  const mult = bytesUnits[unit];
  if (mult === undefined) throw new BuiltinError(`${name}: byte unit ${unit} not recognized`);
  const value = parseDecimal(num, name);
  if (value === null) throw new BuiltinError(`${name}: could not parse byte amount to a number`);
  if (value.num === 0n) return 0;
  const neg = value.num < 0n;
  // big.Float with its default 64-bit precision: round the literal, round the product, truncate.
  const [m1, e1] = roundToPrec(neg ? -value.num : value.num, value.den, 64);
  const [m2, e2] = roundToPrec(m1 * mult, 1n, 64);
  const e = e1 + e2;
  const int = e >= 0 ? m2 << BigInt(e) : m2 >> BigInt(-e);
  return Number(neg ? -int : int);
}

/** units.parse and units.parse_bytes. */
export const unitsBuiltins: BuiltinDecl[] = [
  {
    name: "units.parse",
    args: [{ name: "x", type: T.string }],
    result: T.number,
    doc: 'Converts strings like "10G", "5K", "4M", "1500m" and the like into a number (SI and binary suffixes, case-sensitive m vs M).',
    impl: unitsParse,
  },
  {
    name: "units.parse_bytes",
    args: [{ name: "x", type: T.string }],
    result: T.number,
    doc: 'Converts strings like "10GB", "5K", "4mb" into an integer number of bytes (case-insensitive SI and binary suffixes).',
    impl: unitsParseBytes,
  },
];
