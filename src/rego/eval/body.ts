/**
 * Rule and comprehension bodies. An expression with at most one solution (a test, `x := <single
 * value>`, a negation) is evaluated in a loop without a continuation; only expressions that may
 * have several solutions (`some x in xs`, references with unbound operands, relations) continue
 * through a closure. Variables such an expression binds are unbound again on the way out, as the
 * continuation-passing evaluator does, so callers see the same slot states.
 */
import type { CExpr, CTerm, DirectEvaluator } from "../compiler/ir.js";
import { equals, RegoObject, RegoSet, type Value } from "../value.js";
import { builtinResult, callFirst } from "./calls.js";
import { type EvalContext, tick } from "./context.js";
import { evalExpr, evalExprPositive, type K, type Slots } from "./evaluator.js";
import { allSingle, isSingle, singleValue, singleValues } from "./single.js";

/** A continuation that stops at the first solution: `evalExprPositive(..., STOP)` tells whether there is one. */
const STOP: K = () => true;

/** What the direct evaluation of one expression found. */
export const FAIL = 0;
export const PASS = 1;
/** The expression may have several solutions: evaluate it with a continuation. */
export const GENERATOR = 2;

/** Evaluates `body[i..]`, calling `k` for each solution. */
export function evalBody(ctx: EvalContext, body: CExpr[], i: number, slots: Slots, k: K): boolean {
  // The end of a body: what most continuations of a body's last generator come to.
  if (i === body.length) return k();
  // Slots bound by direct `x := v` expressions in this call, unbound before returning: a bit mask
  // for the first 31 slots (no allocation), a list for the others.
  let boundMask = 0;
  let boundHigh: number[] | undefined;
  let result = false;
  for (; ; i++) {
    if (i === body.length) {
      result = k();
      break;
    }
    const e = body[i] as CExpr;
    if (e.with.length > 0) {
      result = generate(ctx, body, i, slots, k);
      break;
    }
    tick(ctx);
    const outcome = direct(ctx, e, slots);
    if (outcome === PASS) continue;
    if (outcome === FAIL) break;
    if (outcome !== GENERATOR) {
      // A slot number (offset by GENERATOR + 1): the expression bound that variable.
      const slot = outcome - GENERATOR - 1;
      if (slot < 31) boundMask |= 1 << slot;
      else {
        boundHigh ??= [];
        boundHigh.push(slot);
      }
      continue;
    }
    result = generate(ctx, body, i, slots, k);
    break;
  }
  for (let slot = 0; boundMask !== 0; slot++, boundMask >>>= 1) if (boundMask & 1) slots[slot] = undefined;
  if (boundHigh) for (const slot of boundHigh) slots[slot] = undefined;
  return result;
}

/**
 * Runs `body` from its start while its expressions are direct (see `direct`), leaving their
 * bindings in place: for a rule's fresh slots, which the caller discards. Returns the index of the
 * first expression that needs a continuation (see `generate`), body.length when all passed, or
 * -1 when one failed.
 */
export function directPrefix(ctx: EvalContext, body: CExpr[], slots: Slots): number {
  for (let i = 0; i < body.length; i++) {
    const e = body[i] as CExpr;
    if (e.with.length > 0) return i;
    tick(ctx);
    const outcome = direct(ctx, e, slots);
    if (outcome === FAIL) return -1;
    if (outcome === GENERATOR) return i;
  }
  return body.length;
}

/**
 * Evaluates `body[i]`, one that `direct` left alone (nothing of it evaluated yet), continuing
 * with the rest of the body for each of its solutions.
 */
export function generate(ctx: EvalContext, body: CExpr[], i: number, slots: Slots, k: K): boolean {
  const e = body[i] as CExpr;
  const next = i + 1;
  // The last expression continues straight with `k` (what evalBody would call), without a closure.
  const rest = next === body.length ? k : (): boolean => evalBody(ctx, body, next, slots, k);
  if (e.with.length > 0) return evalExpr(ctx, e, slots, rest);
  if (e.kind === "somein" && someInDirectly(e, slots)) return someIn(ctx, e, slots, rest);
  // (evalExpr would count a second step for it; `direct` already did.)
  return evalExprPositive(ctx, e, slots, rest);
}

