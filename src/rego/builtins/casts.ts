/** to_number and the deprecated cast_* builtins. */
import { BuiltinError, BuiltinTypeError } from "../errors.js";
import { RegoObject, RegoSet, type Value } from "../value.js";
import { type BuiltinDecl, operandError, T } from "./types.js";

type ParseResult = number | "syntax" | "range";

const GO_ESCAPES: Record<string, string> = {
  "\u0007": "\\a",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\u000b": "\\v",
  '"': '\\"',
  "\\": "\\\\",
};

/** A string quoted as Go's strconv.Quote does, for error messages that OPA passes through from Go. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    const esc = GO_ESCAPES[ch];
    if (esc !== undefined) out += esc;
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else if ((code >= 0x80 && code < 0xa0) || (code >= 0xd800 && code < 0xe000)) {
      out += `\\u${code.toString(16).padStart(4, "0")}`;
    } else out += ch;
  }
  return `${out}"`;
}

const isDec = (c: string): boolean => c >= "0" && c <= "9";
const isHex = (c: string): boolean => isDec(c) || (c >= "a" && c <= "f") || (c >= "A" && c <= "F");

/** Go's rule: an underscore may only sit between digits (a base prefix counts as a digit). */
function underscoresOk(s: string): boolean {
  let i = s[0] === "+" || s[0] === "-" ? 1 : 0;
  let saw = "^";
  let hex = false;
  if (s[i] === "0" && /[xXbBoO]/.test(s[i + 1] ?? "")) {
    hex = s[i + 1] === "x" || s[i + 1] === "X";
    saw = "0";
    i += 2;
  }
  for (; i < s.length; i++) {
    const c = s[i] as string;
    if (isDec(c) || (hex && isHex(c))) saw = "0";
    else if (c === "_") {
      if (saw !== "0") return false;
      saw = "_";
    } else {
      if (saw === "_") return false;
      saw = "!";
    }
  }
  return saw !== "_";
}

/** Scales a double by 2^exp in steps, so an intermediate power of two cannot overflow on its own. */
function scaleByPowerOfTwo(x: number, exp: number): number {
  let r = x;
  let e = exp;
  while (e > 0) {
    const step = Math.min(e, 1000);
    r *= 2 ** step;
    e -= step;
  }
  while (e < 0) {
    const step = Math.max(e, -1000);
    r *= 2 ** step;
    e -= step;
  }
  return r;
}

function parseHex(body: string, negative: boolean): ParseResult {
  // body is what follows "0x": hex mantissa with optional point, then a mandatory binary exponent.
  const m = /^([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)$/.exec(body);
  if (!m) return "syntax";
  const int = m[1] ?? "";
  const frac = m[2] ?? "";
  if (int.length + frac.length === 0) return "syntax";
  const mantissa = BigInt(`0x${int}${frac}`);
  const value = scaleByPowerOfTwo(Number(mantissa), Number(m[3]) - 4 * frac.length);
  if (!Number.isFinite(value)) return "range";
  return negative ? -value : value;
}

/** Parses like Go's strconv.ParseFloat(s, 64), minus the inf/nan spellings (OPA rejects those first). */
export function parseGoFloat(s: string): ParseResult {
  if (s.includes("_") && !underscoresOk(s)) return "syntax";
  const clean = s.replaceAll("_", "");
  const negative = clean.startsWith("-");
  const unsigned = clean[0] === "+" || clean[0] === "-" ? clean.slice(1) : clean;
  if (/^0[xX]/.test(unsigned)) return parseHex(unsigned.slice(2), negative);
  if (!/^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(unsigned)) return "syntax";
  const value = Number(unsigned);
  if (!Number.isFinite(value)) return "range";
  return negative ? -value : value;
}

function toNumber(v: Value): number {
  if (v === null) return 0;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "number") return v;
  if (typeof v !== "string") return operandError(1, "one of {null, boolean, number, string}", v);
  // OPA strips every leading sign before checking for the spellings Go would accept as Inf/NaN.
  const bare = v.replace(/^[+-]+/, "").toLowerCase();
  if (bare === "inf" || bare === "infinity" || bare === "nan") {
    throw new BuiltinTypeError("operand 1 must be valid number string but got string");
  }
  const parsed = parseGoFloat(v);
  if (parsed === "syntax") throw new BuiltinError(`strconv.ParseFloat: parsing ${goQuote(v)}: invalid syntax`);
  if (parsed === "range") throw new BuiltinError(`strconv.ParseFloat: parsing ${goQuote(v)}: value out of range`);
  return parsed === 0 ? 0 : parsed;
}

/** A deprecated identity cast: returns x when it has the expected type. */
function identityCast(name: string, type: "string" | "boolean" | "null" | "object"): BuiltinDecl {
  const result = type === "object" ? T.object(T.any, T.any) : T[type];
  return {
    name,
    args: [{ name: "x", type: T.any }],
    result,
    doc: `Deprecated: returns x if it is a${type === "object" ? "n" : ""} ${type} (rejected in Rego v1 modules).`,
    impl: (args) => {
      const v = args[0] as Value;
      const ok = type === "object" ? v instanceof RegoObject : type === "null" ? v === null : typeof v === type;
      return ok ? v : operandError(1, type, v);
    },
  };
}

/** Conversions between types. */
export const castBuiltins: BuiltinDecl[] = [
  {
    name: "to_number",
    args: [{ name: "x", type: T.anyOf(T.null, T.boolean, T.number, T.string) }],
    result: T.number,
    doc: "Converts a string (Go float syntax), boolean (true = 1) or null (0) to a number.",
    impl: (args) => toNumber(args[0] as Value),
  },
  {
    name: "cast_array",
    args: [{ name: "x", type: T.any }],
    result: T.array(T.any),
    doc: "Deprecated: converts a set to an array, or returns an array (rejected in Rego v1 modules).",
    impl: (args) => {
      const v = args[0] as Value;
      if (Array.isArray(v)) return v;
      if (v instanceof RegoSet) return [...v.sorted()];
      return operandError(1, "one of {array, set}", v);
    },
  },
  {
    name: "cast_set",
    args: [{ name: "x", type: T.any }],
    result: T.set(T.any),
    doc: "Deprecated: converts an array to a set, or returns a set (rejected in Rego v1 modules).",
    impl: (args) => {
      const v = args[0] as Value;
      if (Array.isArray(v)) return new RegoSet(v);
      if (v instanceof RegoSet) return v;
      return operandError(1, "one of {array, set}", v);
    },
  },
  identityCast("cast_string", "string"),
  identityCast("cast_boolean", "boolean"),
  identityCast("cast_null", "null"),
  identityCast("cast_object", "object"),
];
