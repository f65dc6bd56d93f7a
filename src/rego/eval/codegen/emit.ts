/**
 * Compiles a rule's body to one JavaScript function (built with `new Function`). After the
 * compiler's safety ordering, which variables are bound before each expression is known
 * statically, so the generated code needs none of the interpreter's binding checks: variables are
 * locals, generators (`some x in xs`) are nested loops, tests jump to the enclosing loop's next
 * member (or out of a block, or return), and the rule's value goes to the sink.
 *
 * The generated code follows the interpreter step by step (body.ts, single.ts, documents.ts):
 * same evaluation order, same helpers for data, builtins and user functions (runtime.ts), hence
 * the same results and errors. What it does not model (with, print, templates, data references
 * walking the rule tree with variables, patterns other than variables, constants and arrays)
 * makes the whole rule Unsupported: it then keeps running in the interpreter. The text itself is
 * written by SourceWriter (source.ts): constants never become source text.
 */
import type { CompiledPolicy } from "../../compiler/index.js";
import type { CExpr, CompiledRule, CompiledRuleSet, CRule, CTerm, FnTarget, RuleSet } from "../../compiler/ir.js";
import type { Location } from "../../errors.js";
import type { Value } from "../../value.js";
import { startOf } from "../documents.js";
import { chainOf, isMulti, isRelation, valueTermOf } from "./rule-shapes.js";
import { type Runtime, runtime } from "./runtime.js";
import { SourceWriter } from "./source.js";

/** A construct the generator does not compile: the rule stays interpreted. */
class Unsupported extends Error {}

/** Where generated code stands: which slots are bound, and how to give up the current solution. */
interface Scope {
  /** Bound slots (never mutated: binding makes a new scope). */
  bound: ReadonlySet<number>;
  /** The statement abandoning the current solution: `continue L<n>;`, `break B<n>;` or `return 0;`. */
  fail: string;
}

/** Comparison builtins computed inline (the operators they implement never throw; exactIntegers). */
const COMPARISONS: ReadonlyMap<string, (a: string, b: string) => string> = new Map([
  ["equal", (a, b) => `equals(${a}, ${b})`],
  ["neq", (a, b) => `!equals(${a}, ${b})`],
  ["lt", (a, b) => `compare(${a}, ${b}) < 0`],
  ["lte", (a, b) => `compare(${a}, ${b}) <= 0`],
  ["gt", (a, b) => `compare(${a}, ${b}) > 0`],
  ["gte", (a, b) => `compare(${a}, ${b}) >= 0`],
]);

/** Compiles a rule (not its else chain); null when the generator does not support it. */
export function generateRule(policy: CompiledPolicy, r: CRule): CompiledRule | null {
  // Partial rules (`a.b[c] := v`) build nested objects: left to the interpreter.
  if (r.refTail.length > 0) return null;
  return build(policy, (emitter) => emitter.rule(r));
}

/** Builds the function whose source `generate` makes; null when unsupported. */
function build<F>(policy: CompiledPolicy, generate: (emitter: RuleEmitter) => string): F | null {
  const emitter = new RuleEmitter(policy);
  try {
    const factory = new Function("K", "H", generate(emitter)) as (k: unknown[], h: Runtime) => F;
    return factory(emitter.constants, runtime());
  } catch (e) {
    // Very long or deeply nested bodies may exhaust the stack here: the interpreter runs them.
    if (e instanceof Unsupported || e instanceof RangeError) return null;
    throw e;
  }
}

/** Compiles a complete, multi-value or function rule set; null when the generator does not support it. */
export function generateRuleSet(policy: CompiledPolicy, rs: RuleSet): CompiledRuleSet | null {
  return build(policy, (emitter) => emitter.ruleSet(rs));
}

/** The source of one generated function; see generateRule. */
class RuleEmitter extends SourceWriter {
  constructor(private readonly policy: CompiledPolicy) {
    super();
  }

  /** A function running one rule of an else chain for runRule (see CompiledRule). */
  rule(r: CRule): string {
    const multi = isMulti(r);
    const rule = this.constant(r);
    this.open("return function compiledRule(ctx, sink, args) {");
    this.declareSlots(r.nslots);
    this.line("let found = 0;");
    this.line("tick(ctx);");
    this.ruleBody(r, "return 0;", (v) => {
      this.line(`sink.accept(${v}, ${rule});`);
      // SingleValueSink stops at a constant value: more solutions can't change it.
      return !multi && valueTermOf(r).t === "const" ? "return 2;" : "found = 1;";
    });
    this.line("return found;");
    this.close("};");
    return this.source();
  }

