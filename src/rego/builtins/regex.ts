/**
 * Regex builtins on re2js (RE2 semantics, linear-time matching), following Go's regexp package
 * for splitting, finding and `$`-expansion, plus OPA's template matching and glob intersection.
 */
import { RE2JS } from "re2js";
import { BuiltinError } from "../errors.js";
import type { Value } from "../value.js";
import { mayMatch, regexPrefilter } from "./regex-prefilter.js";
import { goQuote } from "./sprintf.js";
import { argInt, argString, type BuiltinContext, type BuiltinDecl, T } from "./types.js";

/** Compiles with Go's regexp syntax; syntax errors carry Go's "error parsing regexp: ..." text. */
function compile(pattern: string): RE2JS {
  try {
    return RE2JS.compile(pattern);
  } catch (e) {
    throw new BuiltinError(e instanceof Error ? e.message : String(e));
  }
}

/** A compiled pattern from the per-evaluation cache. */
function getRegex(ctx: BuiltinContext, pattern: string): RE2JS {
  const hit = ctx.compiled.get("regex", pattern);
  if (hit instanceof RE2JS) return hit;
  const re = compile(pattern);
  ctx.compiled.set("regex", pattern, re);
  return re;
}

/** Submatch index arrays of all matches (Go's FindAllStringSubmatchIndex); n < 0 means all. */
function findAll(re: RE2JS, s: string, n: number): number[][] {
  if (n === 0) return [];
  return re.re2().findAllSubmatchIndex(s, n < 0 ? s.length + 1 : n) ?? [];
}

/** Go's Regexp.Split(s, -1). */
function regexSplit(re: RE2JS, s: string): string[] {
  if (re.pattern().length > 0 && s.length === 0) return [""];
  const out: string[] = [];
  let beg = 0;
  let end = 0;
  for (const m of findAll(re, s, -1)) {
    end = m[0] as number;
    if (m[1] !== 0) out.push(s.slice(beg, end));
    beg = m[1] as number;
  }
  if (end !== s.length) out.push(s.slice(beg));
  return out;
}

const isNameChar = (c: string): boolean => /[\p{L}\p{Nd}_]/u.test(c);

/** Go's Regexp.Expand for one match: $1, ${1}, $name, ${name}, and $$. */
function expand(template: string, s: string, m: number[], names: Record<string, number>): string {
  let out = "";
  let i = 0;
  while (i < template.length) {
    const dollar = template.indexOf("$", i);
    if (dollar < 0) break;
    out += template.slice(i, dollar);
    i = dollar + 1;
    if (template[i] === "$") {
      out += "$";
      i++;
      continue;
    }
    const brace = template[i] === "{";
    let j = brace ? i + 1 : i;
    const nameStart = j;
    while (j < template.length && isNameChar(String.fromCodePoint(template.codePointAt(j) as number))) {
      j += (template.codePointAt(j) as number) > 0xffff ? 2 : 1;
    }
    const name = template.slice(nameStart, j);
    if (name === "" || (brace && template[j] !== "}")) {
      // Malformed reference: the $ is kept as text.
      out += "$";
      continue;
    }
    i = brace ? j + 1 : j;
    let group = /^\d+$/.test(name) && !(name.length > 1 && name[0] === "0") && name.length < 9 ? Number(name) : -1;
    if (group < 0) group = names[name] ?? -1;
    const a = m[2 * group];
    const b = m[2 * group + 1];
    if (group >= 0 && a !== undefined && b !== undefined && a >= 0) out += s.slice(a, b);
  }
  return out + template.slice(i);
}

/** Go's ReplaceAllString. */
function replaceAll(re: RE2JS, s: string, repl: string): string {
  const names = re.namedGroups();
  let out = "";
  let last = 0;
  for (const m of findAll(re, s, -1)) {
    out += s.slice(last, m[0]) + expand(repl, s, m, names);
    last = m[1] as number;
  }
  return out + s.slice(last);
}

/** Go's regexp.QuoteMeta. */
const quoteMeta = (s: string): string => s.replace(/[\\.+*?()|[\]{}^$]/g, "\\$&");

const utf8Length = (s: string): number => new TextEncoder().encode(s).length;

