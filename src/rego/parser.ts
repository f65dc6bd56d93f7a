/** Rego v1 parser: modules, queries and single terms. */
import { parse as parseYaml } from "yaml";
import type {
  BooleanTerm,
  Expr,
  Import,
  Location,
  Module,
  Package,
  RefTerm,
  Rule,
  RuleHead,
  StringTerm,
  Term,
  VarTerm,
} from "./ast.js";
import { RegoError } from "./errors.js";
import { type Comment, lex, type Token } from "./lexer.js";
import { Parser, termTypeName } from "./parser-core.js";

const FUTURE_KEYWORDS = new Set(["in", "if", "contains", "every"]);

class ModuleParser extends Parser {
  /** Comments grouped by the index of the token they precede, so lookups stay linear overall. */
  private readonly commentsBefore = new Map<number, Comment[]>();

  constructor(toks: Token[], file: string, comments: Comment[]) {
    super(toks, file);
    for (const c of comments) {
      const list = this.commentsBefore.get(c.before);
      if (list) list.push(c);
      else this.commentsBefore.set(c.before, [c]);
    }
  }

  parseModule(): Module {
    if (!this.isKw("package")) {
      if (this.atEnd()) this.fail("empty module");
      this.fail(`package expected`);
    }
    const pkg = this.parsePackage();
    const imports: Import[] = [];
    const rules: Rule[] = [];
    while (!this.atEnd()) {
      this.endStatement();
      const t = this.peek();
      if (this.isKw("import")) {
        imports.push(this.parseImport());
      } else if (this.isKw("package")) {
        this.unexpected(t);
      } else {
        rules.push(this.parseRule());
      }
    }
    return { file: this.file, package: pkg, imports, rules };
  }

  /** Statements are separated by line breaks or `;`. */
  private endStatement(): void {
    if (this.isPunct(";")) {
      this.next();
      return;
    }
    const t = this.peek();
    if (t.kind !== "eof" && !t.nlBefore) this.unexpected(t);
  }

  /** The parsed `# METADATA` block among the comments directly before the token at `index`. */
  private annotationsBefore(index: number): Record<string, unknown> | undefined {
    const block = this.commentsBefore.get(index) ?? [];
    let start = -1;
    // OPA only reads metadata blocks whose lines start in column 1.
    for (let k = 0; k < block.length; k++) if (block[k]?.text.trim() === "METADATA" && block[k]?.col === 1) start = k;
    const head = block[start];
    if (head === undefined) return undefined;
    const lines: string[] = [];
    let row = head.row;
    for (let k = start + 1; k < block.length; k++) {
      const c = block[k];
      if (c === undefined || c.row !== row + 1 || c.col !== 1) break;
      row = c.row;
      lines.push(c.text.startsWith(" ") ? c.text.slice(1) : c.text);
    }
    let doc: unknown;
    try {
      // logLevel "error" keeps warnings off the console; errors still throw.
      doc = parseYaml(lines.join("\n"), { logLevel: "error" });
    } catch (e) {
      const msg = e instanceof Error ? e.message.split("\n")[0] : String(e);
      throw new RegoError("rego_parse_error", `yaml: ${msg}`, { file: this.file, row: head.row, col: head.col });
    }
    if (doc === null || doc === undefined) return {};
    if (typeof doc !== "object" || Array.isArray(doc)) {
      throw new RegoError("rego_parse_error", "yaml: metadata block must be a mapping", {
        file: this.file,
        row: head.row,
        col: head.col,
      });
    }
    return doc as Record<string, unknown>;
  }

  private parsePackage(): Package {
    const index = this.i;
    const kw = this.next();
    const annotations = this.annotationsBefore(index);
    const path: string[] = [];
    for (const p of this.parseStaticRef(false)) {
      if (p.type !== "string") this.fail("package path must contain only strings", kw);
      path.push(p.value);
    }
    return { path, annotations, loc: this.loc(kw) };
  }

  /**
   * A dotted path `a.b["c"]` as string terms, for packages and imports. `keywordHead` lets an
   * import path segment after the dot be a keyword (`future.keywords.in`).
   */
  private parseStaticRef(allowKeywordHead: boolean): StringTerm[] {
    const first = this.peek();
    if (first.kind !== "ident" && !(allowKeywordHead && first.kind === "keyword")) this.unexpected(first, "ident");
    this.next();
    const out: StringTerm[] = [{ type: "string", value: first.text, loc: this.loc(first) }];
    while (this.adjacent(".", "[")) {
      const t = this.next();
      const n = this.peek();
      if (t.text === ".") {
        if (n.wsBefore || (n.kind !== "ident" && n.kind !== "keyword")) this.unexpected(n, "ident");
        this.next();
        out.push({ type: "string", value: n.text, loc: this.loc(n) });
      } else {
        if (n.kind !== "string") this.unexpected(n, "string");
        this.next();
        this.expectPunct("]");
        out.push({ type: "string", value: n.value, loc: this.loc(n) });
      }
    }
    return out;
  }

