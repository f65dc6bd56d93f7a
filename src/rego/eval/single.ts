/**
 * Direct evaluation of single-valued terms: most terms in a policy (constants, bound variables,
 * `input.x.y`, rule references like `data.pkg.rule`, calls of functions on such terms) have at
 * most one value, and computing it as a plain return value avoids the continuation closures of
 * the general evaluator. The results, evaluation order and errors are those of `evalTerm`.
 */
import type { CTerm, SingleEvaluator } from "../compiler/ir.js";
import { RegoObject, RegoSet, type Value } from "../value.js";
import { callFirst } from "./calls.js";
import type { EvalContext } from "./context.js";
import { dataSingle, evalDataRef } from "./documents.js";
import { childOf, firstValue, type Slots } from "./evaluator.js";

/** Can evaluating `t` give more than one value (an unbound reference operand, a relation)? If not, true. */
export function isSingle(t: CTerm, slots: Slots): boolean {
  if ((t as { ground?: boolean }).ground === true) return true;
  const vars = t.vars;
  // Terms the compiler did not prepare (see compiler/shapes.ts) are walked.
  if (vars === undefined) return isSingleWalk(t, slots);
  if (t.multi === true) return false;
  for (let i = 0; i < vars.length; i++) if (slots[vars[i] as number] === undefined) return false;
  return true;
}

function isSingleWalk(t: CTerm, slots: Slots): boolean {
  switch (t.t) {
    case "const":
      return true;
    case "var":
      return slots[t.slot] !== undefined;
    case "data":
    case "input":
      return t.ground === true || allSingle(t.path, slots);
    case "ref":
      return t.ground === true || (isSingle(t.base, slots) && allSingle(t.path, slots));
    case "array":
    case "set":
      return t.ground === true || allSingle(t.items, slots);
    case "object":
      if (t.ground) return true;
      for (const [key, v] of t.items) if (!isSingle(key, slots) || !isSingle(v, slots)) return false;
      return true;
    case "call":
      if (t.ground) return true;
      return !(t.fn.kind === "builtin" && t.fn.decl.kind === "relation") && allSingle(t.args, slots);
    default:
      // Comprehensions and templates have exactly one value.
      return true;
  }
}

/** Are all of `ts` single-valued (see isSingle)? */
export function allSingle(ts: CTerm[], slots: Slots): boolean {
  for (let i = 0; i < ts.length; i++) if (!isSingle(ts[i] as CTerm, slots)) return false;
  return true;
}

/** The value of a single-valued term (see isSingle), or undefined. */
export function singleValue(ctx: EvalContext, t: CTerm, slots: Slots): Value | undefined {
  const f = t.single;
  if (f !== undefined) return f(ctx, slots);
  if (t.vars === undefined) return singleValueWalk(ctx, t, slots);
  t.single = compileSingle(t);
  return t.single(ctx, slots);
}

/** singleValue for a term the compiler did not prepare. */
function singleValueWalk(ctx: EvalContext, t: CTerm, slots: Slots): Value | undefined {
  switch (t.t) {
    case "const":
      return t.v;
    case "var":
      return slots[t.slot];
    case "input":
      return ctx.input === undefined ? undefined : walkSingle(ctx, ctx.input, t.path, 0, slots);
    case "data": {
      if (!ctx.dataOverrides) return dataSingle(ctx, t, slots);
      // `with data...` scopes take the general walk, which knows about the replaced paths.
      let out: Value | undefined;
      evalDataRef(ctx, t, slots, (v) => {
        out = v;
        return true;
      });
      return out;
    }
    case "ref": {
      const base = singleValue(ctx, t.base, slots);
      return base === undefined ? undefined : walkSingle(ctx, base, t.path, 0, slots);
    }
    case "call": {
      if (t.fn.kind === "special" && t.fn.name === "print") return firstValue(ctx, t, slots);
      const args = singleValues(ctx, t.args, slots);
      return args === undefined ? undefined : callFirst(ctx, t.fn, args, t.loc, slots);
    }
    case "array":
      return singleValues(ctx, t.items, slots);
    case "set": {
      const items = singleValues(ctx, t.items, slots);
      return items === undefined ? undefined : new RegoSet(items);
    }
    case "object": {
      const entries: Value[] = new Array(t.items.length * 2);
      for (let i = 0; i < t.items.length; i++) {
        const [kt, vt] = t.items[i] as [CTerm, CTerm];
        const key = singleValue(ctx, kt, slots);
        if (key === undefined) return undefined;
        const val = singleValue(ctx, vt, slots);
        if (val === undefined) return undefined;
        entries[2 * i] = key;
        entries[2 * i + 1] = val;
      }
      const obj = new RegoObject();
      for (let i = 0; i < entries.length; i += 2) obj.set(entries[i] as Value, entries[i + 1] as Value);
      return obj;
    }
    default:
      return firstValue(ctx, t, slots);
  }
}

