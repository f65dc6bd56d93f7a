/**
 * Uniform object shapes for the IR the evaluator runs. The lowerer builds each kind of term and
 * expression as an object literal of its own fields, and the evaluator memoises into some of them
 * later (`start`, `ruleSet`): V8 then sees dozens of hidden classes at every `t.t` or `e.kind` the
 * evaluator reads, and those property reads go megamorphic (a hash lookup instead of one load).
 * Rebuilding every term, expression and call target with all fields of its type, in one order,
 * gives each type one hidden class. Runs once per compiled policy and query; changes no values.
 */
import type { CExpr, CRule, CTerm, CWith, FnTarget, RuleNode } from "./ir.js";
import { ruleSetsUnder } from "./ruletree.js";

/** Normalizes the rules of every rule set under `root` (in place: rules keep their identity). */
export function normalizePolicyShapes(root: RuleNode): void {
  const n = new Normalizer();
  for (const rs of ruleSetsUnder(root)) {
    for (const rule of rs.rules) n.rule(rule);
    if (rs.defaultRule) n.rule(rs.defaultRule);
  }
}

/** Normalizes a query body; returns the new expressions (`original` maps through `mapExpr`). */
export function normalizeBodyShapes(body: CExpr[]): { body: CExpr[]; mapExpr: (e: CExpr) => CExpr } {
  const n = new Normalizer();
  const out = n.body(body);
  return { body: out, mapExpr: (e) => n.expr(e) };
}

/** Field reads on a union member that lacks them: the values to copy (undefined when absent). */
type AnyTerm = Partial<Record<string, unknown>> & CTerm;
type AnyExpr = Partial<Record<string, unknown>> & CExpr;
type AnyFn = Partial<Record<string, unknown>> & FnTarget;

class Normalizer {
  /** Old object -> new one: shared subterms stay shared. */
  private readonly terms = new Map<CTerm, CTerm>();
  private readonly exprs = new Map<CExpr, CExpr>();
  private readonly fns = new Map<FnTarget, FnTarget>();

  rule(rule: CRule): void {
    for (let r: CRule | undefined = rule; r; r = r.else) {
      r.refTail = this.termList(r.refTail);
      r.args = r.args === undefined ? undefined : this.termList(r.args);
      r.key = this.optTerm(r.key);
      r.value = this.optTerm(r.value);
      r.body = this.body(r.body);
    }
  }

  body(body: CExpr[]): CExpr[] {
    return body.map((e) => this.expr(e));
  }

  expr(e: CExpr): CExpr {
    const hit = this.exprs.get(e);
    if (hit) return hit;
    const a = e as AnyExpr;
    const out = {
      kind: e.kind,
      negated: e.negated,
      with: e.with.map((w) => this.withMod(w)),
      loc: e.loc,
      text: e.text,
      term: this.optTerm(a.term as CTerm | undefined),
      a: this.optTerm(a.a as CTerm | undefined),
      b: this.optTerm(a.b as CTerm | undefined),
      fn: a.fn === undefined ? undefined : this.fn(a.fn as FnTarget),
      args: a.args === undefined ? undefined : this.termList(a.args as CTerm[]),
      out: this.optTerm(a.out as CTerm | undefined),
      key: this.optTerm(a.key as CTerm | undefined),
      value: this.optTerm(a.value as CTerm | undefined),
      domain: this.optTerm(a.domain as CTerm | undefined),
      body: a.body === undefined ? undefined : this.body(a.body as CExpr[]),
      closure: a.closure,
      direct: undefined,
    } as unknown as CExpr;
    this.exprs.set(e, out);
    return out;
  }

  private withMod(w: CWith): CWith {
    return {
      target: w.target,
      value: this.term(w.value),
      fnValue: w.fnValue === undefined ? undefined : this.fn(w.fnValue),
      loc: w.loc,
    };
  }

  private optTerm(t: CTerm | undefined): CTerm | undefined {
    return t === undefined ? undefined : this.term(t);
  }

  private termList(ts: CTerm[]): CTerm[] {
    return ts.map((t) => this.term(t));
  }

  term(t: CTerm): CTerm {
    const hit = this.terms.get(t);
    if (hit) return hit;
    const a = t as AnyTerm;
    let items: unknown;
    if (t.t === "object") items = t.items.map(([k, v]) => [this.term(k), this.term(v)]);
    else if (t.t === "array" || t.t === "set") items = this.termList(t.items);
    const out = {
      t: t.t,
      v: a.v,
      slot: a.slot,
      name: a.name,
      path: a.path === undefined ? undefined : this.termList(a.path as CTerm[]),
      loc: a.loc,
      start: a.start,
      ground: a.ground,
      base: a.base === undefined ? undefined : this.term(a.base as CTerm),
      items,
      head: a.head === undefined ? undefined : this.term(a.head as CTerm),
      body: a.body === undefined ? undefined : this.body(a.body as CExpr[]),
      closure: a.closure,
      key: a.key === undefined ? undefined : this.term(a.key as CTerm),
      value: a.value === undefined ? undefined : this.term(a.value as CTerm),
      fn: a.fn === undefined ? undefined : this.fn(a.fn as FnTarget),
      args: a.args === undefined ? undefined : this.termList(a.args as CTerm[]),
      parts:
        a.parts === undefined
          ? undefined
          : (a.parts as (string | CTerm)[]).map((p) => (typeof p === "string" ? p : this.term(p))),
      vars: undefined as number[] | undefined,
      multi: false,
      single: undefined,
    };
    const deps = dependencies(out as unknown as CTerm);
    out.vars = deps.vars;
    out.multi = deps.multi;
    this.terms.set(t, out as unknown as CTerm);
    return out as unknown as CTerm;
  }

  private fn(f: FnTarget): FnTarget {
    const hit = this.fns.get(f);
    if (hit) return hit;
    const a = f as AnyFn;
    const out = {
      kind: f.kind,
      name: f.name,
      decl: a.decl,
      path: a.path,
      ruleSet: a.ruleSet,
      arity: a.arity,
    } as unknown as FnTarget;
    this.fns.set(f, out);
    return out;
  }
}

/**
 * The slots a (normalized) term needs bound to have at most one value, and whether it has a
 * relation call that gives it several anyway: what isSingle would find walking the term.
 */
function dependencies(t: CTerm): { vars: number[]; multi: boolean } {
  let children: CTerm[];
  switch (t.t) {
    case "var":
      return { vars: [t.slot], multi: false };
    case "data":
    case "input":
      children = t.path;
      break;
    case "ref":
      children = [t.base, ...t.path];
      break;
    case "array":
    case "set":
      children = t.items;
      break;
    case "object":
      children = t.items.flat();
      break;
    case "call":
      children = t.args;
      break;
    default:
      // Constants, comprehensions and templates have exactly one value.
      return { vars: [], multi: false };
  }
  const vars = new Set<number>();
  let multi = t.t === "call" && t.fn.kind === "builtin" && t.fn.decl.kind === "relation";
  for (const c of children) {
    for (const v of c.vars ?? []) vars.add(v);
    if (c.multi) multi = true;
  }
  return { vars: [...vars], multi };
}
