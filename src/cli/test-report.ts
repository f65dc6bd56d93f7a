/**
 * `portcullis test` output in `opa test`'s formats: the pretty report (tester/reporter.go's
 * PrettyReporter), the JSON array of results (JSONReporter) and the coverage report
 * (JSONCoverageReporter, cover.Report).
 */
import type { Location } from "../rego/index.js";
import type { CoverageReport } from "../rego/testing/coverage.js";
import { outcome, type SubResult, type TestResult } from "../rego/testing/runner.js";

const RULE = "-".repeat(80);

/** A duration as Go's time.Duration prints it (`0s`, `812ns`, `52.3µs`, `1.0345ms`, `2.5s`, `1m5s`). */
export function goDuration(ns: number): string {
  const n = Math.max(0, Math.round(ns));
  if (n === 0) return "0s";
  if (n < 1e3) return `${n}ns`;
  if (n < 1e6) return `${decimal(n, 1e3)}µs`;
  if (n < 1e9) return `${decimal(n, 1e6)}ms`;
  const totalSeconds = Math.floor(n / 1e9);
  const fraction = n % 1e9;
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = `${decimal((totalSeconds % 60) * 1e9 + fraction, 1e9)}s`;
  if (hours > 0) return `${hours}h${minutes}m${seconds}`;
  if (minutes > 0) return `${minutes}m${seconds}`;
  return seconds;
}

/** `n / unit` with every significant decimal and no trailing zeros (exact, for integers). */
function decimal(n: number, unit: number): string {
  const whole = Math.floor(n / unit);
  const digits = String(unit).length - 1;
  const frac = String(n % unit)
    .padStart(digits, "0")
    .replace(/0+$/, "");
  return frac === "" ? String(whole) : `${whole}.${frac}`;
}

/** `data.pkg.test_x: PASS (1.2ms)` (no duration for a skipped test). */
function resultLine(r: TestResult): string {
  const head = `${r.package}.${r.name}: ${outcome(r)}`;
  return r.skip ? head : `${head} (${goDuration(r.durationNs)})`;
}

/** The sub-results of a partial-object test, depth-first, with their nesting level. */
function flatSubResults(subs: SubResult[], depth = 0): { depth: number; sub: SubResult }[] {
  return subs.flatMap((s) => [{ depth, sub: s }, ...flatSubResults(s.subResults, depth + 1)]);
}

function subLine(s: SubResult): string {
  return `${s.name}: ${s.fail ? "FAIL" : "PASS"}`;
}

/** A result as OPA's Result.String() prints it (used for coverage-mode failures). */
export function resultString(r: TestResult): string {
  if (r.skip) return resultLine(r);
  const subs = flatSubResults(r.subResults).map(({ depth, sub }) => `${"  ".repeat(depth + 1)}${subLine(sub)}\n`);
  return `${resultLine(r)}\n${subs.join("")}`;
}

/** Reads source lines for failure traces. */
export type SourceLookup = (location: Location) => string | undefined;

/** `opa test`'s pretty report; `verbose` lists every test and explains failures. */
export function formatPretty(results: TestResult[], verbose: boolean, source: SourceLookup): string {
  const out: string[] = [];
  let pass = 0;
  let fail = 0;
  let skip = 0;
  let errors = 0;
  for (const r of results) {
    if (r.skip) skip++;
    else if (r.error) errors++;
    else if (r.subResults.length > 0) {
      for (const { sub } of flatSubResults(r.subResults)) {
        if (sub.subResults.length > 0) continue;
        if (sub.fail) fail++;
        else pass++;
      }
    } else if (r.fail) fail++;
    else pass++;
  }
  const failures = results.filter((r) => !r.skip && !r.error && r.fail);
  if (fail > 0 && verbose) {
    out.push("FAILURES", RULE);
    for (const f of failures) {
      out.push(resultLine(f), "", ...failureTrace(f, source).map((l) => `  ${l}`));
      const failedLeaves = flatSubResults(f.subResults).filter(({ sub }) => sub.fail && sub.subResults.length === 0);
      if (failedLeaves.length > 0) out.push("");
      for (const { depth, sub } of failedLeaves) out.push(`${"  ".repeat(depth + 1)}${subLine(sub)}`);
      out.push("");
    }
    out.push("SUMMARY", RULE);
  }
  let dirty = false;
  let lastFile = "";
  for (const r of results) {
    const passed = outcome(r) === "PASS";
    if (verbose || !passed) {
      if (r.location.file !== lastFile) {
        if (lastFile !== "") out.push("");
        out.push(`${r.location.file}:`);
        lastFile = r.location.file;
      }
      dirty = true;
      out.push(resultLine(r));
      for (const { depth, sub } of flatSubResults(r.subResults)) {
        if (sub.fail || verbose) out.push(`${"  ".repeat(depth + 1)}${subLine(sub)}`);
      }
      if (r.output.length > 0) {
        out.push(
          "",
          ...r.output
            .trim()
            .split("\n")
            .map((l) => `  ${l}`),
          "",
        );
      }
    }
    if (r.error) out.push(`  ${r.error.toString()}`);
  }
  if (dirty) out.push(RULE);
  const total = pass + fail + skip + errors;
  if (pass !== 0) out.push(`PASS: ${pass}/${total}`);
  if (fail !== 0) out.push(`FAIL: ${fail}/${total}`);
  if (skip !== 0) out.push(`SKIPPED: ${skip}/${total}`);
  if (errors !== 0) out.push(`ERROR: ${errors}/${total}`);
  return out.length === 0 ? "" : `${out.join("\n")}\n`;
}

