/**
 * Exact integers beyond the double range of numbers: their one representation (a number within
 * ±2^53, else a bigint), and the text of literals too large even for a double (`2e308`).
 */

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = -MAX_SAFE;

/** An exact integer in its one representation: a number within ±2^53, else a bigint. */
export function normalizeInteger(b: bigint): number | bigint {
  return b >= MIN_SAFE && b <= MAX_SAFE ? Number(b) : b;
}

/**
 * The source text of number literals beyond the double range (`2e308`), by value. OPA keeps a
 * number's literal text, and sprintf prints such a number by it (it fits neither an int64, nor a
 * big.Int when written with an exponent, nor a float64). Bounded: policies write few such literals.
 */
const outOfRangeTexts = new Map<bigint, string>();
const MAX_OUT_OF_RANGE_TEXTS = 1024;

/**
 * The exact integer a decimal literal beyond the double range denotes (`2e308`, `-1.5e400`), with
 * its text remembered for sprintf; undefined when the literal is not an integer or its exponent
 * is beyond 10,000 (the digits would cost more than they are worth).
 */
export function outOfRangeLiteral(raw: string): bigint | undefined {
  const m = /^(-?)(\d+)(?:\.(\d+))?[eE]\+?(\d+)$/.exec(raw);
  if (!m) return undefined;
  const fraction = m[3] ?? "";
  const exponent = Number(m[4]) - fraction.length;
  if (exponent < 0 || exponent > 10_000) return undefined;
  const digits = BigInt(`${m[2]}${fraction}`) * 10n ** BigInt(exponent);
  const value = m[1] === "-" ? -digits : digits;
  if (!outOfRangeTexts.has(value) && outOfRangeTexts.size < MAX_OUT_OF_RANGE_TEXTS) outOfRangeTexts.set(value, raw);
  return value;
}

/** The literal text of a number beyond the double range, when a policy wrote it (see outOfRangeLiteral). */
export function outOfRangeText(v: bigint): string | undefined {
  return outOfRangeTexts.get(v);
}
