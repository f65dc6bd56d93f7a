/** The rule tree (rules by data path), its consistency checks and the recursion check. */
import { RegoError } from "../errors.js";
import type { CExpr, CRule, CTerm, RuleKind, RuleNode, RuleSet } from "./ir.js";

/** A new empty node. */
export function newNode(path: string[]): RuleNode {
  return { children: new Map(), ruleSet: undefined, path, isPackage: false };
}

/** The node at `path`, created on the way. */
export function nodeAt(root: RuleNode, path: string[]): RuleNode {
  let n = root;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i] as string;
    let c = n.children.get(seg);
    if (!c) {
      c = newNode(path.slice(0, i + 1));
      n.children.set(seg, c);
    }
    n = c;
  }
  return n;
}

/** The node at `path` if it exists. */
export function findNode(root: RuleNode, path: readonly string[]): RuleNode | undefined {
  let n: RuleNode | undefined = root;
  for (const seg of path) {
    n = n.children.get(seg);
    if (!n) return undefined;
  }
  return n;
}

/** Human name of a data path. */
export function dataName(path: readonly string[]): string {
  return ["data", ...path].join(".");
}

/** Adds a rule to the tree, checking that it agrees with the rules already there. */
export function addRule(
  root: RuleNode,
  path: string[],
  kind: RuleKind,
  rule: CRule,
  isDefault: boolean,
  arity: number,
): void {
  const node = nodeAt(root, path);
  const name = dataName(path);
  let rs = node.ruleSet;
  if (!rs) {
    rs = {
      id: -1,
      path,
      name,
      kind,
      rules: [],
      defaultRule: undefined,
      arity,
      index: undefined,
      compiled: undefined,
      runs: 0,
    };
    node.ruleSet = rs;
  } else if (rs.kind !== kind) {
    // A default value is compatible with single-value ref-head rules at the same node.
    throw new RegoError("rego_type_error", `conflicting rules ${name} found`, rule.loc);
  } else if (kind === "function" && rs.arity !== arity) {
    throw new RegoError("rego_type_error", `conflicting rules ${name} found`, rule.loc);
  }
  if (isDefault) {
    if (rs.defaultRule) throw new RegoError("rego_type_error", `multiple default rules ${name} found`, rule.loc);
    rs.defaultRule = rule;
  } else {
    rs.rules.push(rule);
  }
}

/** All rule sets at or below a node. */
export function ruleSetsUnder(node: RuleNode, out: RuleSet[] = []): RuleSet[] {
  if (node.ruleSet) out.push(node.ruleSet);
  for (const c of node.children.values()) ruleSetsUnder(c, out);
  return out;
}

/**
 * Rule sets a data reference may read: along the path, a constant operand follows one child and
 * anything else follows every child; rule sets on the way (whose values hold the rest of the path)
 * and everything below the path's end are read.
 */
function matchingRuleSets(node: RuleNode, path: CTerm[], i: number, out: Set<RuleSet>): void {
  if (node.ruleSet) out.add(node.ruleSet);
  if (i === path.length) {
    for (const rs of ruleSetsUnder(node)) out.add(rs);
    return;
  }
  const p = path[i] as CTerm;
  if (p.t === "const") {
    if (typeof p.v !== "string" && typeof p.v !== "number") return;
    const child = node.children.get(String(p.v));
    if (child) matchingRuleSets(child, path, i + 1, out);
    return;
  }
  for (const child of node.children.values()) matchingRuleSets(child, path, i + 1, out);
}

/** Rule sets a term may read: `data.a.b[x]` reads everything under `data.a.b` and rules on the way. */
function termDeps(root: RuleNode, t: CTerm, out: Set<RuleSet>): void {
  switch (t.t) {
    case "data": {
      matchingRuleSets(root, t.path, 0, out);
      for (const p of t.path) termDeps(root, p, out);
      return;
    }
    case "input":
      for (const p of t.path) termDeps(root, p, out);
      return;
    case "ref":
      termDeps(root, t.base, out);
      for (const p of t.path) termDeps(root, p, out);
      return;
    case "array":
    case "set":
      for (const i of t.items) termDeps(root, i, out);
      return;
    case "object":
      for (const [k, v] of t.items) {
        termDeps(root, k, out);
        termDeps(root, v, out);
      }
      return;
    case "arraycomp":
    case "setcomp":
      termDeps(root, t.head, out);
      bodyDeps(root, t.body, out);
      return;
    case "objectcomp":
      termDeps(root, t.key, out);
      termDeps(root, t.value, out);
      bodyDeps(root, t.body, out);
      return;
    case "call":
      if (t.fn.kind === "user") {
        const n = findNode(root, t.fn.path);
        if (n?.ruleSet) out.add(n.ruleSet);
      }
      for (const a of t.args) termDeps(root, a, out);
      return;
    case "template":
      for (const p of t.parts) if (typeof p !== "string") termDeps(root, p, out);
      return;
    default:
      return;
  }
}

function bodyDeps(root: RuleNode, body: CExpr[], out: Set<RuleSet>): void {
  for (const e of body) {
    for (const w of e.with) termDeps(root, w.value, out);
    switch (e.kind) {
      case "term":
        termDeps(root, e.term, out);
        break;
      case "call":
        if (e.fn.kind === "user") {
          const n = findNode(root, e.fn.path);
          if (n?.ruleSet) out.add(n.ruleSet);
        }
        for (const a of e.args) termDeps(root, a, out);
        if (e.out) termDeps(root, e.out, out);
        break;
      case "unify":
        termDeps(root, e.a, out);
        termDeps(root, e.b, out);
        break;
      case "somein":
        termDeps(root, e.domain, out);
        break;
      case "every":
        termDeps(root, e.domain, out);
        bodyDeps(root, e.body, out);
        break;
    }
  }
}

function ruleDeps(root: RuleNode, rs: RuleSet): Set<RuleSet> {
  const out = new Set<RuleSet>();
  const all = rs.defaultRule ? [...rs.rules, rs.defaultRule] : rs.rules;
  for (const first of all) {
    for (let r: CRule | undefined = first; r; r = r.else) {
      bodyDeps(root, r.body, out);
      for (const t of [...r.refTail, r.key, r.value, ...(r.args ?? [])]) if (t) termDeps(root, t, out);
    }
  }
  return out;
}

/** Throws `rego_recursion_error` when a rule depends on itself. */
export function checkRecursion(root: RuleNode): void {
  const sets = ruleSetsUnder(root);
  const deps = new Map<RuleSet, Set<RuleSet>>();
  for (const rs of sets) deps.set(rs, ruleDeps(root, rs));
  const state = new Map<RuleSet, 1 | 2>();
  const stack: RuleSet[] = [];
  const visit = (rs: RuleSet): void => {
    const s = state.get(rs);
    if (s === 2) return;
    if (s === 1) {
      const cycle = stack.slice(stack.indexOf(rs)).map((x) => x.name);
      const first = rs.rules[0] ?? rs.defaultRule;
      throw new RegoError(
        "rego_recursion_error",
        `rule ${rs.name} is recursive: ${[...cycle, rs.name].join(" -> ")}`,
        first?.loc,
      );
    }
    state.set(rs, 1);
    stack.push(rs);
    for (const d of deps.get(rs) ?? []) visit(d);
    stack.pop();
    state.set(rs, 2);
  };
  for (const rs of sets) visit(rs);
}
