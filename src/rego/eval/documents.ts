/**
 * `data`: base documents merged with the virtual documents rules define. Rule set values are
 * computed once per evaluation scope and cached.
 */
import type { CRule, CTerm, DataStart, RuleNode, RuleSet } from "../compiler/ir.js";
import { RegoError } from "../errors.js";
import { equals, keyOf, RegoObject, RegoSet, type Value } from "../value.js";
import { bindParams, directPrefix, evalBody, FAIL, generate, PASS } from "./body.js";
import { codegenApplies, compiledRule, compiledRuleSet } from "./codegen/index.js";
import { type EvalContext, pathKey, UNDEFINED } from "./context.js";
import { childOf, evalTerm, evalTerms, firstValue, type Slots, unifyValue, type VK, walkValue } from "./evaluator.js";
import { singleValue, walkSingle } from "./single.js";
import { type RuleSink, SetSink, SingleValueSink, TRUE_TERM } from "./sinks.js";

/** Evaluates `data.<path>`. */
export function evalDataRef(ctx: EvalContext, t: Extract<CTerm, { t: "data" }>, slots: Slots, k: VK): boolean {
  if (ctx.dataOverrides) return walkNode(ctx, ctx.policy.root, ctx.data, t.path, 0, slots, k);
  // Jump over the constant prefix: the same steps walkNode would take, without repeating them.
  t.start ??= startOf(ctx.policy.root, t.path);
  const { node, depth } = t.start;
  // The value of a complete or multi-value rule does not depend on base documents at its path.
  let base: Value | undefined;
  if (node.ruleSet === undefined || node.ruleSet.kind === "partial") {
    base = ctx.data;
    for (let i = 0; i < depth && base !== undefined; i++) base = childOf(base, (t.path[i] as { v: Value }).v);
  }
  return walkNode(ctx, node, base, t.path, depth, slots, k);
}

/**
 * `data.<path>` whose operands are all single-valued (see isSingle), computed directly: the steps
 * of evalDataRef/walkNode/stepInto without continuations. Not for `with data` scopes.
 */
export function dataSingle(ctx: EvalContext, t: Extract<CTerm, { t: "data" }>, slots: Slots): Value | undefined {
  t.start ??= startOf(ctx.policy.root, t.path);
  const start = t.start;
  const path = t.path;
  // A rule's value (most references): cached by this evaluation after the first read.
  const rules = start.rules;
  if (rules !== undefined) {
    if (rules.kind === "function") return undefined;
    const cached = ctx.cache[rules.id];
    const v = cached === undefined ? ruleSetValue(ctx, rules) : cached === UNDEFINED ? undefined : cached;
    if (v === undefined) return undefined;
    return start.depth === path.length ? v : walkSingle(ctx, v, path, start.depth, slots);
  }
  // A base document below no rules (`data.teams[name]`): its constant part is looked up once per data.
  if (start.baseDepth >= 0) {
    let base: Value | undefined;
    if (start.memoData === ctx.data) base = start.memoValue;
    else {
      base = ctx.data;
      for (let j = 0; j < start.baseDepth && base !== undefined; j++) base = childOf(base, (path[j] as { v: Value }).v);
      start.memoData = ctx.data;
      start.memoValue = base;
    }
    return base === undefined ? undefined : walkBase(ctx, base, path, start.baseDepth, slots);
  }
  let { node, depth: i } = start;
  let base: Value | undefined;
  if (node.ruleSet === undefined || node.ruleSet.kind === "partial") {
    base = ctx.data;
    for (let j = 0; j < i && base !== undefined; j++) base = childOf(base, (path[j] as { v: Value }).v);
  }
  for (;;) {
    const rs = node.ruleSet;
    if (rs) {
      // Most references read a rule's value that this evaluation has already computed.
      const cached = rs.kind === "partial" ? undefined : ctx.cache[rs.id];
      const v = cached === undefined ? nodeValue(ctx, node, base) : cached === UNDEFINED ? undefined : cached;
      return v === undefined ? undefined : walkSingle(ctx, v, path, i, slots);
    }
    if (i === path.length) return nodeValue(ctx, node, base);
    const key = singleValue(ctx, path[i] as CTerm, slots);
    if (key === undefined) return undefined;
    i++;
    // As stepInto: number operands also find the string keys of base documents.
    let childBase = base === undefined ? undefined : childOf(base, key);
    if (childBase === undefined && typeof key === "number" && base instanceof RegoObject)
      childBase = base.get(String(key));
    const name = typeof key === "string" ? key : typeof key === "number" ? String(key) : undefined;
    const child = name === undefined ? undefined : node.children.get(name);
    if (child) {
      node = child;
      base = childBase;
      continue;
    }
    if (childBase === undefined) return undefined;
    if (!(childBase instanceof RegoObject)) return walkSingle(ctx, childBase, path, i, slots);
    return walkBase(ctx, childBase, path, i, slots);
  }
}

