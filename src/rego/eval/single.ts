/**
 * Direct evaluation of single-valued terms: most terms in a policy (constants, bound variables,
 * `input.x.y`, rule references like `data.pkg.rule`, calls of functions on such terms) have at
 * most one value, and computing it as a plain return value avoids the continuation closures of
 * the general evaluator. The results, evaluation order and errors are those of `evalTerm`.
 */
import type { CTerm } from "../compiler/ir.js";
import { RegoObject, RegoSet, type Value } from "../value.js";
import { callFirst } from "./calls.js";
import type { EvalContext } from "./context.js";
import { dataSingle, evalDataRef } from "./documents.js";
import { childOf, firstValue, type Slots } from "./evaluator.js";

/** Can evaluating `t` give more than one value (an unbound reference operand, a relation)? If not, true. */
export function isSingle(t: CTerm, slots: Slots): boolean {
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
