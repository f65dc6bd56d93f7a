/**
 * Lowers the AST to the evaluator's IR: resolves names (locals to slots, rule names and imports
 * to `data` references, calls to builtins or user functions) and rewrites operators.
 */
import type { Expr, Rule, Term, VarTerm, WithModifier } from "../ast.js";
import type { BuiltinDecl } from "../builtins/types.js";
import { type Location, RegoError } from "../errors.js";
import { normalizeInteger, outOfRangeLiteral } from "../integers.js";
import { RegoObject, RegoSet, type Value } from "../value.js";
import type { CExpr, CRule, CTerm, CWith, FnTarget } from "./ir.js";
import {
  collectDeclared,
  collectExprLevelNames,
  collectLevelNames,
  collectVarNames,
  type ModuleNames,
  refSegments,
} from "./names.js";
import { checkOperandTypes } from "./typecheck.js";

/** What the lowering of one module needs to know about the whole policy. */
export interface LowerEnv {
  builtins: ReadonlyMap<string, BuiltinDecl>;
  /** Evaluator-implemented builtins and their arity. */
  specials: ReadonlyMap<string, number>;
  /** `data` paths (joined with ".") of user functions, with their arity. */
  functions: ReadonlyMap<string, number>;
  /** Builtins a policy may not call, with the compile error's message. */
  forbidden: ReadonlyMap<string, string>;
}

type Binding = { kind: "slot"; slot: number } | { kind: "root"; root: "data" | "input"; path: string[] };

/** One lexical scope: a rule body, a comprehension body or an `every` body. */
class Scope {
  readonly names = new Map<string, number>();
  /** Outer slots read from inside this scope (and its children). */
  readonly closure = new Set<number>();
  /** Names declared by `some`/`:=` whose declaration has not been reached yet: invisible to nested scopes. */
  readonly pending = new Set<string>();
  constructor(readonly parent: Scope | undefined) {}
}

/** Lowers the rules and queries of one module (or a query without a module). */
export class Lowerer {
  private nslots = 0;
  /** Whether any literal lowered so far is an exact integer beyond 2^53 (a bigint). */
  sawBigInteger = false;
  /** Whether rego.metadata.rule/chain may be called: evaluation then tracks the rule being run. */
  sawRuleMetadata = false;
  private wildcards = 0;
  private scope: Scope;
  private readonly slotNames: string[] = [];

  constructor(
    private readonly env: LowerEnv,
    private readonly names: ModuleNames,
  ) {
    this.scope = new Scope(undefined);
  }

  /** Number of slots used so far. */
  get slotCount(): number {
    return this.nslots;
  }

  /** Variables of the outermost scope (a query's own variables). */
  get rootNames(): ReadonlyMap<string, number> {
    let s = this.scope;
    while (s.parent) s = s.parent;
    return s.names;
  }

  /** Names of the slots, by index. */
  get slotNameList(): readonly string[] {
    return this.slotNames;
  }

  /** Lowers a rule (and its else chain) to IR with a fresh slot space. */
  lowerRule(rule: Rule, refTail: Term[]): CRule {
    this.nslots = 0;
    this.slotNames.length = 0;
    this.scope = new Scope(undefined);
    const declared = new Set<string>();
    for (const a of rule.head.args ?? []) collectVarNames(a, declared);
    return this.lowerRuleLevel(rule, refTail, declared);
  }

  private lowerRuleLevel(rule: Rule, refTail: Term[], argNames: Set<string>): CRule {
    // Each else branch shares the function's parameters but has its own body scope.
    this.scope = new Scope(undefined);
    const declared = new Set(argNames);
    collectDeclared(rule.body, declared);
    const headTerms = [...refTail, ...(rule.head.args ?? [])];
    if (rule.head.key) headTerms.push(rule.head.key);
    if (rule.head.value) headTerms.push(rule.head.value);
    this.declareLevel(rule.body, declared, headTerms, rule.head.args ?? []);
    const args = rule.head.args?.map((a) => this.lowerTerm(a));
    const tail = refTail.map((t) => this.lowerTerm(t));
    const key = rule.head.key ? this.lowerTerm(rule.head.key) : undefined;
    const value = rule.head.value ? this.lowerTerm(rule.head.value) : undefined;
    const body = this.lowerBody(rule.body);
    const elseRule = rule.else
      ? this.lowerRuleLevel({ ...rule.else, head: { ...rule.else.head, args: rule.head.args } }, [], argNames)
      : undefined;
    return {
      refTail: tail,
      args,
      key,
      value,
      body,
      else: elseRule,
      nslots: 0,
      loc: rule.loc,
      annotations: rule.annotations,
      metadataRule: null,
      metadataChain: null,
      compiled: undefined,
      runs: 0,
    };
  }

