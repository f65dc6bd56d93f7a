/**
 * OPA conformance runner: `npm run conformance -- [dir] [--check] [--write-expected] [--filter s] [--verbose]`.
 *
 * Runs every case of OPA's YAML suite (default `../shared/opa-conformance/cases` beside the repo) in a
 * worker thread, prints per-category and total counts, and with `--check` compares the failures with
 * `test/conformance/expected-failures.yaml`.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import { parse, stringify } from "yaml";
import { type ConformanceCase, errorMessage, isRecord, loadCases } from "./conformance/cases.js";
import type { CaseOutcome } from "./conformance/run-case.js";
import type { WorkerInput, WorkerMessage } from "./conformance/worker.js";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const DEFAULT_DIR = resolve(REPO_ROOT, "../shared/opa-conformance/cases");
const EXPECTED_FILE = resolve(REPO_ROOT, "test/conformance/expected-failures.yaml");
const NEW_REASON = "TODO: triage";

// Workers do not inherit the `--import tsx` loader hooks, so the worker registers tsx itself before
// loading the TypeScript worker module.
const WORKER_BOOTSTRAP = `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}).then((tsx) => {
  tsx.register();
  return import(${JSON.stringify(new URL("./conformance/worker.ts", import.meta.url).href)});
});`;

const USAGE = `usage: npm run conformance -- [dir] [options]

  dir                  cases directory (default: ../shared/opa-conformance/cases beside the repo)
  --check              fail on failures not in test/conformance/expected-failures.yaml, and on listed cases that pass
  --write-expected     rewrite the expected-failures file from this run's failures (keeps existing reasons)
  --filter <substr>    run only cases whose note contains substr
  --verbose            print each failure's note, got and want
  --timeout-ms <n>     evaluation time limit per case (default 5000)
  -h, --help           show this help`;

const EXPECTED_HEADER = `# Known failures of the OPA conformance suite, checked by \`npm run conformance -- --check\`.
#
# Format: a YAML mapping from a case's note (OPA's "category/description") to a one-line reason:
#   "aggregates/count": "count() over sets not implemented"
# --check fails when a case fails that is not listed here, and when a listed case passes (remove it then).
# \`npm run conformance -- --write-expected\` rewrites this file from the current failures, keeping
# existing reasons and giving new entries the reason "${NEW_REASON}".
`;

interface Options {
  dir: string;
  check: boolean;
  writeExpected: boolean;
  filter: string | undefined;
  verbose: boolean;
  timeoutMs: number;
}

class UsageError extends Error {}

function parseOptions(argv: string[]): Options | "help" {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      check: { type: "boolean", default: false },
      "write-expected": { type: "boolean", default: false },
      filter: { type: "string" },
      verbose: { type: "boolean", default: false },
      "timeout-ms": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return "help";
  if (positionals.length > 1) throw new UsageError("at most one cases directory may be given");
  const timeoutMs = values["timeout-ms"] === undefined ? 5000 : Number(values["timeout-ms"]);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new UsageError("--timeout-ms must be a positive integer");
  const given = positionals[0];
  return {
    dir: given === undefined ? DEFAULT_DIR : resolve(given),
    check: values.check,
    writeExpected: values["write-expected"],
    filter: values.filter,
    verbose: values.verbose,
    timeoutMs,
  };
}

/**
 * Runs the cases in worker threads. A case that gives no answer within `hardLimitMs` (a hang the
 * engine's own deadline did not catch) or that kills its worker fails, and a new worker goes on after it.
 */
async function runAll(cases: ConformanceCase[], timeoutMs: number): Promise<CaseOutcome[]> {
  const hardLimitMs = Math.max(30_000, timeoutMs * 6);
  const outcomes: CaseOutcome[] = [];
  let next = 0;
  while (next < cases.length) next = await runWorker(cases, next, timeoutMs, hardLimitMs, outcomes);
  return outcomes;
}

function runWorker(
  cases: ConformanceCase[],
  start: number,
  timeoutMs: number,
  hardLimitMs: number,
  outcomes: CaseOutcome[],
): Promise<number> {
  return new Promise((resolvePromise, rejectPromise) => {
    const input: WorkerInput = { cases, start, timeoutMs };
    const worker = new Worker(WORKER_BOOTSTRAP, {
      eval: true,
      workerData: input,
      resourceLimits: { maxOldGenerationSizeMb: 4096 },
    });
    let ready = false;
    let current = start;
    let lastProgress = Date.now();
    let settled = false;
    const finish = (nextIndex: number, failure?: string): void => {
      if (settled) return;
      settled = true;
      clearInterval(watchdog);
      if (!ready) {
        void worker.terminate();
        rejectPromise(new Error(`worker failed to start: ${failure ?? "no reason given"}`));
        return;
      }
      const c = cases[current];
      if (failure !== undefined && c) {
        outcomes[current] = { note: c.note, category: c.category, pass: false, got: failure, want: "an answer" };
      }
      void worker.terminate();
      resolvePromise(nextIndex);
    };
    const watchdog = setInterval(() => {
      if (Date.now() - lastProgress > hardLimitMs) {
        finish(current + 1, `no answer within ${hardLimitMs / 1000}s (hung; worker stopped)`);
      }
    }, 500);
    worker.on("message", (message: WorkerMessage) => {
      if (message.type === "ready") {
        ready = true;
        lastProgress = Date.now();
        return;
      }
      if (message.type === "done") {
        finish(cases.length);
        return;
      }
      outcomes[message.index] = message.outcome;
      current = message.index + 1;
      lastProgress = Date.now();
    });
    worker.on("error", (e) => finish(current + 1, `worker crashed: ${errorMessage(e)}`));
    worker.on("exit", (code) => finish(current + 1, `worker exited with code ${code}`));
  });
}

