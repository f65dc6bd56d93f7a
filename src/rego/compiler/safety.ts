/**
 * Safety: orders each body so that every variable is bound before it is read, and reports
 * `rego_unsafe_var_error` for variables nothing can bind. Nested bodies (comprehensions,
 * `every`) are ordered with what is bound where they stand.
 */
import { type Location, RegoError } from "../errors.js";
import type { CExpr, CRule, CTerm } from "./ir.js";

type Slots = Set<number>;

/** Variables a term needs bound to be evaluated as a value (ref operands that are plain vars are outputs). */
function inputs(t: CTerm, out: Slots): void {
  switch (t.t) {
    case "const":
      return;
    case "var":
      out.add(t.slot);
      return;
    case "data":
    case "input":
      for (const p of t.path) pathInputs(p, out);
      return;
    case "ref":
      inputs(t.base, out);
      for (const p of t.path) pathInputs(p, out);
      return;
    case "array":
    case "set":
      for (const i of t.items) inputs(i, out);
      return;
    case "object":
      for (const [k, v] of t.items) {
        inputs(k, out);
        inputs(v, out);
      }
      return;
    case "arraycomp":
    case "setcomp":
    case "objectcomp":
      for (const s of t.closure) out.add(s);
      return;
    case "call":
      for (const a of t.args) inputs(a, out);
      return;
    case "template":
      for (const p of t.parts) if (typeof p !== "string") inputs(p, out);
      return;
  }
}

/** Inputs of a reference operand: variables in (nested) array/object patterns are bound by iteration. */
function pathInputs(p: CTerm, out: Slots): void {
  if (p.t === "var") return;
  if (p.t === "array") {
    for (const i of p.items) pathInputs(i, out);
    return;
  }
  if (p.t === "object") {
    for (const [k, v] of p.items) {
      inputs(k, out);
      pathInputs(v, out);
    }
    return;
  }
  inputs(p, out);
}

/** Variables a reference operand binds by iteration. */
function pathOutputs(p: CTerm, out: Slots): void {
  if (p.t === "var") out.add(p.slot);
  else if (p.t === "array") for (const i of p.items) pathOutputs(i, out);
  else if (p.t === "object") for (const [, v] of p.items) pathOutputs(v, out);
  else refOutputs(p, out);
}

/** Plain variables in reference operand positions: evaluation binds them by iteration. */
function refOutputs(t: CTerm, out: Slots): void {
  switch (t.t) {
    case "data":
    case "input":
    case "ref":
      if (t.t === "ref") refOutputs(t.base, out);
      for (const p of t.path) pathOutputs(p, out);
      return;
    case "array":
    case "set":
      for (const i of t.items) refOutputs(i, out);
      return;
    case "object":
      for (const [k, v] of t.items) {
        refOutputs(k, out);
        refOutputs(v, out);
      }
      return;
    case "call":
      for (const a of t.args) refOutputs(a, out);
      return;
    default:
      return;
  }
}

/** All variables occurring in a term (closure variables for nested bodies). */
export function allVars(t: CTerm, out: Slots): void {
  inputs(t, out);
  refOutputs(t, out);
}

function subset(a: Slots, bound: Slots): boolean {
  for (const x of a) if (!bound.has(x)) return false;
  return true;
}

function evaluable(t: CTerm, bound: Slots): boolean {
  const need = new Set<number>();
  inputs(t, need);
  // A ref operand var is fine unbound, but the ref's own inputs need binding.
  return subset(need, bound);
}

function isPattern(t: CTerm): boolean {
  return t.t === "var" || t.t === "array" || t.t === "object";
}

/**
 * Outputs of unifying `a` with `b` given `bound`, or undefined when not yet possible.
 */
function unifyOutputs(a: CTerm, b: CTerm, bound: Slots): Slots | undefined {
  if (evaluable(a, bound) && evaluable(b, bound)) {
    const out = new Set<number>();
    refOutputs(a, out);
    refOutputs(b, out);
    return out;
  }
  if (a.t === "array" && b.t === "array" && a.items.length === b.items.length) {
    return pairwise(
      a.items.map((x, i) => [x, b.items[i] as CTerm]),
      bound,
    );
  }
  if (a.t === "object" && b.t === "object" && a.items.length === b.items.length) {
    const pairs: [CTerm, CTerm][] = [];
    for (const [k, v] of a.items) {
      const match = b.items.find(([k2]) => k.t === "const" && k2.t === "const" && sameConst(k.v, k2.v));
      if (!match) break;
      pairs.push([v, match[1]]);
    }
    if (pairs.length === a.items.length) return pairwise(pairs, bound);
  }
  for (const [p, v] of [
    [a, b],
    [b, a],
  ] as [CTerm, CTerm][]) {
    if (isPattern(p) && evaluable(v, bound)) {
      const out = patternOutputs(p, bound);
      if (!out) continue;
      refOutputs(v, out);
      return out;
    }
  }
  return undefined;
}

