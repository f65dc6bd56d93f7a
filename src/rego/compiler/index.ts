/**
 * The compiler pipeline: modules -> rule tree of lowered, safety-ordered rules, checked for
 * conflicts and recursion, indexed. Queries compile against the result.
 */
import type { Expr, Module, Rule, Term } from "../ast.js";
import type { BuiltinDecl } from "../builtins/types.js";
import { RegoError } from "../errors.js";
import { markBodyGround, markRuleGround } from "./ground.js";
import type { TraceEvent } from "./instrument.js";
import type { CExpr, CRule, RuleKind, RuleNode } from "./ir.js";
import { type LowerEnv, Lowerer } from "./lower.js";
import { attachMetadata, packageAnnotations } from "./metadata.js";
import { moduleNames } from "./names.js";
import { indexRuleSets } from "./ruleindex.js";
import { addRule, checkRecursion, newNode, nodeAt, ruleSetsUnder } from "./ruletree.js";
import { checkRule, orderBody } from "./safety.js";
import { normalizeBodyShapes, normalizePolicyShapes } from "./shapes.js";

/** The compiled policy the evaluator runs. */
export interface CompiledPolicy {
  root: RuleNode;
  /** Some literal is an exact integer beyond 2^53: builtin operands may need converting. */
  bigIntegers: boolean;
  /** Some rule may call rego.metadata.rule/chain (see Lowerer.sawRuleMetadata). */
  ruleMetadata: boolean;
  /** Rule sets in the tree; their ids are 0..ruleSetCount-1. */
  ruleSetCount: number;
  env: LowerEnv;
  modules: Module[];
  /** Set on policies compiled with probes (see instrument.ts): what each probe number reports. */
  probes?: TraceEvent[];
}

/** A compiled query. */
export interface CompiledQuery {
  body: CExpr[];
  nslots: number;
  /** Some literal is an exact integer beyond 2^53. */
  bigIntegers: boolean;
  /** The query may call rego.metadata.rule/chain, e.g. through `with`. */
  ruleMetadata: boolean;
  /** The expressions in written order (the body is reordered for safety). */
  original: CExpr[];
  /** For each expression of `body`, its position in `original`. */
  originalIndex: number[];
  /** Query variables to report, with their slots (generated and `_` names excluded). */
  vars: { name: string; slot: number }[];
}

interface Placed {
  rule: Rule;
  mod: Module;
  path: string[];
  refTail: Term[];
  kind: RuleKind;
  arity: number;
}

function placeRule(rule: Rule, mod: Module): Placed {
  const ref = rule.head.ref;
  const head = ref[0];
  if (head?.type !== "var") throw new RegoError("rego_parse_error", "invalid rule head", rule.loc);
  const path = [...mod.package.path, head.name];
  let i = 1;
  // Multi-value rules place the whole ref; single-value ones stop at the first non-string operand.
  for (; i < ref.length; i++) {
    const t = ref[i] as Term;
    if (t.type !== "string") break;
    path.push(t.value);
  }
  const refTail = ref.slice(i);
  let kind: RuleKind;
  // Multi-value rules with variables in their reference (`p[q] contains r`) build objects of sets.
  if (rule.head.args) kind = "function";
  else if (refTail.length > 0) kind = "partial";
  else if (rule.head.key) kind = "multi";
  else kind = "complete";
  if (rule.default && kind === "partial") {
    throw new RegoError("rego_compile_error", "default rules must have a ground reference head", rule.loc);
  }
  return { rule, mod, path, refTail, kind, arity: rule.head.args?.length ?? 0 };
}

