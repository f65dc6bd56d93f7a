/**
 * glob.match and glob.quote_meta with gobwas/glob (v0.2.3) semantics. Patterns are translated to an
 * RE2 expression and matched with re2js, so matching is linear in the input whatever the pattern.
 */
import { RE2JS } from "re2js";
import { BuiltinError, BuiltinTypeError } from "../errors.js";
import { typeName, type Value } from "../value.js";
import { argString, type BuiltinContext, type BuiltinDecl, operandError, T } from "./types.js";

/** An RE2 escape for one code point, safe both inside and outside character classes. */
const esc = (cp: number): string => `\\x{${cp.toString(16)}}`;

/** Reads a pattern code point by code point, with one step of push-back like gobwas' lexer. */
class Reader {
  private pos = 0;
  private last = 0;
  constructor(private readonly cps: number[]) {}

  /** The next code point, or -1 at the end. */
  read(): number {
    const cp = this.pos < this.cps.length ? (this.cps[this.pos] as number) : -1;
    this.last = cp === -1 ? 0 : 1;
    this.pos += this.last;
    return cp;
  }

  unread(): void {
    this.pos -= this.last;
    this.last = 0;
  }

  peek(): number {
    return this.pos < this.cps.length ? (this.cps[this.pos] as number) : -1;
  }
}

const cp = (c: string): number => c.codePointAt(0) as number;
const BACKSLASH = cp("\\");
const textBreakers = new Set([cp("?"), cp("*"), cp("["), cp("{")]);
const termsBreakers = new Set([...textBreakers, cp("}"), cp(",")]);
const rangeBreakers = new Set([cp("]")]);

/** gobwas' fetchText: literal code points up to a breaker, with backslash escapes resolved. */
function readText(r: Reader, breakers: Set<number>): number[] {
  const out: number[] = [];
  let escaped = false;
  for (;;) {
    const c = r.read();
    if (c === -1) break;
    if (!escaped) {
      if (c === BACKSLASH) {
        escaped = true;
        continue;
      }
      if (breakers.has(c)) {
        r.unread();
        break;
      }
    }
    escaped = false;
    out.push(c);
  }
  return out;
}

/** Translates a `[...]` class (the `[` already read) into an RE2 class. */
function readRange(r: Reader): string {
  let not = false;
  let lo = 0;
  let hi = 0;
  let chars: number[] = [];
  let wantHi = false;
  let wantClose = false;
  let seenNot = false;
  for (;;) {
    const c = r.read();
    if (c === -1) throw new BuiltinError("unexpected end of input");
    if (wantClose) {
      if (c !== cp("]")) throw new BuiltinError("expected close range character");
      break;
    }
    if (wantHi) {
      hi = c;
      if (hi < lo) {
        const s = (x: number): string => String.fromCodePoint(x);
        throw new BuiltinError(`hi character '${s(hi)}' should be greater than lo '${s(lo)}'`);
      }
      wantClose = true;
      continue;
    }
    if (!seenNot && c === cp("!")) {
      not = true;
      seenNot = true;
      continue;
    }
    if (r.peek() === cp("-")) {
      r.read();
      lo = c;
      wantHi = true;
      continue;
    }
    r.unread();
    chars = readText(r, rangeBreakers);
    wantClose = true;
  }
  const isRange = lo !== 0 && hi !== 0;
  const isChars = chars.length > 0;
  if (isRange === isChars) throw new BuiltinError("could not parse range");
  const body = isRange ? `${esc(lo)}-${esc(hi)}` : chars.map(esc).join("");
  return `[${not ? "^" : ""}${body}]`;
}

/** Translates a gobwas glob pattern into an anchored-by-caller RE2 expression. */
export function globToRegex(pattern: string, delimiters: number[]): string {
  const r = new Reader(Array.from(pattern, cp));
  const notSep = delimiters.length === 0 ? "(?s:.)" : `[^${delimiters.map(esc).join("")}]`;
  let out = "";
  let depth = 0;
  for (;;) {
    const c = r.read();
    if (c === -1) break;
    if (c === cp("{")) {
      depth++;
      out += "(?:";
    } else if (c === cp(",") && depth > 0) {
      out += "|";
    } else if (c === cp("}") && depth > 0) {
      depth--;
      out += ")";
    } else if (c === cp("[")) {
      out += readRange(r);
    } else if (c === cp("?")) {
      out += notSep;
    } else if (c === cp("*")) {
      if (r.read() === cp("*")) {
        out += "(?s:.*)";
      } else {
        r.unread();
        out += `${notSep}*`;
      }
    } else {
      r.unread();
      out += readText(r, depth > 0 ? termsBreakers : textBreakers)
        .map(esc)
        .join("");
    }
  }
  // gobwas accepts an unclosed `{` as if it were closed at the end.
  return out + ")".repeat(depth);
}

const META = /[*?[\]{}\\,]/;

/** Matches a string against a compiled glob. */
type GlobMatcher = (s: string) => boolean;

