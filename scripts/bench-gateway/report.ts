/**
 * The results of a benchmark run and their presentation: one table per scenario, the ratios the
 * issue asks for, and the targets with PASS/FAIL. A cell with errors is shown with its errors and is
 * never used in a ratio; a target that cannot be computed fails with the reason.
 */
import type { LoadResult } from "./load.js";

/** One (target, connections) cell over all rounds; `chosen` is the round with the median throughput. */
export interface CellResult {
  connections: number;
  rounds: LoadResult[];
  chosen: LoadResult;
  /** Problems of any round; a cell with problems is not used in ratios. */
  problems: string[];
}

/** One server under test within a scenario. */
export interface TargetResult {
  key: string;
  label: string;
  commandLine?: string;
  /** Why the target could not be measured at all (failed to start, session or test call failed). */
  failure?: string;
  cells: CellResult[];
}

/** A group of targets measured against each other. */
export interface ScenarioResult {
  key: "http" | "stdio";
  title: string;
  targets: TargetResult[];
}

/** A stated target of the issue and whether this run met it (`pass: false` with a reason if not computable). */
export interface Verdict {
  name: string;
  value: string;
  pass: boolean;
}

/** Builds a cell from its rounds: picks the median-throughput round and gathers every round's problems. */
export function makeCell(connections: number, rounds: LoadResult[]): CellResult {
  const byThroughput = [...rounds].sort((x, y) => x.requestsPerSecond - y.requestsPerSecond);
  const chosen = byThroughput[Math.floor((byThroughput.length - 1) / 2)];
  if (chosen === undefined) throw new Error("a cell needs at least one round");
  const problems = rounds.flatMap((round, index) =>
    round.problems.map((problem) => (rounds.length > 1 ? `round ${index + 1}: ${problem}` : problem)),
  );
  return { connections, rounds, chosen, problems };
}

function validCell(target: TargetResult | undefined, connections: number): LoadResult | string {
  if (target === undefined) return "not measured";
  if (target.failure !== undefined) return `${target.label} did not run`;
  const cell = target.cells.find((candidate) => candidate.connections === connections);
  if (cell === undefined) return `${target.label} @${connections} not measured`;
  if (cell.problems.length > 0) return `${target.label} @${connections} had errors`;
  return cell.chosen;
}

function find(scenario: ScenarioResult | undefined, key: string): TargetResult | undefined {
  return scenario?.targets.find((target) => target.key === key);
}

/** A ratio of two cells' metric, or the reason it cannot be computed. */
function ratio(
  scenario: ScenarioResult | undefined,
  over: string,
  under: string,
  connections: number,
  metric: (result: LoadResult) => number,
): number | string {
  const top = validCell(find(scenario, over), connections);
  if (typeof top === "string") return top;
  const bottom = validCell(find(scenario, under), connections);
  if (typeof bottom === "string") return bottom;
  return metric(top) / metric(bottom);
}

const throughput = (result: LoadResult): number => result.requestsPerSecond;
const median = (result: LoadResult): number => result.medianMs;

/** The issue's targets for this run. */
export function computeVerdicts(http: ScenarioResult | undefined, stdio: ScenarioResult | undefined): Verdict[] {
  const verdicts: Verdict[] = [];
  if (http !== undefined) {
    const keep = ratio(http, "c", "b", 32, throughput);
    verdicts.push({
      name: "portcullis keeps ≥ 50% of the bare proxy's throughput at 32 connections (c/b)",
      value: typeof keep === "number" ? `${(keep * 100).toFixed(0)}%` : `n/a: ${keep}`,
      pass: typeof keep === "number" && keep >= 0.5,
    });
    const added = addedMedian(http);
    verdicts.push({
      name: "portcullis adds < 0.3 ms to the bare proxy's median at 1 connection (c − b)",
      value: typeof added === "number" ? `${formatSigned(added)} ms` : `n/a: ${added}`,
      pass: typeof added === "number" && added < 0.3,
    });
  }
  if (stdio !== undefined) {
    const best = fasterPeer(stdio, 32);
    const portcullis = validCell(find(stdio, "portcullis"), 32);
    const factor =
      typeof best === "string"
        ? best
        : typeof portcullis === "string"
          ? portcullis
          : portcullis.requestsPerSecond / best;
    verdicts.push({
      name: "portcullis ≥ 3x the faster of supergateway and mcp-proxy at 32 connections (stdio server)",
      value: typeof factor === "number" ? `${factor.toFixed(2)}x` : `n/a: ${factor}`,
      pass: typeof factor === "number" && factor >= 3,
    });
  }
  return verdicts;
}

function addedMedian(http: ScenarioResult): number | string {
  const c = validCell(find(http, "c"), 1);
  if (typeof c === "string") return c;
  const b = validCell(find(http, "b"), 1);
  if (typeof b === "string") return b;
  return c.medianMs - b.medianMs;
}

