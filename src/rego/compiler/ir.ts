/**
 * The compiled form the evaluator runs. Names are resolved: local variables are slots in a
 * per-rule array, references to `data` and `input` are explicit, calls point at their target.
 */
import type { BuiltinDecl } from "../builtins/types.js";
import type { Location } from "../errors.js";
import type { EvalContext } from "../eval/context.js";
import type { Value } from "../value.js";

/**
 * Terms. `ground` (set by markGround) says a reference, collection or call has no variables and no
 * relation calls, so it has at most one value whatever the bindings.
 */
export type CTerm = TermMemo &
  (
    | { t: "const"; v: Value }
    | { t: "var"; slot: number; name: string }
    /**
     * `data.<path>`: walked through the rule tree and base documents. `start` memoises where the
     * walk's constant prefix leads in the rule tree (filled on first evaluation).
     */
    | { t: "data"; path: CTerm[]; loc: Location; start?: DataStart; ground?: boolean }
    /** `input.<path>`. */
    | { t: "input"; path: CTerm[]; loc: Location; ground?: boolean }
    /** A reference on a local value: `x[i].y`, `f(x).y`, `[1, 2][i]`. */
    | { t: "ref"; base: CTerm; path: CTerm[]; loc: Location; ground?: boolean }
    | { t: "array"; items: CTerm[]; ground?: boolean }
    | { t: "set"; items: CTerm[]; ground?: boolean }
    | { t: "object"; items: [CTerm, CTerm][]; ground?: boolean }
    /** Comprehensions list the enclosing scope's slots they read (`closure`): inputs for safety. */
    | { t: "arraycomp"; head: CTerm; body: CExpr[]; closure: number[]; loc: Location }
    | { t: "setcomp"; head: CTerm; body: CExpr[]; closure: number[]; loc: Location }
    | { t: "objectcomp"; key: CTerm; value: CTerm; body: CExpr[]; closure: number[]; loc: Location }
    | { t: "call"; fn: FnTarget; args: CTerm[]; loc: Location; ground?: boolean }
    | { t: "template"; parts: (string | CTerm)[]; loc: Location }
  );

/**
 * What the evaluator derives from a term once (see compiler/shapes.ts and eval/single.ts). A term
 * that is not ground has at most one value when it has no relation call (`multi` false) and all
 * slots in `vars` are bound; `single` computes that value (compiled on first use).
 */
export interface TermMemo {
  vars?: number[];
  multi?: boolean;
  single?: SingleEvaluator;
}

/** The value of a single-valued term under the current bindings, or undefined. */
export type SingleEvaluator = (ctx: EvalContext, slots: (Value | undefined)[]) => Value | undefined;

/**
 * Where a `data` reference's constant prefix leads (memoised on the term by the evaluator):
 * `node` at `depth` is the deepest rule tree node it reaches, stopping at the first with rules.
 */
export interface DataStart {
  node: RuleNode;
  depth: number;
  /** The complete, multi-value or function rule set at `node`, if any. */
  rules: RuleSet | undefined;
  /**
   * When the constant string prefix leaves the rule tree (into base documents only): its length;
   * -1 otherwise. Its value below a given `data` is memoised in memoData/memoValue.
   */
  baseDepth: number;
  memoData: Value | undefined;
  memoValue: Value | undefined;
}

/** What a call calls. `name` is how `with` addresses it (builtin name or `data.pkg.f`). */
export type FnTarget =
  | { kind: "builtin"; name: string; decl: BuiltinDecl }
  /** `ruleSet` memoises the function's rule set (null: none) on first call. */
  | { kind: "user"; name: string; path: string[]; ruleSet?: RuleSet | null }
  /** Evaluator-implemented builtins that need evaluation state (print, rego.metadata.*, ...). */
  | { kind: "special"; name: string; arity: number };

export interface CWith {
  /** `input`, `data` (with path) or a function name. */
  target: { kind: "input"; path: Value[] } | { kind: "data"; path: Value[] } | { kind: "fn"; name: string };
  value: CTerm;
  /** When replacing a function by another function (not a value). */
  fnValue: FnTarget | undefined;
  loc: Location;
}

