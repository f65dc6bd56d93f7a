/**
 * Term, expression and body parsing shared by module, query and term entry points.
 * Operator precedence (lowest first): `:=`/`=`, `in`, relations, `|`, `&`, `+ -`, `* / %`.
 */
import type {
  ArrayTerm,
  CallTerm,
  Expr,
  Location,
  NumberTerm,
  RefTerm,
  SetTerm,
  StringTerm,
  TemplateTerm,
  Term,
  TermExpr,
  VarTerm,
  WithModifier,
} from "./ast.js";
import { RegoError } from "./errors.js";
import type { Token } from "./lexer.js";

/**
 * Deeper nesting is rejected so that hostile input cannot overflow the stack. A composite, call or
 * parenthesis costs 1, a body (comprehension, `every`, rule) costs BODY_COST more because it runs
 * through more stack frames; 500 leaves a wide margin below Node's default stack even under tsx.
 */
export const MAX_DEPTH = 500;
const BODY_COST = 2;

const LEVEL_IN = 1;
const LEVEL_REL = 2;

const BINARY: ReadonlyMap<string, { level: number; op: string }> = new Map([
  ["==", { level: LEVEL_REL, op: "equal" }],
  ["!=", { level: LEVEL_REL, op: "neq" }],
  ["<", { level: LEVEL_REL, op: "lt" }],
  ["<=", { level: LEVEL_REL, op: "lte" }],
  [">", { level: LEVEL_REL, op: "gt" }],
  [">=", { level: LEVEL_REL, op: "gte" }],
  ["|", { level: 3, op: "or" }],
  ["&", { level: 4, op: "and" }],
  ["+", { level: 5, op: "plus" }],
  ["-", { level: 5, op: "minus" }],
  ["*", { level: 6, op: "mul" }],
  ["/", { level: 6, op: "div" }],
  ["%", { level: 6, op: "rem" }],
]);

/** OPA's names for term types in "... cannot be used for rule name" style messages. */
export function termTypeName(t: Term): string {
  switch (t.type) {
    case "boolean":
    case "null":
    case "number":
    case "string":
    case "var":
    case "ref":
    case "array":
    case "set":
    case "object":
    case "call":
      return t.type;
    case "arraycomp":
      return "array comprehension";
    case "setcomp":
      return "set comprehension";
    case "objectcomp":
      return "object comprehension";
    case "template":
      return "template string";
  }
}

/** Describes a token the way OPA's messages do: `}` token, ident token, if keyword, eof token. */
export function describe(t: Token): string {
  switch (t.kind) {
    case "eof":
      return "eof token";
    case "ident":
      return "ident token";
    case "number":
      return "number token";
    case "string":
      return "string token";
    case "template":
      return "template string token";
    case "keyword":
      return `${t.text} keyword`;
    case "punct":
      return `${t.text} token`;
  }
}

export class Parser {
  protected i = 0;
  protected depth = 0;

  constructor(
    protected toks: Token[],
    readonly file: string,
  ) {}

  // ---- token helpers ----

  protected peek(k = 0): Token {
    const last = this.toks[this.toks.length - 1];
    // The token list always ends with eof; clamping keeps lookahead past the end safe.
    const t = this.toks[Math.min(this.i + k, this.toks.length - 1)] ?? last;
    if (t === undefined) throw new RegoError("rego_parse_error", "empty token stream");
    return t;
  }

  protected next(): Token {
    const t = this.peek();
    if (this.i < this.toks.length - 1) this.i++;
    return t;
  }

  protected isPunct(p: string, t: Token = this.peek()): boolean {
    return t.kind === "punct" && t.text === p;
  }

  protected isKw(k: string, t: Token = this.peek()): boolean {
    return t.kind === "keyword" && t.text === k;
  }

  /** The next token continues the previous term (no whitespace) and is one of the given punctuation. */
  protected adjacent(...ps: string[]): boolean {
    const t = this.peek();
    return !t.wsBefore && t.kind === "punct" && ps.includes(t.text);
  }

  loc(t: Token): Location {
    return { file: this.file, row: t.row, col: t.col };
  }

  fail(message: string, t: Token = this.peek()): never {
    throw new RegoError("rego_parse_error", message, this.loc(t));
  }

  unexpected(t: Token = this.peek(), expected?: string): never {
    this.fail(`unexpected ${describe(t)}${expected ? `: expected ${expected}` : ""}`, t);
  }

  protected expectPunct(p: string, expected = p): Token {
    if (!this.isPunct(p)) this.unexpected(this.peek(), expected);
    return this.next();
  }

  protected expectKw(k: string): Token {
    if (!this.isKw(k)) this.unexpected(this.peek(), `${k} keyword`);
    return this.next();
  }

