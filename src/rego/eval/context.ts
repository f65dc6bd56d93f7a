/** Evaluation state shared by one query: documents, caches, overrides, limits. */
import type { BuiltinContext } from "../builtins/types.js";
import type { CompiledPolicy } from "../compiler/index.js";
import type { CRule, FnTarget } from "../compiler/ir.js";
import { RegoError } from "../errors.js";
import type { Value } from "../value.js";

/** Marks a cached "undefined" result. */
export const UNDEFINED = Symbol("undefined");

/** A `with` replacement of a function: another function, or a constant result. */
export type FnOverride = { fn: FnTarget } | { value: Value };

/** Limits and clock shared by a query and every `with` scope inside it. */
export interface EvalLimits {
  /** In `performance.now()` milliseconds. */
  deadline: number;
  steps: number;
}

/** Values of rule sets by id: not computed yet (undefined), undefined (UNDEFINED), or the value. */
export type RuleSetValues = (Value | typeof UNDEFINED | undefined)[];

export interface EvalContext {
  readonly policy: CompiledPolicy;
  readonly input: Value | undefined;
  readonly data: Value;
  /** Rule set values computed in this scope, by rule set id (a `with` scope gets a fresh cache). */
  readonly cache: RuleSetValues;
  readonly fnOverrides: Map<string, FnOverride> | undefined;
  /** `with data.<path>` values by joined path. */
  readonly dataOverrides: Map<string, Value> | undefined;
  readonly strict: boolean;
  /** Bigints may occur: builtins that don't take them get their operands as doubles. */
  readonly exactIntegers: boolean;
  readonly builtin: BuiltinContext;
  readonly limits: EvalLimits;
  /** Rules being evaluated (innermost last), for rego.metadata.*. */
  readonly ruleStack: CRule[];
  /** Keep ruleStack: only when the policy or query may call rego.metadata.* (it costs every rule). */
  readonly trackRules: boolean;
}

/** Joins a data path for override lookups. */
export function pathKey(path: readonly Value[]): string {
  return path.map((p) => String(p)).join("\u0000");
}

/** A power of two (tick masks with it). */
const STEP_CHECK = 4096;

/** Counts an evaluation step; throws `eval_cancel_error` once the deadline has passed. */
export function tick(ctx: EvalContext): void {
  const l = ctx.limits;
  // Reading the clock every step would cost more than most steps: look every STEP_CHECK steps.
  if ((++l.steps & (STEP_CHECK - 1)) === 0 && performance.now() > l.deadline) {
    throw new RegoError("eval_cancel_error", "evaluation timed out (deadline exceeded)");
  }
}