  /**
   * A function computing the value of a rule set without an index: what completeValue,
   * multiValue or (for a call's arguments) userResult compute, with every rule and else chain inlined.
   */
  ruleSet(rs: RuleSet): string {
    if (rs.index !== undefined || rs.kind === "partial") throw new Unsupported();
    // Functions have one value per call, as complete rules have one per evaluation.
    const complete = rs.kind !== "multi";
    const conflict = rs.kind === "function" ? "functionConflict" : "completeConflict";
    // Named by the rule set's id (a number the compiler assigned): profiles tell rule sets apart.
    if (!Number.isSafeInteger(rs.id)) throw new Unsupported();
    this.open(`return function compiledRuleSet${rs.id}(ctx, args) {`);
    this.declareSlots(Math.max(0, ...rs.rules.flatMap((r) => chainOf(r).map((c) => c.nslots))));
    this.line("tick(ctx);");
    this.line(complete ? "let value;" : "const value = new RegoSet();");
    for (const first of rs.rules) {
      const chain = this.label("X");
      this.open(`${chain}: {`);
      for (const r of chainOf(first)) {
        const found = this.name("f");
        const block = this.label("R");
        this.line(`let ${found} = 0;`);
        this.open(`${block}: {`);
        this.ruleBody(r, `break ${block};`, (v) => {
          if (!complete) {
            this.line(`value.add(${v});`);
            return `${found} = 1;`;
          }
          const loc = this.constant(r.loc);
          this.line(`if (value === undefined) value = ${v};`);
          this.line(`else if (!equals(value, ${v})) throw ${conflict}(${loc});`);
          // As SingleValueSink: a constant value can't change with more solutions.
          return valueTermOf(r).t === "const" ? `{ ${found} = 1; break ${block}; }` : `${found} = 1;`;
        });
        this.close("}");
        this.line(`if (${found} !== 0) break ${chain};`);
      }
      this.close("}");
    }
    if (complete && rs.defaultRule)
      this.line(`if (value === undefined) value = defaultValue(ctx, ${this.constant(rs)});`);
    this.line("return value;");
    this.close("};");
    return this.source();
  }

  /**
   * Emits a rule's parameter binding and body; at each solution, `emit` emits the use of the value
   * (a JS expression; skipped when the value is undefined) and returns the statement that records
   * the solution. `fail` leaves the rule.
   */
  private ruleBody(r: CRule, fail: string, emit: (value: string) => string): void {
    let scope: Scope = { bound: new Set(), fail };
    if (r.args) {
      for (let i = 0; i < r.args.length; i++) {
        const p = r.args[i] as CTerm;
        if (p.t !== "var" && p.t !== "const") throw new Unsupported();
        scope = this.unifyWith(p, `args[${i}]`, scope);
      }
    }
    const valueTerm = valueTermOf(r);
    this.body(r.body, 0, scope, (end) => {
      // A solution counts even when its value is undefined (it ends an else chain): see runRest.
      const label = this.label("V");
      this.open(`${label}: {`);
      const v = this.term(valueTerm, { bound: end.bound, fail: `break ${label};` });
      const record = emit(v);
      this.close("}");
      this.line(record);
    });
  }

  private declareSlots(n: number): void {
    if (n > 0) this.line(`let ${Array.from({ length: n }, (_, i) => `s${i}`).join(", ")};`);
  }

  // ----------------------------------------------------------------------------------------------
  // Bodies and expressions

  /**
   * Emits `body[i..]`; `done` emits what happens at the end of each solution. Only generators
   * nest (their members continue inside the loop): tests follow each other without recursion.
   */
  private body(body: CExpr[], i: number, scope: Scope, done: (scope: Scope) => void): void {
    let current = scope;
    for (; i < body.length; i++) {
      const e = body[i] as CExpr;
      if (e.with.length > 0) throw new Unsupported();
      if (e.kind === "somein" && !e.negated) {
        const next = i + 1;
        this.someIn(e, current, (inner) => this.body(body, next, inner, done));
        return;
      }
      if (e.kind === "call" && !e.negated && isRelation(e.fn)) {
        const next = i + 1;
        this.relation(e, current, (inner) => this.body(body, next, inner, done));
        return;
      }
      current = e.negated ? this.negation(e, current) : this.test(e, current);
    }
    done(current);
  }

