/** Runs a compiled query: builds the evaluation context, collects solutions and expression values. */
import { BoundedCache, type BuiltinContext } from "../builtins/types.js";
import type { CompiledPolicy, CompiledQuery } from "../compiler/index.js";
import type { CExpr, CTerm } from "../compiler/ir.js";
import { RegoError } from "../errors.js";
import type { Value } from "../value.js";
import { callFunction } from "./calls.js";
import type { EvalContext } from "./context.js";
import { dataSingle } from "./documents.js";
import { evalExpr, evalTerm, evalTerms, type Slots } from "./evaluator.js";

export interface RunOptions {
  input: Value | undefined;
  data: Value;
  strict: boolean;
  timeoutMs: number;
  print: (line: string) => void;
  nowNs: number;
  /** `performance.now()` when the query started: its deadline counts from here. */
  startedMs: number;
  /**
   * Report `false` as a top-level expression's value instead of failing (what `opa eval` does by
   * capturing each expression's value in a generated variable).
   */
  capture: boolean;
  /** Bigints may occur in the input (a Rego value from parseValue). */
  inputHasBigIntegers: boolean;
  /** Receives probe numbers (instrumented policies only). */
  trace?: ((probe: number) => void) | undefined;
}

/** One solution: the slots and, per top-level expression, its value. */
export interface Solution {
  slots: Slots;
  exprValues: Value[];
}

const compiledArtefacts = new BoundedCache(4096);

/** The builtins' view of one query; its per-evaluation cache is created only when a builtin uses it. */
class QueryBuiltinContext implements BuiltinContext {
  readonly compiled = compiledArtefacts;
  private perEvaluation: Map<string, unknown> | undefined;

  constructor(
    readonly nowNs: number,
    readonly print: (line: string) => void,
    readonly trace: ((probe: number) => void) | undefined,
  ) {}

  get cache(): Map<string, unknown> {
    this.perEvaluation ??= new Map();
    return this.perEvaluation;
  }
}

/** The evaluation context of one query. */
function queryContext(policy: CompiledPolicy, q: CompiledQuery, opts: RunOptions): EvalContext {
  return {
    policy,
    input: opts.input,
    data: opts.data,
    cache: new Array(policy.ruleSetCount),
    fnOverrides: undefined,
    dataOverrides: undefined,
    strict: opts.strict,
    exactIntegers: policy.bigIntegers || q.bigIntegers || opts.inputHasBigIntegers,
    builtin: new QueryBuiltinContext(opts.nowNs, opts.print, opts.trace),
    limits: { deadline: opts.startedMs + opts.timeoutMs, steps: 0 },
    ruleStack: [],
    trackRules: policy.ruleMetadata || q.ruleMetadata,
  };
}

/** Evaluates a query and returns all solutions. */
export function runQuery(policy: CompiledPolicy, q: CompiledQuery, opts: RunOptions): Solution[] {
  const ctx = queryContext(policy, q, opts);
  const slots: Slots = new Array(q.nslots);
  const exprValues: Value[] = new Array(q.body.length).fill(true);
  const position = q.originalIndex;
  const out: Solution[] = [];
  const step = (i: number): boolean => {
    if (i === q.body.length) {
      out.push({ slots: slots.slice(), exprValues: exprValues.slice() });
      return false;
    }
    const e = q.body[i] as CExpr;
    if (e.kind === "term" && !e.negated && e.with.length === 0) {
      return evalTerm(ctx, e.term, slots, (v) => {
        if (v === false && !opts.capture) return false;
        exprValues[position[i] as number] = v;
        return step(i + 1);
      });
    }
    if (e.kind === "call" && !e.out && !e.negated && e.with.length === 0) {
      // A call standing alone reports its result as the expression's value, as `opa eval` does.
      return evalTerms(ctx, e.args, slots, (args) =>
        callFunction(ctx, e.fn, args, e.loc, slots, (v) => {
          if (v === false && !opts.capture) return false;
          exprValues[position[i] as number] = v;
          return step(i + 1);
        }),
      );
    }
    return evalExpr(ctx, e, slots, () => step(i + 1));
  };
  return guarded(() => {
    step(0);
    return out;
  });
}

/**
 * The value of `data.<constant path>` (a query `data.a.b = x` has it as its only solution),
 * computed without the query's unification machinery; undefined when the document is.
 */
export function evalDocument(
  policy: CompiledPolicy,
  q: CompiledQuery,
  term: Extract<CTerm, { t: "data" }>,
  opts: RunOptions,
): Value | undefined {
  const ctx = queryContext(policy, q, opts);
  return guarded(() => dataSingle(ctx, term, []));
}

/** Runs an evaluation, turning a stack overflow and non-JSON input into clean errors. */
function guarded<T>(run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof RangeError) {
      throw new RegoError("eval_internal_error", "evaluation exceeded the maximum depth (stack overflow)");
    }
    // Raised by the lazy conversion of an input that is not JSON.
    if (e instanceof TypeError && e.message.startsWith("not a JSON")) {
      throw new RegoError("eval_type_error", `input: ${e.message}`);
    }
    throw e;
  }
}