/**
 * The rest of a walk below the rule tree, as walkNode/stepInto take it: objects are base
 * documents, where number operands also find string keys; anything else walks as a value.
 */
function walkBase(ctx: EvalContext, base: Value, path: CTerm[], i: number, slots: Slots): Value | undefined {
  let cur = base;
  for (; i < path.length; i++) {
    if (!(cur instanceof RegoObject)) return walkSingle(ctx, cur, path, i, slots);
    const key = singleValue(ctx, path[i] as CTerm, slots);
    if (key === undefined) return undefined;
    let child = cur.get(key);
    if (child === undefined && typeof key === "number") child = cur.get(String(key));
    if (child === undefined) return undefined;
    cur = child;
  }
  return cur;
}

/**
 * The deepest node a path's constant string prefix reaches, stopping at the first node with rules;
 * and, when the prefix leaves the tree, how far it goes below it (see DataStart).
 */
export function startOf(root: RuleNode, path: CTerm[]): DataStart {
  let node = root;
  let depth = 0;
  let baseDepth = -1;
  while (depth < path.length && !node.ruleSet) {
    const p = path[depth] as CTerm;
    if (p.t !== "const" || typeof p.v !== "string") break;
    const child = node.children.get(p.v);
    if (!child) {
      baseDepth = depth + 1;
      while (baseDepth < path.length) {
        const q = path[baseDepth] as CTerm;
        if (q.t !== "const" || typeof q.v !== "string") break;
        baseDepth++;
      }
      break;
    }
    node = child;
    depth++;
  }
  const rs = node.ruleSet;
  const rules = rs !== undefined && rs.kind !== "partial" ? rs : undefined;
  return { node, depth, rules, baseDepth, memoData: undefined, memoValue: undefined };
}

function walkNode(
  ctx: EvalContext,
  node: RuleNode,
  base: Value | undefined,
  path: CTerm[],
  i: number,
  slots: Slots,
  k: VK,
): boolean {
  if (ctx.dataOverrides && node.path.length > 0) {
    const o = ctx.dataOverrides.get(pathKey(node.path));
    if (o !== undefined) return walkValue(ctx, o, path, i, slots, k);
  }
  if (node.ruleSet) {
    const v = nodeValue(ctx, node, base);
    return v === undefined ? false : walkValue(ctx, v, path, i, slots, k);
  }
  if (i === path.length) {
    const v = nodeValue(ctx, node, base);
    return v === undefined ? false : k(v);
  }
  const p = path[i] as CTerm;
  let key: Value | undefined;
  if (p.t === "const") key = p.v;
  else if (p.t === "var") key = slots[p.slot];
  else key = firstValue(ctx, p, slots);
  if (key === undefined && p.t === "var") {
    // Iterate over both the virtual children and the base document's keys.
    const slot = p.slot;
    const keys: Value[] = [];
    const seen = new Set<string>();
    for (const c of node.children.keys()) {
      seen.add(c);
      keys.push(c);
    }
    if (base instanceof RegoObject) for (const bk of base.keys()) if (!seen.has(keyOf(bk))) keys.push(bk);
    for (const kv of keys) {
      slots[slot] = kv;
      const r = stepInto(ctx, node, base, kv, path, i + 1, slots, k);
      slots[slot] = undefined;
      if (r) return true;
    }
    return false;
  }
  if (key === undefined) return false;
  return stepInto(ctx, node, base, key, path, i + 1, slots, k);
}

