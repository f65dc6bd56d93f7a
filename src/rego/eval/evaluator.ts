/**
 * The evaluator: expressions, terms and unification in continuation-passing style (bodies are in
 * body.ts, single-valued terms are computed directly by single.ts). A continuation returns `true`
 * to stop the enumeration (used by `not`, `every` and early exits). Variables live in a per-rule
 * slot array; a binding is undone when its continuation returns.
 */
import type { CExpr, CTerm, CWith } from "../compiler/ir.js";
import { RegoError } from "../errors.js";
import { formatValue } from "../format.js";
import { equals, RegoObject, RegoSet, type Value } from "../value.js";
import { evalBody } from "./body.js";
import { callFunction } from "./calls.js";
import { type EvalContext, type FnOverride, pathKey, tick } from "./context.js";
import { evalDataRef } from "./documents.js";
import { allSingle, isSingle, singleValue, singleValues } from "./single.js";

export type Slots = (Value | undefined)[];
export type K = () => boolean;
export type VK = (v: Value) => boolean;

/** Evaluates one expression (negation and `with` included). */
export function evalExpr(ctx: EvalContext, e: CExpr, slots: Slots, k: K): boolean {
  tick(ctx);
  if (e.with.length > 0) {
    const inner = applyWith(ctx, e.with, slots);
    if (!inner) return false;
    return evalExprNegatable(inner, e, slots, k);
  }
  return evalExprNegatable(ctx, e, slots, k);
}

function evalExprNegatable(ctx: EvalContext, e: CExpr, slots: Slots, k: K): boolean {
  if (!e.negated) return evalExprPositive(ctx, e, slots, k);
  // The positive form returns true exactly when its continuation was called (and stopped it).
  return evalExprPositive(ctx, e, slots, stop) ? false : k();
}

const stop: K = () => true;

/** Evaluates an expression ignoring its negation (`with` already applied). */
export function evalExprPositive(ctx: EvalContext, e: CExpr, slots: Slots, k: K): boolean {
  switch (e.kind) {
    case "term":
      return evalTerm(ctx, e.term, slots, (v) => (v === false ? false : k()));
    case "unify":
      return unify(ctx, e.a, e.b, slots, k);
    case "call":
      if (e.fn.kind === "special" && e.fn.name === "print") return evalPrint(ctx, e.args, slots) && k();
      return evalTerms(ctx, e.args, slots, (args) =>
        callFunction(ctx, e.fn, args, e.loc, slots, (result) => {
          if (e.out) return unifyValue(ctx, e.out, result, slots, k);
          return result === false ? false : k();
        }),
      );
    case "somein":
      return evalTerm(ctx, e.domain, slots, (dv) =>
        forEachMember(dv, (key, val) =>
          e.key
            ? unifyValue(ctx, e.key, key, slots, () => unifyValue(ctx, e.value, val, slots, k))
            : unifyValue(ctx, e.value, val, slots, k),
        ),
      );
    case "every":
      return evalTerm(ctx, e.domain, slots, (dv) => {
        if (dv === null || typeof dv !== "object") return false;
        let all = true;
        forEachMember(dv, (key, val) => {
          let ok = false;
          const bodyK = (): boolean =>
            evalBody(ctx, e.body, 0, slots, () => {
              ok = true;
              return true;
            });
          if (e.key) unifyValue(ctx, e.key, key, slots, () => unifyValue(ctx, e.value, val, slots, bodyK));
          else unifyValue(ctx, e.value, val, slots, bodyK);
          if (!ok) all = false;
          return !ok;
        });
        return all ? k() : false;
      });
  }
}

/** Iterates the members of a collection: arrays (index, item), objects (key, value), sets (item, item). */
export function forEachMember(v: Value, f: (key: Value, val: Value) => boolean): boolean {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (f(i, v[i] as Value)) return true;
    return false;
  }
  if (v instanceof RegoObject) {
    for (const [key, val] of v) if (f(key, val)) return true;
    return false;
  }
  if (v instanceof RegoSet) {
    for (const x of v) if (f(x, x)) return true;
  }
  return false;
}

