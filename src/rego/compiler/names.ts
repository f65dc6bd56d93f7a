/** Names in the AST: module-level names, declared and used variables, reference segments. */
import type { Expr, Module, Term } from "../ast.js";
import { RegoError } from "../errors.js";

/** Module-level name context. */
export interface ModuleNames {
  file: string;
  packagePath: string[];
  /** First segments of the package's rule heads. */
  ruleNames: Set<string>;
  /** Import aliases. */
  imports: Map<string, { root: "data" | "input"; path: string[] }>;
}

/** Collects module-level names (package rules and imports). */
export function moduleNames(mod: Module): ModuleNames {
  const ruleNames = new Set<string>();
  for (const r of mod.rules) {
    const head = r.head.ref[0];
    if (head && head.type === "var") ruleNames.add(head.name);
  }
  const imports = new Map<string, { root: "data" | "input"; path: string[] }>();
  for (const imp of mod.imports) {
    const segs = refSegments(imp.path);
    if (!segs) throw new RegoError("rego_parse_error", "invalid import path", imp.loc);
    const root = segs[0];
    if (root !== "data" && root !== "input") continue; // future.keywords, rego.v1
    const alias = imp.alias ?? segs[segs.length - 1];
    if (alias === undefined) continue;
    if (segs.length === 1 && !imp.alias) continue;
    const previous = imports.get(alias);
    if (previous) {
      const shown = [previous.root, ...previous.path].join(".");
      throw new RegoError("rego_compile_error", `import must not shadow import ${shown}`, imp.loc);
    }
    imports.set(alias, { root, path: segs.slice(1) });
  }
  return { file: mod.file, packagePath: mod.package.path, ruleNames, imports };
}

/** `a.b["c"]` -> ["a","b","c"]; undefined when not all operands are strings. */
export function refSegments(t: Term): string[] | undefined {
  if (t.type === "var") return [t.name];
  if (t.type !== "ref" || t.head.type !== "var") return undefined;
  const out = [t.head.name];
  for (const p of t.path) {
    if (p.type !== "string") return undefined;
    out.push(p.value);
  }
  return out;
}

/** Names declared in a body's own scope: `some x`, `x := ...`, `some x in xs`. */
export function collectDeclared(body: Expr[], out: Set<string>): void {
  for (const e of body) {
    switch (e.kind) {
      case "some":
        for (const v of e.vars) out.add(v.name);
        break;
      case "somein":
        if (e.key) collectVarNames(e.key, out);
        collectVarNames(e.value, out);
        break;
      case "term":
        if (e.term.type === "call" && e.term.op.type === "var" && e.term.op.name === "assign") {
          const lhs = e.term.args[0];
          if (lhs) collectVarNames(lhs, out);
        }
        break;
      case "every":
        break;
    }
  }
  out.delete("_");
}

/** Variable names in a pattern term (not descending into refs' heads or comprehensions). */
export function collectVarNames(t: Term, out: Set<string>): void {
  switch (t.type) {
    case "var":
      if (t.name !== "_") out.add(t.name);
      break;
    case "array":
    case "set":
      for (const i of t.items) collectVarNames(i, out);
      break;
    case "object":
      for (const [, v] of t.items) collectVarNames(v, out);
      break;
    default:
      break;
  }
}

/** Variable names used in a term at this scope level (not inside comprehension bodies). */
export function collectLevelNames(t: Term, out: Set<string>): void {
  switch (t.type) {
    case "var":
      if (t.name !== "_") out.add(t.name);
      break;
    case "ref":
      collectLevelNames(t.head, out);
      for (const p of t.path) collectLevelNames(p, out);
      break;
    case "array":
    case "set":
      for (const i of t.items) collectLevelNames(i, out);
      break;
    case "object":
      for (const [k, v] of t.items) {
        collectLevelNames(k, out);
        collectLevelNames(v, out);
      }
      break;
    case "call":
      for (const a of t.args) collectLevelNames(a, out);
      break;
    case "template":
      for (const p of t.parts) if (typeof p !== "string") collectLevelNames(p, out);
      break;
    default:
      break;
  }
}

export function collectExprLevelNames(e: Expr, out: Set<string>): void {
  switch (e.kind) {
    case "term":
      collectLevelNames(e.term, out);
      break;
    case "somein":
      collectLevelNames(e.domain, out);
      break;
    case "every":
      collectLevelNames(e.domain, out);
      break;
    case "some":
      break;
  }
  // A bare name as a `with` value usually names a replacement function, not a variable.
  for (const w of e.with) if (w.value.type !== "var" && w.value.type !== "ref") collectLevelNames(w.value, out);
}
