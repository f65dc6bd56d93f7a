/**
 * Marks terms that are ground for evaluation: no variables (outside comprehension bodies) and no
 * relation calls, so they have at most one value whatever is bound. The evaluator asks "can this
 * term have several values?" for nearly every term it evaluates; the mark answers it without
 * walking the term each time.
 */
import type { CExpr, CRule, CTerm } from "./ir.js";

/** Marks the terms of a rule, its else chain included. */
export function markRuleGround(rule: CRule): void {
  for (let r: CRule | undefined = rule; r; r = r.else) {
    for (const t of r.refTail) markGround(t);
    if (r.args) for (const t of r.args) markGround(t);
    if (r.key) markGround(r.key);
    if (r.value) markGround(r.value);
    markBodyGround(r.body);
  }
}

/** Marks the terms of a body (queries, rules, comprehensions, `every`). */
export function markBodyGround(body: CExpr[]): void {
  for (const e of body) {
    for (const w of e.with) markGround(w.value);
    switch (e.kind) {
      case "term":
        markGround(e.term);
        break;
      case "unify":
        markGround(e.a);
        markGround(e.b);
        break;
      case "call":
        for (const a of e.args) markGround(a);
        if (e.out) markGround(e.out);
        break;
      case "somein":
        if (e.key) markGround(e.key);
        markGround(e.value);
        markGround(e.domain);
        break;
      case "every":
        if (e.key) markGround(e.key);
        markGround(e.value);
        markGround(e.domain);
        markBodyGround(e.body);
        break;
    }
  }
}

/** Marks `t` and the terms inside it; returns whether `t` is ground. */
export function markGround(t: CTerm): boolean {
  switch (t.t) {
    case "const":
      return true;
    case "var":
      return false;
    case "data":
    case "input":
      t.ground = allGround(t.path);
      return t.ground;
    case "ref": {
      const base = markGround(t.base);
      t.ground = allGround(t.path) && base;
      return t.ground;
    }
    case "array":
    case "set":
      t.ground = allGround(t.items);
      return t.ground;
    case "object": {
      let ground = true;
      for (const [k, v] of t.items) {
        const kg = markGround(k);
        const vg = markGround(v);
        ground = ground && kg && vg;
      }
      t.ground = ground;
      return ground;
    }
    case "call": {
      const args = allGround(t.args);
      t.ground = args && !(t.fn.kind === "builtin" && t.fn.decl.kind === "relation");
      return t.ground;
    }
    case "arraycomp":
    case "setcomp":
      markGround(t.head);
      markBodyGround(t.body);
      return true;
    case "objectcomp":
      markGround(t.key);
      markGround(t.value);
      markBodyGround(t.body);
      return true;
    case "template":
      for (const p of t.parts) if (typeof p !== "string") markGround(p);
      return true;
  }
}

/** Marks every term of `ts` (all of them, not stopping at the first that is not ground). */
function allGround(ts: CTerm[]): boolean {
  let ground = true;
  for (const t of ts) if (!markGround(t)) ground = false;
  return ground;
}
