/**
 * Gateway benchmark: what Portcullis costs per MCP call, against the physical limit of one Node.js
 * hop and against the tools people use today.
 *
 *   node --import tsx scripts/bench-gateway.ts [--quick] [--duration S] [--json FILE] ...
 *
 * Scenario 1 (HTTP upstream): `tools/call` of a trivial echo tool on a raw node:http MCP server,
 * (a) directly, (b) through a bare node:http pass-through proxy, (c) through Portcullis with a
 * policy, auditing and metrics; 1 and 32 connections; c/a, c/b, c − b and the targets.
 * Scenario 2 (stdio server): server-everything's `echo` tool directly over stdio, and exposed over
 * Streamable HTTP by supergateway, mcp-proxy and Portcullis.
 *
 * Every server runs as its own child process (the load generator does not share its event loop);
 * the targets of a scenario run side by side and are measured interleaved, round by round, after
 * a warm-up. The report goes to stdout, progress to stderr.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { type Child, describeExit, killAllChildrenNow, StartError, stopAllChildren } from "./bench-gateway/children.js";
import { type LoadOptions, type LoadResult, openSession, runLoad } from "./bench-gateway/load.js";
import {
  type Environment,
  everythingCommand,
  findRepoRoot,
  type StartedServer,
  startBareProxy,
  startEchoServer,
  startMcpProxy,
  startPortcullis,
  startSupergateway,
} from "./bench-gateway/peers.js";
import { choosePolicy, type PolicyChoice, policyForServer } from "./bench-gateway/policy.js";
import {
  computeVerdicts,
  makeCell,
  renderHttpRatios,
  renderScenario,
  renderStdioRatios,
  renderVerdicts,
  type ScenarioResult,
  type TargetResult,
} from "./bench-gateway/report.js";
import { startStdioServerClient } from "./bench-gateway/stdio-direct.js";

const USAGE = `usage: node --import tsx scripts/bench-gateway.ts [options]

options:
  --duration S            seconds per measured cell (default 5)
  --warmup S              seconds of warm-up per target, at 32 connections (default 2)
  --quick                 1 s cells, 0.5 s warm-up
  --rounds N              measure every cell N times, interleaved; report the median-throughput round (default 1)
  --only http|stdio       run one scenario only
  --policy DIR            policy bundle for Portcullis (default policies/example, else a temporary allow-all)
  --portcullis-cmd CMD    command before "serve --config FILE" (default "node --import tsx src/cli/main.ts")
  --dist                  same as --portcullis-cmd "node dist/cli/main.js"
  --namespacing MODE      on-conflict (tool "echo", default) or always (tool "echo__echo")
  --node PATH             node binary for every server (default: the one running this script)
  --json FILE             also write the results as JSON
  --check                 exit 1 if a target is not met
  -h, --help              show this help`;

const CONNECTIONS = [1, 32] as const;

interface Settings {
  durationS: number;
  warmupS: number;
  rounds: number;
  only: "http" | "stdio" | undefined;
  policy: PolicyChoice;
  portcullisCommand: string[];
  namespacing: "always" | "on-conflict";
  jsonPath: string | undefined;
  check: boolean;
  /** The node binary every server runs under. */
  node: string;
}

/** A server ready to be loaded, or the reason it is not. */
interface Runner {
  key: string;
  label: string;
  commandLine?: string;
  failure?: string;
  /** The process measured, to notice if it died during the measurement. */
  child?: Child;
  load?: (options: LoadOptions) => Promise<LoadResult>;
  /** Extra facts for the report, gathered after the measurement (audit lines, metrics endpoint). */
  notes?: () => Promise<string[]>;
}

const REPO_ROOT = findRepoRoot(dirname(fileURLToPath(import.meta.url)));
const interrupt = new AbortController();

class Interrupted extends Error {}

function positiveNumber(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`${name} must be a positive number, got "${text}"`);
  return value;
}

class UsageError extends Error {}

