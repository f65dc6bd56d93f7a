/** Rego tokenizer: turns source text into tokens with positions, whitespace flags and comments. */
import { type Location, RegoError } from "./errors.js";

export type TokenKind = "ident" | "keyword" | "number" | "string" | "template" | "punct" | "eof";

/** A literal run or an embedded expression (its own token list, ending in an eof token) of a template string. */
export type TemplatePart = { kind: "text"; value: string } | { kind: "expr"; tokens: Token[] };

export interface Token {
  kind: TokenKind;
  /** Source text (for strings: the decoded value is in `value`). */
  text: string;
  /** Decoded value of a string token. */
  value: string;
  /** Parts of a template token (shared empty array otherwise). */
  parts: readonly TemplatePart[];
  row: number;
  col: number;
  /** Whitespace or a comment precedes the token: refs and calls need adjacent tokens. */
  wsBefore: boolean;
  /** A line break precedes the token: it separates body expressions. */
  nlBefore: boolean;
}

export interface Comment {
  /** The text after `#`. */
  text: string;
  row: number;
  col: number;
  /** Index of the token that follows the comment. */
  before: number;
}

export interface LexResult {
  tokens: Token[];
  comments: Comment[];
}

export const KEYWORDS: ReadonlySet<string> = new Set([
  "if",
  "contains",
  "in",
  "every",
  "some",
  "not",
  "with",
  "as",
  "default",
  "else",
  "import",
  "package",
  "true",
  "false",
  "null",
]);

// Two-character operators are tried first, so `:=` wins over `:`.
const DOUBLE = new Set([":=", "==", "!=", "<=", ">="]);
const SINGLE = new Set([
  "(",
  ")",
  "[",
  "]",
  "{",
  "}",
  ".",
  ",",
  ";",
  ":",
  "<",
  ">",
  "=",
  "+",
  "-",
  "*",
  "/",
  "%",
  "&",
  "|",
]);

const NO_PARTS: readonly TemplatePart[] = Object.freeze([]);

/** Template strings nest lexing recursively; bound it like the parser bounds its nesting. */
const MAX_TEMPLATE_DEPTH = 100;