function readExpected(): Map<string, string> {
  const expected = new Map<string, string>();
  if (!existsSync(EXPECTED_FILE)) return expected;
  const shown = relative(process.cwd(), EXPECTED_FILE);
  let doc: unknown;
  try {
    doc = parse(readFileSync(EXPECTED_FILE, "utf8"));
  } catch (e) {
    throw new Error(`${shown}: ${errorMessage(e)}`);
  }
  if (doc === null || doc === undefined) return expected;
  if (!isRecord(doc)) throw new Error(`${shown}: expected a mapping note -> reason`);
  for (const [note, reason] of Object.entries(doc)) {
    if (reason !== null && typeof reason !== "string") {
      throw new Error(`${shown}: reason for ${JSON.stringify(note)} must be a string`);
    }
    expected.set(note, reason ?? "");
  }
  return expected;
}

function writeExpected(entries: Map<string, string>): void {
  const sorted: Record<string, string> = {};
  for (const note of [...entries.keys()].sort()) sorted[note] = entries.get(note) ?? NEW_REASON;
  const body = entries.size === 0 ? "{}\n" : stringify(sorted, { lineWidth: 0 });
  writeFileSync(EXPECTED_FILE, `${EXPECTED_HEADER}\n${body}`);
}

function truncate(s: string | undefined, max = 2000): string {
  if (s === undefined) return "";
  return s.length > max ? `${s.slice(0, max)}… (${s.length - max} more characters)` : s;
}

async function main(): Promise<number> {
  let options: Options | "help";
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`conformance: ${errorMessage(e)}\n\n${USAGE}\n`);
    return 2;
  }
  if (options === "help") {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!existsSync(options.dir) || !statSync(options.dir).isDirectory()) {
    process.stderr.write(`conformance: cases directory not found: ${options.dir}\n`);
    return 2;
  }

  // Read the list first: a broken list should not cost a whole run.
  let expected = new Map<string, string>();
  if (options.check || options.writeExpected) {
    try {
      expected = readExpected();
    } catch (e) {
      process.stderr.write(`conformance: ${errorMessage(e)}\n`);
      return 2;
    }
  }

  const { filter } = options;
  const loaded = loadCases(options.dir);
  const cases = loaded.cases.filter((c) => filter === undefined || c.note.includes(filter));
  const problems = loaded.problems.filter((p) => filter === undefined || p.note.includes(filter));
  const outcomes: CaseOutcome[] = [
    ...(await runAll(cases, options.timeoutMs)),
    ...problems.map((p) => ({
      note: p.note,
      category: p.category,
      pass: false,
      got: `invalid case file ${p.file}: ${p.message}`,
      want: "a well-formed case",
    })),
  ];

  const byCategory = new Map<string, { passed: number; failed: number }>();
  for (const o of outcomes) {
    const counts = byCategory.get(o.category) ?? { passed: 0, failed: 0 };
    if (o.pass) counts.passed++;
    else counts.failed++;
    byCategory.set(o.category, counts);
  }
  const failures = outcomes.filter((o) => !o.pass);
  const passed = outcomes.length - failures.length;

  if (options.verbose) {
    for (const f of failures) {
      process.stdout.write(`FAIL ${f.note}\n  got:  ${truncate(f.got)}\n  want: ${truncate(f.want)}\n`);
    }
    if (failures.length > 0) process.stdout.write("\n");
  }
  for (const [category, counts] of [...byCategory.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    process.stdout.write(`${category}: ${counts.passed} passed, ${counts.failed} failed\n`);
  }

  let status = 0;
  if (options.check || options.writeExpected) {
    const ran = new Set(outcomes.map((o) => o.note));
    const failing = new Set(failures.map((f) => f.note));
    if (options.check) {
      const unexpectedFailures = [...failing].filter((n) => !expected.has(n)).sort();
      const unexpectedPasses = [...expected.keys()].filter((n) => ran.has(n) && !failing.has(n)).sort();
      for (const n of unexpectedFailures) process.stdout.write(`unexpected failure: ${n}\n`);
      for (const n of unexpectedPasses) process.stdout.write(`unexpected pass (listed as failing): ${n}\n`);
      if (unexpectedFailures.length > 0 || unexpectedPasses.length > 0) {
        process.stdout.write(
          `conformance check failed: ${unexpectedFailures.length} unexpected failures, ${unexpectedPasses.length} unexpected passes.\n` +
            "Fix them, or update test/conformance/expected-failures.yaml (npm run conformance -- --write-expected).\n",
        );
        status = 1;
      } else {
        process.stdout.write("conformance check ok: failures match test/conformance/expected-failures.yaml\n");
      }
    }
    if (options.writeExpected) {
      // Entries for cases not run this time (--filter) are kept as they are.
      const next = new Map([...expected].filter(([note]) => !ran.has(note)));
      for (const n of failing) next.set(n, expected.get(n) ?? NEW_REASON);
      writeExpected(next);
      process.stdout.write(`wrote ${relative(process.cwd(), EXPECTED_FILE)} (${next.size} entries)\n`);
    }
  }
  const percent = outcomes.length === 0 ? 0 : (100 * passed) / outcomes.length;
  process.stdout.write(`pass rate: ${percent.toFixed(1)}% (${passed} of ${outcomes.length})\n`);
  // With --check, say whether the failures were the expected ones, so the total is not read as a red run.
  const verdict = options.check ? (status === 0 ? " (all expected, see expected-failures.yaml)" : " (UNEXPECTED)") : "";
  process.stdout.write(`conformance: ${passed} passed, ${failures.length} failed${verdict}\n`);
  return status;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`conformance: ${errorMessage(e)}\n`);
    process.exitCode = 2;
  },
);
