/**
 * Benchmarks: `npm run bench -- [name...] [--iterations N] [--rounds N]`.
 *
 * Each bench is a named function returning its metrics; the runner prints a table and one JSON line
 * (`{"node":...,"benches":{name: metrics}}`) for tools to pick up. Add a bench by adding to BENCHES.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { compile, type Json, RegoError } from "../src/rego/index.js";
import { createBaseline } from "./bench-baseline.js";
import { generateInputs } from "./bench-inputs.js";
import type { AuthzData, Decision } from "./lib/authz-model.js";
import { findRepoRoot, median, printTable, quantile } from "./lib/bench-report.js";

const REPO_ROOT = findRepoRoot(dirname(fileURLToPath(import.meta.url)));

interface BenchOptions {
  iterations: number;
  /** Timed passes over the inputs, engine and baseline alternating; the median pass is reported. */
  rounds: number;
}

/** One reported number: a label for the table, a unit, and a key for the JSON line. */
interface Metric {
  key: string;
  label: string;
  value: number;
  unit: string;
}

interface Bench {
  name: string;
  description: string;
  run(options: BenchOptions): Metric[];
}

/** A failed precondition (e.g. engine and baseline disagree): reported without a stack, exit 1. */
class BenchAbort extends Error {}

const BENCHES: Bench[] = [
  {
    name: "mcp-authz",
    description: "reference MCP authorization policy: data.portcullis.authz.decision vs. hand-written TypeScript",
    run: benchMcpAuthz,
  },
];

/** Times `fn` once per input after a warm-up; returns the per-call durations in nanoseconds, sorted. */
function timeEach<T>(inputs: readonly T[], warmup: number, fn: (input: T) => unknown): Float64Array {
  let sink = 0;
  for (let i = 0; i < warmup; i++) if (fn(inputs[i % inputs.length] as T) !== undefined) sink++;
  const durations = new Float64Array(inputs.length);
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i] as T;
    const start = process.hrtime.bigint();
    const out = fn(input);
    durations[i] = Number(process.hrtime.bigint() - start);
    if (out !== undefined) sink++;
  }
  // Keeps the results observable so the calls cannot be optimized away.
  if (sink < 0) process.stdout.write("");
  return durations.sort();
}

function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function sameDecision(engine: Json | undefined, baseline: Decision): boolean {
  if (typeof engine !== "object" || engine === null || Array.isArray(engine)) return false;
  const reasons = engine.reasons;
  return (
    engine.allow === baseline.allow &&
    Array.isArray(reasons) &&
    reasons.length === baseline.reasons.length &&
    reasons.every((r, i) => r === baseline.reasons[i])
  );
}

