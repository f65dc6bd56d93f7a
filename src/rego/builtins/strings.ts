/** String builtins, with Go's strings-package semantics (code points, not UTF-16 units, where OPA uses runes). */
import { BuiltinError, BuiltinTypeError } from "../errors.js";
import { compare, RegoSet, typeName, type Value } from "../value.js";
import { renderTemplate } from "./strings-template.js";
import { argInt, argNumber, argObject, argString, type BuiltinDecl, operandError, T } from "./types.js";

const isASCII = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
};

/** Go's unicode.IsSpace. */
const isGoSpace = (c: number): boolean =>
  (c >= 9 && c <= 13) ||
  c === 0x20 ||
  c === 0x85 ||
  c === 0xa0 ||
  c === 0x1680 ||
  (c >= 0x2000 && c <= 0x200a) ||
  c === 0x2028 ||
  c === 0x2029 ||
  c === 0x202f ||
  c === 0x205f ||
  c === 0x3000;

/** Maps each code point with a one-to-one case mapping, as Go's unicode.ToLower/ToUpper do (no SpecialCasing). */
function mapCase(s: string, upper: boolean): string {
  if (isASCII(s)) return upper ? s.toUpperCase() : s.toLowerCase();
  let out = "";
  for (const ch of s) {
    if (!upper && ch === "\u0130") {
      out += "i";
      continue;
    }
    const m = upper ? ch.toUpperCase() : ch.toLowerCase();
    out += Array.from(m).length === 1 ? m : ch;
  }
  return out;
}

function trimSet(s: string, cutset: string, left: boolean, right: boolean): string {
  if (s === "" || cutset === "") return s;
  const cut = new Set(Array.from(cutset));
  const cps = Array.from(s);
  let a = 0;
  let b = cps.length;
  if (left) while (a < b && cut.has(cps[a] as string)) a++;
  if (right) while (b > a && cut.has(cps[b - 1] as string)) b--;
  return a === 0 && b === cps.length ? s : cps.slice(a, b).join("");
}

function trimSpace(s: string): string {
  const cps = Array.from(s);
  let a = 0;
  let b = cps.length;
  while (a < b && isGoSpace((cps[a] as string).codePointAt(0) as number)) a++;
  while (b > a && isGoSpace((cps[b - 1] as string).codePointAt(0) as number)) b--;
  return cps.slice(a, b).join("");
}

/** Go's strings.Replace with n = -1; an empty `old` inserts `nu` around every code point. */
function replaceAll(s: string, old: string, nu: string): string {
  if (old === "") return nu + Array.from(s).join(nu) + nu;
  return s.split(old).join(nu);
}

/** Go's strings.NewReplacer(pairs...).Replace(s): leftmost, first pair in argument order wins, no overlaps. */
function multiReplace(s: string, pairs: [string, string][]): string {
  let out = "";
  let i = 0;
  // Go's replacer never matches the empty key twice in a row at the same position.
  let prevMatchEmpty = false;
  for (;;) {
    const hit = pairs.find(([k]) => (k === "" ? !prevMatchEmpty : s.startsWith(k, i)));
    if (hit) {
      out += hit[1];
      prevMatchEmpty = hit[0] === "";
      i += hit[0].length;
      continue;
    }
    prevMatchEmpty = false;
    if (i >= s.length) return out;
    const w = (s.codePointAt(i) as number) > 0xffff ? 2 : 1;
    out += s.slice(i, i + w);
    i += w;
  }
}

/** Code point index of `search` in `base`, or -1 (OPA's indexof). */
function runeIndexes(base: string, search: string, all: boolean): number[] {
  const b = Array.from(base);
  const q = Array.from(search);
  const out: number[] = [];
  for (let i = 0; i + q.length <= b.length; i++) {
    let ok = true;
    for (let j = 0; j < q.length; j++) {
      if (b[i + j] !== q[j]) {
        ok = false;
        break;
      }
    }
    if (ok) {
      out.push(i);
      if (!all) break;
    }
  }
  return out;
}

/** The operand as a list of strings: one string, or an array/set of strings (OPA's StringSliceOperand). */
function stringsOperand(args: Value[], pos: number): string[] {
  const v = args[pos - 1] as Value;
  if (typeof v === "string") return [v];
  if (!Array.isArray(v) && !(v instanceof RegoSet)) return operandError(pos, "one of {string, set, array}", v);
  const kind = Array.isArray(v) ? "array" : "set";
  const out: string[] = [];
  for (const e of Array.isArray(v) ? v : v.sorted()) {
    if (typeof e !== "string") {
      throw new BuiltinTypeError(`operand ${pos} must be ${kind} of strings but got ${kind} containing ${typeName(e)}`);
    }
    out.push(e);
  }
  return out;
}

function anyStartsWithAny(strs: string[], prefixes: string[]): boolean {
  return strs.some((s) => prefixes.some((p) => s.startsWith(p)));
}

