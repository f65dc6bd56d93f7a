/**
 * Runs Rego tests with `opa test` semantics (see discover.ts for which rules are tests): each test
 * is evaluated as the query `data.<package>.<name>`; it passes when that is `true`, fails when it
 * is undefined or anything else, and is an error when evaluation fails. A partial-object test
 * (`test_x[name] if ...`) has one sub-result per key of its value.
 */
import type { Module } from "../ast.js";
import type { TraceEvent } from "../compiler/instrument.js";
import { type Location, RegoError } from "../errors.js";
import { compile, type Json } from "../index.js";
import { CoverageCollector, type CoverageReport } from "./coverage.js";
import { discoverTests, type TestCase } from "./discover.js";

/** A sub-result of a partial-object test. */
export interface SubResult {
  name: string;
  fail: boolean;
  /** Sorted by name. */
  subResults: SubResult[];
}

/** The outcome of one test. */
export interface TestResult {
  location: Location;
  package: string;
  name: string;
  fail: boolean;
  skip: boolean;
  error: RegoError | undefined;
  durationNs: number;
  /** What `print` wrote (one line per call, each ending in a newline). */
  output: string;
  /**
   * With tracing: the last expression of the test's own body that was evaluated before it failed
   * (the failing expression), or undefined.
   */
  failedAt: Location | undefined;
  subResults: SubResult[];
}

/** A result's outcome word as `opa test` prints it. */
export function outcome(r: TestResult): "PASS" | "FAIL" | "SKIPPED" | "ERROR" {
  if (r.skip) return "SKIPPED";
  if (r.error) return "ERROR";
  return r.fail ? "FAIL" : "PASS";
}

export interface RunTestsOptions {
  /** Module sources by file name. */
  modules: Record<string, string>;
  data?: Json;
  /** Runs only the tests whose `data.<package>.<name>` it accepts (`--run`). */
  filter?: (fullName: string) => boolean;
  /** Per test (default 5 s, as `opa test`). */
  timeoutMs?: number;
  /** Collect coverage (OPA's report). */
  coverage?: boolean;
  /** Find the failing expression of failed tests (for `-v`). */
  trace?: boolean;
  /** Called with each result as soon as it is known (progress). */
  onResult?: (result: TestResult) => void;
}

export interface TestRun {
  results: TestResult[];
  coverage: CoverageReport | undefined;
  /** The parsed modules by file name (for reporting). */
  modules: ReadonlyMap<string, Module>;
}

const DEFAULT_TIMEOUT_MS = 5000;

/** Discovers, compiles and runs the tests; throws RegoError when a module does not parse or compile. */
export function runTests(options: RunTestsOptions): TestRun {
  const discovered = discoverTests(options.modules);
  const collector = options.coverage === true ? new CoverageCollector() : undefined;
  const tracing = collector !== undefined || options.trace === true;
  const policy = compile({
    modules: discovered.sources,
    ...(options.data === undefined ? {} : { data: options.data }),
    instrument: tracing,
  });
  const results: TestResult[] = [];
  for (const test of discovered.tests) {
    if (options.filter && !options.filter(test.fullName)) continue;
    const result = test.skip ? skipped(test) : runOne(policy, test, options, collector);
    results.push(result);
    options.onResult?.(result);
  }
  return { results, coverage: collector?.report(discovered.modules), modules: discovered.modules };
}

function skipped(test: TestCase): TestResult {
  return {
    location: test.location,
    package: test.package,
    name: test.name,
    fail: false,
    skip: true,
    error: undefined,
    durationNs: 0,
    output: "",
    failedAt: undefined,
    subResults: [],
  };
}

function runOne(
  policy: ReturnType<typeof compile>,
  test: TestCase,
  options: RunTestsOptions,
  collector: CoverageCollector | undefined,
): TestResult {
  let output = "";
  let failedAt: Location | undefined;
  let reachedExit = false;
  const trace =
    collector === undefined && options.trace !== true
      ? undefined
      : (e: TraceEvent): void => {
          collector?.record(e);
          if (e.rule !== test.ruleSet || !e.topLevel) return;
          if (e.op === "eval") failedAt = e.location;
          else reachedExit = true;
        };
  const result: TestResult = { ...skipped(test), skip: false };
  const started = performance.now();
  try {
    const rows = policy.eval(test.query, {
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      print: (line) => {
        output += `${line}\n`;
      },
      ...(trace === undefined ? {} : { trace }),
    });
    const value = rows[0]?.expressions[0]?.value;
    if (value === undefined) result.fail = true;
    else if (test.partialObject) {
      result.subResults = subResults(value);
      result.fail = result.subResults.length === 0 || result.subResults.some((s) => s.fail);
    } else result.fail = value !== true;
  } catch (e) {
    if (!(e instanceof RegoError)) throw e;
    result.error = e;
  }
  result.durationNs = Math.max(0, Math.round((performance.now() - started) * 1e6));
  result.output = output;
  // When the body succeeded, the value (not an expression) made the test fail.
  if (result.fail && !reachedExit) result.failedAt = failedAt;
  return result;
}

/** Sub-results from a partial-object test's value: `true` leaves pass, other leaves fail. */
function subResults(value: Json): SubResult[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [];
  return Object.keys(value)
    .sort()
    .map((name) => {
      const v = value[name] as Json;
      if (typeof v === "object" && v !== null && !Array.isArray(v)) {
        const nested = subResults(v);
        return { name, fail: nested.some((s) => s.fail), subResults: nested };
      }
      return { name, fail: v !== true, subResults: [] };
    });
}