/** The values of single-valued terms, in order; undefined as soon as one is undefined. */
export function singleValues(ctx: EvalContext, ts: CTerm[], slots: Slots): Value[] | undefined {
  const vs: Value[] = new Array(ts.length);
  for (let i = 0; i < ts.length; i++) {
    const v = singleValue(ctx, ts[i] as CTerm, slots);
    if (v === undefined) return undefined;
    vs[i] = v;
  }
  return vs;
}

/** Walks the single-valued operands `path[i..]` below `v`. */
export function walkSingle(ctx: EvalContext, v: Value, path: CTerm[], i: number, slots: Slots): Value | undefined {
  let cur: Value | undefined = v;
  for (; i < path.length && cur !== undefined; i++) {
    const key = singleValue(ctx, path[i] as CTerm, slots);
    if (key === undefined) return undefined;
    cur = childOf(cur, key);
  }
  return cur;
}

/** The evaluator of a single-valued subterm. */
function evaluatorOf(t: CTerm): SingleEvaluator {
  if (t.single !== undefined) return t.single;
  if (t.vars === undefined) return (ctx, slots) => singleValueWalk(ctx, t, slots);
  t.single = compileSingle(t);
  return t.single;
}

/**
 * Compiles a prepared term into a closure computing what singleValueWalk computes (same order of
 * evaluation, same results), without dispatching on the term's kind at every evaluation.
 */
function compileSingle(t: CTerm): SingleEvaluator {
  switch (t.t) {
    case "const": {
      const v = t.v;
      return () => v;
    }
    case "var": {
      const slot = t.slot;
      return (_ctx, slots) => slots[slot];
    }
    case "input": {
      const walk = compileWalk(t.path);
      return (ctx, slots) => (ctx.input === undefined ? undefined : walk(ctx, ctx.input, slots));
    }
    case "data":
      return (ctx, slots) => (ctx.dataOverrides ? singleValueWalk(ctx, t, slots) : dataSingle(ctx, t, slots));
    case "ref": {
      const base = evaluatorOf(t.base);
      const walk = compileWalk(t.path);
      return (ctx, slots) => {
        const b = base(ctx, slots);
        return b === undefined ? undefined : walk(ctx, b, slots);
      };
    }
    case "call": {
      const fn = t.fn;
      if (fn.kind === "special" && fn.name === "print") return (ctx, slots) => firstValue(ctx, t, slots);
      const loc = t.loc;
      const args = t.args.map(evaluatorOf);
      if (args.length === 1) {
        const a0 = args[0] as SingleEvaluator;
        return (ctx, slots) => {
          const v0 = a0(ctx, slots);
          return v0 === undefined ? undefined : callFirst(ctx, fn, [v0], loc, slots);
        };
      }
      if (args.length === 2) {
        const [a0, a1] = args as [SingleEvaluator, SingleEvaluator];
        return (ctx, slots) => {
          const v0 = a0(ctx, slots);
          if (v0 === undefined) return undefined;
          const v1 = a1(ctx, slots);
          return v1 === undefined ? undefined : callFirst(ctx, fn, [v0, v1], loc, slots);
        };
      }
      return (ctx, slots) => {
        const vs = valuesOf(args, ctx, slots);
        return vs === undefined ? undefined : callFirst(ctx, fn, vs, loc, slots);
      };
    }
    case "array": {
      const items = t.items.map(evaluatorOf);
      return (ctx, slots) => valuesOf(items, ctx, slots);
    }
    default:
      return (ctx, slots) => singleValueWalk(ctx, t, slots);
  }
}

/** The values of evaluators, in order; undefined as soon as one is undefined. */
function valuesOf(fs: SingleEvaluator[], ctx: EvalContext, slots: Slots): Value[] | undefined {
  const vs: Value[] = new Array(fs.length);
  for (let i = 0; i < fs.length; i++) {
    const v = (fs[i] as SingleEvaluator)(ctx, slots);
    if (v === undefined) return undefined;
    vs[i] = v;
  }
  return vs;
}

type PathWalk = (ctx: EvalContext, v: Value, slots: Slots) => Value | undefined;

/** Compiles walkSingle over a whole path; constant operands are looked up without evaluation. */
function compileWalk(path: CTerm[]): PathWalk {
  if (path.every((p) => p.t === "const")) {
    const keys = path.map((p) => (p as { v: Value }).v);
    if (keys.length === 1) {
      const k0 = keys[0] as Value;
      return (_ctx, v) => childOf(v, k0);
    }
    if (keys.length === 2) {
      const [k0, k1] = keys as [Value, Value];
      return (_ctx, v) => {
        const c = childOf(v, k0);
        return c === undefined ? undefined : childOf(c, k1);
      };
    }
    return (_ctx, v) => {
      let cur: Value | undefined = v;
      for (let i = 0; i < keys.length && cur !== undefined; i++) cur = childOf(cur, keys[i] as Value);
      return cur;
    };
  }
  const steps = path.map(evaluatorOf);
  return (ctx, v, slots) => {
    let cur: Value | undefined = v;
    for (let i = 0; i < steps.length && cur !== undefined; i++) {
      const key = (steps[i] as SingleEvaluator)(ctx, slots);
      if (key === undefined) return undefined;
      cur = childOf(cur, key);
    }
    return cur;
  };
}
