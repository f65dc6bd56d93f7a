/**
 * sprintf with Go's fmt semantics, fed the way OPA feeds it: integral numbers become Go ints (or
 * *big.Int beyond int64), other numbers float64, strings stay strings, and every other value is
 * passed as its Rego text (so `%d` of `true` prints `%!d(string=true)`, as OPA does).
 */
import { formatNumber, RegoObject, RegoSet, type Value } from "../value.js";
import { argString, type BuiltinDecl, operandError, T } from "./types.js";

type Arg =
  | { kind: "int"; v: bigint }
  | { kind: "big"; v: bigint }
  | { kind: "float"; v: number }
  | { kind: "str"; v: string };

interface Flags {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  sharpV: boolean;
  wid: number;
  widPresent: boolean;
  prec: number;
  precPresent: boolean;
}

const newFlags = (): Flags => ({
  plus: false,
  minus: false,
  sharp: false,
  space: false,
  zero: false,
  sharpV: false,
  wid: 0,
  widPresent: false,
  prec: 0,
  precPresent: false,
});

// Go's strconv.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.
const printable = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;
const isPrint = (ch: string): boolean => printable.test(ch);

function quoteRuneInto(ch: string, quote: string, asciiOnly: boolean): string {
  const r = ch.codePointAt(0) as number;
  if (ch === quote || ch === "\\") return `\\${ch}`;
  if (r >= 0xd800 && r <= 0xdfff) return "\\ufffd";
  if (asciiOnly ? r < 0x80 && isPrint(ch) : isPrint(ch)) return ch;
  switch (ch) {
    case "\x07":
      return "\\a";
    case "\b":
      return "\\b";
    case "\f":
      return "\\f";
    case "\n":
      return "\\n";
    case "\r":
      return "\\r";
    case "\t":
      return "\\t";
    case "\v":
      return "\\v";
  }
  if (r < 0x20 || r === 0x7f) return `\\x${r.toString(16).padStart(2, "0")}`;
  if (r < 0x10000) return `\\u${r.toString(16).padStart(4, "0")}`;
  return `\\U${r.toString(16).padStart(8, "0")}`;
}

/** Go's strconv.Quote (or QuoteToASCII when asciiOnly). */
export function goQuote(s: string, asciiOnly = false): string {
  let out = '"';
  for (const ch of s) out += quoteRuneInto(ch, '"', asciiOnly);
  return `${out}"`;
}

function canBackquote(s: string): boolean {
  for (const ch of s) {
    const r = ch.codePointAt(0) as number;
    if (r === 0xfeff || (r >= 0xd800 && r <= 0xdfff)) return false;
    if ((r < 0x20 && r !== 9) || r === 0x60 || r === 0x7f) return false;
  }
  return true;
}

/** A value as OPA's Term.String() prints it: Rego syntax, strings Go-quoted. */
export function regoString(v: Value): string {
  if (v === null) return "null";
  switch (typeof v) {
    case "boolean":
      return String(v);
    case "number":
      return formatNumber(v);
    case "string":
      return goQuote(v);
  }
  if (Array.isArray(v)) return `[${v.map(regoString).join(", ")}]`;
  if (v instanceof RegoSet) return v.size === 0 ? "set()" : `{${v.sorted().map(regoString).join(", ")}}`;
  if (v instanceof RegoObject) {
    return `{${v
      .sortedEntries()
      .map(([k, x]) => `${regoString(k)}: ${regoString(x)}`)
      .join(", ")}}`;
  }
  return String(v);
}

const int64Limit = 2 ** 63;

function toArg(v: Value): Arg {
  if (typeof v === "number") {
    if (Number.isInteger(v))
      return Math.abs(v) < int64Limit ? { kind: "int", v: BigInt(v) } : { kind: "big", v: BigInt(v) };
    return { kind: "float", v };
  }
  if (typeof v === "string") return { kind: "str", v };
  return { kind: "str", v: regoString(v) };
}

const runeCount = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

/** The formatter state for one sprintf call. */
class Printer {
  out = "";
  f: Flags = newFlags();

  private padding(n: number, zeroAllowed: boolean): string {
    if (n <= 0) return "";
    return (zeroAllowed && this.f.zero && !this.f.minus ? "0" : " ").repeat(n);
  }

