/**
 * The engine's public API (`portcullis/rego`): compile modules once, query many times.
 *
 *   const policy = compile({ modules: { "a.rego": src }, data: {} });   // throws RegoError
 *   policy.query("data.test.p = x", { input });                           // -> [{ x: ... }]
 */
import type { Module } from "./ast.js";
import { BUILTINS, BUILTINS_WITH_TESTING, FORBIDDEN, SPECIALS } from "./builtins/index.js";
import { type CompiledPolicy, type CompiledQuery, compileModules, compileQuery } from "./compiler/index.js";
import { instrumentPolicy, type TraceEvent } from "./compiler/instrument.js";
import type { CTerm } from "./compiler/ir.js";
import { type Location, RegoError } from "./errors.js";
import { evalDocument, type RunOptions, runQuery, type Solution } from "./eval/query.js";
import { parseModule, parseQuery, parseTerm } from "./parser.js";
import { fromJson, fromJsonLazy, type Json, RegoObject, RegoSet, toJson, type Value } from "./value.js";

export type { TraceEvent } from "./compiler/instrument.js";
export type { Location, RegoErrorCode, RegoErrorInfo } from "./errors.js";
export { REGO_ERRORS } from "./errors.js";
export type { Json, Value } from "./value.js";
export { RegoError };

export interface CompileOptions {
  /** Module sources by file name. */
  modules: Record<string, string>;
  /** Base documents under `data`. */
  data?: Json;
  /**
   * Compile a probe before every expression and at every rule exit, reported to
   * `QueryOptions.trace` (coverage and test traces for `portcullis test`). Evaluation gets much
   * slower: never for serving decisions. Without it a policy has no tracing cost at all.
   */
  instrument?: boolean;
  /**
   * Also accept the builtins only test harnesses have (`test.sleep`), as OPA's test runner does.
   * Never for serving decisions.
   */
  testBuiltins?: boolean;
}

export interface QueryOptions {
  /** The input document: JSON, or a Rego value (e.g. from `parseValue`). */
  input?: Json | Value;
  /** Data merged over the data given to `compile`. */
  data?: Json;
  /** Builtin errors abort the query instead of making the expression undefined. */
  strictBuiltinErrors?: boolean;
  /** Abort with `eval_cancel_error` when evaluation runs longer than this (milliseconds). */
  timeoutMs?: number;
  /** Receives `print` output (default: discarded). */
  print?: (line: string) => void;
  /** Fixed `time.now_ns` value (default: the clock at the start of the query). */
  nowNs?: number;
  /** Receives the trace events of a policy compiled with `instrument: true` (ignored otherwise). */
  trace?: (event: TraceEvent) => void;
}

/** One expression's value in an `eval` result, as `opa eval` reports it. */
export interface ExpressionResult {
  value: Json;
  text: string;
  location: { row: number; col: number };
}

/** One solution of a query, as `opa eval` reports it. */
export interface EvalResult {
  expressions: ExpressionResult[];
  bindings: Record<string, Json>;
}

/** A query compiled once against a policy, evaluated many times. */
export interface PreparedQuery {
  /** Solutions as variable bindings (query variables starting with `_` or `$` are omitted). */
  query(options?: QueryOptions): Record<string, Json>[];
  /** Solutions with expression values, as `opa eval` prints them. */
  eval(options?: QueryOptions): EvalResult[];
}

/** A compiled policy. */
export interface Policy {
  /** Compiles and evaluates a query; see PreparedQuery.query. */
  query(query: string, options?: QueryOptions): Record<string, Json>[];
  /** Compiles and evaluates a query; see PreparedQuery.eval. */
  eval(query: string, options?: QueryOptions): EvalResult[];
  /** Compiles a query for repeated evaluation. */
  prepare(query: string): PreparedQuery;
}

/**
 * A module's package path below `data` (`package a.b` -> ["a", "b"]) and the names of the rules it
 * defines (first segment of each head, sorted, unique); throws RegoError on bad syntax.
 */
export function moduleOutline(file: string, source: string): { package: string[]; rules: string[] } {
  const mod = parseModule(file, source);
  const rules = new Set<string>();
  for (const rule of mod.rules) {
    const head = rule.head.ref[0];
    if (head?.type === "var") rules.add(head.name);
  }
  return { package: mod.package.path, rules: [...rules].sort() };
}