  private parseImport(): Import {
    const kw = this.next();
    const pathTok = this.peek();
    const parts = this.parseStaticRef(false);
    const [head, ...rest] = parts;
    if (head === undefined) this.unexpected(pathTok, "ident");
    const names = parts.map((p) => p.value);
    const text = names.join(".");
    const root = head.value;
    if (root === "future") {
      const [k, w, extra] = names.slice(1);
      if (k !== "keywords" || (w !== undefined && !FUTURE_KEYWORDS.has(w)) || extra !== undefined) {
        this.fail(`invalid import ${text}: must be future.keywords or future.keywords.<keyword>`, pathTok);
      }
    } else if (root === "rego") {
      if (text !== "rego.v1") this.fail(`invalid import ${text}: only rego.v1 is supported`, pathTok);
    } else if (root !== "data" && root !== "input") {
      this.fail(`invalid path ${text}: path must begin with input or data`, pathTok);
    }
    const headVar: VarTerm = { type: "var", name: root, loc: head.loc };
    const path: RefTerm | VarTerm =
      rest.length === 0 ? headVar : { type: "ref", head: headVar, path: rest, loc: head.loc };
    let alias: string | undefined;
    if (this.isKw("as")) {
      this.next();
      const a = this.peek();
      if (a.kind !== "ident") this.unexpected(a, "ident");
      this.next();
      if (root === "future" || root === "rego") this.fail(`${root} imports cannot be aliased`, a);
      alias = a.text;
    }
    return { path, alias, loc: this.loc(kw) };
  }

  private parseRule(): Rule {
    const index = this.i;
    const start = this.peek();
    const annotations = this.annotationsBefore(index);
    const isDefault = this.isKw("default");
    if (isDefault) this.next();
    const headTok = this.peek();
    if (headTok.kind !== "ident") {
      if (headTok.kind === "keyword" && !["true", "false", "null"].includes(headTok.text)) this.unexpected(headTok);
      if (headTok.kind === "eof" || (headTok.kind === "punct" && !["[", "{", "-", "("].includes(headTok.text))) {
        this.unexpected(headTok);
      }
      const term = this.parseBinary(1, false);
      this.fail(`${termTypeName(term)} cannot be used for rule name`, headTok);
    }
    const head = this.parseHead(headTok);
    const rule: Rule = {
      head,
      body: [],
      else: undefined,
      default: isDefault,
      annotations,
      loc: this.loc(start),
    };
    if (isDefault) {
      if (head.value === undefined || head.key !== undefined) this.fail("default rules must have a value", start);
      if (this.isKw("if") || this.isPunct("{")) this.fail("default rules must not have a body", this.peek());
      rule.body = [this.trueExpr(head.loc)];
      return rule;
    }
    const generatedValue = head.value === undefined && head.key === undefined;
    if (generatedValue) head.value = this.trueTerm(head.loc);
    const body = this.parseRuleBody(head, generatedValue);
    if (body === undefined && generatedValue) {
      const isPartialSetHead = head.args === undefined && head.ref.length === 2 && !this.refDotted(head);
      if (isPartialSetHead) this.fail("`contains` keyword is required for partial set rules", start);
      if (!this.peek().nlBefore && !this.atEnd() && !this.isPunct(";")) {
        this.fail(`${head.ref.length === 1 ? "var" : "ref"} cannot be used for rule name`, start);
      }
      this.fail(`${head.args ? "function" : "rule"} must have value assignment and/or body declaration`, start);
    }
    rule.body = body ?? [this.trueExpr(head.loc)];
    let prev = rule;
    while (this.isKw("else")) {
      const elseTok = this.next();
      if (head.key !== undefined) this.fail("else keyword cannot be used on multi-value rules", elseTok);
      const elseHead: RuleHead = {
        // Copies, so that later passes rewriting one head cannot affect the other.
        ref: [...head.ref],
        args: head.args ? [...head.args] : undefined,
        key: undefined,
        value: undefined,
        assign: false,
        loc: this.loc(elseTok),
      };
      if (this.isPunct(":=") || this.isPunct("=")) {
        elseHead.assign = this.next().text === ":=";
        elseHead.value = this.parseBinary(1, false);
      } else {
        elseHead.value = this.trueTerm(this.loc(elseTok));
      }
      const elseBody = this.parseRuleBody(elseHead, false);
      const elseRule: Rule = {
        head: elseHead,
        body: elseBody ?? [this.trueExpr(elseHead.loc)],
        else: undefined,
        default: false,
        annotations: undefined,
        loc: this.loc(elseTok),
      };
      prev.else = elseRule;
      prev = elseRule;
    }
    return rule;
  }

  /** Whether the second ref operand was written with a dot (`p.q`) rather than brackets (`p[q]`). */
  private refDotted(head: RuleHead): boolean {
    const [a, b] = head.ref;
    return a !== undefined && b !== undefined && b.type === "string" && this.dotted.has(b);
  }

  private readonly dotted = new WeakSet<Term>();