const reverse = (s: string): string => Array.from(s).reverse().join("");

function concat(args: Value[]): Value {
  const sep = argString(args, 1);
  const v = args[1] as Value;
  if (!Array.isArray(v) && !(v instanceof RegoSet)) return operandError(2, "one of {set, array}", v);
  const kind = Array.isArray(v) ? "array" : "set";
  const elems = Array.isArray(v) ? v : v.sorted();
  for (const e of elems) {
    if (typeof e !== "string") {
      throw new BuiltinTypeError(`operand 2 must be ${kind} of strings but got ${kind} containing ${typeName(e)}`);
    }
  }
  return elems.join(sep);
}

function formatInt(args: Value[]): Value {
  const n = argNumber(args, 1);
  const base = argNumber(args, 2);
  if (base !== 2 && base !== 8 && base !== 10 && base !== 16) {
    throw new BuiltinTypeError("operand 2 must be one of {2, 8, 10, 16}");
  }
  // big.Float.Int truncates toward zero.
  return BigInt(Math.trunc(n)).toString(base);
}

function substring(args: Value[]): Value {
  const base = argString(args, 1);
  const start = argInt(args, 2);
  const length = argInt(args, 3);
  if (start < 0) throw new BuiltinError("negative offset");
  const cps = isASCII(base) ? null : Array.from(base);
  const total = cps ? cps.length : base.length;
  if (start >= total) return "";
  const end = length < 0 ? total : Math.min(total, start + length);
  return cps ? cps.slice(start, end).join("") : base.slice(start, end);
}

function split(args: Value[]): Value {
  const s = argString(args, 1);
  const d = argString(args, 2);
  if (!s.includes(d)) return [s];
  // Go's strings.Split with an empty separator explodes into code points.
  return d === "" ? Array.from(s) : s.split(d);
}

function replaceN(args: Value[]): Value {
  const patterns = argObject(args, 1);
  const s = argString(args, 2);
  const pairs: [string, string][] = [];
  for (const [k, v] of [...patterns.entries()].sort((a, b) => compare(a[0], b[0]))) {
    if (typeof k !== "string") throw new BuiltinTypeError("operand 1 non-string key found in pattern object");
    if (typeof v !== "string") throw new BuiltinTypeError("operand 1 non-string value found in pattern object");
    pairs.push([k, v]);
  }
  return pairs.length === 0 ? s : multiReplace(s, pairs);
}

const S = T.string;
const strArgs = (...names: string[]): { name: string; type: typeof S }[] => names.map((name) => ({ name, type: S }));
const strOrColl = T.anyOf(T.string, T.array(T.string), T.set(T.string));

