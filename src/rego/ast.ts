/**
 * The Rego abstract syntax tree produced by the parser and consumed by the compiler.
 * Operators are already desugared into calls with OPA's builtin names:
 *   `a = b` -> eq, `a := b` -> assign, `==` equal, `!=` neq, `<` lt, `<=` lte, `>` gt, `>=` gte,
 *   `+` plus, `-` minus, `*` mul, `/` div, `%` rem, `&` and, `|` or,
 *   `x in xs` -> internal.member_2, `k, v in xs` -> internal.member_3.
 */
import type { Location } from "./errors.js";

export type { Location };

export interface NullTerm {
  type: "null";
  loc: Location;
}
export interface BooleanTerm {
  type: "boolean";
  value: boolean;
  loc: Location;
}
export interface NumberTerm {
  type: "number";
  value: number;
  /** The literal as written (for messages and exact formatting). */
  raw: string;
  loc: Location;
}
export interface StringTerm {
  type: "string";
  value: string;
  loc: Location;
}
export interface VarTerm {
  type: "var";
  /** `_` is a wildcard; the compiler gives each occurrence a fresh name. */
  name: string;
  loc: Location;
}
/**
 * A reference: `input.a[x].b`, `data.p`, `f(x).y`, `[1, 2][i]`. `head` is usually a var; `path`
 * holds the operands (`.b` is a string term "b").
 */
export interface RefTerm {
  type: "ref";
  head: Term;
  path: Term[];
  loc: Location;
}
export interface ArrayTerm {
  type: "array";
  items: Term[];
  loc: Location;
}
export interface SetTerm {
  type: "set";
  items: Term[];
  loc: Location;
}
export interface ObjectTerm {
  type: "object";
  items: [Term, Term][];
  loc: Location;
}
export interface ArrayComprehension {
  type: "arraycomp";
  head: Term;
  body: Expr[];
  loc: Location;
}
export interface SetComprehension {
  type: "setcomp";
  head: Term;
  body: Expr[];
  loc: Location;
}
export interface ObjectComprehension {
  type: "objectcomp";
  key: Term;
  value: Term;
  body: Expr[];
  loc: Location;
}
/** A call: `op` is a var (`count`) or a ref of string operands (`json.filter`, `data.lib.f`). */
export interface CallTerm {
  type: "call";
  op: VarTerm | RefTerm;
  args: Term[];
  loc: Location;
}
/** A template string `$"hello {input.name}"`: literal parts and embedded terms, in order. */
export interface TemplateTerm {
  type: "template";
  parts: (string | Term)[];
  loc: Location;
}

export type Term =
  | NullTerm
  | BooleanTerm
  | NumberTerm
  | StringTerm
  | VarTerm
  | RefTerm
  | ArrayTerm
  | SetTerm
  | ObjectTerm
  | ArrayComprehension
  | SetComprehension
  | ObjectComprehension
  | CallTerm
  | TemplateTerm;

/** `with <target> as <value>`; target is `input...`, `data...` or a function/builtin name. */
export interface WithModifier {
  target: VarTerm | RefTerm;
  value: Term;
  loc: Location;
}

/** A term expression (also every call, unification and assignment). */
export interface TermExpr {
  kind: "term";
  term: Term;
  negated: boolean;
  with: WithModifier[];
  loc: Location;
}
/** `some x, y`. */
export interface SomeDeclExpr {
  kind: "some";
  vars: VarTerm[];
  negated: false;
  with: WithModifier[];
  loc: Location;
}
/** `some x in xs`, `some k, v in xs`. */
export interface SomeInExpr {
  kind: "somein";
  key: Term | undefined;
  value: Term;
  domain: Term;
  negated: false;
  with: WithModifier[];
  loc: Location;
}
/** `every x in xs { ... }`, `every k, v in xs { ... }`. */
export interface EveryExpr {
  kind: "every";
  key: Term | undefined;
  value: Term;
  domain: Term;
  body: Expr[];
  negated: boolean;
  with: WithModifier[];
  loc: Location;
}

export type Expr = TermExpr | SomeDeclExpr | SomeInExpr | EveryExpr;

/**
 * A rule head. `ref` is the rule's reference below the package: `p` -> [var p];
 * `a.b[c].d` -> [var a, string b, var c, string d].
 * - complete / ref-head single value: `value` set (`true` when written `p if ...`), no `key`.
 * - multi-value (`p contains x`): `key` set, `value` absent.
 * - function: `args` set, `value` set.
 */
export interface RuleHead {
  ref: Term[];
  args: Term[] | undefined;
  key: Term | undefined;
  value: Term | undefined;
  /** Written with `:=` (as opposed to `=` or no value). */
  assign: boolean;
  loc: Location;
}

export interface Rule {
  head: RuleHead;
  /** A rule without a body has the body `[true]`. */
  body: Expr[];
  /** The next rule of an `else` chain. Its head has only `value` (and `args` copied from the first). */
  else: Rule | undefined;
  default: boolean;
  /** The parsed `# METADATA` YAML block directly above the rule, if any. */
  annotations: Record<string, unknown> | undefined;
  loc: Location;
}

export interface Import {
  /** `data.x.y`, `input.x`, `future.keywords.in`, `rego.v1`. */
  path: RefTerm | VarTerm;
  alias: string | undefined;
  loc: Location;
}

export interface Package {
  /** The path below `data`: `package a.b["c-d"]` -> ["a", "b", "c-d"]. */
  path: string[];
  annotations: Record<string, unknown> | undefined;
  loc: Location;
}

export interface Module {
  file: string;
  package: Package;
  imports: Import[];
  rules: Rule[];
}