  /** Writes s padded to the width, left or right; zero fill only where Go allows it. */
  pad(s: string, zeroAllowed = true): void {
    if (!this.f.widPresent || this.f.wid === 0) {
      this.out += s;
      return;
    }
    const fill = this.padding(this.f.wid - runeCount(s), zeroAllowed);
    this.out += this.f.minus ? s + fill : fill + s;
  }

  printArg(a: Arg, verb: string): void {
    if (verb === "T") {
      this.pad(goTypeName(a), false);
      return;
    }
    if (a.kind === "int") this.printInt(a, verb);
    else if (a.kind === "big") this.printBig(a.v, verb);
    else if (a.kind === "float") this.printFloat(a, verb);
    else this.printString(a, verb);
  }

  badVerb(verb: string, a: Arg): void {
    this.out += `%!${verb}(${goTypeName(a)}=`;
    this.printArg(a, "v");
    this.out += ")";
  }

  private printString(a: Arg & { kind: "str" }, verb: string): void {
    switch (verb) {
      case "v":
        if (this.f.sharpV) this.fmtQ(a.v);
        else this.fmtS(a.v);
        return;
      case "s":
        this.fmtS(a.v);
        return;
      case "q":
        this.fmtQ(a.v);
        return;
      case "x":
      case "X":
        this.fmtSx(a.v, verb === "X");
        return;
      default:
        this.badVerb(verb, a);
        return;
    }
  }

  private truncate(s: string): string {
    if (!this.f.precPresent) return s;
    return Array.from(s).slice(0, this.f.prec).join("");
  }

  private fmtS(s: string): void {
    this.pad(this.truncate(s), false);
  }

  private fmtQ(s: string): void {
    const t = this.truncate(s);
    if (this.f.sharp && canBackquote(t)) this.pad(`\`${t}\``, false);
    else this.pad(goQuote(t, this.f.plus), false);
  }

  private fmtSx(s: string, upper: boolean): void {
    let bytes = Array.from(new TextEncoder().encode(s));
    if (this.f.precPresent && this.f.prec < bytes.length) bytes = bytes.slice(0, this.f.prec);
    const prefix = upper ? "0X" : "0x";
    let hex = "";
    bytes.forEach((b, i) => {
      if (this.f.space && i > 0) hex += this.f.sharp ? ` ${prefix}` : " ";
      else if (this.f.sharp && (i === 0 || this.f.space)) hex += prefix;
      const h = b.toString(16).padStart(2, "0");
      hex += upper ? h.toUpperCase() : h;
    });
    this.pad(hex, false);
  }

  private printInt(a: Arg & { kind: "int" }, verb: string): void {
    switch (verb) {
      case "v":
      case "d":
        this.fmtInteger(a.v, 10, verb, false);
        return;
      case "b":
        this.fmtInteger(a.v, 2, verb, false);
        return;
      case "o":
      case "O":
        this.fmtInteger(a.v, 8, verb, false);
        return;
      case "x":
      case "X":
        this.fmtInteger(a.v, 16, verb, verb === "X");
        return;
      case "c":
        this.pad(runeOf(a.v));
        return;
      case "q": {
        const ch = runeOf(a.v);
        let q = "'";
        for (const c of ch) q += quoteRuneInto(c, "'", this.f.plus);
        this.pad(`${q}'`);
        return;
      }
      case "U":
        this.fmtUnicode(a.v);
        return;
      default:
        this.badVerb(verb, a);
        return;
    }
  }

  private fmtInteger(v: bigint, base: number, verb: string, upper: boolean): void {
    const f = this.f;
    const negative = v < 0n;
    const abs = negative ? -v : v;
    let prec = 0;
    if (f.precPresent) {
      prec = f.prec;
      if (prec === 0 && abs === 0n) {
        this.out += " ".repeat(f.widPresent ? f.wid : 0);
        return;
      }
    } else if (f.zero && !f.minus && f.widPresent) {
      prec = f.wid;
      if (negative || f.plus || f.space) prec--;
    }
    let digits = abs.toString(base);
    if (upper) digits = digits.toUpperCase();
    digits = digits.padStart(prec, "0");
    if (f.sharp) {
      if (base === 2) digits = `0b${digits}`;
      else if (base === 8 && !digits.startsWith("0")) digits = `0${digits}`;
      else if (base === 16) digits = `${upper ? "0X" : "0x"}${digits}`;
    }
    if (verb === "O") digits = `0o${digits}`;
    const sign = negative ? "-" : f.plus ? "+" : f.space ? " " : "";
    // Zero fill was already applied as precision above.
    this.pad(sign + digits, false);
  }

