/**
 * `portcullis test`: runs the Rego tests in the given files and directories the way `opa test`
 * does (same discovery, outcomes, output formats and exit statuses): 0 when every test passed,
 * 2 when one failed, errored or was skipped (unless -z) or coverage is below --threshold, 1 when
 * the policy could not be loaded or compiled (or, with --coverage, a test did not pass).
 */
import { readFileSync } from "node:fs";
import { RE2JS } from "re2js";
import type { Location } from "../../rego/index.js";
import { runTests } from "../../rego/testing/runner.js";
import { type Io, UsageError } from "../io.js";
import { loadBundlePaths, loadPaths } from "../load.js";
import {
  formatCoverage,
  formatJson,
  formatPretty,
  resultString,
  type SourceLookup,
  thresholdMessage,
} from "../test-report.js";
import { parseCommandArgs } from "./args.js";

export const TEST_USAGE = `usage: portcullis test [options] <path> [path...]

Runs Rego tests like \`opa test\`: rules named test_* in the given .rego files and directories
(data.json/data.yaml files are loaded as data, placed by directory); todo_test_* rules are
reported as skipped.

options:
  -b, --bundle                load each path as a bundle (only data.json/data.yaml are data, schemas
                              and manifest roots apply), as the gateway loads it
  -v, --verbose               list every test with its duration; explain failures, show print() output
  -r, --run <regex>           run only tests whose data.<package>.<name> matches (RE2 syntax)
  -f, --format <format>       pretty (default) or json
  -c, --coverage              print OPA's coverage report (JSON) instead of the test report
      --threshold <percent>   with coverage: exit 2 when coverage is below it (implies --coverage)
      --timeout <duration>    per test, Go syntax: 500ms, 5s, 1m (default 5s)
  -z, --exit-zero-on-skipped  skipped tests do not make the exit status 2
      --fail-on-empty         exit 1 when no test ran
  -h, --help                  show this help

exit status: 0 all tests passed; 2 a test failed, errored or was skipped, or coverage is below the
threshold; 1 the policy or data could not be loaded or compiled.`;

/** Runs `test`; returns the exit code. Throws UsageError, LoadError or RegoError for the caller to print. */
export function runTest(argv: string[], io: Io): number {
  const { values, positionals } = parseCommandArgs(argv, {
    bundle: { type: "boolean", short: "b" },
    verbose: { type: "boolean", short: "v" },
    run: { type: "string", short: "r" },
    format: { type: "string", short: "f" },
    coverage: { type: "boolean", short: "c" },
    threshold: { type: "string" },
    timeout: { type: "string" },
    "exit-zero-on-skipped": { type: "boolean", short: "z" },
    "fail-on-empty": { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help === true) {
    io.out(`${TEST_USAGE}\n`);
    return 0;
  }
  const format = typeof values.format === "string" ? values.format : "pretty";
  if (format !== "pretty" && format !== "json") throw new UsageError(`unknown format ${JSON.stringify(format)}`);
  const verbose = values.verbose === true;
  const threshold = typeof values.threshold === "string" ? Number(values.threshold) : 0;
  if (!Number.isFinite(threshold) || threshold < 0 || threshold > 100) {
    io.err("Code coverage threshold must be between 0 and 100\n");
    return 1;
  }
  const coverage = values.coverage === true || threshold > 0;
  // 0 (or none) means the default, as in `opa test`.
  const timeoutMs = (typeof values.timeout === "string" ? parseGoDuration(values.timeout) : 0) || 5000;
  if (positionals.length === 0) {
    io.err("specify at least one file\n");
    return 1;
  }
  let filter: ((name: string) => boolean) | undefined;
  if (typeof values.run === "string" && values.run !== "") {
    let re: RE2JS;
    try {
      re = RE2JS.compile(values.run);
    } catch (e) {
      io.err(`${e instanceof Error ? e.message : String(e)}\n`);
      return 1;
    }
    filter = (name) => re.matcher(name).find();
  }

  const loaded = values.bundle === true ? loadBundlePaths(positionals) : loadPaths(positionals);
  const run = runTests({
    modules: loaded.modules,
    data: loaded.data,
    timeoutMs,
    coverage,
    trace: verbose,
    ...(filter === undefined ? {} : { filter }),
  });
  const results = run.results;
  const notPassed = results.filter((r) => r.skip || r.error !== undefined || r.fail);
  const failing = notPassed.filter((r) => !(r.skip && values["exit-zero-on-skipped"] === true));

  if (coverage) {
    // OPA's coverage reporter: a test that did not pass is an error (exit 1), not a report.
    const first = notPassed[0];
    if (first) {
      io.err(`${first.error ? first.error.toString() : resultString(first)}\n`);
      return 1;
    }
    const report = run.coverage;
    if (!report) throw new Error("coverage was not collected");
    if (report.coverage < threshold) {
      io.err(`${thresholdMessage(report, threshold, verbose)}\n`);
      return 2;
    }
    io.out(formatCoverage(report));
  } else if (format === "json") {
    io.out(formatJson(results));
  } else {
    io.out(formatPretty(results, verbose, sourceLookup(loaded.modules)));
  }
  if (failing.length > 0) return 2;
  if (results.length === 0 && values["fail-on-empty"] === true) {
    io.err("no tests were run\n");
    return 1;
  }
  return 0;
}

/** The source text of the expression at a location: the rest of its line, trimmed. */
function sourceLookup(modules: Record<string, string>): SourceLookup {
  const lines = new Map<string, string[]>();
  return (loc: Location) => {
    let fileLines = lines.get(loc.file);
    if (!fileLines) {
      const source = modules[loc.file] ?? readSafely(loc.file);
      fileLines = source.split("\n");
      lines.set(loc.file, fileLines);
    }
    return fileLines[loc.row - 1]?.slice(loc.col - 1).trim();
  };
}

function readSafely(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1e3,
  m: 6e4,
  h: 3.6e6,
};

/** Go's time.ParseDuration, in milliseconds (`0` alone needs no unit); throws UsageError. */
export function parseGoDuration(text: string): number {
  if (text === "0") return 0;
  const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let ms = 0;
  let at = 0;
  while (at < text.length) {
    part.lastIndex = at;
    const m = part.exec(text);
    if (!m) throw new UsageError(`invalid duration ${JSON.stringify(text)} (e.g. 500ms, 5s, 1m)`);
    ms += Number(m[1]) * (DURATION_UNITS[m[2] as string] as number);
    at = part.lastIndex;
  }
  if (text.length === 0) throw new UsageError('invalid duration ""');
  return ms;
}