function stepInto(
  ctx: EvalContext,
  node: RuleNode,
  base: Value | undefined,
  key: Value,
  path: CTerm[],
  next: number,
  slots: Slots,
  k: VK,
): boolean {
  // Base documents come from JSON, so a number operand also finds the key's string form.
  let childBase = base === undefined ? undefined : childOf(base, key);
  if (childBase === undefined && typeof key === "number" && base instanceof RegoObject)
    childBase = base.get(String(key));
  const name = typeof key === "string" ? key : typeof key === "number" ? String(key) : undefined;
  const child = name === undefined ? undefined : node.children.get(name);
  if (child) return walkNode(ctx, child, childBase, path, next, slots, k);
  if (childBase === undefined) return false;
  // Keep walking as a base document so that number operands still find string keys.
  return childBase instanceof RegoObject
    ? walkNode(ctx, BASE_ONLY, childBase, path, next, slots, k)
    : walkValue(ctx, childBase, path, next, slots, k);
}

/** A node with no rules: what remains of a walk below the rule tree. */
const BASE_ONLY: RuleNode = { children: new Map(), ruleSet: undefined, path: [], isPackage: false };

/** The whole document at a node: its rules' value, or base data merged with its children. */
function nodeValue(ctx: EvalContext, node: RuleNode, base: Value | undefined): Value | undefined {
  if (ctx.dataOverrides && node.path.length > 0) {
    const o = ctx.dataOverrides.get(pathKey(node.path));
    if (o !== undefined) return o;
  }
  const rs = node.ruleSet;
  if (rs && rs.kind !== "partial") {
    if (rs.kind === "function") return undefined;
    return ruleSetValue(ctx, rs);
  }
  let obj: RegoObject | undefined;
  if (rs) {
    const v = ruleSetValue(ctx, rs);
    if (v instanceof RegoObject) obj = pathObject(v.entries());
  }
  if (node.children.size === 0) {
    if (obj) return obj;
    // A package without rules is still an (empty) object.
    return base ?? (node.isPackage ? new RegoObject() : undefined);
  }
  obj ??= pathObject(base instanceof RegoObject ? base.entries() : undefined);
  for (const [name, child] of node.children) {
    const cv = nodeValue(ctx, child, base === undefined ? undefined : childOf(base, name));
    if (cv === undefined) continue;
    const prev = obj.get(name);
    if (prev === undefined) obj.set(name, cv);
    else if (rs) obj.set(name, mergeVirtual(prev, cv));
    else obj.set(name, mergeBase(prev, cv));
  }
  return obj;
}

/** The value of a rule set (cached per evaluation scope); undefined when no rule applies. */
export function ruleSetValue(ctx: EvalContext, rs: RuleSet): Value | undefined {
  const cached = ctx.cache[rs.id];
  if (cached !== undefined) return cached === UNDEFINED ? undefined : cached;
  let v: Value | undefined;
  // A function rule set has no value of its own (its calls go through userResult).
  const compilable = rs.kind !== "function" && codegenApplies(ctx);
  const compiled = compilable ? compiledRuleSet(ctx.policy, rs) : null;
  if (compiled !== null && compiled !== undefined) {
    v = compiled(ctx, undefined);
    ctx.cache[rs.id] = v === undefined ? UNDEFINED : v;
    return v;
  }
  switch (rs.kind) {
    case "complete":
      v = completeValue(ctx, rs);
      break;
    case "multi":
      v = multiValue(ctx, rs);
      break;
    case "partial":
      v = partialValue(ctx, rs);
      break;
    case "function":
      v = undefined;
      break;
  }
  ctx.cache[rs.id] = v === undefined ? UNDEFINED : v;
  return v;
}

