/** semver.is_valid and semver.compare (SemVer 2.0.0 as OPA's internal semver package parses it). */
import { BuiltinError } from "../errors.js";
import type { Value } from "../value.js";
import { argString, type BuiltinDecl, T } from "./types.js";

interface Version {
  major: bigint;
  minor: bigint;
  patch: bigint;
  pre: string;
}

const IDENTIFIERS = /^[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*$/;
// Go's strconv.ParseInt(s, 10, 64) accepts a sign and leading zeros.
const GO_INT = /^[+-]?[0-9]+$/;
const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

function parseInt64(s: string): bigint | undefined {
  if (!GO_INT.test(s)) return undefined;
  const n = BigInt(s);
  return n > INT64_MAX || n < INT64_MIN ? undefined : n;
}

/** Parses "MAJOR.MINOR.PATCH[-pre][+meta]"; undefined when invalid. */
export function parseSemver(s: string): Version | undefined {
  let rest = s;
  let meta = "";
  const plus = rest.indexOf("+");
  if (plus >= 0) {
    meta = rest.slice(plus + 1);
    rest = rest.slice(0, plus);
  }
  let pre = "";
  const dash = rest.indexOf("-");
  if (dash >= 0) {
    pre = rest.slice(dash + 1);
    rest = rest.slice(0, dash);
  }
  const parts = rest.split(".");
  if (parts.length < 3) return undefined;
  // Go splits into at most three parts, so "1.2.3.4" leaves "3.4" as the patch and fails below.
  const patchText = parts.slice(2).join(".");
  if ((pre !== "" && !IDENTIFIERS.test(pre)) || (meta !== "" && !IDENTIFIERS.test(meta))) return undefined;
  const major = parseInt64(parts[0] as string);
  const minor = parseInt64(parts[1] as string);
  const patch = parseInt64(patchText);
  if (major === undefined || minor === undefined || patch === undefined) return undefined;
  return { major, minor, patch, pre };
}

function cmp<X>(a: X, b: X): number {
  return a > b ? 1 : a < b ? -1 : 0;
}

function comparePre(a: string[], b: string[]): number {
  for (let i = 0; ; i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined) return y === undefined ? 0 : -1;
    if (y === undefined) return 1;
    const xi = parseInt64(x);
    const yi = parseInt64(y);
    // Numeric identifiers sort below alphanumeric ones.
    if (xi !== undefined && yi === undefined) return -1;
    if (xi === undefined && yi !== undefined) return 1;
    if (xi !== undefined && yi !== undefined && xi !== yi) return cmp(xi, yi);
    // Numerically equal identifiers ("01" and "1") still differ as strings, as in OPA.
    const c = cmp(x, y);
    if (c !== 0) return c;
  }
}

/** -1, 0 or 1 as SemVer precedence orders `a` and `b` (build metadata ignored). */
export function compareSemver(a: Version, b: Version): number {
  const c = cmp(a.major, b.major) || cmp(a.minor, b.minor) || cmp(a.patch, b.patch);
  if (c !== 0) return c;
  if (a.pre === "" && b.pre !== "") return 1;
  if (b.pre === "" && a.pre !== "") return -1;
  if (a.pre === "" && b.pre === "") return 0;
  return comparePre(a.pre.split("."), b.pre.split("."));
}

/** semver.is_valid and semver.compare. */
export const semverBuiltins: BuiltinDecl[] = [
  {
    name: "semver.is_valid",
    args: [{ name: "vsn", type: T.any }],
    result: T.boolean,
    doc: "Validates that the input is a SemVer string (false for non-strings).",
    impl(args) {
      const v = args[0] as Value;
      return typeof v === "string" && parseSemver(v) !== undefined;
    },
  },
  {
    name: "semver.compare",
    args: [
      { name: "a", type: T.string },
      { name: "b", type: T.string },
    ],
    result: T.number,
    doc: "Compares two SemVer strings: -1 if a < b, 0 if equal, 1 if a > b.",
    impl(args) {
      const a = argString(args, 1);
      const b = argString(args, 2);
      const va = parseSemver(a);
      if (!va) throw new BuiltinError(`operand 1: string ${a} is not a valid SemVer`);
      const vb = parseSemver(b);
      if (!vb) throw new BuiltinError(`operand 2: string ${b} is not a valid SemVer`);
      return compareSemver(va, vb);
    },
  },
];