/** Compiles parsed modules; throws RegoError (collecting errors across rules). */
export function compileModules(
  modules: Module[],
  builtins: ReadonlyMap<string, BuiltinDecl>,
  specials: ReadonlyMap<string, number>,
  forbidden: ReadonlyMap<string, string>,
): CompiledPolicy {
  const errors: RegoError[] = [];
  const placed: Placed[] = [];
  for (const mod of modules) {
    for (const rule of mod.rules) {
      try {
        placed.push(placeRule(rule, mod));
      } catch (e) {
        if (e instanceof RegoError) errors.push(e);
        else throw e;
      }
    }
  }
  const functions = new Map<string, number>();
  for (const p of placed) if (p.kind === "function") functions.set(p.path.join("."), p.arity);
  const env: LowerEnv = { builtins, specials, functions, forbidden };
  const root = newNode([]);
  for (const mod of modules) nodeAt(root, mod.package.path).isPackage = true;
  const namesByModule = new Map(modules.map((m) => [m, moduleNames(m)]));
  // A rule is visible by its bare name in every module of its package, not only in its own file.
  const packageRules = new Map<string, Set<string>>();
  for (const names of namesByModule.values()) {
    const key = names.packagePath.join(".");
    const merged = packageRules.get(key) ?? new Set<string>();
    for (const name of names.ruleNames) merged.add(name);
    packageRules.set(key, merged);
  }
  for (const [mod, names] of namesByModule) {
    namesByModule.set(mod, { ...names, ruleNames: packageRules.get(names.packagePath.join(".")) ?? names.ruleNames });
  }
  const placedByRule = new Map<CRule, Placed>();
  let bigIntegers = false;
  let ruleMetadata = false;
  for (const p of placed) {
    try {
      const lowerer = new Lowerer(env, namesByModule.get(p.mod) ?? moduleNames(p.mod));
      const rule: CRule = lowerer.lowerRule(p.rule, p.refTail);
      checkRule(rule, lowerer.slotNameList);
      bigIntegers ||= lowerer.sawBigInteger;
      ruleMetadata ||= lowerer.sawRuleMetadata;
      for (let r: CRule | undefined = rule; r; r = r.else) r.nslots = lowerer.slotCount;
      addRule(root, p.path, p.kind, rule, p.rule.default, p.arity);
      placedByRule.set(rule, p);
    } catch (e) {
      if (e instanceof RegoError) errors.push(e);
      else throw e;
    }
  }
  if (errors.length === 0) {
    try {
      checkRecursion(root);
    } catch (e) {
      if (e instanceof RegoError) errors.push(e);
      else throw e;
    }
  }
  if (errors.length > 0) {
    const first = errors[0] as RegoError;
    const flat = errors.flatMap((e) => (e.errors.length > 0 ? e.errors : [e]));
    throw new RegoError(first.code, first.message, first.location, flat);
  }
  const pkgAnnotations = packageAnnotations(modules);
  for (const rs of ruleSetsUnder(root)) {
    const all = rs.defaultRule ? [...rs.rules, rs.defaultRule] : rs.rules;
    const first = all[0] ? placedByRule.get(all[0]) : undefined;
    if (first) attachMetadata(all, rs.path, first.mod.package.path, pkgAnnotations);
  }
  indexRuleSets(root);
  // Ids index the per-evaluation array of rule set values (cheaper than a map keyed by rule set);
  // ground marks spare the evaluator asking, term by term, whether a term can have several values.
  const ruleSets = ruleSetsUnder(root);
  ruleSets.forEach((rs, id) => {
    rs.id = id;
    for (const r of rs.rules) markRuleGround(r);
    if (rs.defaultRule) markRuleGround(rs.defaultRule);
  });
  normalizePolicyShapes(root);
  return { root, env, modules, bigIntegers, ruleMetadata, ruleSetCount: ruleSets.length };
}

/** Compiles a query body against a compiled policy. */
export function compileQuery(policy: CompiledPolicy, body: Expr[], file: string): CompiledQuery {
  const names = {
    file,
    packagePath: [] as string[],
    ruleNames: new Set<string>(),
    imports: new Map<string, { root: "data" | "input"; path: string[] }>(),
  };
  const lowerer = new Lowerer(policy.env, names);
  const lowered = lowerer.lowerQuery(body);
  const original = [...lowered];
  orderBody(lowered, new Set(), lowerer.slotNameList, body[0]?.loc ?? { file, row: 1, col: 1 });
  markBodyGround(lowered);
  const vars: { name: string; slot: number }[] = [];
  const seen = new Set<string>();
  for (const [name, slot] of lowerer.rootNames) {
    if (name.startsWith("_") || name.startsWith("$") || seen.has(name)) continue;
    seen.add(name);
    vars.push({ name, slot });
  }
  vars.sort((a, b) => a.slot - b.slot);
  const originalIndex = lowered.map((e, i) => {
    const j = original.indexOf(e);
    return j < 0 ? i : j;
  });
  const normalized = normalizeBodyShapes(lowered);
  return {
    body: normalized.body,
    original: original.map(normalized.mapExpr),
    originalIndex,
    nslots: lowerer.slotCount,
    vars,
    bigIntegers: lowerer.sawBigInteger,
    ruleMetadata: lowerer.sawRuleMetadata,
  };
}