function parseSettings(argv: string[], workDir: string): Settings | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: "string" },
      warmup: { type: "string" },
      quick: { type: "boolean", default: false },
      rounds: { type: "string" },
      only: { type: "string" },
      policy: { type: "string" },
      "portcullis-cmd": { type: "string" },
      dist: { type: "boolean", default: false },
      namespacing: { type: "string", default: "on-conflict" },
      node: { type: "string" },
      json: { type: "string" },
      check: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return undefined;
  if (values.only !== undefined && values.only !== "http" && values.only !== "stdio") {
    throw new UsageError(`--only must be http or stdio, got "${values.only}"`);
  }
  if (values.namespacing !== "on-conflict" && values.namespacing !== "always") {
    throw new UsageError(`--namespacing must be on-conflict or always, got "${values.namespacing}"`);
  }
  if (values.dist && values["portcullis-cmd"] !== undefined) {
    throw new UsageError("give --dist or --portcullis-cmd, not both");
  }
  const portcullisCommand = values.dist
    ? ["node", "dist/cli/main.js"]
    : (values["portcullis-cmd"] ?? "node --import tsx src/cli/main.ts").split(/\s+/).filter((word) => word !== "");
  const rounds = positiveNumber("--rounds", values.rounds, 1);
  if (!Number.isInteger(rounds)) throw new UsageError("--rounds must be a whole number");
  let policy: PolicyChoice;
  try {
    policy = choosePolicy(values.policy, REPO_ROOT, workDir);
  } catch (error) {
    throw new UsageError(describeError(error));
  }
  return {
    durationS: positiveNumber("--duration", values.duration, values.quick ? 1 : 5),
    warmupS: positiveNumber("--warmup", values.warmup, values.quick ? 0.5 : 2),
    rounds,
    only: values.only,
    policy,
    portcullisCommand,
    namespacing: values.namespacing,
    jsonPath: values.json,
    check: values.check,
    // A path given relative to here must still work from the children's working directory.
    node: values.node === undefined ? process.execPath : values.node.includes("/") ? resolve(values.node) : values.node,
  };
}

function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}

function describeError(error: unknown): string {
  if (error instanceof StartError) return error.message;
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : "";
    return `${error.message}${cause}`;
  }
  return String(error);
}

/** Starts a server and opens a session on it; any failure becomes the runner's `failure`. */
async function httpRunner(
  key: string,
  label: string,
  start: () => Promise<StartedServer>,
  toolName: string,
): Promise<Runner> {
  let server: StartedServer | undefined;
  try {
    server = await start();
    const session = await openSession(server.url, toolName);
    return {
      key,
      label,
      commandLine: server.commandLine,
      child: server.child,
      load: (options) => runLoad(session, options),
    };
  } catch (error) {
    return { key, label, commandLine: server?.commandLine, failure: describeError(error) };
  }
}

/** A Portcullis runner, plus notes on its audit log and metrics endpoint to show both were on. */
async function portcullisRunner(
  env: Environment,
  settings: Settings,
  key: string,
  label: string,
  upstream: Parameters<typeof startPortcullis>[1]["upstream"],
): Promise<Runner> {
  const auditLabel = `portcullis-${key}`;
  const policy = policyForServer(settings.policy, upstream.name, env.workDir);
  let url: string | undefined;
  const toolName = settings.namespacing === "always" ? `${upstream.name}__echo` : "echo";
  const runner = await httpRunner(
    key,
    label,
    async () => {
      const server = await startPortcullis(env, {
        command: settings.portcullisCommand,
        policyDir: policy.dir,
        namespacing: settings.namespacing,
        label: auditLabel,
        upstream,
      });
      url = server.url;
      return server;
    },
    toolName,
  );
  runner.notes = async () => {
    const notes: string[] = [`${label}: policy ${policy.description}`];
    const auditPath = join(env.workDir, `${auditLabel}-audit.jsonl`);
    notes.push(
      existsSync(auditPath)
        ? `${label}: audit log has ${readFileSync(auditPath, "utf8").split("\n").filter(Boolean).length} records`
        : `${label}: no audit log was written`,
    );
    if (url !== undefined) {
      const metricsUrl = new URL("/metrics", url).href;
      try {
        const response = await fetch(metricsUrl, { signal: AbortSignal.timeout(3000) });
        const text = await response.text();
        notes.push(`${label}: GET /metrics answered ${response.status} (${text.split("\n").length} lines)`);
      } catch (error) {
        notes.push(`${label}: GET /metrics failed: ${describeError(error)}`);
      }
    }
    return notes;
  };
  return runner;
}