  /** Lowers a query body; its variables live in a fresh slot space. */
  lowerQuery(body: Expr[]): CExpr[] {
    this.nslots = 0;
    this.slotNames.length = 0;
    this.scope = new Scope(undefined);
    const declared = new Set<string>();
    collectDeclared(body, declared);
    this.declareLevel(body, declared, []);
    return this.lowerBody(body);
  }

  /** Lowers a standalone term (used for `with` values etc.). */
  lowerStandaloneTerm(t: Term): CTerm {
    return this.lowerTerm(t);
  }

  private newSlot(name: string): number {
    const s = this.nslots++;
    this.slotNames[s] = name;
    return s;
  }

  private slotFor(name: string): number {
    let s = this.scope.names.get(name);
    if (s === undefined) {
      s = this.newSlot(name);
      this.scope.names.set(name, s);
    }
    return s;
  }

  /**
   * Pre-declares the variables of a scope: every name used at this level (outside nested bodies)
   * gets its slot before lowering, so that a comprehension that reads a variable bound later in
   * the enclosing body closes over it instead of declaring its own.
   */
  private declareLevel(body: Expr[], declared: Set<string>, extra: Term[], boundOnEntry: Term[] = extra): void {
    for (const n of declared) this.scope.names.set(n, this.newSlot(n));
    const early = new Set<string>();
    for (const t of boundOnEntry) collectVarNames(t, early);
    for (const n of declared) if (!early.has(n)) this.scope.pending.add(n);
    const used = new Set<string>();
    for (const t of extra) collectLevelNames(t, used);
    for (const e of body) collectExprLevelNames(e, used);
    for (const n of used) {
      if (this.scope.names.has(n) || this.isGlobalName(n)) continue;
      let outer = this.scope.parent;
      let found = false;
      while (outer) {
        if (outer.names.has(n) && !outer.pending.has(n)) found = true;
        outer = outer.parent;
      }
      if (!found) this.scope.names.set(n, this.newSlot(n));
    }
  }

  private isGlobalName(n: string): boolean {
    return n === "input" || n === "data" || this.names.imports.has(n) || this.names.ruleNames.has(n);
  }

  private resolve(v: VarTerm): Binding {
    if (v.name === "_") {
      return { kind: "slot", slot: this.newSlot(`_$${this.wildcards++}`) };
    }
    // Local scopes first (innermost out): declared or already seen variables.
    let s: Scope | undefined = this.scope;
    while (s) {
      const slot = s.names.get(v.name);
      if (slot !== undefined && !(s !== this.scope && s.pending.has(v.name))) {
        if (s !== this.scope) this.markClosure(slot, s);
        return { kind: "slot", slot };
      }
      s = s.parent;
    }
    if (v.name === "input") return { kind: "root", root: "input", path: [] };
    if (v.name === "data") return { kind: "root", root: "data", path: [] };
    const imp = this.names.imports.get(v.name);
    if (imp) return { kind: "root", root: imp.root, path: imp.path };
    if (this.names.ruleNames.has(v.name)) {
      return { kind: "root", root: "data", path: [...this.names.packagePath, v.name] };
    }
    return { kind: "slot", slot: this.slotFor(v.name) };
  }

  private markClosure(slot: number, owner: Scope): void {
    let s: Scope | undefined = this.scope;
    while (s && s !== owner) {
      s.closure.add(slot);
      s = s.parent;
    }
  }

  private withScope<T>(declared: Set<string>, body: Expr[], extra: Term[], fn: (scope: Scope) => T): T {
    const outer = this.scope;
    this.scope = new Scope(outer);
    try {
      this.declareLevel(body, declared, extra);
      return fn(this.scope);
    } finally {
      this.scope = outer;
    }
  }

