/** String builtins, with Go's strings-package semantics (code points, not UTF-16 units, where OPA uses runes). */
import { BuiltinError, BuiltinTypeError } from "../errors.js";
import { compare, formatNumber, RegoObject, RegoSet, typeName, type Value } from "../value.js";
import { goQuote, goSprintf } from "./sprintf.js";
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

// ---- strings.render_template: a subset of Go's text/template (actions, pipelines, if/with/range, functions) ----

/** Go ints produced inside templates (range indexes, len); data numbers behave as json.Number. */
class GoInt {
  constructor(readonly n: number) {}
}
type TVal = Value | GoInt;

interface Tok {
  k: "field" | "var" | "dot" | "str" | "num" | "bool" | "nil" | "ident" | "|" | "(" | ")" | ":=" | "=" | ",";
  v: string;
  pos: number;
}
type Operand =
  | { t: "field"; names: string[]; pos: number; text: string; base: Operand | null }
  | { t: "var"; name: string; names: string[]; pos: number; text: string }
  | { t: "dot" }
  | { t: "lit"; v: TVal }
  | { t: "ident"; name: string; pos: number }
  | { t: "sub"; pipe: Pipe; names: string[]; pos: number; text: string };
interface Pipe {
  decl: string[];
  assign: boolean;
  cmds: Operand[][];
}
type TNode =
  | { t: "text"; s: string }
  | { t: "action"; pipe: Pipe }
  | { t: "if" | "with" | "range"; pipe: Pipe; list: TNode[]; elseList: TNode[] | null }
  | { t: "break" | "continue" };
type Item = { t: "text"; s: string } | { t: "action"; toks: Tok[]; pos: number };

class TemplateError extends Error {}
const loopBreak: TNode = { t: "break" };
const loopContinue: TNode = { t: "continue" };

const lineOf = (src: string, pos: number): number => src.slice(0, pos).split("\n").length;
const isWs = (c: string | undefined): boolean => c === " " || c === "\t" || c === "\r" || c === "\n";
const identRe = /^[\p{L}_][\p{L}\p{N}_]*/u;

/** Splits a template into text and tokenised actions, applying `{{-` / `-}}` trimming and dropping comments. */
function lexTemplate(src: string): Item[] {
  const items: Item[] = [];
  let i = 0;
  let trimNext = false;
  const fail = (pos: number, msg: string): never => {
    throw new TemplateError(`template: template:${lineOf(src, pos)}: ${msg}`);
  };
  while (i <= src.length) {
    const open = src.indexOf("{{", i);
    let text = src.slice(i, open < 0 ? src.length : open);
    if (trimNext) text = text.replace(/^[ \t\r\n]+/, "");
    let j = open + 2;
    if (open >= 0 && src[j] === "-" && isWs(src[j + 1])) {
      text = text.replace(/[ \t\r\n]+$/, "");
      j += 2;
    }
    if (text !== "") items.push({ t: "text", s: text });
    if (open < 0) break;
    while (isWs(src[j])) j++;
    const toks: Tok[] = [];
    const actionPos = j;
    for (;;) {
      while (isWs(src[j])) j++;
      if (j >= src.length) fail(open, "unclosed action");
      if (src.startsWith("}}", j) || (src.startsWith("-}}", j) && isWs(src[j - 1]))) {
        trimNext = src[j] === "-";
        j += trimNext ? 3 : 2;
        break;
      }
      const c = src[j] as string;
      const start = j;
      if (src.startsWith("/*", j)) {
        const end = src.indexOf("*/", j + 2);
        if (end < 0) fail(j, "unclosed comment");
        j = end + 2;
        continue;
      }
      if (c === '"' || c === "`") {
        const end = c === "`" ? src.indexOf("`", j + 1) : findQuoteEnd(src, j);
        if (end < 0) fail(j, "unterminated quoted string");
        const raw = src.slice(j, end + 1);
        toks.push({ k: "str", v: c === "`" ? raw.slice(1, -1) : (JSON.parse(raw) as string), pos: start });
        j = end + 1;
      } else if (c === "." || c === "$") {
        j++;
        while (j < src.length && /[\p{L}\p{N}_.]/u.test(src[j] as string)) j++;
        const text = src.slice(start, j);
        toks.push({ k: text === "." ? "dot" : c === "." ? "field" : "var", v: text, pos: start });
      } else if (/[0-9+-]/.test(c)) {
        const m = /^[+-]?(0x[0-9a-fA-F_]+|[0-9_]*\.?[0-9_]+(e[+-]?[0-9]+)?)/.exec(src.slice(j));
        if (!m || m[0] === "") fail(j, `bad character ${goQuote(c)}`);
        toks.push({ k: "num", v: (m as RegExpExecArray)[0], pos: start });
        j += (m as RegExpExecArray)[0].length;
      } else if (c === ":" && src[j + 1] === "=") {
        toks.push({ k: ":=", v: ":=", pos: start });
        j += 2;
      } else if ("|()=,".includes(c)) {
        toks.push({ k: c as Tok["k"], v: c, pos: start });
        j++;
      } else {
        const m = identRe.exec(src.slice(j));
        if (!m) fail(j, `unexpected ${goQuote(c)} in command`);
        const word = (m as RegExpExecArray)[0];
        const k = word === "true" || word === "false" ? "bool" : word === "nil" ? "nil" : "ident";
        toks.push({ k, v: word, pos: start });
        j += word.length;
        // A field chained onto an identifier or parenthesis is read as part of the next token.
      }
    }
    if (toks.length > 0) items.push({ t: "action", toks, pos: actionPos });
    i = j;
  }
  return items;
}