/** The rules worth evaluating for this input (all, unless the rule set is indexed). */
function candidates(ctx: EvalContext, rs: RuleSet): CRule[] {
  const idx = rs.index;
  if (!idx || ctx.dataOverrides) return rs.rules;
  let v: Value | undefined = ctx.input;
  for (const seg of idx.path) {
    if (v === undefined) break;
    v = childOf(v, seg);
  }
  if (v === undefined || (typeof v === "object" && v !== null)) return v === undefined ? idx.rest : rs.rules;
  return idx.byValue.get(keyOf(v)) ?? idx.rest;
}

/**
 * Runs a rule (with its else chain): for each solution of the first body that has any, calls
 * `sink.emit` with the rule and its slots. Stops early when that returns true.
 */
export function runRule(ctx: EvalContext, rule: CRule, sink: RuleSink, args?: Value[]): boolean {
  const compiledOk = codegenApplies(ctx);
  for (let r: CRule | undefined = rule; r; r = r.else) {
    if (compiledOk) {
      const f = compiledRule(ctx.policy, r);
      if (f !== null && f !== undefined) {
        const outcome = f(ctx, sink, args);
        if (outcome === STOPPED) return true;
        if (outcome === SOLVED) return false;
        continue;
      }
    }
    // A rule without variables never writes a slot: all such rules share one empty array.
    const slots: Slots = r.nslots === 0 ? NO_SLOTS : new Array(r.nslots);
    let outcome: number;
    if (ctx.trackRules) {
      ctx.ruleStack.push(r);
      try {
        outcome = solve(ctx, r, sink, args, slots);
      } finally {
        ctx.ruleStack.pop();
      }
    } else outcome = solve(ctx, r, sink, args, slots);
    if (outcome === STOPPED) return true;
    if (outcome === SOLVED) return false;
  }
  return false;
}

/** Runs one rule of an else chain: NO_SOLUTION, SOLVED or STOPPED. */
function solve(ctx: EvalContext, r: CRule, sink: RuleSink, args: Value[] | undefined, slots: Slots): number {
  // Most parameter lists and bodies have one solution at most: run them straight, and continue
  // with closures (in runRest) only from the first expression that may have several.
  const bound = args && r.args ? bindParams(r.args, args, slots) : PASS;
  if (bound === FAIL) return NO_SOLUTION;
  if (bound !== PASS) return runRest(ctx, r, sink, args, slots, 0);
  const from = directPrefix(ctx, r.body, slots);
  if (from === -1) return NO_SOLUTION;
  if (from === r.body.length) return sink.emit(r, slots) ? STOPPED : SOLVED;
  return runRest(ctx, r, sink, undefined, slots, from);
}

const NO_SOLUTION = 0;
const SOLVED = 1;
const STOPPED = 2;

/**
 * The continuation-passing part of runRule: from `body[from]`, or from binding `args` to the
 * parameters when they are patterns. Kept apart so runRule allocates no closure context.
 */
function runRest(
  ctx: EvalContext,
  r: CRule,
  sink: RuleSink,
  args: Value[] | undefined,
  slots: Slots,
  from: number,
): number {
  let outcome = NO_SOLUTION;
  const bodyK = (): boolean => {
    if (sink.emit(r, slots)) outcome = STOPPED;
    else if (outcome === NO_SOLUTION) outcome = SOLVED;
    return outcome === STOPPED;
  };
  if (args) bindArgs(ctx, r.args as CTerm[], args, 0, slots, () => evalBody(ctx, r.body, 0, slots, bodyK));
  else generate(ctx, r.body, from, slots, bodyK);
  return outcome;
}

const NO_SLOTS: Slots = [];

function bindArgs(
  ctx: EvalContext,
  params: CTerm[],
  args: Value[],
  i: number,
  slots: Slots,
  k: () => boolean,
): boolean {
  if (i === params.length) return k();
  return unifyValue(ctx, params[i] as CTerm, args[i] as Value, slots, () =>
    bindArgs(ctx, params, args, i + 1, slots, k),
  );
}

