/** strings.render_template's engine: a subset of Go's text/template (actions, pipelines, if/with/range, functions). */
import { BuiltinError } from "../errors.js";
import { formatNumber } from "../format.js";
import { compare, RegoObject, RegoSet, typeName, type Value } from "../value.js";
import { goQuote, goSprintf } from "./sprintf.js";

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
export function renderTemplate(src: string, vars: RegoObject): string {
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