function findQuoteEnd(src: string, j: number): number {
  for (let k = j + 1; k < src.length; k++) {
    if (src[k] === "\\") k++;
    else if (src[k] === '"') return k;
    else if (src[k] === "\n") return -1;
  }
  return -1;
}

/** Recursive-descent parser over lexed items. */
class TemplateParser {
  private i = 0;
  constructor(
    private readonly items: Item[],
    private readonly src: string,
  ) {}

  fail(pos: number, msg: string): never {
    throw new TemplateError(`template: template:${lineOf(this.src, pos)}: ${msg}`);
  }

  /** Parses nodes until an `end`/`else` action (returned) or the end of input. */
  list(): [TNode[], Item | null] {
    const out: TNode[] = [];
    while (this.i < this.items.length) {
      const it = this.items[this.i++] as Item;
      if (it.t === "text") {
        out.push(it);
        continue;
      }
      const head = it.toks[0] as Tok;
      const kw = head.k === "ident" ? head.v : "";
      if (kw === "end" || kw === "else") return [out, it];
      if (kw === "if" || kw === "with" || kw === "range") out.push(this.control(kw, it.toks.slice(1), it.pos));
      else if (kw === "break" || kw === "continue") out.push(kw === "break" ? loopBreak : loopContinue);
      else if (kw === "define" || kw === "template" || kw === "block") this.fail(it.pos, `${kw} is not supported`);
      else out.push({ t: "action", pipe: this.pipe(it.toks, it.pos) });
    }
    return [out, null];
  }

  private control(kw: "if" | "with" | "range", toks: Tok[], pos: number): TNode {
    const pipe = this.pipe(toks, pos);
    const [list, term] = this.list();
    if (!term) this.fail(pos, `unexpected EOF`);
    let elseList: TNode[] | null = null;
    const t = (term as Item & { t: "action" }).toks;
    if ((t[0] as Tok).v === "else") {
      const next = t[1];
      if (next && next.k === "ident" && (next.v === "if" || next.v === "with")) {
        // `else if` shares the enclosing `end`.
        elseList = [this.control(next.v, t.slice(2), pos)];
      } else {
        const [els, term2] = this.list();
        if (!term2 || ((term2 as Item & { t: "action" }).toks[0] as Tok).v !== "end") this.fail(pos, "expected end");
        elseList = els;
      }
    }
    return { t: kw, pipe, list, elseList };
  }