  /** `not e`: looks for one solution of e in a block; bindings made there stay inside it. */
  private negation(e: CExpr, scope: Scope): Scope {
    const holds = this.name("n");
    const label = this.label("N");
    this.line(`let ${holds} = false;`);
    this.open(`${label}: {`);
    const inner: Scope = { bound: scope.bound, fail: `break ${label};` };
    const found = (): void => this.line(`${holds} = true; break ${label};`);
    if (e.kind === "somein") this.someIn(e, inner, found);
    else if (e.kind === "call" && isRelation(e.fn)) this.relation(e, inner, found);
    else {
      this.test(e, inner);
      found();
    }
    this.close("}");
    this.line(`if (${holds}) ${scope.fail}`);
    return scope;
  }

  /** `some k, v in xs`: a loop over the members, calling `member` inside it with the patterns bound. */
  private someIn(e: CExpr & { kind: "somein" }, scope: Scope, member: (scope: Scope) => void): void {
    const domain = this.term(e.domain, scope);
    this.members(domain, scope, (key, value, inner) => {
      const bound = e.key === undefined ? inner : this.unifyWith(e.key, key, inner);
      member(this.unifyWith(e.value, value, bound));
    });
  }

  /**
   * A relation builtin's call (`walk(x, [path, value])`): one solution per result, each unified
   * with the output pattern, as callBuiltin passes them on.
   */
  private relation(e: CExpr & { kind: "call" }, scope: Scope, member: (scope: Scope) => void): void {
    const fn = e.fn;
    if (fn.kind !== "builtin" || e.out === undefined) throw new Unsupported();
    const results = this.builtinCall(
      fn,
      e.args.map((a) => this.term(a, scope)),
      e.loc,
      scope,
    );
    this.line(`if (!Array.isArray(${results})) ${scope.fail}`);
    const n = this.counter++;
    const [index, loop] = [`i${n}`, `L${n}`];
    this.open(`${loop}: for (let ${index} = 0; ${index} < ${results}.length; ${index}++) {`);
    this.line("tick(ctx);");
    member(this.unifyWith(e.out, `${results}[${index}]`, { bound: scope.bound, fail: `continue ${loop};` }));
    this.close("}");
  }

  /** An expression with at most one solution, ignoring its negation: returns the scope after it. */
  private test(e: CExpr, scope: Scope): Scope {
    switch (e.kind) {
      case "term": {
        const v = this.term(e.term, scope);
        this.line(`if (${v} === false) ${scope.fail}`);
        return scope;
      }
      case "unify":
        return this.unify(e.a, e.b, scope);
      case "call": {
        const out = e.out;
        if (out !== undefined && out.t !== "var" && out.t !== "const") throw new Unsupported();
        const result = this.call(e.fn, e.args, e.loc, scope);
        if (out !== undefined) return this.unifyWith(out, result, scope);
        this.line(`if (${result} === false) ${scope.fail}`);
        return scope;
      }
      case "every":
        this.every(e, scope);
        return scope;
      case "somein":
        throw new Unsupported();
    }
  }

  /** `every k, v in xs { body }`: a test; what its body binds stays inside it. */
  private every(e: CExpr & { kind: "every" }, scope: Scope): void {
    const domain = this.term(e.domain, scope);
    this.line(`if (${domain} === null || typeof ${domain} !== "object") ${scope.fail}`);
    const all = this.name("e");
    const outer = this.label("E");
    this.line(`let ${all} = true;`);
    this.open(`${outer}: {`);
    this.members(domain, scope, (key, value, inner) => {
      const failed = { bound: inner.bound, fail: `{ ${all} = false; break ${outer}; }` };
      const withKey = e.key === undefined ? failed : this.unifyWith(e.key, key, failed);
      const bound = this.unifyWith(e.value, value, withKey);
      const ok = this.name("ok");
      const block = this.label("B");
      this.line(`let ${ok} = false;`);
      this.open(`${block}: {`);
      this.body(e.body, 0, { bound: bound.bound, fail: `break ${block};` }, () =>
        this.line(`${ok} = true; break ${block};`),
      );
      this.close("}");
      this.line(`if (!${ok}) { ${all} = false; break ${outer}; }`);
    });
    this.close("}");
    this.line(`if (!${all}) ${scope.fail}`);
  }