/** Builds the context of an expression's `with` modifiers; undefined when a value is undefined. */
function applyWith(ctx: EvalContext, mods: CWith[], slots: Slots): EvalContext | undefined {
  let input = ctx.input;
  let data = ctx.data;
  let fnOverrides: Map<string, FnOverride> | undefined = ctx.fnOverrides;
  let dataOverrides: Map<string, Value> | undefined = ctx.dataOverrides;
  for (const w of mods) {
    let value: Value | undefined;
    if (!w.fnValue || w.target.kind !== "fn") {
      value = firstValue(ctx, w.value, slots);
      if (value === undefined) return undefined;
    }
    switch (w.target.kind) {
      case "input":
        input = w.target.path.length === 0 ? (value as Value) : setPath(input, w.target.path, value as Value);
        break;
      case "data":
        data = setPath(data, w.target.path, value as Value);
        dataOverrides = new Map(dataOverrides);
        dataOverrides.set(pathKey(w.target.path), value as Value);
        break;
      case "fn":
        fnOverrides = new Map(fnOverrides);
        fnOverrides.set(w.target.name, w.fnValue ? { fn: w.fnValue } : { value: value as Value });
        break;
    }
  }
  return {
    ...ctx,
    input,
    data,
    fnOverrides,
    dataOverrides,
    cache: new Array(ctx.policy.ruleSetCount),
    ruleStack: ctx.ruleStack,
  };
}

/** A copy of `doc` with `path` set to `value` (objects created on the way). */
function setPath(doc: Value | undefined, path: Value[], value: Value): Value {
  if (path.length === 0) return value;
  const [head, ...rest] = path as [Value, ...Value[]];
  const obj = new RegoObject(doc instanceof RegoObject ? doc.entries() : undefined);
  obj.set(head, setPath(obj.get(head), rest, value));
  return obj;
}

/** The first value of a term, or undefined. */
export function firstValue(ctx: EvalContext, t: CTerm, slots: Slots): Value | undefined {
  let out: Value | undefined;
  evalTerm(ctx, t, slots, (v) => {
    out = v;
    return true;
  });
  return out;
}

/** Evaluates a term, calling `k` with each of its values. */
export function evalTerm(ctx: EvalContext, t: CTerm, slots: Slots, k: VK): boolean {
  switch (t.t) {
    case "const":
      return k(t.v);
    case "var": {
      const v = slots[t.slot];
      if (v === undefined) throw new RegoError("eval_internal_error", `var ${t.name} is unbound`);
      return k(v);
    }
    case "data":
    case "input":
    case "ref": {
      // Most references have ground operands: compute their one value without continuations.
      if (isSingle(t, slots)) {
        const v = singleValue(ctx, t, slots);
        return v === undefined ? false : k(v);
      }
      if (t.t === "data") return evalDataRef(ctx, t, slots, k);
      if (t.t === "input") return ctx.input === undefined ? false : walkValue(ctx, ctx.input, t.path, 0, slots, k);
      return evalTerm(ctx, t.base, slots, (b) => walkValue(ctx, b, t.path, 0, slots, k));
    }
    case "array":
      return evalTerms(ctx, t.items, slots, (items) => k(items));
    case "set":
      return evalTerms(ctx, t.items, slots, (items) => k(new RegoSet(items)));
    case "object": {
      const flat: CTerm[] = [];
      for (const [kt, vt] of t.items) flat.push(kt, vt);
      return evalTerms(ctx, flat, slots, (vals) => {
        const obj = new RegoObject();
        for (let i = 0; i < vals.length; i += 2) obj.set(vals[i] as Value, vals[i + 1] as Value);
        return k(obj);
      });
    }
    case "arraycomp": {
      const out: Value[] = [];
      evalBody(ctx, t.body, 0, slots, () =>
        evalTerm(ctx, t.head, slots, (v) => {
          out.push(v);
          return false;
        }),
      );
      return k(out);
    }
    case "setcomp": {
      const out = new RegoSet();
      evalBody(ctx, t.body, 0, slots, () =>
        evalTerm(ctx, t.head, slots, (v) => {
          out.add(v);
          return false;
        }),
      );
      return k(out);
    }
    case "objectcomp": {
      const out = new RegoObject();
      evalBody(ctx, t.body, 0, slots, () =>
        evalTerm(ctx, t.key, slots, (key) =>
          evalTerm(ctx, t.value, slots, (val) => {
            const prev = out.get(key);
            if (prev !== undefined && !equals(prev, val)) {
              throw new RegoError("eval_conflict_error", "object keys must be unique", t.loc);
            }
            out.set(key, val);
            return false;
          }),
        ),
      );
      return k(out);
    }
    case "call":
      if (t.fn.kind === "special" && t.fn.name === "print") return evalPrint(ctx, t.args, slots) && k(true);
      return evalTerms(ctx, t.args, slots, (args) => callFunction(ctx, t.fn, args, t.loc, slots, k));
    case "template": {
      let s = "";
      for (const p of t.parts) {
        if (typeof p === "string") s += p;
        else {
          const v = firstValue(ctx, p, slots);
          s += v === undefined ? "<undefined>" : typeof v === "string" ? v : formatValue(v);
        }
      }
      return k(s);
    }
  }
}