/**
 * Binds function parameters that are all variables or constants to the arguments: PASS or FAIL;
 * GENERATOR (nothing bound) when a parameter is a pattern to unify.
 */
export function bindParams(params: CTerm[], args: Value[], slots: Slots): number {
  for (const p of params) if (p.t !== "var" && p.t !== "const") return GENERATOR;
  for (let i = 0; i < params.length; i++) {
    if (bindOrCompare(params[i] as CTerm & { t: "var" | "const" }, args[i] as Value, slots) === FAIL) return FAIL;
  }
  return PASS;
}

/**
 * Evaluates an expression that has at most one solution: FAIL, PASS, or GENERATOR + 1 + slot
 * after binding that slot. GENERATOR when it may have several solutions (nothing evaluated yet).
 */
function direct(ctx: EvalContext, e: CExpr, slots: Slots): number {
  const f = e.direct;
  if (f !== undefined) return f(ctx, slots);
  e.direct = compileDirect(e);
  return e.direct(ctx, slots);
}

/**
 * `direct` for one expression, with what depends only on the expression (its kind, negation,
 * call target, output pattern) decided once; what depends on bindings is still checked per call.
 */
function compileDirect(e: CExpr): DirectEvaluator {
  if (e.negated) {
    if (e.kind === "term") {
      const t = e.term;
      return (ctx, slots) => {
        if (isSingle(t, slots)) return truthy(singleValue(ctx, t, slots)) ? FAIL : PASS;
        return evalExprPositive(ctx, e, slots, STOP) ? FAIL : PASS;
      };
    }
    // Bindings made while looking for a solution are undone by the evaluator.
    return (ctx, slots) => (evalExprPositive(ctx, e, slots, STOP) ? FAIL : PASS);
  }
  switch (e.kind) {
    case "term": {
      const t = e.term;
      return (ctx, slots) => {
        if (!isSingle(t, slots)) return GENERATOR;
        return truthy(singleValue(ctx, t, slots)) ? PASS : FAIL;
      };
    }
    case "call": {
      const fn = e.fn;
      if (fn.kind === "special" || (fn.kind === "builtin" && fn.decl.kind === "relation")) return generator;
      const out = e.out;
      if (out !== undefined && out.t !== "var" && out.t !== "const") return generator;
      const name = fn.name;
      const args = e.args;
      const loc = e.loc;
      return (ctx, slots) => {
        if (ctx.fnOverrides?.has(name)) return GENERATOR;
        if (!allSingle(args, slots)) return GENERATOR;
        const vs = singleValues(ctx, args, slots);
        if (vs === undefined) return FAIL;
        // Not replaced by `with` (checked above), and a builtin here is a function, not a relation.
        const result = fn.kind === "builtin" ? builtinResult(ctx, fn, vs, loc) : callFirst(ctx, fn, vs, loc, slots);
        if (result === undefined) return FAIL;
        if (out === undefined) return result === false ? FAIL : PASS;
        return bindOrCompare(out, result, slots);
      };
    }
    case "unify": {
      const a = e.a;
      const b = e.b;
      return (ctx, slots) => unifyDirect(ctx, a, b, slots);
    }
    case "every": {
      const domain = e.domain;
      // A test: it binds nothing outside its own body.
      return (ctx, slots) => {
        if (!isSingle(domain, slots)) return GENERATOR;
        return evalExprPositive(ctx, e, slots, STOP) ? PASS : FAIL;
      };
    }
    default:
      return generator;
  }
}

const generator: DirectEvaluator = () => GENERATOR;

function truthy(v: Value | undefined): boolean {
  return v !== undefined && v !== false;
}

