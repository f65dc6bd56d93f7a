/** What the rule-body generator (emit.ts) asks of rules and calls. */
import type { CRule, CTerm, FnTarget } from "../../compiler/ir.js";
import { TRUE_TERM } from "../sinks.js";

/** Whether a call's target is a relation builtin (one result per solution, e.g. `walk`). */
export function isRelation(fn: FnTarget): boolean {
  return fn.kind === "builtin" && fn.decl.kind === "relation";
}

/** A multi-value rule (`p contains x`): its solutions give its key. */
export function isMulti(r: CRule): boolean {
  return r.key !== undefined && r.args === undefined;
}

/** What a solution of a rule gives (as RuleSink.emit): its key, its value, or `true`. */
export function valueTermOf(r: CRule): CTerm {
  return isMulti(r) ? (r.key as CTerm) : (r.value ?? TRUE_TERM);
}

/** A rule and the rules of its else chain. */
export function chainOf(r: CRule): CRule[] {
  const out: CRule[] = [];
  for (let c: CRule | undefined = r; c; c = c.else) out.push(c);
  return out;
}