/** OPA's regex template (from gorilla/mux): literal text with delimited regex sections. */
function compileTemplate(tpl: string, start: string, end: string): RE2JS {
  const idxs: number[] = [];
  let level = 0;
  let idx = 0;
  for (let i = 0; i < tpl.length; i++) {
    if (tpl[i] === start) {
      if (++level === 1) idx = i;
    } else if (tpl[i] === end) {
      if (--level === 0) idxs.push(idx, i + 1);
      else if (level < 0) throw new BuiltinError(`unbalanced braces in ${goQuote(tpl)}`);
    }
  }
  if (level !== 0) throw new BuiltinError(`unbalanced braces in ${goQuote(tpl)}`);
  let pattern = "^";
  let last = 0;
  for (let i = 0; i < idxs.length; i += 2) {
    const raw = tpl.slice(last, idxs[i]);
    last = idxs[i + 1] as number;
    const patt = tpl.slice((idxs[i] as number) + 1, last - 1);
    pattern += `${quoteMeta(raw)}(${patt})`;
    compile(`^${patt}$`);
  }
  return compile(`${pattern + quoteMeta(tpl.slice(last))}$`);
}

// ---- regex.globs_match: OPA uses yashtewari/glob-intersection; we follow its (heuristic) algorithm. ----

/** A glob-intersection token: one character, any character (dot), or a set; with an optional + or * flag. */
interface GToken {
  kind: "char" | "dot" | "set";
  cp: number;
  set: Set<number>;
  flag: 0 | 1 | 2;
}

const invalid = (input: number[], pos: number, msg: string): BuiltinError =>
  new BuiltinError(`input:${String.fromCodePoint(...input)}, pos:${pos}, ${msg}: the input provided is invalid`);

/** glob-intersection's tokenizer: `.`, `[...]`, `\` escapes, `+` and `*` flags. */
function tokenizeGlob(s: string): GToken[] {
  const input = Array.from(s, (c) => c.codePointAt(0) as number);
  const BS = 0x5c;
  const next = (i: number): { i: number; r: number; esc: boolean } | null => {
    if (i >= input.length) return null;
    if (input[i] === BS) {
      if (i === input.length - 1) throw invalid(input, i, "input ends with a \\ (escape) character");
      return { i: i + 2, r: input[i + 1] as number, esc: true };
    }
    return { i: i + 1, r: input[i] as number, esc: false };
  };
  const ch = (c: string): number => c.codePointAt(0) as number;
  const tokens: GToken[] = [];
  let i = 0;
  for (let n = next(i); n !== null; n = next(i)) {
    i = n.i;
    let tok: GToken = { kind: "char", cp: n.r, set: new Set(), flag: 0 };
    if (!n.esc) {
      if (n.r === ch(".")) tok = { kind: "dot", cp: 0, set: new Set(), flag: 0 };
      else if (n.r === ch("]")) throw invalid(input, i, "set-close ']' with no preceding '['");
      else if (n.r === ch("+") || n.r === ch("*")) {
        throw invalid(input, i, `flag '${String.fromCodePoint(n.r)}' must be preceded by a non-flag`);
      } else if (n.r === ch("[")) {
        const set = new Set<number>();
        let prev = -1;
        let complete = false;
        for (let m = next(i); m !== null; m = next(i)) {
          i = m.i;
          if (!m.esc && m.r === ch("-")) {
            if (prev < 0) throw invalid(input, i, "range character '-' must be preceded by a Unicode character");
            if (i >= input.length - 1)
              throw invalid(input, i, "range character '-' must be followed by a Unicode character");
            const hi = next(i) as { i: number; r: number; esc: boolean };
            i = hi.i;
            if (!hi.esc && (hi.r === ch("]") || hi.r === ch("-"))) {
              throw invalid(input, i, "range character '-' cannot be followed by a special symbol");
            }
            if (hi.r < prev) {
              const f = String.fromCodePoint;
              throw invalid(input, i, `range is out of order: '${f(hi.r)}' comes before '${f(prev)}' in Unicode`);
            }
            for (let x = prev; x <= hi.r; x++) set.add(x);
            prev = -1;
          } else if (!m.esc && m.r === ch("]")) {
            complete = true;
            break;
          } else {
            set.add(m.r);
            prev = m.r;
          }
        }
        if (!complete) throw invalid(input, i, "found [ without matching ]");
        tok = { kind: "set", cp: 0, set, flag: 0 };
      }
    }
    const f = next(i);
    if (f && !f.esc && (f.r === ch("+") || f.r === ch("*"))) {
      tok.flag = f.r === ch("+") ? 1 : 2;
      i = f.i;
    }
    tokens.push(tok);
  }
  return tokens;
}

const sameToken = (a: GToken, b: GToken): boolean =>
  a.kind === b.kind &&
  (a.kind !== "char" || a.cp === b.cp) &&
  (a.kind !== "set" || (a.set.size === b.set.size && [...a.set].every((x) => b.set.has(x))));

