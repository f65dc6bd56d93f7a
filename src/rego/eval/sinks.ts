/**
 * Receivers of rule solutions (see runRule). One object per rule set evaluation holds what the
 * solutions add up to, instead of a closure per rule and per solution.
 */
import type { CRule, CTerm, ValueSink } from "../compiler/ir.js";
import { RegoError } from "../errors.js";
import { equals, RegoSet, type Value } from "../value.js";
import type { EvalContext } from "./context.js";
import { evalTerm, type Slots } from "./evaluator.js";
import { isSingle, singleValue } from "./single.js";

/**
 * Receives each solution of a rule's body; returns true to stop the enumeration. Rules compiled
 * by eval/codegen compute the solution's value themselves and hand it to `accept`.
 */
export interface RuleSink extends ValueSink {
  emit(r: CRule, slots: Slots): boolean;
}

export const TRUE_TERM: CTerm = { t: "const", v: true };

/** The one value of a complete rule set or a function: every solution must agree on it. */
export class SingleValueSink implements RuleSink {
  value: Value | undefined = undefined;

  constructor(
    private readonly ctx: EvalContext,
    /** The conflict error's message. */
    private readonly conflict: string,
  ) {}

  emit(r: CRule, slots: Slots): boolean {
    const vt = r.value ?? TRUE_TERM;
    if (isSingle(vt, slots)) {
      const v = singleValue(this.ctx, vt, slots);
      if (v !== undefined) this.accept(v, r);
    } else {
      evalTerm(this.ctx, vt, slots, (v) => {
        this.accept(v, r);
        return false;
      });
    }
    // A constant value can't change with more solutions: stop at the first.
    return vt.t === "const";
  }

  accept(v: Value, r: CRule): void {
    if (this.value === undefined) this.value = v;
    else if (!equals(this.value, v)) throw new RegoError("eval_conflict_error", this.conflict, r.loc);
  }
}

/** The set a multi-value rule set defines. */
export class SetSink implements RuleSink {
  readonly set = new RegoSet();

  constructor(private readonly ctx: EvalContext) {}

  emit(r: CRule, slots: Slots): boolean {
    const kt = r.key ?? TRUE_TERM;
    if (isSingle(kt, slots)) {
      const v = singleValue(this.ctx, kt, slots);
      if (v !== undefined) this.set.add(v);
    } else {
      evalTerm(this.ctx, kt, slots, (v) => {
        this.set.add(v);
        return false;
      });
    }
    return false;
  }

  accept(v: Value): void {
    this.set.add(v);
  }
}