  private lowerBody(body: Expr[]): CExpr[] {
    const out: CExpr[] = [];
    const assigned = new Set<string>();
    for (const e of body) {
      const c = this.lowerExpr(e, assigned);
      if (c) out.push(c);
      const now = new Set<string>();
      collectDeclared([e], now);
      for (const n of now) this.scope.pending.delete(n);
    }
    if (out.length === 0) {
      out.push({
        kind: "term",
        term: { t: "const", v: true },
        negated: false,
        with: [],
        loc: body[0]?.loc ?? noLoc,
        text: "true",
      });
    }
    return out;
  }

  private lowerExpr(e: Expr, assigned: Set<string>): CExpr | undefined {
    const base = { negated: e.negated, loc: e.loc, text: "", with: [] as CWith[] };
    switch (e.kind) {
      case "some":
        return undefined;
      case "somein": {
        const domain = this.lowerTerm(e.domain);
        const key = e.key ? this.lowerTerm(e.key) : undefined;
        const value = this.lowerTerm(e.value);
        base.with = this.lowerWith(e.with);
        return { ...base, kind: "somein", key, value, domain };
      }
      case "every": {
        const domain = this.lowerTerm(e.domain);
        const declared = new Set<string>();
        if (e.key) collectVarNames(e.key, declared);
        collectVarNames(e.value, declared);
        collectDeclared(e.body, declared);
        const extra = e.key ? [e.key, e.value] : [e.value];
        const res = this.withScope(declared, e.body, extra, (scope) => {
          const key = e.key ? this.lowerTerm(e.key) : undefined;
          const value = this.lowerTerm(e.value);
          const body = this.lowerBody(e.body);
          return { key, value, body, closure: [...scope.closure] };
        });
        base.with = this.lowerWith(e.with);
        return { ...base, kind: "every", domain, ...res };
      }
      case "term": {
        base.with = this.lowerWith(e.with);
        const t = e.term;
        if (t.type === "call") {
          const opName = refSegments(t.op)?.join(".");
          if ((opName === "eq" || opName === "assign") && t.args.length === 2) {
            const [l, r] = t.args as [Term, Term];
            if (opName === "assign") {
              const names = new Set<string>();
              collectVarNames(l, names);
              for (const n of names) {
                if (assigned.has(n)) throw new RegoError("rego_compile_error", `var ${n} assigned above`, e.loc);
                assigned.add(n);
              }
              if (l.type === "ref" || (l.type === "var" && (l.name === "input" || l.name === "data"))) {
                throw new RegoError(
                  "rego_compile_error",
                  `cannot assign to ${l.type === "var" ? l.name : "ref"}`,
                  e.loc,
                );
              }
            }
            return { ...base, kind: "unify", a: this.lowerTerm(l), b: this.lowerTerm(r) };
          }
          const fn = this.resolveFn(t.op, t.loc);
          const arity = this.arityOf(fn);
          const args = t.args.map((a) => this.lowerTerm(a));
          if (args.length === arity + 1) {
            const out = args.pop();
            checkOperandTypes(fn, args, t.loc);
            return { ...base, kind: "call", fn, args, out };
          }
          this.checkArity(fn, arity, args.length, t.loc);
          checkOperandTypes(fn, args, t.loc);
          return { ...base, kind: "call", fn, args, out: undefined };
        }
        return { ...base, kind: "term", term: this.lowerTerm(t) };
      }
    }
  }