/** Unifies a variable or constant pattern with a value; see `direct` for the result. */
function bindOrCompare(p: CTerm & { t: "var" | "const" }, v: Value, slots: Slots): number {
  if (p.t === "const") return equals(p.v, v) ? PASS : FAIL;
  const cur = slots[p.slot];
  if (cur !== undefined) return equals(cur, v) ? PASS : FAIL;
  slots[p.slot] = v;
  return GENERATOR + 1 + p.slot;
}

/**
 * `a = b` where one side is an unbound variable and the other single-valued, or both sides are
 * single-valued (and `b` is no array or object pattern, which unify element by element).
 */
function unifyDirect(ctx: EvalContext, a: CTerm, b: CTerm, slots: Slots): number {
  if (a.t === "var" && slots[a.slot] === undefined) {
    if (!isSingle(b, slots)) return GENERATOR;
    const v = singleValue(ctx, b, slots);
    return v === undefined ? FAIL : bindOrCompare(a, v, slots);
  }
  if (!isSingle(a, slots)) return GENERATOR;
  if (b.t === "var" && slots[b.slot] === undefined) {
    const v = singleValue(ctx, a, slots);
    return v === undefined ? FAIL : bindOrCompare(b, v, slots);
  }
  if (b.t === "array" || b.t === "object" || !isSingle(b, slots)) return GENERATOR;
  const va = singleValue(ctx, a, slots);
  if (va === undefined) return FAIL;
  const vb = singleValue(ctx, b, slots);
  return vb !== undefined && equals(va, vb) ? PASS : FAIL;
}

/** `some k, v in xs` with a single-valued domain and variable or constant patterns. */
function someInDirectly(e: CExpr & { kind: "somein" }, slots: Slots): boolean {
  const simple = (p: CTerm | undefined): boolean => p === undefined || p.t === "var" || p.t === "const";
  return simple(e.key) && simple(e.value) && isSingle(e.domain, slots);
}

/** Enumerates `some k, v in xs` (see someInDirectly), calling `k` with each member bound. */
function someIn(ctx: EvalContext, e: CExpr & { kind: "somein" }, slots: Slots, k: K): boolean {
  const domain = singleValue(ctx, e.domain, slots);
  if (domain === undefined) return false;
  const keyPattern = e.key as SimplePattern | undefined;
  const valuePattern = e.value as SimplePattern;
  // Each member counts as a step: a loop that ends a body never reaches another tick, and nested
  // loops over attacker-sized input must still meet the deadline.
  if (Array.isArray(domain)) {
    for (let i = 0; i < domain.length; i++) {
      tick(ctx);
      if (member(keyPattern, valuePattern, i, domain[i] as Value, slots, k)) return true;
    }
  } else if (domain instanceof RegoObject) {
    for (const [key, val] of domain) {
      tick(ctx);
      if (member(keyPattern, valuePattern, key, val, slots, k)) return true;
    }
  } else if (domain instanceof RegoSet) {
    for (const x of domain) {
      tick(ctx);
      if (member(keyPattern, valuePattern, x, x, slots, k)) return true;
    }
  }
  return false;
}

type SimplePattern = CTerm & { t: "var" | "const" };

/** One member of someIn: binds the patterns, calls `k`, unbinds. */
function member(
  keyPattern: SimplePattern | undefined,
  valuePattern: SimplePattern,
  key: Value,
  val: Value,
  slots: Slots,
  k: K,
): boolean {
  let keySlot = -1;
  if (keyPattern) {
    const r = bindOrCompare(keyPattern, key, slots);
    if (r === FAIL) return false;
    if (r !== PASS) keySlot = r - GENERATOR - 1;
  }
  let stop = false;
  const r = bindOrCompare(valuePattern, val, slots);
  if (r !== FAIL) {
    stop = k();
    if (r !== PASS) slots[r - GENERATOR - 1] = undefined;
  }
  if (keySlot >= 0) slots[keySlot] = undefined;
  return stop;
}