function benchMcpAuthz({ iterations, rounds }: BenchOptions): Metric[] {
  const dir = resolve(REPO_ROOT, "policies/mcp-authz");
  const source = readFileSync(resolve(dir, "policy.rego"), "utf8");
  const data = JSON.parse(readFileSync(resolve(dir, "data.json"), "utf8")) as AuthzData & Json;
  const modules = { "policies/mcp-authz/policy.rego": source };

  const compileMs: number[] = [];
  for (let i = 0; i < 7; i++) {
    const start = process.hrtime.bigint();
    compile({ modules, data });
    compileMs.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  const query = "data.portcullis.authz.decision";
  const prepared = compile({ modules, data }).prepare(query);
  const decide = (input: Json): Json | undefined => prepared.eval({ input })[0]?.expressions[0]?.value;
  const baseline = createBaseline(data);
  const inputs = generateInputs(data, iterations);

  // The comparison only means something if both compute the same decisions.
  const mismatches: string[] = [];
  for (let i = 0; i < inputs.length; i += Math.max(1, Math.floor(inputs.length / 2000))) {
    const input = inputs[i];
    if (!input) continue;
    const engine = decide(input as unknown as Json);
    const expected = baseline(input);
    if (!sameDecision(engine, expected)) {
      mismatches.push(
        `input ${JSON.stringify(input)}\n  engine:   ${JSON.stringify(engine)}\n  baseline: ${JSON.stringify(expected)}`,
      );
    }
  }
  if (mismatches.length > 0) {
    throw new BenchAbort(
      `engine and TypeScript baseline disagree on ${mismatches.length} sampled inputs; first ones:\n${mismatches.slice(0, 3).join("\n")}`,
    );
  }

  // Engine and baseline alternate pass by pass, so a slow spell of this shared machine falls on
  // both; the pass whose engine median is the median of all passes is reported, with its baseline.
  const warmup = Math.min(10_000, inputs.length);
  const passes: { engine: Float64Array; baseline: Float64Array }[] = [];
  for (let pass = 0; pass < rounds; pass++) {
    passes.push({
      engine: timeEach(inputs as unknown as Json[], warmup, decide),
      baseline: timeEach(inputs, warmup, baseline),
    });
  }
  passes.sort((a, b) => quantile(a.engine, 0.5) - quantile(b.engine, 0.5));
  const { engine: engineNs, baseline: baselineNs } = passes[Math.floor(passes.length / 2)] as (typeof passes)[number];
  const allowed = inputs.reduce((n, input) => n + (baseline(input).allow ? 1 : 0), 0);
  const engineMedianUs = quantile(engineNs, 0.5) / 1e3;
  const baselineMedianUs = quantile(baselineNs, 0.5) / 1e3;
  const passMedians = passes.map((p) => round(quantile(p.engine, 0.5) / 1e3, 1)).join(" / ");
  return [
    { key: "passes", label: `timed passes (engine medians, µs: ${passMedians})`, value: passes.length, unit: "" },
    { key: "compile_ms_median", label: "compile (median of 7)", value: round(median(compileMs)), unit: "ms" },
    { key: "decisions", label: "decisions timed", value: inputs.length, unit: "" },
    { key: "allowed_pct", label: "allowed", value: round((100 * allowed) / inputs.length, 1), unit: "%" },
    { key: "engine_us_median", label: "engine median", value: round(engineMedianUs), unit: "µs" },
    { key: "engine_us_p99", label: "engine p99", value: round(quantile(engineNs, 0.99) / 1e3), unit: "µs" },
    { key: "baseline_us_median", label: "baseline median", value: round(baselineMedianUs, 3), unit: "µs" },
    { key: "baseline_us_p99", label: "baseline p99", value: round(quantile(baselineNs, 0.99) / 1e3, 3), unit: "µs" },
    {
      key: "ratio_median",
      label: "engine / baseline (median)",
      value: round(engineMedianUs / baselineMedianUs, 1),
      unit: "x",
    },
  ];
}

function main(): number {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: {
      iterations: { type: "string", default: "100000" },
      rounds: { type: "string", default: "5" },
      list: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help || values.list) {
    process.stdout.write("usage: npm run bench -- [name...] [--iterations N] [--rounds N]\n\nbenches:\n");
    for (const b of BENCHES) process.stdout.write(`  ${b.name.padEnd(12)} ${b.description}\n`);
    return 0;
  }
  const iterations = Number(values.iterations);
  if (!Number.isInteger(iterations) || iterations <= 0) {
    process.stderr.write("bench: --iterations must be a positive integer\n");
    return 2;
  }
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds <= 0) {
    process.stderr.write("bench: --rounds must be a positive integer\n");
    return 2;
  }
  const unknown = positionals.filter((p) => !BENCHES.some((b) => b.name === p));
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown bench ${unknown.join(", ")} (see --list)\n`);
    return 2;
  }
  const selected = positionals.length === 0 ? BENCHES : BENCHES.filter((b) => positionals.includes(b.name));

  const rows: [string, string, string][] = [];
  const json: Record<string, Record<string, number>> = {};
  for (const bench of selected) {
    const metrics = bench.run({ iterations, rounds });
    json[bench.name] = Object.fromEntries(metrics.map((m) => [m.key, m.value]));
    metrics.forEach((m, i) => {
      rows.push([i === 0 ? bench.name : "", m.label, `${m.value}${m.unit ? ` ${m.unit}` : ""}`]);
    });
  }
  printTable(rows);
  process.stdout.write(`${JSON.stringify({ node: process.version, iterations, benches: json })}\n`);
  return 0;
}

try {
  process.exitCode = main();
} catch (e) {
  if (e instanceof BenchAbort) process.stderr.write(`bench aborted: ${e.message}\n`);
  else if (e instanceof RegoError) process.stderr.write(`bench: ${e.toString()}\n`);
  else process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