  private lowerWith(mods: WithModifier[]): CWith[] {
    return mods.map((m) => {
      const segs = refSegments(m.target);
      if (!segs)
        throw new RegoError(
          "rego_compile_error",
          "with keyword target must reference existing input, data, or a function",
          m.loc,
        );
      const lowerValue = (): CTerm => this.lowerTerm(m.value);
      if (segs[0] === "input") {
        return { target: { kind: "input", path: segs.slice(1) }, value: lowerValue(), fnValue: undefined, loc: m.loc };
      }
      const targetFn = this.tryResolveFn(segs);
      if (segs[0] === "data" && !(targetFn && targetFn.kind === "user")) {
        return { target: { kind: "data", path: segs.slice(1) }, value: lowerValue(), fnValue: undefined, loc: m.loc };
      }
      if (!targetFn) {
        const r = this.resolveRefPath(segs);
        if (r) return { target: { kind: "data", path: r }, value: lowerValue(), fnValue: undefined, loc: m.loc };
        throw new RegoError(
          "rego_compile_error",
          "with keyword target must reference existing input, data, or a function",
          m.loc,
        );
      }
      // A function replaced by another function (rather than by a value).
      const valueSegs = m.value.type === "var" || m.value.type === "ref" ? refSegments(m.value) : undefined;
      const isLocal = m.value.type === "var" && this.isLocalName(m.value.name);
      const fnValue = valueSegs && !isLocal ? this.tryResolveFn(valueSegs) : undefined;
      const value: CTerm = fnValue ? { t: "const", v: null } : lowerValue();
      return { target: { kind: "fn", name: targetFn.name }, value, fnValue, loc: m.loc };
    });
  }

  private isLocalName(name: string): boolean {
    for (let s: Scope | undefined = this.scope; s; s = s.parent) if (s.names.has(name)) return true;
    return false;
  }

  /** Resolves `pkgrule.x` or `alias.x` to a data path. */
  private resolveRefPath(segs: string[]): string[] | undefined {
    const [head, ...rest] = segs as [string, ...string[]];
    const imp = this.names.imports.get(head);
    if (imp) return imp.root === "data" ? [...imp.path, ...rest] : undefined;
    if (this.names.ruleNames.has(head)) return [...this.names.packagePath, head, ...rest];
    return undefined;
  }

  private tryResolveFn(segs: string[]): FnTarget | undefined {
    const name = segs.join(".");
    if (segs[0] === "data") {
      const p = segs.slice(1).join(".");
      if (this.env.functions.has(p)) return { kind: "user", name: `data.${p}`, path: segs.slice(1) };
      return undefined;
    }
    // Locally defined or imported functions shadow builtins.
    const resolved = this.resolveRefPath(segs);
    if (resolved && this.env.functions.has(resolved.join("."))) {
      return { kind: "user", name: `data.${resolved.join(".")}`, path: resolved };
    }
    const special = this.env.specials.get(name);
    if (special !== undefined) {
      if (name.startsWith("rego.metadata.")) this.sawRuleMetadata = true;
      return { kind: "special", name, arity: special };
    }
    const decl = this.env.builtins.get(name);
    if (decl) return { kind: "builtin", name, decl };
    return undefined;
  }

  private resolveFn(op: Term, loc: Location): FnTarget {
    const segs = refSegments(op);
    if (!segs) throw new RegoError("rego_type_error", "invalid function reference", loc);
    const name = segs.join(".");
    const fn = this.tryResolveFn(segs);
    // A policy's own function may reuse a forbidden builtin's name.
    const forbidden = fn?.kind === "user" ? undefined : this.env.forbidden.get(name);
    if (forbidden) throw new RegoError("rego_type_error", forbidden, loc);
    if (!fn) throw new RegoError("rego_type_error", `undefined function ${name}`, loc);
    return fn;
  }

  private arityOf(fn: FnTarget): number {
    switch (fn.kind) {
      case "builtin":
        return fn.decl.args.length;
      case "special":
        return fn.arity;
      case "user":
        return this.env.functions.get(fn.path.join(".")) ?? 0;
    }
  }

  private checkArity(fn: FnTarget, arity: number, got: number, loc: Location): void {
    if (fn.kind === "special" && arity < 0) return; // variadic (print)
    if (got !== arity) {
      const which = got < arity ? "too few arguments" : "too many arguments";
      throw new RegoError(
        "rego_type_error",
        `${fn.name}: arity mismatch: ${which} (expected ${arity}, got ${got})`,
        loc,
      );
    }
  }

