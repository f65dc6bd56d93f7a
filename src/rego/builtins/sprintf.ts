/**
 * sprintf with Go's fmt semantics, fed the way OPA feeds it: integral numbers become Go ints (or
 * *big.Int beyond int64), other numbers float64, strings stay strings, and every other value is
 * passed as its Rego text (so `%d` of `true` prints `%!d(string=true)`, as OPA does).
 */

import { formatNumber } from "../format.js";
import { outOfRangeText } from "../integers.js";
import { RegoObject, RegoSet, type Value } from "../value.js";
import { type Flags, formatBigInt, formatFloat, sharpFloat } from "./sprintf-numbers.js";
import { argString, type BuiltinDecl, operandError, T } from "./types.js";

// formatFloat was public here before the number formatting moved out; keep the old import path working.

type Arg =
  | { kind: "int"; v: bigint }
  | { kind: "big"; v: bigint }
  | { kind: "float"; v: number }
  | { kind: "str"; v: string };

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
const PLAIN_ASCII = /^[ !#-[\]-~]*$/;

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
  // Printable ASCII other than the quote and the backslash stands for itself (the usual case).
  if (PLAIN_ASCII.test(s)) return `"${s}"`;
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
  if (typeof v === "bigint") {
    if (v > -BigInt(int64Limit) && v < BigInt(int64Limit)) return { kind: "int", v };
    // OPA's operand is a number's text; written with an exponent and beyond float64, it prints as written.
    const text = outOfRangeText(v);
    if (text !== undefined && !/^-?\d+$/.test(text)) return { kind: "str", v: text };
    return { kind: "big", v };
  }
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
    this.out += formatBigInt(v, verb, this.f);
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

const goTypeName = (a: Arg): string => ({ int: "int", big: "*big.Int", float: "float64", str: "string" })[a.kind];

function runeOf(v: bigint): string {
  const valid = v >= 0n && v <= 0x10ffffn && !(v >= 0xd800n && v <= 0xdfffn);
  return String.fromCodePoint(valid ? Number(v) : 0xfffd);
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

/**
 * A format of literal text, `%%` and flagless `%s`/`%v`/`%d` verbs, split as [text, verb, text,
 * ..., verb, text]; null for any other format. Most policy messages are such formats.
 */
export function simpleFormat(format: string): string[] | null {
  const parts: string[] = [];
  let text = "";
  let start = 0;
  for (let i = 0; i < format.length; i++) {
    if (format[i] !== "%") continue;
    const verb = format[i + 1];
    text += format.slice(start, i);
    if (verb === "%") text += "%";
    else if (verb === "s" || verb === "v" || verb === "d") {
      parts.push(text, verb);
      text = "";
    } else return null;
    i++;
    start = i + 1;
  }
  parts.push(text + format.slice(start));
  return parts;
}

/**
 * goSprintf for a simple format (see simpleFormat) whose operands print plainly: strings and
 * non-numbers (as their Rego text) with %s/%v, safe integers with %v/%d. Undefined otherwise
 * (wrong operand count, floats, bad verbs), for goSprintf to word the result as Go does.
 */
export function formatSimple(parts: string[], values: Value[]): string | undefined {
  const verbs = (parts.length - 1) / 2;
  if (values.length !== verbs) return undefined;
  let out = parts[0] as string;
  for (let i = 0; i < verbs; i++) {
    const verb = parts[2 * i + 1];
    const v = values[i] as Value;
    if (typeof v === "string") {
      if (verb === "d") return undefined;
      out += v;
    } else if (typeof v === "number") {
      if (verb === "s" || !Number.isSafeInteger(v)) return undefined;
      out += String(v);
    } else if (typeof v === "bigint" || verb === "d") return undefined;
    else out += regoString(v);
    out += parts[2 * i + 2] as string;
  }
  return out;
}

/** sprintf. */
export const sprintfBuiltins: BuiltinDecl[] = [
  {
    name: "sprintf",
    exactIntegers: true,
    args: [
      { name: "format", type: T.string },
      { name: "values", type: T.array(T.any) },
    ],
    result: T.string,
    doc: "Returns the given string, formatted (Go fmt verbs such as %s, %d, %v, %.2f, %x, %q).",
    impl(args, ctx) {
      const format = argString(args, 1);
      const values = args[1] as Value;
      if (!Array.isArray(values)) return operandError(2, "array", values);
      let parts = ctx.compiled.get("sprintf", format) as string[] | null | undefined;
      if (parts === undefined) {
        parts = simpleFormat(format);
        ctx.compiled.set("sprintf", format, parts);
      }
      return (parts && formatSimple(parts, values)) ?? goSprintf(format, values);
    },
  },
];
