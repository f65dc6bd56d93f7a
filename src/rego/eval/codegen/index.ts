/**
 * Rule bodies compiled to JavaScript (see emit.ts). A rule is interpreted on its first runs and
 * compiled after that, so policies evaluated once (tests, conformance) don't pay for the
 * generation; rules the generator does not support keep running in the interpreter.
 */
import type { CompiledPolicy } from "../../compiler/index.js";
import type { CompiledRule, CompiledRuleSet, CRule, RuleSet } from "../../compiler/ir.js";
import type { EvalContext } from "../context.js";
import { generateRule, generateRuleSet } from "./emit.js";

/** Switches for tests and benchmarks: whether to compile rules, and after how many interpreted runs. */
const settings = { enabled: true, after: 0 };

/** How many rules and rule sets were compiled, or found unsupported, so far (tests check coverage). */
const counts = { compiled: 0, unsupported: 0 };

/** Counts of compiled and unsupported rules and rule sets since the process started. */
export function ruleCodegenCounts(): { compiled: number; unsupported: number } {
  return { ...counts };
}

/**
 * Turns rule compilation on or off, or changes how many interpreted runs come first (tests);
 * returns the settings before the change.
 */
export function configureRuleCodegen(options: { enabled?: boolean; after?: number }): {
  enabled: boolean;
  after: number;
} {
  const before = { ...settings };
  if (options.enabled !== undefined) settings.enabled = options.enabled;
  if (options.after !== undefined) settings.after = options.after;
  return before;
}

/**
 * Whether compiled rules may run in this scope: not under `with` replacements (the generated
 * code reads `data` and calls functions without looking for them), not when rules are tracked for
 * rego.metadata.*, not in instrumented policies (their probes are specials the generator skips).
 */
export function codegenApplies(ctx: EvalContext): boolean {
  return (
    settings.enabled &&
    !ctx.trackRules &&
    ctx.fnOverrides === undefined &&
    ctx.dataOverrides === undefined &&
    ctx.policy.probes === undefined
  );
}

/**
 * The compiled form of a rule (see CRule.compiled): undefined while the rule still runs
 * interpreted, null when it can't be compiled.
 */
export function compiledRule(policy: CompiledPolicy, r: CRule): CompiledRule | null | undefined {
  return compileAfterRuns(policy, r, generateRule);
}

/** The compiled form of a complete or multi-value rule set; see compiledRule. */
export function compiledRuleSet(policy: CompiledPolicy, rs: RuleSet): CompiledRuleSet | null | undefined {
  return compileAfterRuns(policy, rs, generateRuleSet);
}

/** The kept result, else counts an interpreted run, or (past settings.after runs) compiles and keeps it. */
function compileAfterRuns<T extends { runs: number; compiled: F | null | undefined }, F>(
  policy: CompiledPolicy,
  target: T,
  generate: (policy: CompiledPolicy, target: T) => F | null,
): F | null | undefined {
  if (target.compiled !== undefined) return target.compiled;
  if (target.runs < settings.after) {
    target.runs++;
    return undefined;
  }
  target.compiled = generate(policy, target);
  count(target.compiled);
  return target.compiled;
}

function count(compiled: unknown): void {
  if (compiled === null) counts.unsupported++;
  else counts.compiled++;
}