  /**
   * Iterates the members of `domain` as someIn/forEachMember do (arrays: index and item; objects:
   * key and value; sets: the member twice; anything else: nothing), one step per member, in the
   * same order. Sets and objects are walked through their cached member arrays (no iterator).
   */
  private members(domain: string, scope: Scope, member: (key: string, value: string, inner: Scope) => void): void {
    const n = this.counter++;
    const [items, keys, isSet, index, value, loop] = ["a", "ks", "st", "i", "v", "L"].map((p) => `${p}${n}`);
    this.line(`let ${items} = NO_MEMBERS, ${keys}, ${isSet} = false;`);
    this.line(`if (Array.isArray(${domain})) ${items} = ${domain};`);
    this.line(
      `else if (${domain} instanceof RegoObject) { ${items} = ${domain}.memberValues(); ${keys} = ${domain}.memberKeys(); }`,
    );
    this.line(`else if (${domain} instanceof RegoSet) { ${items} = ${domain}.members(); ${isSet} = true; }`);
    this.open(`${loop}: for (let ${index} = 0; ${index} < ${items}.length; ${index}++) {`);
    this.line(`const ${value} = ${items}[${index}];`);
    this.line("tick(ctx);");
    const key = `(${keys} !== undefined ? ${keys}[${index}] : ${isSet} ? ${value} : ${index})`;
    member(key, value as string, { bound: scope.bound, fail: `continue ${loop};` });
    this.close("}");
  }

  /**
   * `a = b` as unifyDirect and unify take it: an unbound variable is bound to the other side's
   * value, an array pattern is matched against the other side's value, anything else compares.
   */
  private unify(a: CTerm, b: CTerm, scope: Scope): Scope {
    if (a.t === "var" && !scope.bound.has(a.slot)) return this.unifyWith(a, this.term(b, scope), scope);
    if (this.isSingle(a, scope)) {
      if (b.t === "var" && !scope.bound.has(b.slot)) return this.unifyWith(b, this.term(a, scope), scope);
      // Two array literals unify pair by pair (unifyPairs), in an order this does not model.
      if (a.t === "array" && b.t === "array") throw new Unsupported();
      if (b.t !== "array" && b.t !== "object") {
        const va = this.term(a, scope);
        const vb = this.term(b, scope);
        this.line(`if (!equals(${va}, ${vb})) ${scope.fail}`);
        return scope;
      }
      return this.unifyWith(b, this.term(a, scope), scope);
    }
    // `a` is a pattern with unbound variables: match it against `b`'s one value.
    if (a.t === "array" && b.t === "array") throw new Unsupported();
    if (!this.hasUnbound(a, scope) || this.hasUnbound(b, scope)) throw new Unsupported();
    return this.unifyWith(a, this.term(b, scope), scope);
  }

  /** Unifies a pattern with a computed value (unifyValue): variables, constants, arrays, single terms. */
  private unifyWith(p: CTerm, v: string, scope: Scope): Scope {
    switch (p.t) {
      case "var": {
        if (!scope.bound.has(p.slot)) {
          this.line(`s${p.slot} = ${v};`);
          return { bound: new Set(scope.bound).add(p.slot), fail: scope.fail };
        }
        this.line(`if (!equals(s${p.slot}, ${v})) ${scope.fail}`);
        return scope;
      }
      case "const": {
        const c = this.constant(p.v);
        // Strings, booleans and null equal only themselves; numbers may meet bigints.
        const same = typeof p.v === "string" || typeof p.v === "boolean" || p.v === null;
        this.line(same ? `if (${c} !== ${v}) ${scope.fail}` : `if (!equals(${c}, ${v})) ${scope.fail}`);
        return scope;
      }
      case "array": {
        this.line(`if (!Array.isArray(${v}) || ${v}.length !== ${p.items.length}) ${scope.fail}`);
        let s = scope;
        for (let i = 0; i < p.items.length; i++) {
          const item = this.name("t");
          this.line(`const ${item} = ${v}[${i}];`);
          s = this.unifyWith(p.items[i] as CTerm, item, s);
        }
        return s;
      }
      case "object":
        throw new Unsupported();
      default: {
        const pv = this.term(p, scope);
        this.line(`if (!equals(${pv}, ${v})) ${scope.fail}`);
        return scope;
      }
    }
  }

  // ----------------------------------------------------------------------------------------------
  // Terms