/** Warms every runner up, then measures each (round, connections, runner) in interleaved order. */
async function measure(runners: Runner[], settings: Settings): Promise<TargetResult[]> {
  const signal = interrupt.signal;
  for (const runner of runners) {
    if (runner.load === undefined) continue;
    progress(`  warm-up ${runner.label} (${settings.warmupS} s)`);
    await runner.load({ connections: 32, durationS: settings.warmupS, signal });
    if (signal.aborted) throw new Interrupted();
  }
  const rounds = new Map<string, LoadResult[]>();
  for (let round = 1; round <= settings.rounds; round++) {
    for (const connections of CONNECTIONS) {
      for (const runner of runners) {
        if (runner.load === undefined) continue;
        const result = await runner.load({ connections, durationS: settings.durationS, signal });
        if (signal.aborted) throw new Interrupted();
        const cellKey = `${runner.key}@${connections}`;
        rounds.set(cellKey, [...(rounds.get(cellKey) ?? []), result]);
        const problems = result.problems.length > 0 ? `  ERRORS: ${result.problems.join("; ")}` : "";
        progress(
          `  ${runner.label} @${connections} round ${round}/${settings.rounds}: ` +
            `${Math.round(result.requestsPerSecond)} req/s, median ${result.medianMs.toFixed(3)} ms${problems}`,
        );
      }
    }
  }
  return runners.map((runner) => ({
    key: runner.key,
    label: runner.label,
    ...(runner.commandLine === undefined ? {} : { commandLine: runner.commandLine }),
    ...(runner.failure === undefined ? {} : { failure: runner.failure }),
    cells:
      runner.load === undefined
        ? []
        : CONNECTIONS.map((connections) => makeCell(connections, rounds.get(`${runner.key}@${connections}`) ?? [])),
  }));
}

async function collectNotes(runners: Runner[]): Promise<string[]> {
  const notes: string[] = [];
  for (const runner of runners) {
    if (runner.child?.hasExited()) notes.push(`${runner.label}: ${describeExit(runner.child)}`);
    if (runner.notes) notes.push(...(await runner.notes()));
  }
  return notes;
}

async function runHttpScenario(
  env: Environment,
  settings: Settings,
): Promise<{ result: ScenarioResult; notes: string[] }> {
  progress("scenario 1: HTTP upstream (a) direct, (b) bare proxy, (c) portcullis");
  let echo: StartedServer | undefined;
  let echoFailure: string | undefined;
  try {
    echo = await startEchoServer(env);
  } catch (error) {
    echoFailure = `echo upstream: ${describeError(error)}`;
  }
  let runners: Runner[];
  if (echo === undefined) {
    const failure = echoFailure ?? "echo upstream did not start";
    runners = [
      { key: "a", label: "(a) direct to upstream", failure },
      { key: "b", label: "(b) bare node:http proxy", failure },
      { key: "c", label: "(c) portcullis", failure },
    ];
  } else {
    const upstream = echo;
    runners = [
      await httpRunner("a", "(a) direct to upstream", async () => upstream, "echo"),
      await httpRunner("b", "(b) bare node:http proxy", () => startBareProxy(env, upstream.url), "echo"),
      await portcullisRunner(env, settings, "c", "(c) portcullis", { name: "echo", url: upstream.url }),
    ];
  }
  return runScenario(
    runners,
    settings,
    "http",
    'scenario 1: tools/call "echo", minimal node:http MCP upstream answering JSON',
  );
}

/** Measures the started runners (reporting those that failed to start), collects notes, stops every child. */
async function runScenario(
  runners: Runner[],
  settings: Settings,
  key: ScenarioResult["key"],
  title: string,
): Promise<{ result: ScenarioResult; notes: string[] }> {
  for (const runner of runners) if (runner.failure) progress(`  ${runner.label}: failed to start: ${runner.failure}`);
  const targets = await measure(runners, settings);
  const notes = await collectNotes(runners);
  await stopAllChildren();
  return { result: { key, title, targets }, notes };
}

async function runStdioScenario(
  env: Environment,
  settings: Settings,
): Promise<{ result: ScenarioResult; notes: string[] }> {
  progress("scenario 2: server-everything over stdio: direct, supergateway, mcp-proxy, portcullis");
  const everything = everythingCommand(env);
  let direct: Runner;
  try {
    const client = await startStdioServerClient("server-everything", everything.command, everything.args, env.repoRoot);
    direct = {
      key: "direct",
      label: "server-everything direct (stdio)",
      commandLine: [everything.command, ...everything.args].join(" "),
      child: client.child,
      load: client.runLoad,
    };
  } catch (error) {
    direct = { key: "direct", label: "server-everything direct (stdio)", failure: describeError(error) };
  }
  const runners: Runner[] = [
    direct,
    await httpRunner("supergateway", "supergateway", () => startSupergateway(env), "echo"),
    await httpRunner("mcp-proxy", "mcp-proxy", () => startMcpProxy(env), "echo"),
    await portcullisRunner(env, settings, "portcullis", "portcullis", {
      name: "everything",
      command: everything.command,
      args: everything.args,
      cwd: env.repoRoot,
    }),
  ];
  return runScenario(
    runners,
    settings,
    "stdio",
    'scenario 2: stdio server (server-everything "echo") exposed over Streamable HTTP; "direct" = calls in flight on its stdio',
  );
}