interface ExprBase {
  negated: boolean;
  with: CWith[];
  loc: Location;
  /** Source text of the expression (for `eval` results). */
  text: string;
  /** The expression's evaluation without a continuation (see eval/body.ts), compiled on first use. */
  direct?: DirectEvaluator;
}

/** Evaluates an expression that has at most one solution: see `direct` in eval/body.ts. */
export type DirectEvaluator = (ctx: EvalContext, slots: (Value | undefined)[]) => number;

export type CExpr =
  /** A term whose value must be defined and not `false`. */
  | (ExprBase & { kind: "term"; term: CTerm })
  /** `a = b` and `a := b`. */
  | (ExprBase & { kind: "unify"; a: CTerm; b: CTerm })
  /** A call used as an expression; with `out` the result is unified with it instead of tested. */
  | (ExprBase & { kind: "call"; fn: FnTarget; args: CTerm[]; out: CTerm | undefined })
  | (ExprBase & { kind: "somein"; key: CTerm | undefined; value: CTerm; domain: CTerm })
  | (ExprBase & {
      kind: "every";
      key: CTerm | undefined;
      value: CTerm;
      domain: CTerm;
      body: CExpr[];
      closure: number[];
    });

/** A compiled rule (one definition; `else` continues the chain). */
export interface CRule {
  /** Remaining head reference terms below the rule set's node (ref-head rules); [] otherwise. */
  refTail: CTerm[];
  /** Function parameters (patterns). */
  args: CTerm[] | undefined;
  /** Multi-value element. */
  key: CTerm | undefined;
  value: CTerm | undefined;
  body: CExpr[];
  else: CRule | undefined;
  nslots: number;
  loc: Location;
  annotations: Record<string, unknown> | undefined;
  /** What rego.metadata.rule() and rego.metadata.chain() return inside this rule. */
  metadataRule: Value;
  metadataChain: Value;
  /**
   * The rule's body compiled to JavaScript (eval/codegen), made after a few interpreted runs:
   * undefined while not attempted, null when the generator does not support the rule.
   */
  compiled: CompiledRule | null | undefined;
  /** Interpreted runs so far, counted until the rule is compiled. */
  runs: number;
}

/**
 * A rule compiled by eval/codegen: runs the body, passing each solution's value to the sink;
 * returns 0 (no solution), 1 (solved) or 2 (stopped early, as RuleSink.emit asks).
 */
export type CompiledRule = (ctx: EvalContext, sink: ValueSink, args: Value[] | undefined) => number;

/** What a compiled rule hands its values to (eval/sinks.ts). */
export interface ValueSink {
  accept(v: Value, r: CRule): void;
}

export type RuleKind = "complete" | "multi" | "partial" | "function";

/** All rules that define one node of the rule tree. */
export interface RuleSet {
  /** Position in the evaluation's value cache (see CompiledPolicy.ruleSetCount). */
  id: number;
  /** Path below `data`. */
  path: string[];
  /** `data.a.b` form, for messages. */
  name: string;
  kind: RuleKind;
  rules: CRule[];
  defaultRule: CRule | undefined;
  arity: number;
  /** Filled by the indexer when rules can be selected by input values. */
  index: RuleIndex | undefined;
  /**
   * The value of a rule set (for a function: of a call) computed by one generated function
   * (eval/codegen): undefined while not attempted, null when not supported.
   */
  compiled: CompiledRuleSet | null | undefined;
  /** Evaluations so far, counted until the rule set is compiled. */
  runs: number;
}

/** A rule set compiled by eval/codegen: its value, or a function's result for `args` (undefined when no rule applies). */
export type CompiledRuleSet = (ctx: EvalContext, args: Value[] | undefined) => Value | undefined;

/** Rules grouped by the value of one input path they test for equality. */
export interface RuleIndex {
  path: string[];
  /** Candidates per value: the rules testing for it plus `rest`, in definition order. */
  byValue: Map<string, CRule[]>;
  /** Rules without a condition on `path`; the candidates for any other value. */
  rest: CRule[];
}

/** A node of the rule tree, mirroring `data`. */
export interface RuleNode {
  children: Map<string, RuleNode>;
  ruleSet: RuleSet | undefined;
  path: string[];
  /** A package is declared here: its document exists (as `{}`) even without rules. */
  isPackage?: boolean;
}