/** Merges adjacent equal flagged tokens (t*t+ == t+). */
function simplify(tokens: GToken[]): GToken[] {
  const out: GToken[] = [];
  for (const t of tokens) {
    const last = out[out.length - 1];
    if (last && t.flag !== 0 && last.flag !== 0 && sameToken(t, last)) {
      last.flag = t.flag === 1 || last.flag === 1 ? 1 : 2;
    } else out.push(t);
  }
  return out;
}

/** Whether two tokens can match a common character (flags ignored). */
function tokMatch(a: GToken, b: GToken): boolean {
  if (a.kind === "dot" || b.kind === "dot") return true;
  if (a.kind === "char" && b.kind === "char") return a.cp === b.cp;
  if (a.kind === "char") return b.set.has(a.cp);
  if (b.kind === "char") return a.set.has(b.cp);
  for (const x of a.set) if (b.set.has(x)) return true;
  return false;
}

/** glob-intersection's NonEmpty, memoised so adversarial globs stay polynomial. */
function globsIntersect(s1: string, s2: string): boolean {
  let g1 = simplify(tokenizeGlob(s1));
  let g2 = simplify(tokenizeGlob(s2));
  // Trim equal unflagged prefixes and suffixes, keeping one token at each end.
  let l = 0;
  for (; l < g1.length && l < g2.length && g1[l]?.flag === 0 && g2[l]?.flag === 0; l++) {
    if (!tokMatch(g1[l] as GToken, g2[l] as GToken)) return false;
  }
  if (l > 0) l--;
  let r1 = g1.length - 1;
  let r2 = g2.length - 1;
  for (; r1 >= l && r2 >= l && g1[r1]?.flag === 0 && g2[r2]?.flag === 0; r1--, r2--) {
    if (!tokMatch(g1[r1] as GToken, g2[r2] as GToken)) return false;
  }
  if (r1 < g1.length - 1) {
    r1++;
    r2++;
  }
  g1 = g1.slice(l, r1 + 1);
  g2 = g2.slice(l, r2 + 1);
  const globs = [g1, g2];
  const memo = new Map<string, boolean>();

  const normal = (a: number, i: number, b: number, j: number): boolean => {
    // b is always the other glob, so (a, i, j) identifies the call.
    const key = `${a}:${i}:${j}`;
    const hit = memo.get(key);
    if (hit !== undefined) return hit;
    const ga = globs[a] as GToken[];
    const gb = globs[b] as GToken[];
    let res: boolean | undefined;
    for (; i < ga.length && j < gb.length; i++, j++) {
      const x = ga[i] as GToken;
      const y = gb[j] as GToken;
      if (x.flag === 0 && y.flag === 0) {
        if (!tokMatch(x, y)) {
          res = false;
          break;
        }
      } else {
        res = x.flag !== 0 ? special(a, i, b, j) : special(b, j, a, i);
        break;
      }
    }
    if (res === undefined) res = i === ga.length && j === gb.length;
    memo.set(key, res);
    return res;
  };
  const special = (a: number, i: number, b: number, j: number): boolean => {
    const t = (globs[a] as GToken[])[i] as GToken;
    if (t.flag === 1) {
      if (!tokMatch(t, (globs[b] as GToken[])[j] as GToken)) return false;
      return star(a, i, b, j + 1);
    }
    return star(a, i, b, j);
  };
  const star = (a: number, i: number, b: number, j: number): boolean => {
    const ga = globs[a] as GToken[];
    const other = globs[b] as GToken[];
    const starTok = ga[i] as GToken;
    const nextTok = ga[i + 1];
    for (let k = j; k < other.length; k++) {
      const t = other[k] as GToken;
      if (nextTok && tokMatch(t, nextTok)) {
        if (normal(a, i + 1, b, k)) return true;
        if (!tokMatch(t, starTok)) return false;
      } else if (!tokMatch(t, starTok)) return false;
    }
    return nextTok === undefined;
  };
  return normal(0, 0, 1, 0);
}

const S = T.string;

/** Unanchored search with a pattern's prefilter in front of re2js. */
type Matcher = (s: string) => boolean;

function matchImpl(args: Value[], ctx: BuiltinContext): Value {
  const pattern = argString(args, 1);
  const value = argString(args, 2);
  let matcher = ctx.compiled.get("regex.match", pattern) as Matcher | undefined;
  if (matcher === undefined) {
    const re = compile(pattern);
    const prefilter = regexPrefilter(pattern);
    matcher = prefilter === undefined ? (s) => re.test(s) : (s) => mayMatch(prefilter, s) && re.test(s);
    ctx.compiled.set("regex.match", pattern, matcher);
  }
  return matcher(value);
}