/** String builtins (sprintf lives in sprintf.ts). */
export const stringBuiltins: BuiltinDecl[] = [
  {
    name: "concat",
    args: [
      { name: "delimiter", type: S },
      { name: "collection", type: T.anyOf(T.array(S), T.set(S)) },
    ],
    result: S,
    doc: "Joins a set or array of strings with a delimiter.",
    impl: concat,
  },
  {
    name: "contains",
    args: strArgs("haystack", "needle"),
    result: T.boolean,
    doc: "Returns true if the search string is included in the base string.",
    impl: (args) => argString(args, 1).includes(argString(args, 2)),
  },
  {
    name: "endswith",
    args: strArgs("search", "base"),
    result: T.boolean,
    doc: "Returns true if the search string ends with the base string.",
    impl: (args) => argString(args, 1).endsWith(argString(args, 2)),
  },
  {
    name: "startswith",
    args: strArgs("search", "base"),
    result: T.boolean,
    doc: "Returns true if the search string begins with the base string.",
    impl: (args) => argString(args, 1).startsWith(argString(args, 2)),
  },
  {
    name: "format_int",
    args: [
      { name: "number", type: T.number },
      { name: "base", type: T.number },
    ],
    result: S,
    doc: "Returns the string representation of the number in the given base (2, 8, 10 or 16), truncated toward zero.",
    impl: formatInt,
  },
  {
    name: "indexof",
    args: strArgs("haystack", "needle"),
    result: T.number,
    doc: "Returns the code point index of the first occurrence of needle in haystack, or -1.",
    impl(args) {
      const base = argString(args, 1);
      const search = argString(args, 2);
      if (search === "") throw new BuiltinError("empty search character");
      if (isASCII(base) && isASCII(search)) return base.indexOf(search);
      return runeIndexes(base, search, false)[0] ?? -1;
    },
  },
  {
    name: "indexof_n",
    args: strArgs("haystack", "needle"),
    result: T.array(T.number),
    doc: "Returns the code point indexes of all (possibly overlapping) occurrences of needle in haystack.",
    impl(args) {
      const base = argString(args, 1);
      const search = argString(args, 2);
      if (search === "") throw new BuiltinError("empty search character");
      return runeIndexes(base, search, true);
    },
  },
  {
    name: "lower",
    args: strArgs("x"),
    result: S,
    doc: "Returns the input string but with all characters in lower-case.",
    impl: (args) => mapCase(argString(args, 1), false),
  },
  {
    name: "upper",
    args: strArgs("x"),
    result: S,
    doc: "Returns the input string but with all characters in upper-case.",
    impl: (args) => mapCase(argString(args, 1), true),
  },
  {
    name: "replace",
    args: strArgs("x", "old", "new"),
    result: S,
    doc: "Replaces all instances of a sub-string.",
    impl: (args) => replaceAll(argString(args, 1), argString(args, 2), argString(args, 3)),
  },
  {
    name: "split",
    args: strArgs("x", "delimiter"),
    result: T.array(S),
    doc: "Split returns an array containing elements of the input string split on a delimiter.",
    impl: split,
  },
  {
    name: "substring",
    args: [
      { name: "value", type: S },
      { name: "offset", type: T.number },
      { name: "length", type: T.number },
    ],
    result: S,
    doc: "Returns the portion of a string for a given offset and length (in code points); a negative length means the remainder.",
    impl: substring,
  },
  {
    name: "trim",
    args: strArgs("value", "cutset"),
    result: S,
    doc: "Returns value with all leading and trailing instances of the cutset characters removed.",
    impl: (args) => trimSet(argString(args, 1), argString(args, 2), true, true),
  },
  {
    name: "trim_left",
    args: strArgs("value", "cutset"),
    result: S,
    doc: "Returns value with all leading instances of the cutset characters removed.",
    impl: (args) => trimSet(argString(args, 1), argString(args, 2), true, false),
  },
  {
    name: "trim_right",
    args: strArgs("value", "cutset"),
    result: S,
    doc: "Returns value with all trailing instances of the cutset characters removed.",
    impl: (args) => trimSet(argString(args, 1), argString(args, 2), false, true),
  },
  {
    name: "trim_prefix",
    args: strArgs("value", "prefix"),
    result: S,
    doc: "Returns value without the prefix. If value doesn't start with prefix, it is returned unchanged.",
    impl(args) {
      const s = argString(args, 1);
      const p = argString(args, 2);
      return s.startsWith(p) ? s.slice(p.length) : s;
    },
  },
  {
    name: "trim_suffix",
    args: strArgs("value", "suffix"),
    result: S,
    doc: "Returns value without the suffix. If value doesn't end with suffix, it is returned unchanged.",
    impl(args) {
      const s = argString(args, 1);
      const p = argString(args, 2);
      return s.endsWith(p) ? s.slice(0, s.length - p.length) : s;
    },
  },
  {
    name: "trim_space",
    args: strArgs("value"),
    result: S,
    doc: "Return the given string with all leading and trailing white space removed.",
    impl: (args) => trimSpace(argString(args, 1)),
  },
  {
    name: "strings.replace_n",
    args: [
      { name: "patterns", type: T.object(S, S) },
      { name: "value", type: S },
    ],
    result: S,
    doc: "Replaces a string from a list of old, new string pairs (keys tried in sorted order; leftmost, non-overlapping).",
    impl: replaceN,
  },
  {
    name: "strings.reverse",
    args: strArgs("x"),
    result: S,
    doc: "Reverses a given string (by code point).",
    impl: (args) => reverse(argString(args, 1)),
  },
  {
    name: "strings.any_prefix_match",
    args: [
      { name: "search", type: strOrColl },
      { name: "base", type: strOrColl },
    ],
    result: T.boolean,
    doc: "Returns true if any of the search strings begins with any of the base strings.",
    impl: (args) => anyStartsWithAny(stringsOperand(args, 1), stringsOperand(args, 2)),
  },
  {
    name: "strings.any_suffix_match",
    args: [
      { name: "search", type: strOrColl },
      { name: "base", type: strOrColl },
    ],
    result: T.boolean,
    doc: "Returns true if any of the search strings ends with any of the base strings.",
    impl(args) {
      const strs = stringsOperand(args, 1);
      const suffixes = stringsOperand(args, 2);
      return strs.some((s) => suffixes.some((p) => s.endsWith(p)));
    },
  },
  {
    name: "strings.count",
    args: strArgs("search", "substring"),
    result: T.number,
    doc: "Returns the number of non-overlapping instances of a substring in a string.",
    impl(args) {
      const s = argString(args, 1);
      const sub = argString(args, 2);
      // Go's strings.Count counts an empty substring once per code point, plus one.
      if (sub === "") return Array.from(s).length + 1;
      return s.split(sub).length - 1;
    },
  },
  {
    name: "strings.render_template",
    args: [
      { name: "value", type: S },
      { name: "vars", type: T.object(S, T.any) },
    ],
    result: S,
    doc: "Renders a templated string with given template variables injected (Go text/template syntax; missing keys are errors).",
    impl: (args) => renderTemplate(argString(args, 1), argObject(args, 2)),
  },
];
