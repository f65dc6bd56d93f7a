/** Calls: builtins (with OPA's error handling), user functions, `with` replacements, specials. */
import type { FnTarget } from "../compiler/ir.js";
import { findNode } from "../compiler/ruletree.js";
import { BuiltinError, BuiltinTypeError, type Location, RegoError } from "../errors.js";
import { formatValue } from "../format.js";
import { RegoObject, type Value, withDoubles } from "../value.js";
import { codegenApplies, compiledRuleSet } from "./codegen/index.js";
import type { EvalContext } from "./context.js";
import { runRule } from "./documents.js";
import { firstValue, type Slots, type VK } from "./evaluator.js";
import { SingleValueSink, TRUE_TERM } from "./sinks.js";

/** Calls `fn` with evaluated arguments, passing each result to `k`. */
export function callFunction(
  ctx: EvalContext,
  fn: FnTarget,
  args: Value[],
  loc: Location,
  slots: Slots,
  k: VK,
): boolean {
  const override = ctx.fnOverrides?.get(fn.name);
  if (override) {
    if ("value" in override) return k(override.value);
    if (override.fn.name !== fn.name)
      return callFunction({ ...ctx, fnOverrides: undefined }, override.fn, args, loc, slots, k);
  }
  switch (fn.kind) {
    case "builtin":
      return callBuiltin(ctx, fn, args, loc, k);
    case "user":
      return callUser(ctx, fn, args, k);
    case "special":
      return callSpecial(ctx, fn.name, args, loc, k);
  }
}

/**
 * The first (for a function: the only) result of a call, or undefined. Used by the direct
 * evaluation of single-valued terms, which needs no continuation.
 */
export function callFirst(
  ctx: EvalContext,
  fn: FnTarget,
  args: Value[],
  loc: Location,
  slots: Slots,
): Value | undefined {
  if (ctx.fnOverrides?.has(fn.name) || fn.kind === "special") {
    let out: Value | undefined;
    callFunction(ctx, fn, args, loc, slots, (v) => {
      out = v;
      return true;
    });
    return out;
  }
  if (fn.kind === "user") return userResult(ctx, fn, args);
  const result = builtinResult(ctx, fn, args, loc);
  if (fn.decl.kind !== "relation" || result === undefined) return result;
  return Array.isArray(result) ? result[0] : undefined;
}

function callBuiltin(
  ctx: EvalContext,
  fn: Extract<FnTarget, { kind: "builtin" }>,
  args: Value[],
  loc: Location,
  k: VK,
) {
  const result = builtinResult(ctx, fn, args, loc);
  if (result === undefined) return false;
  if (fn.decl.kind === "relation") {
    if (!Array.isArray(result)) return false;
    for (const r of result) if (k(r)) return true;
    return false;
  }
  return k(result);
}

/** A builtin's result (a relation's: the array of results); undefined when it is undefined or fails. */
export function builtinResult(
  ctx: EvalContext,
  fn: Extract<FnTarget, { kind: "builtin" }>,
  args: Value[],
  loc: Location,
): Value | undefined {
  try {
    const operands = ctx.exactIntegers && !fn.decl.exactIntegers ? args.map(withDoubles) : args;
    return fn.decl.impl(operands, ctx.builtin);
  } catch (e) {
    return builtinFailure(ctx, fn, e, loc);
  }
}

/**
 * What a builtin that threw gives: its error as OPA reports it (thrown in strict mode, else the
 * call is undefined); errors of the evaluation itself (RegoError, stack overflow) pass through.
 */
export function builtinFailure(
  ctx: EvalContext,
  fn: Extract<FnTarget, { kind: "builtin" }>,
  e: unknown,
  loc: Location,
): undefined {
  if (e instanceof RegoError || e instanceof RangeError) throw e;
  let err: RegoError;
  if (e instanceof BuiltinTypeError) err = new RegoError("eval_type_error", `${fn.name}: ${e.message}`, loc);
  else if (e instanceof BuiltinError) err = new RegoError("eval_builtin_error", `${fn.name}: ${e.message}`, loc);
  else err = new RegoError("eval_builtin_error", `${fn.name}: ${e instanceof Error ? e.message : String(e)}`, loc);
  if (ctx.strict) throw err;
  return undefined;
}

function callUser(ctx: EvalContext, fn: Extract<FnTarget, { kind: "user" }>, args: Value[], k: VK): boolean {
  const result = userResult(ctx, fn, args);
  return result === undefined ? false : k(result);
}

/** A user function's result for `args`; undefined when no definition applies. */
export function userResult(
  ctx: EvalContext,
  fn: Extract<FnTarget, { kind: "user" }>,
  args: Value[],
): Value | undefined {
  fn.ruleSet ??= findNode(ctx.policy.root, fn.path)?.ruleSet ?? null;
  const rs = fn.ruleSet;
  if (rs?.kind !== "function") return undefined;
  if (codegenApplies(ctx)) {
    const compiled = compiledRuleSet(ctx.policy, rs);
    if (compiled !== null && compiled !== undefined) return compiled(ctx, args);
  }
  const sink = new SingleValueSink(ctx, "functions must not produce multiple outputs for same inputs");
  for (const r of rs.rules) runRule(ctx, r, sink, args);
  let result = sink.value;
  if (result === undefined && rs.defaultRule) {
    result = firstValue(ctx, rs.defaultRule.value ?? TRUE_TERM, []);
  }
  return result;
}

function callSpecial(ctx: EvalContext, name: string, args: Value[], loc: Location, k: VK): boolean {
  switch (name) {
    case "print":
      // Reached only through a `with` replacement; direct calls go through evalPrint.
      ctx.builtin.print(args.map((a) => (typeof a === "string" ? a : formatValue(a))).join(" "));
      return k(true);
    case "trace":
      return k(true);
    case "opa.runtime":
      // Like OPA without a configured runtime: nothing about the host leaks into policy.
      return k(new RegoObject());
    case "rego.metadata.rule":
      return k(ctx.ruleStack[ctx.ruleStack.length - 1]?.metadataRule ?? new RegoObject());
    case "rego.metadata.chain":
      return k(ctx.ruleStack[ctx.ruleStack.length - 1]?.metadataChain ?? []);
    // Probes of an instrumented policy (compiler/instrument.ts): report, then pass.
    case "$probe":
      ctx.builtin.trace?.(args[0] as number);
      return k(true);
    case "$probe_value":
      ctx.builtin.trace?.(args[0] as number);
      return k(args[1] as Value);
    default:
      throw new RegoError("eval_internal_error", `unknown special builtin ${name}`, loc);
  }
}