/**
 * `print(...)`: like OPA, an operand that is undefined prints as `<undefined>` (rather than
 * making the call undefined), and one with several values prints as the set of them.
 */
function evalPrint(ctx: EvalContext, args: CTerm[], slots: Slots): true {
  const parts = args.map((a) => {
    const values: Value[] = [];
    evalTerm(ctx, a, slots, (v) => {
      values.push(v);
      return false;
    });
    if (values.length === 0) return "<undefined>";
    const v = values.length === 1 ? (values[0] as Value) : new RegoSet(values);
    return typeof v === "string" ? v : formatValue(v);
  });
  ctx.builtin.print(parts.join(" "));
  return true;
}

/** Evaluates a list of terms (each may have several values), calling `k` with each combination. */
export function evalTerms(ctx: EvalContext, ts: CTerm[], slots: Slots, k: (vs: Value[]) => boolean): boolean {
  // Fast path: terms with at most one value are computed directly, without a continuation each.
  if (allSingle(ts, slots)) {
    const vs = singleValues(ctx, ts, slots);
    return vs === undefined ? false : k(vs);
  }
  // Variables go last: another term's reference may bind them (`f(x, xs[x])`).
  const order: number[] = [];
  for (let i = 0; i < ts.length; i++) if ((ts[i] as CTerm).t !== "var") order.push(i);
  for (let i = 0; i < ts.length; i++) if ((ts[i] as CTerm).t === "var") order.push(i);
  const acc: Value[] = new Array(ts.length);
  const step = (j: number): boolean => {
    if (j === order.length) return k(acc.slice());
    const i = order[j] as number;
    return evalTerm(ctx, ts[i] as CTerm, slots, (v) => {
      acc[i] = v;
      return step(j + 1);
    });
  };
  return step(0);
}

/** The child of a collection at `key`, or undefined. */
export function childOf(v: Value, key: Value): Value | undefined {
  if (v instanceof RegoObject) return v.get(key);
  if (Array.isArray(v)) {
    if (typeof key !== "number" || !Number.isInteger(key) || key < 0 || key >= v.length) return undefined;
    return v[key];
  }
  if (v instanceof RegoSet) return v.has(key) ? key : undefined;
  return undefined;
}

/** Walks `path[i..]` below a value: ground operands look up, unbound variables iterate. */
export function walkValue(ctx: EvalContext, v: Value, path: CTerm[], i: number, slots: Slots, k: VK): boolean {
  let cur = v;
  for (; i < path.length; i++) {
    const p = path[i] as CTerm;
    let key: Value | undefined;
    if (p.t === "const") key = p.v;
    else if (p.t === "var") {
      key = slots[p.slot];
      if (key === undefined) {
        const slot = p.slot;
        const next = i + 1;
        return forEachMember(cur, (mk, mv) => {
          slots[slot] = mk;
          const r = walkValue(ctx, mv, path, next, slots, k);
          slots[slot] = undefined;
          return r;
        });
      }
    } else if (hasUnbound(p, slots)) {
      const next = i + 1;
      return forEachMember(cur, (mk, mv) =>
        unifyValue(ctx, p, mk, slots, () => walkValue(ctx, mv, path, next, slots, k)),
      );
    } else {
      const base = cur;
      const next = i + 1;
      return evalTerm(ctx, p, slots, (kv) => {
        const c = childOf(base, kv);
        return c === undefined ? false : walkValue(ctx, c, path, next, slots, k);
      });
    }
    const c = childOf(cur, key);
    if (c === undefined) return false;
    cur = c;
  }
  return k(cur);
}

