/**
 * Rule indexing: when many rules of one rule set each test `input.<path> == <constant>`, group
 * them by that constant so a decision evaluates only the rules that can match its input.
 */
import { keyOf, type Value } from "../value.js";
import type { CExpr, CRule, CTerm, RuleNode, RuleSet } from "./ir.js";

/** Below this many rules a scan is cheaper than a lookup. */
const MIN_RULES = 4;

function inputPath(t: CTerm): string[] | undefined {
  if (t.t !== "input") return undefined;
  const out: string[] = [];
  for (const p of t.path) {
    if (p.t !== "const" || typeof p.v !== "string") return undefined;
    out.push(p.v);
  }
  return out;
}

function scalar(t: CTerm): Value | undefined {
  if (t.t !== "const") return undefined;
  const v = t.v;
  return v === null || typeof v !== "object" ? v : undefined;
}

/** `input.a.b == "x"` / `input.a.b = "x"` conditions of a body's top level. */
function equalityConditions(body: CExpr[]): { path: string[]; value: Value }[] {
  const out: { path: string[]; value: Value }[] = [];
  for (const e of body) {
    if (e.negated || e.with.length > 0) continue;
    let a: CTerm | undefined;
    let b: CTerm | undefined;
    if (e.kind === "call" && e.fn.name === "equal" && !e.out && e.args.length === 2) [a, b] = e.args as [CTerm, CTerm];
    else if (e.kind === "unify") [a, b] = [e.a, e.b];
    if (!a || !b) continue;
    for (const [x, y] of [
      [a, b],
      [b, a],
    ] as [CTerm, CTerm][]) {
      const path = inputPath(x);
      const value = scalar(y);
      if (path && value !== undefined) out.push({ path, value });
    }
  }
  return out;
}

function indexRuleSet(rs: RuleSet): void {
  if (rs.kind === "function" || rs.rules.length < MIN_RULES) return;
  const conditions = new Map<CRule, { path: string[]; value: Value }[]>();
  const counts = new Map<string, { path: string[]; n: number }>();
  for (const r of rs.rules) {
    const conds = equalityConditions(r.body);
    conditions.set(r, conds);
    const seen = new Set<string>();
    for (const k of conds) {
      const id = k.path.join("\u0000");
      if (seen.has(id)) continue;
      seen.add(id);
      const c = counts.get(id) ?? { path: k.path, n: 0 };
      c.n++;
      counts.set(id, c);
    }
  }
  let best: { path: string[]; n: number } | undefined;
  for (const c of counts.values()) if (!best || c.n > best.n) best = c;
  if (!best || best.n < 2) return;
  const id = best.path.join("\u0000");
  const testing = new Map<CRule, string>();
  const rest: CRule[] = [];
  for (const r of rs.rules) {
    const cond = conditions.get(r)?.find((k) => k.path.join("\u0000") === id);
    // An else branch runs exactly when the first body fails, so such chains are always candidates.
    if (!cond || r.else) rest.push(r);
    else testing.set(r, keyOf(cond.value));
  }
  // Candidate lists keep definition order so errors and conflicts surface as without the index.
  const byValue = new Map<string, CRule[]>();
  for (const key of new Set(testing.values())) {
    byValue.set(
      key,
      rs.rules.filter((r) => testing.get(r) === key || !testing.has(r)),
    );
  }
  rs.index = { path: best.path, byValue, rest };
}

/** Builds indexes for every rule set in the tree. */
export function indexRuleSets(node: RuleNode): void {
  if (node.ruleSet) indexRuleSet(node.ruleSet);
  for (const c of node.children.values()) indexRuleSets(c);
}