  private fmtUnicode(v: bigint): void {
    const u = v < 0n ? v + (1n << 64n) : v;
    const prec = this.f.precPresent && this.f.prec > 4 ? this.f.prec : 4;
    let s = `U+${u.toString(16).toUpperCase().padStart(prec, "0")}`;
    if (this.f.sharp && u <= 0x10ffffn && isPrint(String.fromCodePoint(Number(u)))) {
      s += ` '${String.fromCodePoint(Number(u))}'`;
    }
    this.pad(s, false);
  }

  /** math/big's (*Int).Format, which fmt hands every verb to. */
  private printBig(v: bigint, verb: string): void {
    const bases: Record<string, number> = { b: 2, o: 8, O: 8, d: 10, s: 10, v: 10, x: 16, X: 16 };
    const base = bases[verb];
    if (base === undefined) {
      this.out += `%!${verb}(big.Int=${v.toString()})`;
      return;
    }
    const f = this.f;
    const sign = v < 0n ? "-" : f.plus ? "+" : f.space ? " " : "";
    let prefix = "";
    if (f.sharp) prefix = ({ b: "0b", o: "0", x: "0x", X: "0X" } as Record<string, string>)[verb] ?? "";
    if (verb === "O") prefix = "0o";
    let digits = (v < 0n ? -v : v).toString(base);
    if (verb === "X") digits = digits.toUpperCase();
    let zeros = 0;
    if (f.precPresent) {
      if (digits.length < f.prec) zeros = f.prec - digits.length;
      else if (digits === "0" && f.prec === 0) return;
    }
    const length = sign.length + prefix.length + zeros + digits.length;
    let left = 0;
    let right = 0;
    if (f.widPresent && length < f.wid) {
      const d = f.wid - length;
      if (f.minus) right = d;
      else if (f.zero && !f.precPresent) zeros = d;
      else left = d;
    }
    this.out += `${" ".repeat(left)}${sign}${prefix}${"0".repeat(zeros)}${digits}${" ".repeat(right)}`;
  }

  private printFloat(a: Arg & { kind: "float" }, verb: string): void {
    switch (verb) {
      case "v":
        this.fmtFloat(a.v, "g", -1);
        return;
      case "b":
      case "g":
      case "G":
      case "x":
      case "X":
        this.fmtFloat(a.v, verb, -1);
        return;
      case "f":
      case "F":
      case "e":
      case "E":
        this.fmtFloat(a.v, verb === "F" ? "f" : verb, 6);
        return;
      default:
        this.badVerb(verb, a);
        return;
    }
  }

  private fmtFloat(v: number, verb: string, defPrec: number): void {
    const f = this.f;
    const prec = f.precPresent ? f.prec : defPrec;
    let num = formatFloat(v, verb, prec);
    num = num[0] === "-" || num[0] === "+" ? num : `+${num}`;
    if (f.space && num[0] === "+" && !f.plus) num = ` ${num.slice(1)}`;
    if (num[1] === "I" || num[1] === "N") {
      if (num[1] === "N" && !f.space && !f.plus) num = num.slice(1);
      this.pad(num, false);
      return;
    }
    if (f.sharp && verb !== "b") num = sharpFloat(num, verb, prec);
    if (f.plus || num[0] !== "+") {
      if (f.zero && !f.minus && f.widPresent && f.wid > num.length) {
        this.out += num[0] + "0".repeat(f.wid - num.length) + num.slice(1);
        return;
      }
      this.pad(num);
      return;
    }
    this.pad(num.slice(1));
  }
}

/** The `#` flag on floats: keep the decimal point and, for %g, trailing zeros. */
function sharpFloat(num: string, verb: string, prec: number): string {
  let digits = 0;
  if (verb === "v" || verb === "g" || verb === "G" || verb === "x") digits = prec === -1 ? 6 : prec;
  let tail = "";
  let body = num;
  let hasPoint = false;
  let sawNonzero = false;
  for (let i = 1; i < body.length; i++) {
    const c = body[i] as string;
    if (c === ".") {
      hasPoint = true;
    } else if (c === "p" || c === "P" || ((c === "e" || c === "E") && verb !== "x" && verb !== "X")) {
      tail = body.slice(i);
      body = body.slice(0, i);
      break;
    } else {
      if (c !== "0") sawNonzero = true;
      if (sawNonzero) digits--;
    }
  }
  if (!hasPoint) {
    if (body.length === 2 && body[1] === "0") digits--;
    body += ".";
  }
  if (digits > 0) body += "0".repeat(digits);
  return body + tail;
}