function completeValue(ctx: EvalContext, rs: RuleSet): Value | undefined {
  const sink = new SingleValueSink(ctx, "complete rules must not produce multiple outputs");
  for (const r of candidates(ctx, rs)) runRule(ctx, r, sink);
  if (sink.value === undefined && rs.defaultRule) return firstValue(ctx, rs.defaultRule.value ?? TRUE_TERM, []);
  return sink.value;
}

function multiValue(ctx: EvalContext, rs: RuleSet): Value {
  const sink = new SetSink(ctx);
  for (const r of candidates(ctx, rs)) runRule(ctx, r, sink);
  return sink.set;
}

function partialValue(ctx: EvalContext, rs: RuleSet): Value | undefined {
  const out = pathObject();
  let any = false;
  for (const rule of candidates(ctx, rs)) {
    runRule(ctx, rule, {
      // Compiled rules (which call accept) are never partial: see codegen/index.ts.
      accept: () => {
        throw new RegoError("eval_internal_error", "compiled partial rule");
      },
      emit: (r, slots) => {
        evalTerms(ctx, r.refTail, slots, (keys) =>
          evalTerm(ctx, r.key ?? r.value ?? TRUE_TERM, slots, (v) => {
            insertAt(out, keys, v, r, r.key !== undefined);
            any = true;
            return false;
          }),
        );
        return false;
      },
    });
  }
  if (!any && rs.defaultRule) return firstValue(ctx, rs.defaultRule.value ?? TRUE_TERM, []);
  return out;
}

function insertAt(obj: RegoObject, keys: Value[], v: Value, r: CRule, setLeaf: boolean): void {
  let cur = obj;
  for (let i = 0; i < keys.length - 1; i++) {
    const key = keys[i] as Value;
    let next = cur.get(key);
    if (next === undefined) {
      next = pathObject();
      cur.set(key, next);
    } else if (!(next instanceof RegoObject) || !pathObjects.has(next)) {
      // Another rule's value: a rule may not write inside it.
      throw new RegoError("eval_conflict_error", "object keys must be unique", r.loc);
    }
    cur = next;
  }
  const last = keys[keys.length - 1] as Value;
  const prev = cur.get(last);
  if (setLeaf) {
    if (prev === undefined) cur.set(last, new RegoSet([v]));
    else if (prev instanceof RegoSet) prev.add(v);
    else throw new RegoError("eval_conflict_error", "object keys must be unique", r.loc);
    return;
  }
  if (prev !== undefined && !equals(prev, v)) {
    throw new RegoError("eval_conflict_error", "object keys must be unique", r.loc);
  }
  cur.set(last, v);
}

/**
 * Objects the rule tree builds from reference heads (`a.b[c].d := v`). Rules defining the same
 * path merge into these; a rule's own value is never merged into.
 */
const pathObjects = new WeakSet<RegoObject>();

function pathObject(entries?: Iterable<readonly [Value, Value]>): RegoObject {
  const o = new RegoObject(entries);
  pathObjects.add(o);
  return o;
}

/** Base data and a virtual document at one path: objects merge, otherwise the base document wins (as OPA). */
function mergeBase(base: Value, virtual: Value): Value {
  if (!(base instanceof RegoObject) || !(virtual instanceof RegoObject)) return base;
  const out = pathObject(base.entries());
  for (const [k, v] of virtual) {
    const prev = out.get(k);
    out.set(k, prev === undefined ? v : mergeBase(prev, v));
  }
  return out;
}

/** Merges two virtual documents defined at one path by different rules; a clash is a conflict. */
function mergeVirtual(a: Value, b: Value): Value {
  if (equals(a, b)) return a;
  if (a instanceof RegoSet && b instanceof RegoSet) return new RegoSet([...a, ...b]);
  if (a instanceof RegoObject && b instanceof RegoObject && pathObjects.has(a) && pathObjects.has(b)) {
    const out = pathObject(a.entries());
    for (const [k, v] of b) {
      const prev = out.get(k);
      out.set(k, prev === undefined ? v : mergeVirtual(prev, v));
    }
    return out;
  }
  throw new RegoError("eval_conflict_error", "object keys must be unique");
}