/** Parses, compiles and checks modules; throws RegoError (with all compile errors in `errors`). */
export function compile(options: CompileOptions): Policy {
  const modules: Module[] = [];
  const errors: RegoError[] = [];
  for (const [file, source] of Object.entries(options.modules)) {
    try {
      modules.push(parseModule(file, source));
    } catch (e) {
      if (e instanceof RegoError) errors.push(e);
      else throw e;
    }
  }
  if (errors.length > 0) {
    const first = errors[0] as RegoError;
    throw new RegoError(first.code, first.message, first.location, errors);
  }
  const compiled = guardDepth(() =>
    compileModules(modules, options.testBuiltins === true ? BUILTINS_WITH_TESTING : BUILTINS, SPECIALS, FORBIDDEN),
  );
  if (options.instrument === true) instrumentPolicy(compiled);
  const baseData = options.data === undefined ? new RegoObject() : fromJson(options.data);
  return new CompiledRegoPolicy(compiled, baseData);
}

/** Parses a Rego term of constants (e.g. `{"a": {1, 2}}`) into a value; throws RegoError. */
export function parseValue(source: string): Value {
  const term = parseTerm(source, "value");
  const policy = guardDepth(() => compileModules([], BUILTINS, SPECIALS, FORBIDDEN));
  const q = compileQuery(policy, [{ kind: "term", term, negated: false, with: [], loc: term.loc }], "value");
  const first = q.body[0];
  if (first?.kind !== "term" || first.term.t !== "const") {
    throw new RegoError("rego_compile_error", "value must be a constant term", term.loc);
  }
  return first.term.v;
}

/** Turns a stack overflow from very deep input into a clean error. */
function guardDepth<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof RangeError) throw new RegoError("rego_compile_error", "input nested too deeply");
    throw e;
  }
}

const DEFAULT_TIMEOUT_MS = 30_000;

const discardPrint = (): void => {};

class CompiledRegoPolicy implements Policy {
  constructor(
    private readonly compiled: CompiledPolicy,
    private readonly baseData: Value,
  ) {}

  query(query: string, options?: QueryOptions): Record<string, Json>[] {
    return this.prepare(query).query(options);
  }

  eval(query: string, options?: QueryOptions): EvalResult[] {
    return this.prepare(query).eval(options);
  }

  prepare(query: string): PreparedQuery {
    const body = parseQuery(query, "query");
    const q = guardDepth(() => compileQuery(this.compiled, body, "query"));
    return new Prepared(this.compiled, this.baseData, q, query);
  }
}

class Prepared implements PreparedQuery {
  /** The source text of each expression (for `eval`), computed on first use. */
  private texts: string[] | undefined;

  /** Set when the query is `data.<constant path> = x` (a decision's usual form), evaluated directly. */
  private readonly document: { term: Extract<CTerm, { t: "data" }>; name: string } | undefined;

  constructor(
    private readonly compiled: CompiledPolicy,
    private readonly baseData: Value,
    private readonly q: CompiledQuery,
    private readonly source: string,
  ) {
    this.document = documentQuery(q);
  }

  private run(options: QueryOptions | undefined, capture: boolean): Solution[] {
    return runQuery(this.compiled, this.q, this.runOptions(options, capture));
  }

  private runOptions(options: QueryOptions | undefined, capture: boolean): RunOptions {
    const startedMs = performance.now();
    const o = options ?? {};
    const data = o.data === undefined ? this.baseData : mergeData(this.baseData, fromJson(o.data));
    return {
      // Lazily: a decision reads a few fields of what may be a large input (tool arguments).
      input: o.input === undefined ? undefined : fromJsonLazy(o.input),
      data,
      strict: o.strictBuiltinErrors ?? false,
      timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      print: o.print ?? discardPrint,
      // One clock read serves both the deadline and time.now_ns.
      startedMs,
      nowNs: o.nowNs ?? epochOriginNs + Math.round((startedMs - perfOriginMs) * 1e6),
      capture,
      // A Rego value (from parseValue) may hold exact integers; JSON input can't.
      inputHasBigIntegers: o.input instanceof RegoObject || o.input instanceof RegoSet || typeof o.input === "bigint",
      trace: o.trace === undefined ? undefined : probeListener(this.compiled, o.trace),
    };
  }