const goTypeName = (a: Arg): string => ({ int: "int", big: "*big.Int", float: "float64", str: "string" })[a.kind];

function runeOf(v: bigint): string {
  const valid = v >= 0n && v <= 0x10ffffn && !(v >= 0xd800n && v <= 0xdfffn);
  return String.fromCodePoint(valid ? Number(v) : 0xfffd);
}

/** Decimal digits (no leading zeros) and decimal-point position of |v|, exactly or shortest. */
function decimalDigits(v: number, shortest: boolean): { d: string; dp: number } {
  const x = Math.abs(v);
  if (x === 0) return { d: "", dp: 0 };
  if (shortest) {
    const [mant, exp] = x.toExponential().split("e") as [string, string];
    const d = mant.replace(".", "").replace(/0+$/, "");
    return { d, dp: Number(exp) + 1 };
  }
  // Exact expansion of the binary value: x = m * 2^e.
  let e = 0;
  let m = x;
  while (!Number.isInteger(m)) {
    m *= 2;
    e--;
  }
  let big = BigInt(m);
  let s: string;
  let dp: number;
  if (e === 0) {
    s = big.toString();
    dp = s.length;
  } else {
    big *= 5n ** BigInt(-e);
    s = big.toString();
    dp = s.length + e;
  }
  const trimmed = s.replace(/0+$/, "");
  return { d: trimmed, dp };
}

/** Rounds digits to nd significant digits, half to even on the exact value. */
function roundDigits(dec: { d: string; dp: number }, nd: number): { d: string; dp: number } {
  const { d, dp } = dec;
  if (nd < 0) return { d: "", dp: 0 };
  if (nd >= d.length) return dec;
  const next = d[nd] as string;
  let up = next > "5" || (next === "5" && (nd + 1 < d.length || (nd > 0 && Number(d[nd - 1]) % 2 === 1)));
  if (next < "5") up = false;
  if (!up) return { d: d.slice(0, nd).replace(/0+$/, ""), dp };
  let i = nd - 1;
  while (i >= 0 && d[i] === "9") i--;
  if (i < 0) return { d: "1", dp: dp + 1 };
  return { d: d.slice(0, i) + String(Number(d[i]) + 1), dp };
}

function fmtE(neg: boolean, dec: { d: string; dp: number }, prec: number, e: string): string {
  let out = neg ? "-" : "";
  out += dec.d.length > 0 ? dec.d[0] : "0";
  if (prec > 0) out += `.${dec.d.slice(1, prec + 1).padEnd(prec, "0")}`;
  let exp = dec.d.length === 0 ? 0 : dec.dp - 1;
  const sign = exp < 0 ? "-" : "+";
  exp = Math.abs(exp);
  return `${out}${e}${sign}${String(exp).padStart(2, "0")}`;
}

function fmtF(neg: boolean, dec: { d: string; dp: number }, prec: number): string {
  let out = neg ? "-" : "";
  out += dec.dp > 0 ? dec.d.slice(0, dec.dp).padEnd(dec.dp, "0") : "0";
  if (prec > 0) {
    let frac = "";
    for (let i = 1; i <= prec; i++) {
      const j = dec.dp + i - 1;
      frac += j >= 0 && j < dec.d.length ? dec.d[j] : "0";
    }
    out += `.${frac}`;
  }
  return out;
}