  private lowerTerm(t: Term): CTerm {
    switch (t.type) {
      case "null":
        return { t: "const", v: null };
      case "boolean":
      case "string":
        return { t: "const", v: t.value };
      case "number": {
        // A literal beyond the double range (`2e308`) is an integer: kept exact, as OPA keeps it.
        if (!Number.isFinite(t.value)) {
          const exact = outOfRangeLiteral(t.raw);
          if (exact === undefined) return { t: "const", v: t.value };
          this.sawBigInteger = true;
          return { t: "const", v: exact };
        }
        // An integer literal beyond 2^53 keeps its exact value, as OPA's numbers do.
        if (Number.isSafeInteger(t.value) || !/^-?\d+$/.test(t.raw)) return { t: "const", v: t.value };
        const big = BigInt(t.raw);
        const exact = normalizeInteger(t.value < 0 && big > 0n ? -big : big);
        if (typeof exact === "bigint") this.sawBigInteger = true;
        return { t: "const", v: exact };
      }
      case "var": {
        const b = this.resolve(t);
        if (b.kind === "slot") return { t: "var", slot: b.slot, name: t.name };
        return rootTerm(
          b.root,
          b.path.map((p) => ({ t: "const", v: p })),
          t.loc,
        );
      }
      case "ref": {
        const path = t.path.map((p) => this.lowerTerm(p));
        const head = t.head;
        if (head.type === "var") {
          const b = this.resolve(head);
          if (b.kind === "root") {
            return rootTerm(b.root, [...b.path.map((p): CTerm => ({ t: "const", v: p })), ...path], t.loc);
          }
          return { t: "ref", base: { t: "var", slot: b.slot, name: head.name }, path, loc: t.loc };
        }
        const base = this.lowerTerm(head);
        if (base.t === "data" || base.t === "input") return { ...base, path: [...base.path, ...path] };
        return { t: "ref", base, path, loc: t.loc };
      }
      case "array": {
        const items = t.items.map((i) => this.lowerTerm(i));
        return allConst(items) ? { t: "const", v: items.map(constValue) } : { t: "array", items };
      }
      case "set": {
        const items = t.items.map((i) => this.lowerTerm(i));
        return allConst(items) ? { t: "const", v: new RegoSet(items.map(constValue)) } : { t: "set", items };
      }
      case "object": {
        const items = t.items.map(([k, v]): [CTerm, CTerm] => [this.lowerTerm(k), this.lowerTerm(v)]);
        if (items.every(([k, v]) => k.t === "const" && v.t === "const")) {
          return { t: "const", v: new RegoObject(items.map(([k, v]) => [constValue(k), constValue(v)])) };
        }
        return { t: "object", items };
      }
      case "arraycomp":
      case "setcomp": {
        const declared = new Set<string>();
        collectDeclared(t.body, declared);
        return this.withScope(declared, t.body, [t.head], (scope) => {
          const body = this.lowerBody(t.body);
          const head = this.lowerTerm(t.head);
          return { t: t.type, head, body, closure: [...scope.closure], loc: t.loc };
        });
      }
      case "objectcomp": {
        const declared = new Set<string>();
        collectDeclared(t.body, declared);
        return this.withScope(declared, t.body, [t.key, t.value], (scope) => {
          const body = this.lowerBody(t.body);
          const key = this.lowerTerm(t.key);
          const value = this.lowerTerm(t.value);
          return { t: "objectcomp", key, value, body, closure: [...scope.closure], loc: t.loc };
        });
      }
      case "call": {
        const fn = this.resolveFn(t.op, t.loc);
        const args = t.args.map((a) => this.lowerTerm(a));
        this.checkArity(fn, this.arityOf(fn), args.length, t.loc);
        checkOperandTypes(fn, args, t.loc);
        return { t: "call", fn, args, loc: t.loc };
      }
      case "template":
        return {
          t: "template",
          parts: t.parts.map((p) => (typeof p === "string" ? p : this.lowerTerm(p))),
          loc: t.loc,
        };
    }
  }
}

const noLoc: Location = { file: "", row: 0, col: 0 };

function rootTerm(root: "data" | "input", path: CTerm[], loc: Location): CTerm {
  return root === "data" ? { t: "data", path, loc } : { t: "input", path, loc };
}

function allConst(items: CTerm[]): boolean {
  return items.every((i) => i.t === "const");
}

function constValue(t: CTerm): Value {
  return (t as { t: "const"; v: Value }).v;
}
