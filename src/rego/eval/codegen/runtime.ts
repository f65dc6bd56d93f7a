/**
 * What generated rule code calls (see emit.ts): the evaluator's own functions, so that compiled
 * and interpreted rules compute values, raise errors and count steps the same way.
 */
import type { DataStart, RuleSet } from "../../compiler/ir.js";
import { type Location, RegoError } from "../../errors.js";
import { compare, equals, RegoObject, RegoSet, type Value, withDoubles } from "../../value.js";
import { builtinFailure, userResult } from "../calls.js";
import { type EvalContext, tick, UNDEFINED } from "../context.js";
import { ruleSetValue } from "../documents.js";
import { childOf, firstValue } from "../evaluator.js";
import { TRUE_TERM } from "../sinks.js";

/**
 * The constant prefix of a `data` reference into base documents only (DataStart.baseDepth), looked
 * up and memoised for the current `data` exactly as dataSingle does.
 */
function memoBase(ctx: { data: Value }, start: DataStart, prefix: readonly Value[]): Value | undefined {
  let base: Value | undefined = ctx.data;
  for (let j = 0; j < start.baseDepth && base !== undefined; j++) base = childOf(base, prefix[j] as Value);
  start.memoData = ctx.data;
  start.memoValue = base;
  return base;
}

/** One step into a base document (walkBase): number operands also find the string keys of objects. */
function baseStep(cur: Value, key: Value): Value | undefined {
  if (!(cur instanceof RegoObject)) return childOf(cur, key);
  const child = cur.get(key);
  if (child === undefined && typeof key === "number") return cur.get(String(key));
  return child;
}

/** The error of an object comprehension producing two values for one key (as evalTerm raises it). */
function objectConflict(loc: Location): RegoError {
  return new RegoError("eval_conflict_error", "object keys must be unique", loc);
}

/** The conflict of two solutions of a complete rule set (as completeValue's sink raises it). */
function completeConflict(loc: Location): RegoError {
  return new RegoError("eval_conflict_error", "complete rules must not produce multiple outputs", loc);
}

/** The conflict of two solutions of a function for one call (as userResult's sink raises it). */
function functionConflict(loc: Location): RegoError {
  return new RegoError("eval_conflict_error", "functions must not produce multiple outputs for same inputs", loc);
}

/** The value of a complete rule set's default rule (as completeValue computes it). */
function defaultValue(ctx: EvalContext, rs: RuleSet): Value | undefined {
  return rs.defaultRule ? firstValue(ctx, rs.defaultRule.value ?? TRUE_TERM, []) : undefined;
}

/** What a loop over something other than a collection iterates: nothing. */
const NO_MEMBERS: readonly Value[] = Object.freeze([]);

function buildHelpers() {
  return {
    tick,
    childOf,
    equals,
    compare,
    ruleSetValue,
    builtinFailure,
    withDoubles,
    userResult,
    UNDEF: UNDEFINED,
    RegoSet,
    RegoObject,
    memoBase,
    baseStep,
    objectConflict,
    completeConflict,
    functionConflict,
    defaultValue,
    NO_MEMBERS,
  };
}

/** The helpers generated code receives as `H` (it destructures all of them by name). */
export type Runtime = ReturnType<typeof buildHelpers>;

let helpers: Runtime | undefined;

/** The helpers, built on first use: this module is part of an import cycle with documents.ts. */
export function runtime(): Runtime {
  helpers ??= buildHelpers();
  return helpers;
}