  protected enter(t: Token, cost = 1): void {
    this.depth += cost;
    if (this.depth > MAX_DEPTH) this.fail("nesting depth exceeded", t);
  }

  protected leave(cost = 1): void {
    this.depth -= cost;
  }

  /** Where parsing currently is, for errors raised outside the parser's own checks. */
  currentLoc(): Location {
    return this.loc(this.peek());
  }

  atEnd(): boolean {
    return this.peek().kind === "eof";
  }

  // ---- term construction helpers ----

  protected callOf(name: string, t: Token, args: Term[], loc: Location): CallTerm {
    const dot = name.indexOf(".");
    const opLoc = this.loc(t);
    let op: VarTerm | RefTerm;
    if (dot < 0) {
      op = { type: "var", name, loc: opLoc };
    } else {
      op = {
        type: "ref",
        head: { type: "var", name: name.slice(0, dot), loc: opLoc },
        path: [{ type: "string", value: name.slice(dot + 1), loc: opLoc }],
        loc: opLoc,
      };
    }
    return { type: "call", op, args, loc };
  }

  // ---- bodies and expressions ----

  /**
   * Parses expressions separated by `;` or line breaks until the closing token `end` (not consumed);
   * `end` undefined means end of input.
   */
  parseBody(end: string | undefined, open: Token): Expr[] {
    const atClose = (): boolean => (end === undefined ? this.atEnd() : this.isPunct(end));
    const body: Expr[] = [];
    this.enter(open, BODY_COST);
    for (;;) {
      if (atClose()) {
        if (body.length === 0) this.fail(end === undefined ? "empty query" : "found empty body", open);
        this.leave(BODY_COST);
        return body;
      }
      body.push(this.parseLiteral());
      if (this.isPunct(";")) {
        this.next();
        continue;
      }
      if (atClose()) continue;
      if (!this.peek().nlBefore) this.unexpected();
    }
  }

  /** A whole query: body expressions up to the end of input. */
  parseQueryBody(): Expr[] {
    return this.parseBody(undefined, this.peek());
  }

  /** One body expression: `some`, `every`, `not expr` or `expr`, then `with` modifiers. */
  parseLiteral(): Expr {
    const start = this.peek();
    const loc = this.loc(start);
    let expr: Expr;
    if (this.isKw("some")) {
      expr = this.parseSome();
    } else if (this.isKw("every")) {
      expr = this.parseEvery(false);
    } else if (this.isKw("not")) {
      this.next();
      if (this.isKw("every")) {
        expr = this.parseEvery(true);
      } else {
        const term = this.parseExprTerm();
        expr = { kind: "term", term, negated: true, with: [], loc };
      }
      expr.loc = loc;
    } else {
      const term = this.parseExprTerm();
      expr = { kind: "term", term, negated: false, with: [], loc } satisfies TermExpr;
    }
    while (this.isKw("with")) expr.with.push(this.parseWith());
    return expr;
  }

  private parseWith(): WithModifier {
    const w = this.next();
    const targetTok = this.peek();
    const target = this.parseUnary(false);
    if (target.type !== "var" && target.type !== "ref") this.fail("expected var or ref as with target", targetTok);
    this.expectKw("as");
    const value = this.parseBinary(LEVEL_IN, false);
    return { target, value, loc: this.loc(w) };
  }

  private parseSome(): Expr {
    const kw = this.next();
    const loc = this.loc(kw);
    const terms: Term[] = [this.parseBinary(LEVEL_REL, false)];
    while (this.isPunct(",")) {
      this.next();
      terms.push(this.parseBinary(LEVEL_REL, false));
    }
    if (this.isKw("in")) {
      this.next();
      const domain = this.parseBinary(LEVEL_REL, false);
      const [a, b] = terms;
      if (terms.length > 2 || a === undefined) this.fail("unexpected , token: expected in keyword", kw);
      return {
        kind: "somein",
        key: b === undefined ? undefined : a,
        value: b ?? a,
        domain,
        negated: false,
        with: [],
        loc,
      };
    }
    const vars: VarTerm[] = [];
    for (const t of terms) {
      if (t.type !== "var") throw new RegoError("rego_parse_error", "expected var", t.loc);
      vars.push(t);
    }
    return { kind: "some", vars, negated: false, with: [], loc };
  }

  private parseEvery(negated: boolean): Expr {
    const kw = this.next();
    const first = this.parseBinary(LEVEL_REL, false);
    let second: Term | undefined;
    if (this.isPunct(",")) {
      this.next();
      second = this.parseBinary(LEVEL_REL, false);
    }
    this.expectKw("in");
    const domain = this.parseBinary(LEVEL_REL, false);
    const open = this.expectPunct("{");
    this.enter(open);
    const body = this.parseBody("}", open);
    this.leave();
    this.expectPunct("}");
    return {
      kind: "every",
      key: second === undefined ? undefined : first,
      value: second ?? first,
      domain,
      body,
      negated,
      with: [],
      loc: this.loc(kw),
    };
  }

