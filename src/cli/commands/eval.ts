/**
 * `portcullis eval`: evaluates a query against policy and data files and prints the result the way
 * `opa eval` does.
 */
import { compile, type EvalResult } from "../../rego/index.js";
import { type Io, UsageError } from "../io.js";
import { loadPaths, readDataFile } from "../load.js";
import { parseCommandArgs } from "./args.js";

export const EVAL_USAGE = `usage: portcullis eval [options] <query>

Evaluates a Rego query and prints the result as \`opa eval\` does.

options:
  -d, --data <path>      policy (.rego) or data (.json, .yaml) file or directory; repeatable
  -i, --input <file>     input document (.json or .yaml)
  -f, --format <format>  json (default) or pretty
  -h, --help             show this help`;

/** Runs `eval`; returns the exit code. Throws UsageError, LoadError or RegoError for the caller to print. */
export function runEval(argv: string[], io: Io): number {
  const { values, positionals } = parseCommandArgs(argv, {
    data: { type: "string", short: "d", multiple: true },
    input: { type: "string", short: "i" },
    format: { type: "string", short: "f" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help === true) {
    io.out(`${EVAL_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1 || positionals[0] === undefined) throw new UsageError("eval needs exactly one query");
  const query = positionals[0];
  const format = typeof values.format === "string" ? values.format : "json";
  if (format !== "json" && format !== "pretty") throw new UsageError(`unknown format ${JSON.stringify(format)}`);
  const dataPaths = Array.isArray(values.data) ? values.data.filter((p): p is string => typeof p === "string") : [];
  const inputPath = typeof values.input === "string" ? values.input : undefined;

  const loaded = loadPaths(dataPaths);
  const input = inputPath === undefined ? undefined : readDataFile(inputPath);
  const policy = compile({ modules: loaded.modules, data: loaded.data });
  const results = policy.eval(query, input === undefined ? {} : { input });
  io.out(`${format === "json" ? formatJson(results) : formatPretty(results)}\n`);
  return 0;
}

/** `opa eval`'s JSON output: `{}` when undefined, `bindings` only when there are some. */
export function formatJson(results: EvalResult[]): string {
  if (results.length === 0) return "{}";
  const result = results.map((r) => {
    const expressions = r.expressions.map((e) => ({ value: e.value, text: e.text, location: e.location }));
    return Object.keys(r.bindings).length > 0 ? { expressions, bindings: r.bindings } : { expressions };
  });
  return JSON.stringify({ result }, null, 2);
}

/**
 * `opa eval --format pretty`, simplified: `undefined`, the value of a single expression, or a table of
 * bindings (one row per solution).
 */
export function formatPretty(results: EvalResult[]): string {
  if (results.length === 0) return "undefined";
  const first = results[0];
  const vars = first ? Object.keys(first.bindings) : [];
  if (vars.length === 0) {
    const values = results.flatMap((r) => r.expressions.map((e) => e.value));
    return values.map((v) => JSON.stringify(v, null, 2)).join("\n");
  }
  const rows = results.map((r) => vars.map((v) => JSON.stringify(r.bindings[v] ?? null)));
  return table(vars, rows);
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const rule = `+${widths.map((w) => "-".repeat(w + 2)).join("+")}+`;
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [rule, line(header), rule, ...rows.map(line), rule].join("\n");
}