const matchArgs = [
  { name: "pattern", type: S },
  { name: "value", type: S },
];

/** regex.* builtins and the deprecated re_match. */
export const regexBuiltins: BuiltinDecl[] = [
  {
    name: "regex.match",
    args: matchArgs,
    result: T.boolean,
    doc: "Matches a string against a regular expression (RE2 syntax); true if any part of value matches.",
    impl: matchImpl,
  },
  {
    name: "re_match",
    args: matchArgs,
    result: T.boolean,
    doc: "Deprecated alias of regex.match.",
    impl: matchImpl,
  },
  {
    name: "regex.is_valid",
    args: [{ name: "pattern", type: T.any }],
    result: T.boolean,
    doc: "Checks if a string is a valid regular expression; non-strings are simply not valid.",
    impl(args) {
      const p = args[0] as Value;
      if (typeof p !== "string") return false;
      try {
        RE2JS.compile(p);
        return true;
      } catch {
        return false;
      }
    },
  },
  {
    name: "regex.split",
    args: matchArgs,
    result: T.array(S),
    doc: "Splits the input string by the occurrences of the given pattern.",
    impl: (args, ctx) => regexSplit(getRegex(ctx, argString(args, 1)), argString(args, 2)),
  },
  {
    name: "regex.find_n",
    args: [...matchArgs, { name: "number", type: T.number }],
    result: T.array(S),
    doc: "Returns the specified number of matches when matching the input against the pattern (-1 for all).",
    impl(args, ctx) {
      const re = getRegex(ctx, argString(args, 1));
      const s = argString(args, 2);
      const n = argInt(args, 3);
      return findAll(re, s, n).map((m) => s.slice(m[0], m[1]));
    },
  },
  {
    name: "regex.find_all_string_submatch_n",
    args: [...matchArgs, { name: "number", type: T.number }],
    result: T.array(T.array(S)),
    doc: "Returns all successive matches of the expression with their submatches (-1 for all).",
    impl(args, ctx) {
      const re = getRegex(ctx, argString(args, 1));
      const s = argString(args, 2);
      const n = argInt(args, 3);
      return findAll(re, s, n).map((m) => {
        const groups: Value[] = [];
        for (let g = 0; g + 1 < m.length; g += 2) {
          const a = m[g] as number;
          groups.push(a >= 0 ? s.slice(a, m[g + 1]) : "");
        }
        return groups;
      });
    },
  },
  {
    name: "regex.replace",
    args: [
      { name: "s", type: S },
      { name: "pattern", type: S },
      { name: "value", type: S },
    ],
    result: S,
    doc: "Replaces all matches of a regular expression; $1, $name (Go expansion syntax) in value refer to submatches.",
    impl(args, ctx) {
      const s = argString(args, 1);
      const pattern = argString(args, 2);
      const value = argString(args, 3);
      return replaceAll(getRegex(ctx, pattern), s, value);
    },
  },
  {
    name: "regex.template_match",
    args: [
      { name: "template", type: S },
      { name: "value", type: S },
      { name: "delimiter_start", type: S },
      { name: "delimiter_end", type: S },
    ],
    result: T.boolean,
    doc: "Matches a string against a pattern, where the pattern may contain regexes enclosed by the delimiters.",
    impl(args, ctx) {
      const tpl = argString(args, 1);
      const value = argString(args, 2);
      const start = argString(args, 3);
      const end = argString(args, 4);
      // OPA reports the start delimiter's length in both messages.
      if (utf8Length(start) !== 1) {
        throw new BuiltinError(`start delimiter has to be exactly one character long but is ${utf8Length(start)} long`);
      }
      if (utf8Length(end) !== 1) {
        throw new BuiltinError(`end delimiter has to be exactly one character long but is ${utf8Length(start)} long`);
      }
      const namespace = `regex.template_match:${start}${end}`;
      let re = ctx.compiled.get(namespace, tpl);
      if (!(re instanceof RE2JS)) {
        re = compileTemplate(tpl, start, end);
        ctx.compiled.set(namespace, tpl, re);
      }
      return (re as RE2JS).test(value);
    },
  },
  {
    name: "regex.globs_match",
    args: [
      { name: "glob1", type: S },
      { name: "glob2", type: S },
    ],
    result: T.boolean,
    doc: "Checks if the intersection of two glob-style regular expressions matches a non-empty set of non-empty strings (supports ., [..], +, *).",
    impl: (args) => globsIntersect(argString(args, 1), argString(args, 2)),
  },
];