/**
 * The common shapes of policy globs ("a.b", "a.*", "a.**") match with string operations; anything
 * else goes through RE2. Both give gobwas' semantics: `*` spans no delimiter, `**` spans anything.
 */
function fastMatcher(pattern: string, delimiters: number[]): GlobMatcher | undefined {
  if (!META.test(pattern)) return (s) => s === pattern;
  if (pattern.endsWith("**")) {
    const prefix = pattern.slice(0, -2);
    return META.test(prefix) ? undefined : (s) => s.startsWith(prefix);
  }
  if (pattern.endsWith("*")) {
    const prefix = pattern.slice(0, -1);
    if (META.test(prefix)) return undefined;
    const delims = delimiters.map((d) => String.fromCodePoint(d));
    const from = prefix.length;
    if (delims.length === 1) {
      const d = delims[0] as string;
      return (s) => s.startsWith(prefix) && !s.includes(d, from);
    }
    return (s) => {
      if (!s.startsWith(prefix)) return false;
      for (const d of delims) if (s.includes(d, from)) return false;
      return true;
    };
  }
  return undefined;
}

/** A delimiters operand, converted, with the cache namespace of globs compiled for it. */
interface Delimiters {
  codePoints: number[];
  namespace: string;
}

const NO_DELIMITERS: Delimiters = { codePoints: [], namespace: "glob.match:" };

/** Converted operands by array: a policy's delimiters are usually one constant array. */
const delimitersByArray = new WeakMap<Value[], Delimiters>();

/** The array converted last: a loop of glob.match calls passes the same one every time. */
let lastArray: Value[] | undefined;
let lastDelimiters: Delimiters = NO_DELIMITERS;

/** The delimiters operand (see delimitersOperand), converted once per array. */
function delimitersOf(v: Value): Delimiters {
  if (v === null) return NO_DELIMITERS;
  if (v === lastArray) return lastDelimiters;
  let out = Array.isArray(v) ? delimitersByArray.get(v) : undefined;
  if (out === undefined) {
    const codePoints = delimitersOperand(v);
    out = { codePoints, namespace: `glob.match:${codePoints.join(",")}` };
    delimitersByArray.set(v as Value[], out);
  }
  lastArray = v as Value[];
  lastDelimiters = out;
  return out;
}

/** The matcher of a pattern, compiled on first use (throws BuiltinError for a bad pattern). */
function compileGlob(
  ctx: BuiltinContext,
  pattern: string,
  { codePoints: delimiters, namespace }: Delimiters,
): GlobMatcher {
  const cached = ctx.compiled.get(namespace, pattern);
  if (cached !== undefined) return cached as GlobMatcher;
  // Parsing through RE2 also validates the pattern, even when a fast matcher will run it.
  const re = RE2JS.compile(globToRegex(pattern, delimiters));
  const matcher = fastMatcher(pattern, delimiters) ?? ((s: string) => re.matches(s));
  ctx.compiled.set(namespace, pattern, matcher);
  return matcher;
}

/** The delimiters operand: null means none, an empty array means ".", elements must be single characters. */
function delimitersOperand(v: Value): number[] {
  if (v === null) return [];
  if (!Array.isArray(v)) return operandError(2, "one of {array, null}", v);
  const out: number[] = [];
  for (const e of v) {
    if (typeof e !== "string") {
      throw new BuiltinTypeError(`operand 2 must be array of strings but got array containing ${typeName(e)}`);
    }
    const cps = Array.from(e);
    if (cps.length !== 1) {
      throw new BuiltinTypeError("operand 2 must be array of runes but got array containing string");
    }
    out.push(cp(cps[0] as string));
  }
  return out.length === 0 ? [cp(".")] : out;
}

const metaChars = new Set(["*", "?", "\\", "[", "]", "{", "}"]);

/** gobwas' QuoteMeta: escapes the glob meta characters with a backslash. */
export function globQuoteMeta(s: string): string {
  let out = "";
  for (const c of s) out += metaChars.has(c) ? `\\${c}` : c;
  return out;
}

/** glob.match and glob.quote_meta. */
export const globBuiltins: BuiltinDecl[] = [
  {
    name: "glob.match",
    args: [
      { name: "pattern", type: T.string },
      { name: "delimiters", type: T.anyOf(T.array(T.string), T.null) },
      { name: "match", type: T.string },
    ],
    result: T.boolean,
    doc: 'Parses and matches strings against the glob notation (`*`, `**`, `?`, `[a-z]`, `[!a]`, `{a,b}`). An empty delimiter array means ["."]; null means no delimiters.',
    impl(args, ctx) {
      const pattern = argString(args, 1);
      const delimiters = delimitersOf(args[1] as Value);
      const match = argString(args, 3);
      return compileGlob(ctx, pattern, delimiters)(match);
    },
  },
  {
    name: "glob.quote_meta",
    args: [{ name: "pattern", type: T.string }],
    result: T.string,
    doc: "Returns a string which represents a version of the pattern where all asterisks have been escaped.",
    impl(args) {
      return globQuoteMeta(argString(args, 1));
    },
  },
];