  pipe(toks: Tok[], pos: number): Pipe {
    let k = 0;
    const decl: string[] = [];
    let assign = false;
    const declEnd = toks.findIndex((t) => t.k === ":=" || t.k === "=");
    if (declEnd > 0 && toks.slice(0, declEnd).every((t) => t.k === "var" || t.k === ",")) {
      for (const t of toks.slice(0, declEnd)) if (t.k === "var") decl.push(t.v);
      assign = (toks[declEnd] as Tok).k === "=";
      k = declEnd + 1;
    }
    const cmds: Operand[][] = [[]];
    let depth = 0;
    let sub: Tok[] = [];
    for (; k < toks.length; k++) {
      const t = toks[k] as Tok;
      const cmd = cmds[cmds.length - 1] as Operand[];
      if (depth > 0) {
        if (t.k === "(") depth++;
        if (t.k === ")" && --depth === 0) {
          // A field chained right after the parenthesis, as in (pipeline).field.
          const next = toks[k + 1];
          let chained = "";
          if (next && next.k === "field" && next.pos === t.pos + 1) {
            chained = next.v;
            k++;
          }
          const names = chained.split(".").filter((x) => x !== "");
          cmd.push({ t: "sub", pipe: this.pipe(sub, t.pos), names, pos: t.pos, text: `(...)${chained}` });
          continue;
        }
        sub.push(t);
        continue;
      }
      if (t.k === "(") {
        depth = 1;
        sub = [];
      } else if (t.k === "|") {
        if (cmd.length === 0) this.fail(t.pos, "missing command");
        cmds.push([]);
      } else cmd.push(this.operand(t));
    }
    if (depth > 0) this.fail(pos, "unclosed left paren");
    if ((cmds[cmds.length - 1] as Operand[]).length === 0) this.fail(pos, "missing value for command");
    return { decl, assign, cmds };
  }

  private operand(t: Tok): Operand {
    switch (t.k) {
      case "dot":
        return { t: "dot" };
      case "field":
        return { t: "field", names: t.v.slice(1).split("."), pos: t.pos, text: t.v, base: null };
      case "var": {
        const [name, ...names] = t.v.split(".");
        return { t: "var", name: name as string, names, pos: t.pos, text: t.v };
      }
      case "str":
        return { t: "lit", v: t.v };
      case "num":
        return { t: "lit", v: Number(t.v.replaceAll("_", "")) };
      case "bool":
        return { t: "lit", v: t.v === "true" };
      case "nil":
        return { t: "lit", v: null };
      case "ident":
        return { t: "ident", name: t.v, pos: t.pos };
      default:
        return this.fail(t.pos, `unexpected ${goQuote(t.v)} in operand`);
    }
  }
}

/** Go's template truth: zero values (false, 0, "", nil, empty collections) are false. */
function truth(v: TVal): boolean {
  if (v instanceof GoInt) return v.n !== 0;
  if (v === null || v === false) return false;
  if (typeof v === "string") return v !== "";
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof RegoObject) return v.size > 0;
  // Data numbers are json.Number, a non-empty string in Go, hence always true.
  return true;
}