  /** An expression term: `a := b`, `a = b`, `k, v in xs` or any operator term. */
  parseExprTerm(): Term {
    const startTok = this.peek();
    let lhs = this.parseIn();
    if (this.isPunct(":=") || this.isPunct("=")) {
      const opTok = this.next();
      const rhs = this.parseBinary(LEVEL_IN, false);
      lhs = this.callOf(opTok.text === ":=" ? "assign" : "eq", opTok, [lhs, rhs], this.loc(startTok));
    }
    return lhs;
  }

  /** Membership with an optional key (`k, v in xs`), left-associative: `1, 2 in xs in ys`. */
  parseIn(): Term {
    const startTok = this.peek();
    let lhs = this.parseBinary(LEVEL_REL, false);
    if (this.isPunct(",")) {
      this.next();
      const value = this.parseBinary(LEVEL_REL, false);
      const inTok = this.expectKw("in");
      const domain = this.parseBinary(LEVEL_REL, false);
      lhs = this.callOf("internal.member_3", inTok, [lhs, value, domain], this.loc(startTok));
    }
    while (this.isKw("in")) {
      const inTok = this.next();
      const domain = this.parseBinary(LEVEL_REL, false);
      lhs = this.callOf("internal.member_2", inTok, [lhs, domain], this.loc(startTok));
    }
    return lhs;
  }

  /**
   * Precedence climbing over binary operators at `minLevel` and above. `noOr` stops at `|` so that
   * the head of a comprehension (`[x | body]`) is not read as a union.
   */
  parseBinary(minLevel: number, noOr: boolean): Term {
    const startTok = this.peek();
    let lhs = this.parseUnary(noOr);
    for (;;) {
      const t = this.peek();
      let level: number;
      let op: string;
      if (this.isKw("in", t)) {
        level = LEVEL_IN;
        op = "internal.member_2";
      } else {
        const b = t.kind === "punct" ? BINARY.get(t.text) : undefined;
        if (b === undefined || (noOr && t.text === "|")) return lhs;
        ({ level, op } = b);
      }
      if (level < minLevel) return lhs;
      this.next();
      const rhs = this.parseBinary(level + 1, noOr);
      lhs = this.callOf(op, t, [lhs, rhs], this.loc(startTok));
    }
  }

  /** Unary minus, then a primary term. */
  parseUnary(noOr: boolean): Term {
    const t = this.peek();
    if (!this.isPunct("-", t)) return this.parsePrimary();
    this.next();
    const n = this.peek();
    if (n.kind === "number") {
      this.next();
      const raw = `-${n.text}`;
      return { type: "number", value: -Number(n.text), raw, loc: this.loc(t) } satisfies NumberTerm;
    }
    this.enter(t);
    const operand = this.parseUnary(noOr);
    this.leave();
    const zero: NumberTerm = { type: "number", value: 0, raw: "0", loc: this.loc(t) };
    return this.callOf("minus", t, [zero, operand], this.loc(t));
  }

  /** A scalar, var, composite, comprehension, template or parenthesised term, with refs and calls. */
  parsePrimary(): Term {
    const t = this.peek();
    const loc = this.loc(t);
    switch (t.kind) {
      case "number":
        this.next();
        return { type: "number", value: Number(t.text), raw: t.text, loc };
      case "string":
        this.next();
        return { type: "string", value: t.value, loc };
      case "template":
        this.next();
        return this.parseTemplate(t);
      case "keyword":
        // `contains` is a keyword in rule heads but also the name of a builtin function.
        if (t.text === "contains" && !this.peek(1).wsBefore && this.isPunct("(", this.peek(1))) {
          this.next();
          return this.parsePostfix({ type: "var", name: t.text, loc });
        }
        if (t.text === "true" || t.text === "false") {
          this.next();
          return { type: "boolean", value: t.text === "true", loc };
        }
        if (t.text === "null") {
          this.next();
          return { type: "null", loc };
        }
        return this.unexpected(t);
      case "ident":
        this.next();
        return this.parsePostfix({ type: "var", name: t.text, loc });
      case "punct":
        if (t.text === "[") return this.parsePostfix(this.parseArray());
        if (t.text === "{") return this.parsePostfix(this.parseBrace());
        if (t.text === "(") {
          this.next();
          this.enter(t);
          const inner = this.parseIn();
          this.leave();
          this.expectPunct(")");
          return inner;
        }
        return this.unexpected(t);
      case "eof":
        return this.unexpected(t);
    }
  }