function header(settings: Settings, node: string): string[] {
  const cpuList = cpus();
  return [
    "Portcullis gateway benchmark",
    `node ${process.version} (servers: ${node}), ${cpuList.length} CPUs (${cpuList[0]?.model.trim() ?? "unknown"}), ` +
      `load average at start ${loadavg()
        .map((value) => value.toFixed(2))
        .join(" ")}`,
    `${settings.durationS} s per cell, ${settings.warmupS} s warm-up per target, ${settings.rounds} round(s), ` +
      `connections ${CONNECTIONS.join(" and ")}; load generator: autocannon (this process)`,
    `portcullis: ${settings.portcullisCommand.join(" ")} serve --config TMP.yaml; policy: ${settings.policy.description}; ` +
      `namespacing: ${settings.namespacing}; audit to a temp file; metrics at /metrics`,
  ];
}

function commandLines(scenario: ScenarioResult): string[] {
  return scenario.targets
    .filter((target) => target.commandLine !== undefined)
    .map((target) => `  ${target.label}: ${target.commandLine}`);
}

async function main(): Promise<number> {
  const workDir = mkdtempSync(join(tmpdir(), "portcullis-bench-"));
  process.on("exit", () => {
    killAllChildrenNow();
    rmSync(workDir, { recursive: true, force: true });
  });
  let settings: Settings | undefined;
  try {
    settings = parseSettings(process.argv.slice(2), workDir);
  } catch (error) {
    if (!(error instanceof UsageError) && !(error instanceof TypeError)) throw error;
    process.stderr.write(`bench-gateway: ${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (settings === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const env: Environment = { repoRoot: REPO_ROOT, node: settings.node, workDir };

  for (const signalName of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signalName, () => {
      if (interrupt.signal.aborted) {
        // A second Ctrl-C: do not wait for anything.
        killAllChildrenNow();
        process.exit(130);
      }
      progress(`\n${signalName}: stopping…`);
      interrupt.abort();
    });
  }

  const headerLines = header(settings, env.node);
  progress(headerLines.join("\n"));
  let http: { result: ScenarioResult; notes: string[] } | undefined;
  let stdio: { result: ScenarioResult; notes: string[] } | undefined;
  try {
    if (settings.only !== "stdio") http = await runHttpScenario(env, settings);
    if (settings.only !== "http") stdio = await runStdioScenario(env, settings);
  } catch (error) {
    await stopAllChildren();
    if (error instanceof Interrupted) {
      progress("interrupted; all servers stopped");
      return 130;
    }
    throw error;
  }

  const verdicts = computeVerdicts(http?.result, stdio?.result);
  const lines: string[] = ["", ...headerLines];
  if (http !== undefined) {
    lines.push("", ...renderScenario(http.result), "", ...renderHttpRatios(http.result));
    lines.push(...http.notes.map((note) => `note: ${note}`));
  }
  if (stdio !== undefined) {
    lines.push("", ...renderScenario(stdio.result), "", ...renderStdioRatios(stdio.result));
    lines.push(...stdio.notes.map((note) => `note: ${note}`));
  }
  // Other work on the machine shows up here; a load above the CPU count means noisy numbers.
  lines.push(
    "",
    `load average at end: ${loadavg()
      .map((value) => value.toFixed(2))
      .join(" ")} (${cpus().length} CPUs)`,
  );
  lines.push("", "command lines:");
  for (const scenario of [http?.result, stdio?.result]) if (scenario) lines.push(...commandLines(scenario));
  lines.push("", ...renderVerdicts(verdicts));
  process.stdout.write(`${lines.join("\n")}\n`);

  if (settings.jsonPath !== undefined) {
    const report = {
      startedBy: "scripts/bench-gateway.ts",
      date: new Date().toISOString(),
      node: process.version,
      serverNode: env.node,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model.trim(),
      settings: { ...settings, jsonPath: undefined },
      scenarios: { http: http?.result, stdio: stdio?.result },
      notes: [...(http?.notes ?? []), ...(stdio?.notes ?? [])],
      verdicts,
    };
    writeFileSync(settings.jsonPath, `${JSON.stringify(report, null, 2)}\n`);
    progress(`results written to ${settings.jsonPath}`);
  }
  return settings.check && verdicts.some((verdict) => !verdict.pass) ? 1 : 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  process.stderr.write(`bench-gateway: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  await stopAllChildren();
  process.exitCode = 1;
}
// Autocannon and fetch may keep sockets referenced for a while; the run is over.
process.exit(process.exitCode);