function isIdentStart(c: string): boolean {
  return (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c === "_";
}

function isDigit(c: string): boolean {
  return c >= "0" && c <= "9";
}

function isHex(c: string): boolean {
  return isDigit(c) || (c >= "a" && c <= "f") || (c >= "A" && c <= "F");
}

function makeToken(
  kind: TokenKind,
  text: string,
  value: string,
  row: number,
  col: number,
  wsBefore: boolean,
  nlBefore: boolean,
): Token {
  return { kind, text, value, parts: NO_PARTS, row, col, wsBefore, nlBefore };
}

class Lexer {
  private pos = 0;
  private row = 1;
  private col = 1;
  private templateDepth = 0;
  readonly comments: Comment[] = [];

  constructor(
    private readonly src: string,
    private readonly file: string,
  ) {}

  private fail(message: string, row = this.row, col = this.col): never {
    const loc: Location = { file: this.file, row, col };
    throw new RegoError("rego_parse_error", message, loc);
  }

  private ch(offset = 0): string {
    return this.src.charAt(this.pos + offset);
  }

  /** Advances one character (a surrogate pair counts as one column). */
  private advance(): string {
    const c = this.src.charAt(this.pos);
    this.pos++;
    if (c === "\n") {
      this.row++;
      this.col = 1;
      return c;
    }
    const code = c.charCodeAt(0);
    if (code >= 0xd800 && code <= 0xdbff) {
      const lo = this.src.charCodeAt(this.pos);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        this.pos++;
        this.col++;
        return c + String.fromCharCode(lo);
      }
    }
    this.col++;
    return c;
  }

  /**
   * Lexes tokens until the end of input or, inside a template expression, the `}` closing it.
   * Returns tokens terminated by an eof token placed at the stopping point.
   */
  lex(inTemplate: boolean, tokens: Token[]): Token[] {
    let braces = 0;
    for (;;) {
      let ws = false;
      let nl = false;
      // Skip whitespace and comments.
      for (;;) {
        const c = this.ch();
        if (c === " " || c === "\t" || c === "\r" || c === "\n") {
          if (c === "\n") nl = true;
          ws = true;
          this.advance();
        } else if (c === "#") {
          const row = this.row;
          const col = this.col;
          const start = this.pos + 1;
          let end = this.src.indexOf("\n", start);
          if (end < 0) end = this.src.length;
          let text = this.src.slice(start, end);
          if (text.endsWith("\r")) text = text.slice(0, -1);
          while (this.pos < end) this.advance();
          if (!inTemplate) this.comments.push({ text, row, col, before: tokens.length });
          ws = true;
        } else {
          break;
        }
      }
      const row = this.row;
      const col = this.col;
      if (this.pos >= this.src.length) {
        if (inTemplate) this.fail("expected } to end template string expression");
        tokens.push(makeToken("eof", "", "", row, col, ws, nl));
        return tokens;
      }
      const c = this.ch();
      if (inTemplate && c === "}" && braces === 0) {
        this.advance();
        tokens.push(makeToken("eof", "", "", row, col, ws, nl));
        return tokens;
      }
      if (isIdentStart(c)) {
        const start = this.pos;
        while (isIdentStart(this.ch()) || isDigit(this.ch())) this.advance();
        const text = this.src.slice(start, this.pos);
        tokens.push(makeToken(KEYWORDS.has(text) ? "keyword" : "ident", text, "", row, col, ws, nl));
      } else if (isDigit(c)) {
        tokens.push(makeToken("number", this.number(), "", row, col, ws, nl));
      } else if (c === '"') {
        this.advance();
        tokens.push(makeToken("string", "", this.quoted(false, row, col).text, row, col, ws, nl));
      } else if (c === "`") {
        tokens.push(makeToken("string", "", this.raw(row, col), row, col, ws, nl));
      } else if (c === "$" && (this.ch(1) === '"' || this.ch(1) === "`")) {
        const t = makeToken("template", "$", "", row, col, ws, nl);
        t.parts = this.template(row, col);
        tokens.push(t);
      } else {
        const two = c + this.ch(1);
        const p = DOUBLE.has(two) ? two : SINGLE.has(c) ? c : undefined;
        if (p === undefined)
          this.fail(`illegal token ${JSON.stringify(String.fromCodePoint(this.src.codePointAt(this.pos) ?? 0))}`);
        for (let k = 0; k < p.length; k++) this.advance();
        if (p === "{") braces++;
        else if (p === "}") braces--;
        tokens.push(makeToken("punct", p, "", row, col, ws, nl));
      }
    }
  }

  private number(): string {
    const start = this.pos;
    const row = this.row;
    const col = this.col;
    while (isDigit(this.ch())) this.advance();
    if (this.ch() === "." && isDigit(this.ch(1))) {
      this.advance();
      while (isDigit(this.ch())) this.advance();
    }
    if (this.ch() === "e" || this.ch() === "E") {
      const sign = this.ch(1) === "+" || this.ch(1) === "-" ? 1 : 0;
      if (!isDigit(this.ch(1 + sign))) this.fail("illegal number format", row, col);
      this.advance();
      if (sign) this.advance();
      while (isDigit(this.ch())) this.advance();
    }
    const text = this.src.slice(start, this.pos);
    if (text.length > 1 && text[0] === "0" && isDigit(text.charAt(1))) this.fail("illegal number format", row, col);
    if (isIdentStart(this.ch()) || this.ch() === ".") this.fail("illegal number format", row, col);
    return text;
  }

  /**
   * Reads the body of a double-quoted string (opening quote consumed). In a template it stops at
   * an unescaped `{` and reports that, so the caller can lex the embedded expression.
   */
  private quoted(template: boolean, row: number, col: number): { text: string; brace: boolean } {
    let out = "";
    for (;;) {
      if (this.pos >= this.src.length || this.ch() === "\n") this.fail("non-terminated string", row, col);
      const c = this.advance();
      if (c === '"') return { text: out, brace: false };
      if (template && c === "{") return { text: out, brace: true };
      if (c !== "\\") {
        out += c;
        continue;
      }
      const e = this.pos < this.src.length ? this.advance() : "";
      switch (e) {
        case '"':
        case "\\":
        case "/":
          out += e;
          break;
        case "b":
          out += "\b";
          break;
        case "f":
          out += "\f";
          break;
        case "n":
          out += "\n";
          break;
        case "r":
          out += "\r";
          break;
        case "t":
          out += "\t";
          break;
        case "u":
          out += this.unicodeEscape();
          break;
        case "{":
        case "}":
          if (!template) this.fail("illegal escape sequence in string", row, col);
          out += e;
          break;
        default:
          this.fail("illegal escape sequence in string", row, col);
      }
    }
  }

  private hex4(): number {
    let v = 0;
    for (let k = 0; k < 4; k++) {
      const h = this.ch();
      if (!isHex(h)) this.fail("illegal escape sequence in string");
      v = v * 16 + Number.parseInt(h, 16);
      this.advance();
    }
    return v;
  }

  /** Decodes `XXXX` after `\u`, joining a following low surrogate escape; lone surrogates become U+FFFD. */
  private unicodeEscape(): string {
    const hi = this.hex4();
    if (hi >= 0xd800 && hi <= 0xdbff) {
      if (this.ch() === "\\" && this.ch(1) === "u") {
        const save = { pos: this.pos, row: this.row, col: this.col };
        this.advance();
        this.advance();
        const lo = this.hex4();
        if (lo >= 0xdc00 && lo <= 0xdfff) return String.fromCharCode(hi, lo);
        // Not a pair: re-read the second escape on its own.
        this.pos = save.pos;
        this.row = save.row;
        this.col = save.col;
      }
      return "\uFFFD";
    }
    if (hi >= 0xdc00 && hi <= 0xdfff) return "\uFFFD";
    return String.fromCharCode(hi);
  }

  private raw(row: number, col: number): string {
    this.advance();
    const end = this.src.indexOf("`", this.pos);
    if (end < 0) this.fail("non-terminated raw string", row, col);
    const text = this.src.slice(this.pos, end);
    while (this.pos <= end) this.advance();
    return text;
  }

  private template(row: number, col: number): TemplatePart[] {
    if (++this.templateDepth > MAX_TEMPLATE_DEPTH) this.fail("template string nesting depth exceeded", row, col);
    this.advance(); // $
    const rawForm = this.advance() === "`";
    const parts: TemplatePart[] = [];
    for (;;) {
      let text: string;
      let brace: boolean;
      if (rawForm) {
        ({ text, brace } = this.rawTemplateText(row, col));
      } else {
        ({ text, brace } = this.quoted(true, row, col));
      }
      if (text !== "") parts.push({ kind: "text", value: text });
      if (!brace) break;
      const tokens = this.lex(true, []);
      parts.push({ kind: "expr", tokens });
    }
    this.templateDepth--;
    return parts;
  }

  /** Raw template text: backslashes are literal except before `{` and `}`, which they escape. */
  private rawTemplateText(row: number, col: number): { text: string; brace: boolean } {
    let out = "";
    for (;;) {
      if (this.pos >= this.src.length) this.fail("non-terminated raw string", row, col);
      const c = this.advance();
      if (c === "`") return { text: out, brace: false };
      if (c === "{") return { text: out, brace: true };
      if (c === "\\" && (this.ch() === "{" || this.ch() === "}")) {
        out += this.advance();
        continue;
      }
      out += c;
    }
  }
}

/** Tokenizes Rego source; throws RegoError("rego_parse_error") on illegal characters or bad literals. */
export function lex(file: string, source: string): LexResult {
  const lexer = new Lexer(source, file);
  const tokens = lexer.lex(false, []);
  return { tokens, comments: lexer.comments };
}