/** fmt's %v of a template value. */
function goPrint(v: TVal, top = true): string {
  if (v instanceof GoInt) return String(v.n);
  if (v === null) return top ? "<no value>" : "<nil>";
  if (typeof v === "number") return formatNumber(v);
  if (typeof v === "string" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return `[${v.map((x) => goPrint(x, false)).join(" ")}]`;
  if (v instanceof RegoObject) {
    return `map[${v
      .sortedEntries()
      .map(([k, x]) => `${goPrint(k, false)}:${goPrint(x, false)}`)
      .join(" ")}]`;
  }
  return String(v);
}

const goTypeOf = (v: TVal): string => {
  if (v instanceof GoInt) return "int";
  if (v === null) return "<nil>";
  if (typeof v === "number") return "json.Number";
  if (typeof v === "string" || typeof v === "boolean") return typeof v === "string" ? "string" : "bool";
  return Array.isArray(v) ? "[]interface {}" : "map[string]interface {}";
};

/** What ast.As does before Go sees the variables: sets become sorted arrays, keys become strings. */
function toTemplateData(v: Value): Value {
  if (Array.isArray(v)) return v.map(toTemplateData);
  if (v instanceof RegoSet) return v.sorted().map(toTemplateData);
  if (v instanceof RegoObject) {
    const o = new RegoObject();
    for (const [k, x] of v) o.set(typeof k === "string" ? k : formatNumber(Number(k)), toTemplateData(x));
    return o;
  }
  return v;
}

const plain = (v: TVal): Value => (v instanceof GoInt ? v.n : v);

/** Executes parsed templates over data. */
class TemplateExec {
  out = "";
  private vars: [string, TVal][];
  constructor(
    data: Value,
    private readonly src: string,
  ) {
    this.vars = [["$", data]];
  }

  private fail(pos: number, text: string, msg: string): never {
    const before = this.src.slice(0, pos);
    const col = pos - (before.lastIndexOf("\n") + 1);
    throw new TemplateError(
      `template: template:${lineOf(this.src, pos)}:${col}: executing "template" at <${text}>: ${msg}`,
    );
  }

  run(nodes: TNode[], dot: TVal): void {
    for (const n of nodes) {
      switch (n.t) {
        case "text":
          this.out += n.s;
          break;
        case "action": {
          const v = this.pipe(n.pipe, dot);
          if (n.pipe.decl.length === 0) this.out += goPrint(v);
          break;
        }
        case "break":
        case "continue":
          throw n;
        default:
          this.control(n, dot);
      }
    }
  }

  private control(n: TNode & { t: "if" | "with" | "range" }, dot: TVal): void {
    const mark = this.vars.length;
    try {
      if (n.t !== "range") {
        const v = this.pipe(n.pipe, dot);
        if (truth(v)) this.run(n.list, n.t === "with" ? v : dot);
        else if (n.elseList) this.run(n.elseList, dot);
        return;
      }
      const v = this.pipe({ ...n.pipe, decl: [] }, dot);
      let entries: [TVal, TVal][];
      if (Array.isArray(v)) entries = v.map((x, i) => [new GoInt(i), x]);
      else if (v instanceof RegoObject) entries = v.sortedEntries();
      else if (v instanceof GoInt)
        entries = Array.from({ length: Math.max(v.n, 0) }, (_, i) => [new GoInt(i), new GoInt(i)]);
      else if (v === null) entries = [];
      else throw new TemplateError(`template: template: range can't iterate over ${goPrint(v)}`);
      for (const [key, elem] of entries) {
        const [d0, d1] = n.pipe.decl;
        if (d0 !== undefined) this.vars.push([d0, d1 === undefined ? elem : key]);
        if (d1 !== undefined) this.vars.push([d1, elem]);
        try {
          this.run(n.list, elem);
        } catch (e) {
          if (e === loopBreak) break;
          if (e !== loopContinue) throw e;
        } finally {
          this.vars.length = mark;
        }
      }
      if (entries.length === 0 && n.elseList) this.run(n.elseList, dot);
    } finally {
      this.vars.length = mark;
    }
  }

  private pipe(p: Pipe, dot: TVal): TVal {
    let v: TVal | undefined;
    for (const cmd of p.cmds) v = this.command(cmd, dot, v);
    const result = v === undefined ? null : v;
    p.decl.forEach((name) => {
      if (!p.assign) {
        this.vars.push([name, result]);
        return;
      }
      const slot = [...this.vars].reverse().find(([k]) => k === name);
      if (!slot) throw new TemplateError(`template: template: undefined variable: ${name}`);
      slot[1] = result;
    });
    return result;
  }

  private command(cmd: Operand[], dot: TVal, piped: TVal | undefined): TVal {
    const head = cmd[0] as Operand;
    if (head.t === "ident") {
      const args = cmd.slice(1);
      return this.call(head.name, head.pos, args, dot, piped);
    }
    if (cmd.length > 1 || piped !== undefined)
      throw new TemplateError("template: template: can't give argument to non-function");
    return this.operand(head, dot);
  }

  private operand(o: Operand, dot: TVal): TVal {
    switch (o.t) {
      case "dot":
        return dot;
      case "lit":
        return o.v;
      case "ident":
        return this.call(o.name, o.pos, [], dot, undefined);
      case "field":
        return this.fields(dot, o.names, o.pos, o.text);
      case "var": {
        const slot = [...this.vars].reverse().find(([k]) => k === o.name);
        if (!slot) throw new TemplateError(`template: template: undefined variable: ${o.name}`);
        return this.fields(slot[1], o.names, o.pos, o.text);
      }
      case "sub":
        return this.fields(this.pipe(o.pipe, dot), o.names, o.pos, o.text);
    }
  }

  private fields(v: TVal, names: string[], pos: number, text: string): TVal {
    let cur = v;
    for (const name of names) {
      if (cur instanceof RegoObject) {
        const next = cur.get(name);
        if (next === undefined) this.fail(pos, text, `map has no entry for key ${goQuote(name)}`);
        cur = next;
      } else if (cur === null) {
        this.fail(pos, text, `nil pointer evaluating interface {}.${name}`);
      } else {
        this.fail(pos, text, `can't evaluate field ${name} in type ${goTypeOf(cur)}`);
      }
    }
    return cur;
  }

  private call(name: string, pos: number, argOps: Operand[], dot: TVal, piped: TVal | undefined): TVal {
    const lazy =
      piped === undefined
        ? argOps.map((o) => () => this.operand(o, dot))
        : [...argOps.map((o) => () => this.operand(o, dot)), () => piped];
    const args = (): TVal[] => lazy.map((f) => f());
    const fail = (msg: string): never => this.fail(pos, name, `error calling ${name}: ${msg}`);
    switch (name) {
      case "and":
      case "or": {
        let v: TVal = null;
        for (const f of lazy) {
          v = f();
          if (truth(v) === (name === "or")) return v;
        }
        return v;
      }
      case "not":
        return !truth((args()[0] ?? null) as TVal);
      case "len": {
        const [v] = args();
        if (typeof v === "string") return new GoInt(new TextEncoder().encode(v).length);
        if (Array.isArray(v)) return new GoInt(v.length);
        if (v instanceof RegoObject) return new GoInt(v.size);
        return fail(`len of type ${goTypeOf(v ?? null)}`);
      }
      case "index": {
        let [v, ...keys] = args();
        for (const k of keys) {
          const key = plain(k);
          if (Array.isArray(v) && typeof key === "number") {
            if (key < 0 || key >= v.length) fail(`index out of range: ${key}`);
            v = v[key] as Value;
          } else if (v instanceof RegoObject) v = v.get(key) ?? null;
          else fail(`can't index item of type ${goTypeOf(v ?? null)}`);
        }
        return v ?? null;
      }
      case "print":
      case "println": {
        const vs = args();
        let s = "";
        vs.forEach((v, i) => {
          const prevStr = i > 0 && (typeof vs[i - 1] === "string" || typeof vs[i - 1] === "number");
          const isStr = typeof v === "string" || typeof v === "number";
          if (i > 0 && (name === "println" || (!prevStr && !isStr))) s += " ";
          s += goPrint(v, false);
        });
        return name === "println" ? `${s}\n` : s;
      }
      case "printf": {
        const [f, ...rest] = args();
        return goSprintf(typeof f === "string" ? f : goPrint(f ?? null), rest.map(plain));
      }
      case "eq":
      case "ne":
      case "lt":
      case "le":
      case "gt":
      case "ge": {
        const [a, ...bs] = args().map(plain);
        if (a === undefined || bs.length === 0) return fail("missing argument for comparison");
        if (name === "eq") return bs.some((b) => compare(a, b as Value) === 0);
        const b = bs[0] as Value;
        if (typeName(a) !== typeName(b)) fail("incompatible types for comparison");
        const c = compare(a, b);
        return { ne: c !== 0, lt: c < 0, le: c <= 0, gt: c > 0, ge: c >= 0 }[name];
      }
      case "html":
        return args()
          .map((v) => goPrint(v, false))
          .join("")
          .replace(
            /[&'<>"\0]/g,
            (c) => ({ "&": "&amp;", "'": "&#39;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "\0": "\uFFFD" })[c] ?? c,
          );
      case "urlquery":
        return encodeURIComponent(
          args()
            .map((v) => goPrint(v, false))
            .join(""),
        )
          .replace(/%20/g, "+")
          .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
      default:
        return this.fail(pos, name, `function ${goQuote(name)} not defined`);
    }
  }
}

/** Renders a Go text/template with missingkey=error over the given variables. */
function renderTemplate(src: string, vars: RegoObject): string {
  try {
    const parser = new TemplateParser(lexTemplate(src), src);
    const [nodes, stray] = parser.list();
    if (stray)
      parser.fail(
        (stray as Item & { t: "action" }).pos,
        `unexpected {{${(stray as Item & { t: "action" }).toks[0]?.v}}}`,
      );
    const exec = new TemplateExec(toTemplateData(vars), src);
    exec.run(nodes, toTemplateData(vars));
    return exec.out;
  } catch (e) {
    if (e instanceof TemplateError) throw new BuiltinError(e.message);
    if (e === loopBreak || e === loopContinue)
      throw new BuiltinError(`template: template: {{${(e as { t: string }).t}}} outside {{range}}`);
    throw e;
  }
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