function sameConst(a: unknown, b: unknown): boolean {
  return a === b;
}

/** Variables a pattern binds when matched against a value, or undefined if part of it can't be evaluated. */
function patternOutputs(p: CTerm, bound: Slots): Slots | undefined {
  const out = new Set<number>();
  const walk = (t: CTerm): boolean => {
    switch (t.t) {
      case "var":
        if (!bound.has(t.slot)) out.add(t.slot);
        return true;
      case "array":
        return t.items.every(walk);
      case "object":
        return t.items.every(([k, v]) => evaluable(k, bound) && walk(v));
      default:
        if (!evaluable(t, bound)) return false;
        refOutputs(t, out);
        return true;
    }
  };
  return walk(p) ? out : undefined;
}

function pairwise(pairs: [CTerm, CTerm][], bound: Slots): Slots | undefined {
  const local = new Set(bound);
  const out = new Set<number>();
  let pending = pairs;
  while (pending.length > 0) {
    const next: [CTerm, CTerm][] = [];
    for (const [x, y] of pending) {
      const o = unifyOutputs(x, y, local);
      if (!o) next.push([x, y]);
      else
        for (const s of o) {
          local.add(s);
          out.add(s);
        }
    }
    if (next.length === pending.length) return undefined;
    pending = next;
  }
  return out;
}

/** Variables an expression would bind if evaluated now, or undefined when it can't run yet. */
function exprOutputs(e: CExpr, bound: Slots, isWildcard: (slot: number) => boolean): Slots | undefined {
  for (const w of e.with) if (!evaluable(w.value, bound)) return undefined;
  if (e.negated) {
    // A negation binds nothing: its variables must be bound before it, but for wildcards (`not p[_]`).
    for (const v of exprVars(e)) if (!bound.has(v) && !isWildcard(v)) return undefined;
    return new Set();
  }
  switch (e.kind) {
    case "term": {
      if (!evaluable(e.term, bound)) return undefined;
      const out = new Set<number>();
      refOutputs(e.term, out);
      return out;
    }
    case "call": {
      const out = new Set<number>();
      for (const a of e.args) refOutputs(a, out);
      // An argument may read a variable another argument's reference binds (`x == xs[x]`).
      const withOut = new Set([...bound, ...out]);
      for (const a of e.args) if (!evaluable(a, withOut)) return undefined;
      if (e.out) {
        const o = evaluable(e.out, bound) ? new Set<number>() : patternOutputs(e.out, bound);
        if (!o) return undefined;
        refOutputs(e.out, out);
        for (const s of o) out.add(s);
      }
      return out;
    }
    case "unify":
      return unifyOutputs(e.a, e.b, bound);
    case "somein": {
      if (!evaluable(e.domain, bound)) return undefined;
      const out = new Set<number>();
      refOutputs(e.domain, out);
      for (const p of e.key ? [e.key, e.value] : [e.value]) {
        const o = patternOutputs(p, bound);
        if (!o) return undefined;
        for (const s of o) out.add(s);
      }
      return out;
    }
    case "every": {
      if (!evaluable(e.domain, bound)) return undefined;
      if (!subset(new Set(e.closure), bound)) return undefined;
      return new Set();
    }
  }
}

/** Every variable occurring in an expression (not counting locals of nested bodies). */
export function exprVars(e: CExpr): Slots {
  const out = new Set<number>();
  for (const w of e.with) allVars(w.value, out);
  switch (e.kind) {
    case "term":
      allVars(e.term, out);
      break;
    case "call":
      for (const a of e.args) allVars(a, out);
      if (e.out) allVars(e.out, out);
      break;
    case "unify":
      allVars(e.a, out);
      allVars(e.b, out);
      break;
    case "somein":
      if (e.key) allVars(e.key, out);
      allVars(e.value, out);
      allVars(e.domain, out);
      break;
    case "every":
      allVars(e.domain, out);
      for (const s of e.closure) out.add(s);
      break;
  }
  return out;
}