/**
 * A failed test's trace in the spirit of OPA's `-v` (Enter and Fail events with their
 * locations): the test rule, and the expression of its body that failed when we know it.
 */
function failureTrace(r: TestResult, source: SourceLookup): string[] {
  const name = `${r.package}.${r.name}`;
  const rows: [string, string][] = [
    ["query:1", `Enter ${name} = _`],
    [`${r.location.file}:${r.location.row}`, `| Enter ${name}`],
  ];
  if (r.failedAt) {
    const text = source(r.failedAt) ?? "";
    rows.push([`${r.failedAt.file}:${r.failedAt.row}`, `| | Fail ${text}`.trimEnd()]);
  }
  rows.push(["query:1", `| Fail ${name} = _`]);
  const width = Math.max(20, ...rows.map(([loc]) => loc.length));
  return rows.map(([loc, text]) => `${loc.padEnd(width)} ${text}`);
}

/** Go's json.Marshal escapes these in strings; so do we, to match `opa test` byte for byte. */
function goJson(value: unknown): string {
  return JSON.stringify(value, null, 2)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

type JsonSubResults = Record<string, { name: string; fail?: true; sub_results?: JsonSubResults }>;

function jsonSubResults(subs: SubResult[]): JsonSubResults {
  const out: JsonSubResults = {};
  for (const s of subs) {
    out[s.name] = {
      name: s.name,
      ...(s.fail ? { fail: true as const } : {}),
      ...(s.subResults.length > 0 ? { sub_results: jsonSubResults(s.subResults) } : {}),
    };
  }
  return out;
}

/** `opa test --format json`: the array of results, fields and order as tester.Result marshals. */
export function formatJson(results: TestResult[]): string {
  const rows = results.map((r) => ({
    location: { file: r.location.file, row: r.location.row, col: r.location.col },
    package: r.package,
    name: r.name,
    ...(r.fail && !r.error ? { fail: true } : {}),
    ...(r.error
      ? {
          error: {
            code: r.error.code,
            message: r.error.message,
            ...(r.error.location
              ? { location: { file: r.error.location.file, row: r.error.location.row, col: r.error.location.col } }
              : {}),
          },
        }
      : {}),
    ...(r.skip ? { skip: true } : {}),
    duration: r.durationNs,
    ...(r.output.length > 0 ? { output: Buffer.from(r.output, "utf8").toString("base64") } : {}),
    ...(r.subResults.length > 0 ? { sub_results: jsonSubResults(r.subResults) } : {}),
  }));
  return `${goJson(rows)}\n`;
}

/** `opa test --coverage`'s report. */
export function formatCoverage(report: CoverageReport): string {
  return `${goJson(report)}\n`;
}

/** OPA's CoverageThresholdError message (with the uncovered lines when verbose). */
export function thresholdMessage(report: CoverageReport, threshold: number, verbose: boolean): string {
  let msg = `Code coverage threshold not met: got ${report.coverage.toFixed(2)} instead of ${threshold.toFixed(2)}`;
  const files = Object.keys(report.files).sort();
  if (verbose && files.length > 0) {
    msg += "\nLines not covered:";
    for (const file of files) {
      for (const r of report.files[file]?.not_covered ?? []) {
        msg += r.start.row === r.end.row ? `\n\t${file}:${r.start.row}` : `\n\t${file}:${r.start.row}-${r.end.row}`;
      }
    }
  }
  return msg;
}