/** Go's strconv.FormatFloat(v, verb, prec, 64). */
export function formatFloat(v: number, verb: string, prec: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "+Inf" : "-Inf";
  const neg = v < 0 || Object.is(v, -0);
  if (verb === "b" || verb === "x" || verb === "X") return formatBinary(v, neg, verb, prec);
  const shortest = prec < 0;
  let dec = decimalDigits(v, shortest);
  let p = prec;
  if (shortest) {
    p =
      verb === "e" || verb === "E"
        ? Math.max(dec.d.length - 1, 0)
        : verb === "f"
          ? Math.max(dec.d.length - dec.dp, 0)
          : dec.d.length;
  } else if (verb === "e" || verb === "E") {
    dec = roundDigits(dec, p + 1);
  } else if (verb === "f") {
    dec = roundDigits(dec, dec.dp + p);
  } else {
    if (p === 0) p = 1;
    dec = roundDigits(dec, p);
  }
  if (verb === "e" || verb === "E") return fmtE(neg, dec, p, verb);
  if (verb === "f") return fmtF(neg, dec, p);
  // %g / %G
  let eprec = p;
  if (eprec > dec.d.length && dec.d.length >= dec.dp) eprec = dec.d.length;
  if (shortest) eprec = 6;
  const exp = dec.dp - 1;
  if (exp < -4 || exp >= eprec) {
    if (p > dec.d.length) p = dec.d.length;
    return fmtE(neg, dec, p - 1, verb === "g" ? "e" : "E");
  }
  if (p > dec.dp) p = dec.d.length;
  return fmtF(neg, dec, Math.max(p - dec.dp, 0));
}

/** %b (mantissa p exponent) and %x/%X (hex float) of a finite double. */
function formatBinary(v: number, neg: boolean, verb: string, prec: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v);
  const bits = view.getBigUint64(0);
  let exp = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & ((1n << 52n) - 1n);
  if (exp === 0) exp++;
  else mant |= 1n << 52n;
  exp -= 1023;
  const sign = neg ? "-" : "";
  if (verb === "b") {
    const e = exp - 52;
    return `${sign}${mant}p${e >= 0 ? "+" : ""}${e}`;
  }
  if (mant === 0n) exp = 0;
  mant <<= 8n;
  while (mant !== 0n && (mant & (1n << 60n)) === 0n) {
    mant <<= 1n;
    exp--;
  }
  if (prec >= 0 && prec < 15) {
    const shift = BigInt(prec * 4);
    const extra = (mant << shift) & ((1n << 60n) - 1n);
    mant >>= 60n - shift;
    if ((extra | (mant & 1n)) > 1n << 59n) mant++;
    mant <<= 60n - shift;
    if ((mant & (1n << 61n)) !== 0n) {
      mant >>= 1n;
      exp++;
    }
  }
  const hex = (n: bigint): string => {
    const h = n.toString(16);
    return verb === "X" ? h.toUpperCase() : h;
  };
  let out = `${sign}0${verb}${(mant >> 60n) & 1n}`;
  mant = (mant << 4n) & ((1n << 64n) - 1n);
  if ((prec < 0 && mant !== 0n) || prec > 0) {
    out += ".";
    for (let i = 0; prec < 0 ? mant !== 0n : i < prec; i++) {
      out += hex((mant >> 60n) & 15n);
      mant = (mant << 4n) & ((1n << 64n) - 1n);
    }
  }
  out += verb === "X" ? "P" : "p";
  out += exp < 0 ? "-" : "+";
  return out + String(Math.abs(exp)).padStart(2, "0");
}

const tooLarge = (n: number): boolean => n > 1e6 || n < -1e6;

/** Parses a decimal at s[i..end): [value, isNumber, next index], as Go's parsenum. */
function parseNum(s: string, i: number): [number, boolean, number] {
  let num = 0;
  let isNum = false;
  let j = i;
  while (j < s.length && s[j] !== undefined && (s[j] as string) >= "0" && (s[j] as string) <= "9") {
    if (tooLarge(num)) return [0, false, s.length];
    num = num * 10 + Number(s[j]);
    isNum = true;
    j++;
  }
  return [num, isNum, j];
}