/** Orders a body in place given the variables bound on entry; returns what it binds. Throws on unsafe vars. */
export function orderBody(body: CExpr[], bound: Slots, names: readonly string[], loc: Location): Slots {
  const isWildcard = (slot: number): boolean => names[slot]?.startsWith("_$") ?? false;
  const local = new Set(bound);
  const pending = [...body];
  const ordered: CExpr[] = [];
  while (pending.length > 0) {
    let progressed = false;
    for (let i = 0; i < pending.length; i++) {
      const e = pending[i] as CExpr;
      const out = exprOutputs(e, local, isWildcard);
      if (!out) continue;
      orderNested(e, local, names);
      for (const s of out) local.add(s);
      ordered.push(e);
      pending.splice(i, 1);
      progressed = true;
      break;
    }
    if (!progressed) {
      const e = pending[0] as CExpr;
      const unsafe = [...exprVars(e)].filter((s) => !local.has(s));
      throw unsafeError(unsafe, names, e.loc ?? loc);
    }
  }
  body.splice(0, body.length, ...ordered);
  return local;
}

function unsafeError(slots: number[], names: readonly string[], loc: Location): RegoError {
  const shown = slots.map((s) => names[s] ?? `$${s}`).filter((n) => !n.startsWith("_$"));
  const name = shown[0] ?? "_";
  const errs = (shown.length ? shown : [name]).map(
    (n) => new RegoError("rego_unsafe_var_error", `var ${n} is unsafe`, loc),
  );
  return new RegoError("rego_unsafe_var_error", `var ${name} is unsafe`, loc, errs);
}

/** Orders the bodies nested in an expression's terms with the variables bound before it. */
function orderNested(e: CExpr, bound: Slots, names: readonly string[]): void {
  const visit = (t: CTerm | undefined): void => {
    if (!t) return;
    switch (t.t) {
      case "arraycomp":
      case "setcomp": {
        const inner = orderBody(t.body, bound, names, t.loc);
        requireEvaluable(t.head, inner, names, t.loc);
        return;
      }
      case "objectcomp": {
        const inner = orderBody(t.body, bound, names, t.loc);
        requireEvaluable(t.key, inner, names, t.loc);
        requireEvaluable(t.value, inner, names, t.loc);
        return;
      }
      case "data":
      case "input":
        t.path.forEach(visit);
        return;
      case "ref":
        visit(t.base);
        t.path.forEach(visit);
        return;
      case "array":
      case "set":
        t.items.forEach(visit);
        return;
      case "object":
        for (const [k, v] of t.items) {
          visit(k);
          visit(v);
        }
        return;
      case "call":
        t.args.forEach(visit);
        return;
      case "template":
        for (const p of t.parts) if (typeof p !== "string") visit(p);
        return;
      default:
        return;
    }
  };
  for (const w of e.with) visit(w.value);
  switch (e.kind) {
    case "term":
      visit(e.term);
      break;
    case "call":
      e.args.forEach(visit);
      visit(e.out);
      break;
    case "unify":
      visit(e.a);
      visit(e.b);
      break;
    case "somein":
      visit(e.domain);
      break;
    case "every": {
      visit(e.domain);
      const inner = new Set(bound);
      for (const p of e.key ? [e.key, e.value] : [e.value]) {
        const vs = new Set<number>();
        allVars(p, vs);
        for (const v of vs) inner.add(v);
      }
      orderBody(e.body, inner, names, e.loc);
      break;
    }
  }
}

/** Throws unless `t` can be evaluated (reference operands may still iterate). */
function requireEvaluable(t: CTerm, bound: Slots, names: readonly string[], loc: Location): void {
  const vs = new Set<number>();
  inputs(t, vs);
  const unsafe = [...vs].filter((s) => !bound.has(s));
  if (unsafe.length > 0) throw unsafeError(unsafe, names, loc);
}

/** Orders a rule's body (and else chain) and checks its head. */
export function checkRule(rule: CRule, names: readonly string[]): void {
  for (let r: CRule | undefined = rule; r; r = r.else) {
    const bound = new Set<number>();
    for (const a of r.args ?? []) allVars(a, bound);
    const after = orderBody(r.body, bound, names, r.loc);
    for (const t of [...r.refTail, r.key, r.value]) if (t) requireEvaluable(t, after, names, r.loc);
    r.nslots = names.length;
  }
}