  /** Emits the computation of a single-valued term; returns the expression holding its value (never undefined). */
  private term(t: CTerm, scope: Scope): string {
    if (!this.isSingle(t, scope)) throw new Unsupported();
    switch (t.t) {
      case "const":
        return this.constant(t.v);
      case "var":
        return `s${t.slot}`;
      case "input": {
        const x = this.name("t");
        this.line(`let ${x} = ctx.input;`);
        this.line(`if (${x} === undefined) ${scope.fail}`);
        this.walk(x, t.path, 0, scope);
        return x;
      }
      case "ref": {
        const base = this.term(t.base, scope);
        const x = this.name("t");
        this.line(`let ${x} = ${base};`);
        this.walk(x, t.path, 0, scope);
        return x;
      }
      case "data":
        return this.data(t, scope);
      case "call":
        return this.call(t.fn, t.args, t.loc, scope);
      case "array": {
        const items = t.items.map((item) => this.term(item, scope));
        const x = this.name("t");
        this.line(`const ${x} = [${items.join(", ")}];`);
        return x;
      }
      case "set": {
        const items = t.items.map((item) => this.term(item, scope));
        const x = this.name("t");
        this.line(`const ${x} = new RegoSet([${items.join(", ")}]);`);
        return x;
      }
      case "object": {
        const entries = t.items.map(([k, v]) => [this.term(k, scope), this.term(v, scope)]);
        const x = this.name("t");
        this.line(`const ${x} = new RegoObject();`);
        for (const [k, v] of entries) this.line(`${x}.set(${k}, ${v});`);
        return x;
      }
      case "arraycomp":
      case "setcomp":
      case "objectcomp":
        return this.comprehension(t, scope);
      default:
        throw new Unsupported();
    }
  }

  /** Steps `path[i..]` into the value in variable `x` (walkSingle: childOf at each step). */
  private walk(x: string, path: CTerm[], i: number, scope: Scope): void {
    for (; i < path.length; i++) {
      const key = this.term(path[i] as CTerm, scope);
      this.line(`${x} = childOf(${x}, ${key});`);
      this.line(`if (${x} === undefined) ${scope.fail}`);
    }
  }

  /** `data.<path>` as dataSingle computes it, for the two forms it takes without walking the rule tree. */
  private data(t: CTerm & { t: "data" }, scope: Scope): string {
    t.start ??= startOf(this.policy.root, t.path);
    const start = t.start;
    const x = this.name("t");
    const rules = start.rules;
    if (rules !== undefined) {
      // A rule's value: cached by the evaluation after the first read.
      if (rules.kind === "function" || !Number.isSafeInteger(rules.id)) throw new Unsupported();
      this.line(`let ${x} = ctx.cache[${rules.id}];`);
      this.line(
        `if (${x} === undefined) ${x} = ruleSetValue(ctx, ${this.constant(rules)}); else if (${x} === UNDEF) ${x} = undefined;`,
      );
      this.line(`if (${x} === undefined) ${scope.fail}`);
      this.walk(x, t.path, start.depth, scope);
      return x;
    }
    if (start.baseDepth < 0) throw new Unsupported();
    // A base document below no rules: its constant prefix is memoised per `data` (on `start`).
    const st = this.constant(start);
    const prefix = this.constant(t.path.slice(0, start.baseDepth).map((p) => (p as { v: Value }).v));
    this.line(`let ${x} = ${st}.memoData === ctx.data ? ${st}.memoValue : memoBase(ctx, ${st}, ${prefix});`);
    this.line(`if (${x} === undefined) ${scope.fail}`);
    // walkBase: objects reached from the base document find string keys by number operands too;
    // below anything else the walk continues as walkSingle. Only operands other than constant
    // strings can tell the two apart.
    const rest = t.path.slice(start.baseDepth);
    const modeMatters = rest.slice(1).some((p) => !(p.t === "const" && typeof p.v === "string"));
    const inBase = modeMatters ? this.name("m") : "";
    if (modeMatters) this.line(`let ${inBase} = true;`);
    rest.forEach((p, i) => {
      const key = this.term(p, scope);
      if (i === 0) {
        if (modeMatters) this.line(`${inBase} = ${x} instanceof RegoObject;`);
        this.line(`${x} = baseStep(${x}, ${key});`);
      } else if (modeMatters) {
        this.line(
          `if (${inBase} && ${x} instanceof RegoObject) ${x} = baseStep(${x}, ${key}); else { ${inBase} = false; ${x} = childOf(${x}, ${key}); }`,
        );
      } else this.line(`${x} = childOf(${x}, ${key});`);
      this.line(`if (${x} === undefined) ${scope.fail}`);
    });
    return x;
  }