/** Go's fmt.Sprintf over already converted operands. */
export function goSprintf(format: string, args: Value[]): string {
  const a = args.map(toArg);
  const p = new Printer();
  let argNum = 0;
  let reordered = false;
  let i = 0;
  const end = format.length;

  // An explicit [n] index: returns the new arg number and index, and whether one was found.
  const argNumber = (at: number): { n: number; i: number; found: boolean; good: boolean } => {
    if (at >= end || format[at] !== "[") return { n: argNum, i: at, found: false, good: true };
    reordered = true;
    const close = format.indexOf("]", at + 1);
    if (close < 0) return { n: argNum, i: at + 1, found: false, good: false };
    const [v, ok, ni] = parseNum(format, at + 1);
    if (!ok || ni !== close) return { n: argNum, i: close + 1, found: false, good: false };
    const idx = v - 1;
    if (idx >= 0 && idx < a.length) return { n: idx, i: close + 1, found: true, good: true };
    return { n: argNum, i: close + 1, found: true, good: false };
  };

  const intFromArg = (): [number, boolean] => {
    if (argNum >= a.length) return [0, false];
    const x = a[argNum++] as Arg;
    if (x.kind !== "int") return [0, false];
    const n = Number(x.v);
    return tooLarge(n) ? [0, false] : [n, true];
  };

  while (i < end) {
    let goodArgNum = true;
    const start = i;
    while (i < end && format[i] !== "%") i++;
    if (i > start) p.out += format.slice(start, i);
    if (i >= end) break;
    i++;
    p.f = newFlags();
    const f = p.f;
    flags: for (; i < end; i++) {
      switch (format[i]) {
        case "#":
          f.sharp = true;
          break;
        case "0":
          f.zero = !f.minus;
          break;
        case "+":
          f.plus = true;
          break;
        case "-":
          f.minus = true;
          f.zero = false;
          break;
        case " ":
          f.space = true;
          break;
        default:
          break flags;
      }
    }
    let r = argNumber(i);
    argNum = r.n;
    i = r.i;
    let afterIndex = r.found;
    goodArgNum &&= r.good;
    if (i < end && format[i] === "*") {
      i++;
      [f.wid, f.widPresent] = intFromArg();
      if (!f.widPresent) p.out += "%!(BADWIDTH)";
      if (f.wid < 0) {
        f.wid = -f.wid;
        f.minus = true;
        f.zero = false;
      }
      afterIndex = false;
    } else {
      [f.wid, f.widPresent, i] = parseNum(format, i);
      if (afterIndex && f.widPresent) goodArgNum = false;
    }
    if (i + 1 < end && format[i] === ".") {
      i++;
      if (afterIndex) goodArgNum = false;
      r = argNumber(i);
      argNum = r.n;
      i = r.i;
      afterIndex = r.found;
      goodArgNum &&= r.good;
      if (i < end && format[i] === "*") {
        i++;
        [f.prec, f.precPresent] = intFromArg();
        if (f.prec < 0) {
          f.prec = 0;
          f.precPresent = false;
        }
        if (!f.precPresent) p.out += "%!(BADPREC)";
        afterIndex = false;
      } else {
        [f.prec, f.precPresent, i] = parseNum(format, i);
        if (!f.precPresent) {
          f.prec = 0;
          f.precPresent = true;
        }
      }
    }
    if (!afterIndex) {
      r = argNumber(i);
      argNum = r.n;
      i = r.i;
      afterIndex = r.found;
      goodArgNum &&= r.good;
    }
    if (i >= end) {
      p.out += "%!(NOVERB)";
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i) as number);
    i += verb.length;
    if (verb === "%") {
      p.out += "%";
    } else if (!goodArgNum) {
      p.out += `%!${verb}(BADINDEX)`;
    } else if (argNum >= a.length) {
      p.out += `%!${verb}(MISSING)`;
    } else {
      if (verb === "v") {
        f.sharpV = f.sharp;
        f.sharp = false;
        f.plus = false;
      }
      p.printArg(a[argNum] as Arg, verb);
      argNum++;
    }
  }
  if (!reordered && argNum < a.length) {
    p.f = newFlags();
    p.out += "%!(EXTRA ";
    a.slice(argNum).forEach((x, k) => {
      if (k > 0) p.out += ", ";
      p.out += `${goTypeName(x)}=`;
      p.printArg(x, "v");
    });
    p.out += ")";
  }
  return p.out;
}

/** sprintf. */
export const sprintfBuiltins: BuiltinDecl[] = [
  {
    name: "sprintf",
    args: [
      { name: "format", type: T.string },
      { name: "values", type: T.array(T.any) },
    ],
    result: T.string,
    doc: "Returns the given string, formatted (Go fmt verbs such as %s, %d, %v, %.2f, %x, %q).",
    impl(args) {
      const format = argString(args, 1);
      const values = args[1] as Value;
      if (!Array.isArray(values)) return operandError(2, "array", values);
      return goSprintf(format, values);
    },
  },
];