/** The higher valid throughput of the two peers at `connections`; a peer with errors cannot be the bar. */
function fasterPeer(stdio: ScenarioResult, connections: number): number | string {
  const peers = ["supergateway", "mcp-proxy"].map((key) => validCell(find(stdio, key), connections));
  // A peer that failed outright would make the target trivially easy; require both to be valid.
  const invalid = peers.find((peer): peer is string => typeof peer === "string");
  if (invalid !== undefined) return invalid;
  return Math.max(...peers.map((peer) => (peer as LoadResult).requestsPerSecond));
}

function formatSigned(value: number): string {
  return `${value >= 0 ? "+" : "−"}${Math.abs(value).toFixed(3)}`;
}

function formatRate(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

function formatMs(value: number): string {
  return Number.isNaN(value) ? "-" : value.toFixed(3);
}

/** Lays out rows as aligned columns; `right` marks the columns aligned right (numbers). */
export function formatTable(rows: string[][], right: readonly boolean[]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, index) => {
      widths[index] = Math.max(widths[index] ?? 0, cell.length);
    });
  }
  return rows.map((row) =>
    row
      .map((cell, index) => {
        const width = widths[index] ?? 0;
        // The last column (problems) is not padded, so lines carry no trailing blanks.
        if (index === row.length - 1 && !right[index]) return cell;
        return right[index] ? cell.padStart(width) : cell.padEnd(width);
      })
      .join("  ")
      .trimEnd(),
  );
}

/** The table of one scenario: a row per target and connection count. */
export function renderScenario(scenario: ScenarioResult): string[] {
  const rows: string[][] = [["target", "conns", "req/s", "median ms", "p99 ms", "errors"]];
  const failures: string[] = [];
  for (const target of scenario.targets) {
    if (target.failure !== undefined) {
      rows.push([target.label, "-", "-", "-", "-", "failed to start (below)"]);
      failures.push(`${target.label}: failed to start: ${target.failure}`);
      continue;
    }
    for (const cell of target.cells) {
      const result = cell.chosen;
      rows.push([
        target.label,
        String(cell.connections),
        formatRate(result.requestsPerSecond),
        formatMs(result.medianMs),
        formatMs(result.p99Ms),
        cell.problems.length === 0 ? "0" : `ERRORS: ${cell.problems.join("; ")}`,
      ]);
    }
  }
  const lines = [`== ${scenario.title} ==`, ...formatTable(rows, [false, true, true, true, true, false])];
  for (const failure of failures) lines.push(...failure.split("\n").map((line, index) => (index ? line : `! ${line}`)));
  return lines;
}

function formatRatio(value: number | string): string {
  return typeof value === "number" ? `${value.toFixed(2)}x` : `n/a (${value})`;
}

/** The ratio lines of the HTTP scenario: c/a and c/b for throughput and median latency, and c − b. */
export function renderHttpRatios(http: ScenarioResult): string[] {
  const rows: string[][] = [["ratio", "@1 conn", "@32 conns"]];
  const add = (name: string, over: string, under: string, metric: (result: LoadResult) => number): void => {
    rows.push([name, ...[1, 32].map((conns) => formatRatio(ratio(http, over, under, conns, metric)))]);
  };
  add("c/a throughput", "c", "a", throughput);
  add("c/b throughput", "c", "b", throughput);
  add("b/a throughput", "b", "a", throughput);
  add("c/a median latency", "c", "a", median);
  add("c/b median latency", "c", "b", median);
  const added = addedMedian(http);
  return [
    ...formatTable(rows, [false, true, true]),
    `added median at 1 conn (c − b): ${typeof added === "number" ? `${formatSigned(added)} ms` : `n/a (${added})`}`,
  ];
}

/** The ratio lines of the stdio scenario: Portcullis over the faster peer, at both connection counts. */
export function renderStdioRatios(stdio: ScenarioResult): string[] {
  const rows: string[][] = [["ratio", "@1 conn", "@32 conns"]];
  const cells = [1, 32].map((conns) => {
    const best = fasterPeer(stdio, conns);
    const portcullis = validCell(find(stdio, "portcullis"), conns);
    if (typeof best === "string") return formatRatio(best);
    if (typeof portcullis === "string") return formatRatio(portcullis);
    return formatRatio(portcullis.requestsPerSecond / best);
  });
  rows.push(["portcullis / max(supergateway, mcp-proxy) throughput", ...cells]);
  const direct = [1, 32].map((conns) => formatRatio(ratio(stdio, "portcullis", "direct", conns, throughput)));
  rows.push(["portcullis / server-everything direct throughput", ...direct]);
  return formatTable(rows, [false, true, true]);
}

/** The targets block: one line per verdict. */
export function renderVerdicts(verdicts: Verdict[]): string[] {
  const rows = verdicts.map((verdict) => [verdict.pass ? "PASS" : "FAIL", verdict.name, verdict.value]);
  return ["targets:", ...formatTable(rows, [false, false, false]).map((line) => `  ${line}`)];
}