  /** A call of a builtin function or user function on single-valued arguments (callFirst). */
  private call(fn: FnTarget, args: CTerm[], loc: Location, scope: Scope): string {
    if (fn.kind === "special" || (fn.kind === "builtin" && fn.decl.kind === "relation")) throw new Unsupported();
    const values = args.map((a) => this.term(a, scope));
    const x = this.name("t");
    const inline = fn.kind === "builtin" && values.length === 2 ? COMPARISONS.get(fn.name) : undefined;
    if (inline !== undefined && fn.kind === "builtin" && fn.decl.exactIntegers === true) {
      this.line(`const ${x} = ${inline(values[0] as string, values[1] as string)};`);
      return x;
    }
    if (fn.kind === "builtin") return this.builtinCall(fn, values, loc, scope);
    this.line(`const ${x} = userResult(ctx, ${this.constant(fn)}, [${values.join(", ")}]);`);
    this.line(`if (${x} === undefined) ${scope.fail}`);
    return x;
  }

  /**
   * A builtin's result on computed operands, as builtinResult computes it, but called from this
   * site alone (V8 can inline the builtin here); an undefined result gives up the solution.
   */
  private builtinCall(fn: FnTarget & { kind: "builtin" }, values: string[], loc: Location, scope: Scope): string {
    const target = this.constant(fn);
    const list = `[${values.join(", ")}]`;
    const operands = fn.decl.exactIntegers === true ? list : `ctx.exactIntegers ? ${list}.map(withDoubles) : ${list}`;
    const x = this.name("t");
    this.line(`let ${x};`);
    this.line(
      `try { ${x} = ${target}.decl.impl(${operands}, ctx.builtin); } catch (e) { ${x} = builtinFailure(ctx, ${target}, e, ${this.constant(loc)}); }`,
    );
    this.line(`if (${x} === undefined) ${scope.fail}`);
    return x;
  }

  /** A comprehension: its body runs in a block; each solution adds the head's value. */
  private comprehension(t: CTerm & { t: "arraycomp" | "setcomp" | "objectcomp" }, scope: Scope): string {
    const x = this.name("t");
    this.line(`const ${x} = ${t.t === "arraycomp" ? "[]" : t.t === "setcomp" ? "new RegoSet()" : "new RegoObject()"};`);
    const label = this.label("C");
    this.open(`${label}: {`);
    this.body(t.body, 0, { bound: scope.bound, fail: `break ${label};` }, (end) => {
      if (t.t === "objectcomp") {
        const key = this.term(t.key, end);
        const value = this.term(t.value, end);
        const prev = this.name("t");
        this.line(`const ${prev} = ${x}.get(${key});`);
        this.line(
          `if (${prev} !== undefined && !equals(${prev}, ${value})) throw objectConflict(${this.constant(t.loc)});`,
        );
        this.line(`${x}.set(${key}, ${value});`);
      } else {
        const head = this.term(t.head, end);
        this.line(t.t === "arraycomp" ? `${x}.push(${head});` : `${x}.add(${head});`);
      }
    });
    this.close("}");
    return x;
  }

  // ----------------------------------------------------------------------------------------------
  // Static binding state

  /** isSingle, with the bindings known at generation time. */
  private isSingle(t: CTerm, scope: Scope): boolean {
    if ((t as { ground?: boolean }).ground === true) return true;
    // Terms the compiler did not prepare (see compiler/shapes.ts) are left to the interpreter.
    if (t.vars === undefined) throw new Unsupported();
    if (t.multi === true) return false;
    for (const v of t.vars) if (!scope.bound.has(v)) return false;
    return true;
  }

  /** hasUnbound: variables not bound yet, outside references and calls. */
  private hasUnbound(t: CTerm, scope: Scope): boolean {
    switch (t.t) {
      case "var":
        return !scope.bound.has(t.slot);
      case "array":
      case "set":
        return t.items.some((x) => this.hasUnbound(x, scope));
      case "object":
        return t.items.some(([, x]) => this.hasUnbound(x, scope));
      default:
        return false;
    }
  }
}