  /** Reference operands and calls written directly after a term: `.a`, `[x]`, `(args)`. */
  private parsePostfix(head: Term): Term {
    let term = head;
    while (this.adjacent(".", "[", "(")) {
      const t = this.next();
      if (t.text === "(") {
        term = this.parseCall(term, t);
        continue;
      }
      let operand: Term;
      if (t.text === ".") {
        const n = this.peek();
        if (n.wsBefore || (n.kind !== "ident" && n.kind !== "keyword")) this.unexpected(n, "ident");
        this.next();
        operand = { type: "string", value: n.text, loc: this.loc(n) } satisfies StringTerm;
      } else {
        this.enter(t);
        operand = this.parseBinary(LEVEL_IN, false);
        this.leave();
        this.expectPunct("]");
      }
      if (term.type === "ref") {
        term.path.push(operand);
      } else {
        term = { type: "ref", head: term, path: [operand], loc: term.loc };
      }
    }
    return term;
  }

  private parseCall(op: Term, open: Token): Term {
    const isName =
      op.type === "var" || (op.type === "ref" && op.head.type === "var" && op.path.every((p) => p.type === "string"));
    if (!isName || (op.type !== "var" && op.type !== "ref")) this.unexpected(open);
    this.enter(open);
    const args: Term[] = [];
    while (!this.isPunct(")")) {
      args.push(this.parseBinary(LEVEL_IN, false));
      if (!this.isPunct(",")) break;
      this.next();
    }
    this.leave();
    this.expectPunct(")");
    if (op.type === "var" && op.name === "set" && args.length === 0) {
      return { type: "set", items: [], loc: op.loc } satisfies SetTerm;
    }
    return { type: "call", op, args, loc: op.loc };
  }

  /** Comma-separated items up to `close`, allowing a trailing comma; the first item is already read. */
  private parseItems(first: Term, close: string): Term[] {
    const items = [first];
    while (this.isPunct(",")) {
      this.next();
      if (this.isPunct(close)) break;
      items.push(this.parseBinary(LEVEL_IN, false));
    }
    this.expectPunct(close);
    return items;
  }

  private parseComprehensionBody(close: string): Expr[] {
    const bar = this.next();
    const body = this.parseBody(close, bar);
    this.expectPunct(close);
    return body;
  }

  private parseArray(): Term {
    const open = this.next();
    const loc = this.loc(open);
    this.enter(open);
    let result: Term;
    if (this.isPunct("]")) {
      this.next();
      result = { type: "array", items: [], loc } satisfies ArrayTerm;
    } else {
      const first = this.parseBinary(LEVEL_IN, true);
      if (this.isPunct("|")) {
        result = { type: "arraycomp", head: first, body: this.parseComprehensionBody("]"), loc };
      } else {
        result = { type: "array", items: this.parseItems(first, "]"), loc };
      }
    }
    this.leave();
    return result;
  }

  /** `{}` object, `{k: v, ...}` object, `{a, ...}` set, or an object/set comprehension. */
  private parseBrace(): Term {
    const open = this.next();
    const loc = this.loc(open);
    this.enter(open);
    let result: Term;
    if (this.isPunct("}")) {
      this.next();
      result = { type: "object", items: [], loc };
    } else {
      const first = this.parseBinary(LEVEL_IN, true);
      if (this.isPunct(":")) {
        this.next();
        const value = this.parseBinary(LEVEL_IN, true);
        if (this.isPunct("|")) {
          result = { type: "objectcomp", key: first, value, body: this.parseComprehensionBody("}"), loc };
        } else {
          const items: [Term, Term][] = [[first, value]];
          while (this.isPunct(",")) {
            this.next();
            if (this.isPunct("}")) break;
            const k = this.parseBinary(LEVEL_IN, false);
            this.expectPunct(":");
            items.push([k, this.parseBinary(LEVEL_IN, false)]);
          }
          this.expectPunct("}");
          result = { type: "object", items, loc };
        }
      } else if (this.isPunct("|")) {
        result = { type: "setcomp", head: first, body: this.parseComprehensionBody("}"), loc };
      } else {
        result = { type: "set", items: this.parseItems(first, "}"), loc };
      }
    }
    this.leave();
    return result;
  }

  /** Template parts were lexed into sub-token lists; each must hold exactly one expression term. */
  private parseTemplate(t: Token): TemplateTerm {
    const parts: (string | Term)[] = [];
    this.enter(t);
    for (const part of t.parts) {
      if (part.kind === "text") {
        parts.push(part.value);
        continue;
      }
      const sub = new Parser(part.tokens, this.file);
      sub.depth = this.depth;
      if (sub.atEnd()) sub.fail("empty template string expression");
      parts.push(sub.parseExprTerm());
      if (!sub.atEnd()) sub.fail("expected } to end template string expression");
    }
    this.leave();
    return { type: "template", parts, loc: this.loc(t) };
  }
}
