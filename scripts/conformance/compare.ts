/**
 * Result comparison for conformance cases: rows are compared as a set, numbers numerically.
 */
import { compare, fromJson, type Json } from "../../src/rego/value.js";

const EXACT_LIMIT = 2 ** 53;
const RELATIVE_TOLERANCE = 1e-9;

/**
 * Numbers are equal when identical; above 2^53 the expected values went through float64 in OPA's
 * loader and our engine has no arbitrary precision, so a small relative difference is accepted.
 */
export function numbersEqual(a: number, b: number): boolean {
  if (a === b) return true;
  const scale = Math.max(Math.abs(a), Math.abs(b));
  return scale > EXACT_LIMIT && Math.abs(a - b) <= RELATIVE_TOLERANCE * scale;
}

/** Deep equality of JSON values; object key order is ignored. */
export function jsonEqual(a: Json, b: Json): boolean {
  if (typeof a === "number" && typeof b === "number") return numbersEqual(a, b);
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => jsonEqual(x, b[i] as Json));
  }
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k] as Json, b[k] as Json));
}

/** Sorts every array-valued binding in Rego's value order (for `sort_bindings`). */
export function sortBindings(rows: Record<string, Json>[]): Record<string, Json>[] {
  return rows.map((row) => {
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(row)) {
      out[k] = Array.isArray(v) ? [...v].sort((x, y) => compare(fromJson(x), fromJson(y))) : v;
    }
    return out;
  });
}

/** Set equality of result rows: order and duplicates are ignored. */
export function rowsEqual(got: Record<string, Json>[], want: Record<string, Json>[]): boolean {
  return got.every((g) => want.some((w) => jsonEqual(g, w))) && want.every((w) => got.some((g) => jsonEqual(g, w)));
}