/** Does a pattern term contain variables that are not bound yet (outside refs and calls)? */
export function hasUnbound(t: CTerm, slots: Slots): boolean {
  switch (t.t) {
    case "var":
      return slots[t.slot] === undefined;
    case "array":
    case "set":
      return t.items.some((x) => hasUnbound(x, slots));
    case "object":
      return t.items.some(([, x]) => hasUnbound(x, slots));
    default:
      return false;
  }
}

/** Unifies two terms. */
export function unify(ctx: EvalContext, a: CTerm, b: CTerm, slots: Slots, k: K): boolean {
  if (a.t === "array" && b.t === "array") {
    if (a.items.length !== b.items.length) return false;
    return unifyPairs(ctx, a.items, b.items, 0, slots, k);
  }
  if (hasUnbound(a, slots)) {
    if (hasUnbound(b, slots)) {
      if (a.t === "object" && b.t === "object") return unifyObjects(ctx, a, b, slots, k);
      throw new RegoError("eval_internal_error", "unification of two unbound patterns");
    }
    return evalTerm(ctx, b, slots, (v) => unifyValue(ctx, a, v, slots, k));
  }
  return evalTerm(ctx, a, slots, (v) => unifyValue(ctx, b, v, slots, k));
}

function unifyPairs(ctx: EvalContext, as: CTerm[], bs: CTerm[], i: number, slots: Slots, k: K): boolean {
  if (i === as.length) return k();
  // Pairs that can't run yet wait for the bindings of later pairs.
  const a = as[i] as CTerm;
  const b = bs[i] as CTerm;
  if (hasUnbound(a, slots) && hasUnbound(b, slots) && !(a.t === "array" && b.t === "array")) {
    for (let j = i + 1; j < as.length; j++) {
      const aj = as[j] as CTerm;
      const bj = bs[j] as CTerm;
      if (!(hasUnbound(aj, slots) && hasUnbound(bj, slots))) {
        const as2 = [...as];
        const bs2 = [...bs];
        as2[i] = aj;
        as2[j] = a;
        bs2[i] = bj;
        bs2[j] = b;
        return unifyPairs(ctx, as2, bs2, i, slots, k);
      }
    }
  }
  return unify(ctx, a, b, slots, () => unifyPairs(ctx, as, bs, i + 1, slots, k));
}

function unifyObjects(
  ctx: EvalContext,
  a: Extract<CTerm, { t: "object" }>,
  b: Extract<CTerm, { t: "object" }>,
  slots: Slots,
  k: K,
): boolean {
  if (a.items.length !== b.items.length) return false;
  const as: CTerm[] = [];
  const bs: CTerm[] = [];
  for (const [ka, va] of a.items) {
    const kav = firstValue(ctx, ka, slots);
    const match = b.items.find(([kb]) => {
      const kbv = firstValue(ctx, kb, slots);
      return kav !== undefined && kbv !== undefined && equals(kav, kbv);
    });
    if (!match) return false;
    as.push(va);
    bs.push(match[1]);
  }
  return unifyPairs(ctx, as, bs, 0, slots, k);
}

/** Unifies a (pattern) term with a value. */
export function unifyValue(ctx: EvalContext, p: CTerm, v: Value, slots: Slots, k: K): boolean {
  switch (p.t) {
    case "var": {
      const cur = slots[p.slot];
      if (cur !== undefined) return equals(cur, v) ? k() : false;
      slots[p.slot] = v;
      const r = k();
      slots[p.slot] = undefined;
      return r;
    }
    case "const":
      return equals(p.v, v) ? k() : false;
    case "array": {
      if (!Array.isArray(v) || v.length !== p.items.length) return false;
      const step = (i: number): boolean =>
        i === p.items.length ? k() : unifyValue(ctx, p.items[i] as CTerm, v[i] as Value, slots, () => step(i + 1));
      return step(0);
    }
    case "object": {
      if (!(v instanceof RegoObject) || v.size !== p.items.length) return false;
      const step = (i: number): boolean => {
        if (i === p.items.length) return k();
        const [kt, vt] = p.items[i] as [CTerm, CTerm];
        return evalTerm(ctx, kt, slots, (key) => {
          const child = v.get(key);
          return child === undefined ? false : unifyValue(ctx, vt, child, slots, () => step(i + 1));
        });
      };
      return step(0);
    }
    default:
      return evalTerm(ctx, p, slots, (pv) => (equals(pv, v) ? k() : false));
  }
}