  query(options?: QueryOptions): Record<string, Json>[] {
    const document = this.document;
    if (document !== undefined) {
      const value = evalDocument(this.compiled, this.q, document.term, this.runOptions(options, false));
      if (value === undefined) return [];
      // Assigned, not a computed key in a literal (a runtime call in V8).
      const row: Record<string, Json> = {};
      row[document.name] = toJson(value);
      return [row];
    }
    const solutions = this.run(options, false);
    const rows: Record<string, Json>[] = new Array(solutions.length);
    for (let i = 0; i < solutions.length; i++) rows[i] = this.bindingsOf(solutions[i] as Solution);
    return rows;
  }

  eval(options?: QueryOptions): EvalResult[] {
    this.texts ??= expressionTexts(
      this.source,
      this.q.original.map((e) => e.loc),
    );
    const texts = this.texts;
    const original = this.q.original;
    const solutions = this.run(options, true);
    const results: EvalResult[] = new Array(solutions.length);
    for (let i = 0; i < solutions.length; i++) {
      const s = solutions[i] as Solution;
      const expressions: ExpressionResult[] = new Array(original.length);
      for (let j = 0; j < original.length; j++) {
        const loc = (original[j] as (typeof original)[number]).loc;
        expressions[j] = {
          value: toJson(s.exprValues[j] as Value),
          text: texts[j] ?? "",
          location: { row: loc.row, col: loc.col },
        };
      }
      results[i] = { expressions, bindings: this.bindingsOf(s) };
    }
    return results;
  }

  /** A solution's query variables as JSON (those starting with `_` or `$` are not among q.vars). */
  private bindingsOf(s: Solution): Record<string, Json> {
    const row: Record<string, Json> = {};
    const vars = this.q.vars;
    for (let i = 0; i < vars.length; i++) {
      const v = vars[i] as (typeof vars)[number];
      const val = s.slots[v.slot];
      if (val !== undefined) row[v.name] = toJson(val);
    }
    return row;
  }
}

/** The data reference and variable of a query `data.<constant path> = x` (or `x = data...`). */
function documentQuery(q: CompiledQuery): { term: Extract<CTerm, { t: "data" }>; name: string } | undefined {
  const expr = q.body[0];
  const variable = q.vars[0];
  if (q.body.length !== 1 || q.vars.length !== 1 || expr === undefined || variable === undefined) return undefined;
  if (expr.kind !== "unify" || expr.negated || expr.with.length > 0) return undefined;
  const [ref, other] = expr.a.t === "data" ? [expr.a, expr.b] : [expr.b, expr.a];
  if (ref.t !== "data" || other.t !== "var" || other.slot !== variable.slot) return undefined;
  if (!ref.path.every((segment) => segment.t === "const")) return undefined;
  return { term: ref, name: variable.name };
}

/** Maps probe numbers to the events of an instrumented policy; undefined for other policies. */
function probeListener(
  compiled: CompiledPolicy,
  trace: (event: TraceEvent) => void,
): ((probe: number) => void) | undefined {
  const probes = compiled.probes;
  if (probes === undefined) return undefined;
  return (probe) => trace(probes[probe] as TraceEvent);
}

const perfOriginMs = performance.now();
const epochOriginNs = Date.now() * 1e6;

/** Deep-merges `over` into `base` (objects merge, anything else replaces). */
function mergeData(base: Value, over: Value): Value {
  if (!(base instanceof RegoObject) || !(over instanceof RegoObject)) return over;
  const out = new RegoObject(base.entries());
  for (const [k, v] of over) {
    const prev = out.get(k);
    out.set(k, prev === undefined ? v : mergeData(prev, v));
  }
  return out;
}

/** The source text of each expression, cut at the next expression's start. */
function expressionTexts(source: string, locs: Location[]): string[] {
  const lineStarts = [0];
  for (let i = 0; i < source.length; i++) if (source[i] === "\n") lineStarts.push(i + 1);
  const offsets = locs.map((l) => (lineStarts[l.row - 1] ?? 0) + l.col - 1);
  const sorted = [...offsets].sort((a, b) => a - b);
  return offsets.map((start) => {
    const next = sorted.find((o) => o > start) ?? source.length;
    return source
      .slice(start, next)
      .trim()
      .replace(/[;\s]+$/, "");
  });
}