  /** Rule name (a var or ref), function arguments, and `contains` / `:=` / `=` with its term. */
  private parseHead(headTok: Token): RuleHead {
    this.next();
    const ref: Term[] = [{ type: "var", name: headTok.text, loc: this.loc(headTok) }];
    while (this.adjacent(".", "[")) {
      const t = this.next();
      if (t.text === ".") {
        const n = this.peek();
        if (n.wsBefore || (n.kind !== "ident" && n.kind !== "keyword")) this.unexpected(n, "ident");
        this.next();
        const s: StringTerm = { type: "string", value: n.text, loc: this.loc(n) };
        this.dotted.add(s);
        ref.push(s);
      } else {
        this.enter(t);
        ref.push(this.parseBinary(1, false));
        this.leave();
        this.expectPunct("]");
      }
    }
    let args: Term[] | undefined;
    if (this.adjacent("(")) {
      const open = this.next();
      this.enter(open);
      args = [];
      while (!this.isPunct(")")) {
        args.push(this.parseBinary(1, false));
        if (!this.isPunct(",")) break;
        this.next();
      }
      this.leave();
      this.expectPunct(")");
    }
    const head: RuleHead = { ref, args, key: undefined, value: undefined, assign: false, loc: this.loc(headTok) };
    if (this.isKw("contains")) {
      const c = this.next();
      if (args !== undefined) this.unexpected(c);
      head.key = this.parseBinary(1, false);
    } else if (this.isPunct(":=") || this.isPunct("=")) {
      head.assign = this.next().text === ":=";
      head.value = this.parseBinary(1, false);
    }
    return head;
  }

  /** `if { ... }`, `if expr`, or nothing (undefined). A `{` without `if` is v0 syntax. */
  private parseRuleBody(head: RuleHead, generatedValue: boolean): Expr[] | undefined {
    if (this.isPunct("{")) {
      const t = this.peek();
      const what = head.args ? "function" : "rule";
      const errors = [new RegoError("rego_parse_error", `\`if\` keyword is required before ${what} body`, this.loc(t))];
      if (generatedValue && head.args === undefined && head.ref.length === 2 && !this.refDotted(head)) {
        const msg = "`contains` keyword is required for partial set rules";
        errors.push(new RegoError("rego_parse_error", msg, this.loc(t)));
      }
      const [first] = errors;
      throw new RegoError("rego_parse_error", first?.message ?? "", this.loc(t), errors);
    }
    if (!this.isKw("if")) return undefined;
    this.next();
    if (this.isPunct("{")) {
      const save = this.i;
      const saveDepth = this.depth;
      const open = this.next();
      try {
        this.enter(open);
        const body = this.parseBody("}", open);
        this.leave();
        this.expectPunct("}");
        return body;
      } catch (e) {
        // `if {x: 1 | ...}` may also be a single comprehension or object expression; OPA accepts it.
        // An empty `{}` stays an empty body error rather than becoming an object.
        if (this.isPunct("}", this.peek(save + 1 - this.i))) throw e;
        this.i = save;
        this.depth = saveDepth;
        try {
          return [this.parseLiteral()];
        } catch {
          throw e;
        }
      }
    }
    if (this.atEnd()) this.unexpected();
    return [this.parseLiteral()];
  }

  private trueTerm(loc: Location): BooleanTerm {
    return { type: "boolean", value: true, loc };
  }

  private trueExpr(loc: Location): Expr {
    return { kind: "term", term: this.trueTerm(loc), negated: false, with: [], loc };
  }
}

/**
 * Runs a parse, converting a stack overflow that slipped past the depth limit (e.g. when called
 * from deep in the caller's stack) into a parse error at the current token.
 */
function guarded<T>(
  file: string,
  source: string,
  run: (tokens: Token[], comments: Comment[]) => Parser,
  finish: (p: Parser) => T,
): T {
  const { tokens, comments } = lex(file, source);
  const parser = run(tokens, comments);
  try {
    return finish(parser);
  } catch (e) {
    if (e instanceof RangeError) throw new RegoError("rego_parse_error", "nesting depth exceeded", parser.currentLoc());
    throw e;
  }
}

/** Parses a Rego v1 module; throws RegoError("rego_parse_error"). */
export function parseModule(file: string, source: string): Module {
  return guarded(
    file,
    source,
    (tokens, comments) => new ModuleParser(tokens, file, comments),
    (p) => (p as ModuleParser).parseModule(),
  );
}

/** Parses a query body: expressions separated by `;` or line breaks; throws RegoError("rego_parse_error"). */
export function parseQuery(source: string, file = "query"): Expr[] {
  return guarded(
    file,
    source,
    (tokens) => new Parser(tokens, file),
    (p) => p.parseQueryBody(),
  );
}

/** Parses a single term such as `{"a": {1, 2}}`; throws RegoError("rego_parse_error"). */
export function parseTerm(source: string, file = "term"): Term {
  return guarded(
    file,
    source,
    (tokens) => new Parser(tokens, file),
    (p) => {
      if (p.atEnd()) p.fail("empty term");
      const term = p.parseBinary(1, false);
      if (!p.atEnd()) p.unexpected();
      return term;
    },
  );
}
