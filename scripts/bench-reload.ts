/**
 * Hot-reload benchmark: `npm run bench:reload -- [--runs N] [--reloads N] [--debounce MS]`.
 *
 * For the example bundle (policies/example) and a generated one (2,000 rules, ~5 MB of data), each
 * copied into a temp dir and watched as the gateway watches it: the time from a bundle change
 * (a new `.manifest` revision renamed into place) until the new revision answers decisions, polled
 * every millisecond. Baseline, measured in the same run: loading and compiling the same bundle
 * directly. Then memory: heapUsed after GC with the store serving after 1 reload and after N more
 * (default 100), and their ratio, which stays near 1 when reloads do not leak.
 * Prints a table and one JSON line, like scripts/bench.ts. Run with --expose-gc.
 */
import { cpSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pino from "pino";
import { loadBundle } from "../src/bundle/load.js";
import { configSchema } from "../src/config/schema.js";
import { Decider } from "../src/engine/decider.js";
import { GatewayMetrics } from "../src/gateway/metrics.js";
import { type ManagedPolicy, openPolicy } from "../src/gateway/policy-source.js";
import type { Json } from "../src/rego/index.js";
import { findRepoRoot, median, printTable } from "./lib/bench-report.js";

const REPO_ROOT = findRepoRoot(dirname(fileURLToPath(import.meta.url)));
const silent = pino({ level: "silent" });
const INPUT: Json = {
  phase: "request",
  method: "tools/call",
  server: "demo",
  tool: { name: "search_notes", qualified_name: "demo__search_notes", annotations: { readOnlyHint: true } },
  arguments: { query: "a" },
  identity: { subject: "alice", anonymous: false, groups: ["engineering"], client_id: null, scopes: [] },
  session: { id: "s", labels: [] },
};

function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Writes a bundle of 2,000 rules in 20 modules and ~5 MB of data into `dir`. */
function generateBundle(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const modules = 20;
  const perModule = 100;
  for (let m = 0; m < modules; m++) {
    const rules: string[] = [`package gen.m${m}`, ""];
    for (let r = 0; r < perModule; r++) {
      rules.push(
        `r${r} if {`,
        `\tinput.tool.name == "tool_${m}_${r}"`,
        `\tsome g in input.identity.groups`,
        `\tdata.gen.teams[g].level >= ${r % 5}`,
        "}",
        "",
      );
    }
    writeFileSync(join(dir, `m${m}.rego`), rules.join("\n"));
  }
  writeFileSync(
    join(dir, "policy.rego"),
    [
      "package portcullis",
      "",
      'decision := {"allow": allow, "reasons": [], "labels": []}',
      "",
      "default allow := false",
      "",
      ...Array.from({ length: modules }, (_, m) => `allow if data.gen.m${m}.r0\n`),
      'allow if input.tool.name == "search_notes"',
      "",
    ].join("\n"),
  );
  // ~5 MB: teams with members and attributes.
  const teams: Record<string, Json> = { engineering: { level: 4, members: [] } };
  let size = 0;
  for (let t = 0; size < 5 * 1024 * 1024; t++) {
    const members = Array.from({ length: 40 }, (_, i) => `user-${t}-${i}@example.com`);
    const team = { level: t % 5, members, cost_center: `cc-${t % 97}`, tags: ["generated", `t${t % 13}`] };
    teams[`team_${t}`] = team;
    size += JSON.stringify(team).length + 12;
  }
  mkdirSync(join(dir, "gen"), { recursive: true });
  writeFileSync(join(dir, "gen", "data.json"), JSON.stringify({ teams }));
}

/** Writes `.manifest` with `revision` atomically (temp file + rename), as a deploy would. */
function setRevision(dir: string, revision: string): void {
  const tmp = join(dir, "..", `manifest-${revision}.tmp`);
  writeFileSync(tmp, JSON.stringify({ revision }));
  renameSync(tmp, join(dir, ".manifest"));
}

interface Measured {
  baselineMs: number;
  reloadMs: number;
  bytes: number;
}

/** The bundle in `dir` opened as the gateway opens its policy: loaded, compiled and watched. */
function openWatchedPolicy(dir: string, keys: Record<string, unknown>): Promise<ManagedPolicy> {
  return openPolicy({
    role: "active",
    bundle: dir,
    entrypoint: "portcullis/decision",
    config: configSchema.shape.policy.parse({ bundle: dir, watch: true, timeout_ms: 1000, ...keys }),
    metrics: new GatewayMetrics({ processMetrics: false }),
    logger: silent,
  });
}

async function measureBundle(dir: string, runs: number, debounceMs: number): Promise<Measured> {
  setRevision(dir, "bench-0");
  const baseline: number[] = [];
  // One untimed round first, so neither measurement pays for JIT warm-up.
  for (let i = -1; i < runs; i++) {
    const started = performance.now();
    const bundle = loadBundle(dir);
    new Decider(bundle, { entrypoint: "portcullis/decision", timeoutMs: 1000 }).decide(INPUT);
    if (i >= 0) baseline.push(performance.now() - started);
  }
  const policy = await openWatchedPolicy(dir, { watch_debounce_ms: debounceMs });
  const reloads: number[] = [];
  try {
    for (let i = 1; i <= runs; i++) {
      await new Promise((r) => setTimeout(r, 100)); // let the previous burst settle
      const revision = `bench-${i}`;
      const started = performance.now();
      setRevision(dir, revision);
      const deadline = started + 30_000;
      while (policy.store.decider().decide(INPUT).revision !== revision) {
        if (performance.now() > deadline) throw new Error(`${dir}: ${revision} not serving after 30 s`);
        await new Promise((r) => setTimeout(r, 1));
      }
      reloads.push(performance.now() - started);
    }
  } finally {
    await policy.close();
  }
  const bytes = JSON.stringify(loadBundle(dir).data).length;
  return { baselineMs: median(baseline), reloadMs: median(reloads), bytes };
}

function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("run with node --expose-gc");
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

/** heapUsed with the store after 1 reload and after `reloads` more. */
async function measureMemory(dir: string, reloads: number): Promise<{ one: number; many: number }> {
  const policy = await openWatchedPolicy(dir, {});
  try {
    const reloadOnce = async (i: number) => {
      setRevision(dir, `mem-${i}`);
      const result = await policy.store.reload();
      if (result.revision !== `mem-${i}`) throw new Error(`reload ${i} failed: ${result.error ?? result.outcome}`);
      policy.store.decider().decide(INPUT);
    };
    await reloadOnce(0);
    await new Promise((r) => setTimeout(r, 400)); // the watcher's own reload of that change
    const one = heapAfterGc();
    for (let i = 1; i <= reloads; i++) await reloadOnce(i);
    await new Promise((r) => setTimeout(r, 400));
    const many = heapAfterGc();
    return { one, many };
  } finally {
    await policy.close();
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      runs: { type: "string", default: "7" },
      reloads: { type: "string", default: "100" },
      debounce: { type: "string", default: "250" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write("usage: npm run bench:reload -- [--runs N] [--reloads N] [--debounce MS]\n");
    return 0;
  }
  const runs = Number(values.runs);
  const reloads = Number(values.reloads);
  const debounce = Number(values.debounce);
  if (![runs, reloads].every((n) => Number.isInteger(n) && n > 0) || !(Number.isInteger(debounce) && debounce >= 0)) {
    process.stderr.write("bench-reload: --runs and --reloads must be positive integers, --debounce >= 0\n");
    return 2;
  }
  const root = mkdtempSync(join(tmpdir(), "portcullis-bench-reload-"));
  try {
    const example = join(root, "example", "bundle");
    cpSync(join(REPO_ROOT, "policies", "example"), example, { recursive: true });
    const generated = join(root, "generated", "bundle");
    generateBundle(generated);

    const rows: [string, string, string][] = [];
    const json: Record<string, Record<string, number>> = {};
    for (const [name, dir] of [
      ["reload-example", example],
      ["reload-generated", generated],
    ] as const) {
      const m = await measureBundle(dir, runs, debounce);
      json[name] = {
        data_bytes: m.bytes,
        debounce_ms: debounce,
        change_to_serving_ms_median: round(m.reloadMs),
        baseline_load_compile_ms_median: round(m.baselineMs),
        overhead_ms_median: round(m.reloadMs - debounce - m.baselineMs),
      };
      rows.push(
        [name, "data (JSON bytes)", `${m.bytes}`],
        ["", `change -> new revision serving (median of ${runs}, debounce ${debounce} ms)`, `${round(m.reloadMs)} ms`],
        ["", "baseline: load + compile directly (median)", `${round(m.baselineMs)} ms`],
        ["", "reload - debounce - baseline", `${round(m.reloadMs - debounce - m.baselineMs)} ms`],
      );
    }
    const memory = await measureMemory(example, reloads);
    const mb = (b: number) => round(b / (1024 * 1024), 2);
    json["reload-memory"] = {
      heap_after_1_reload_mb: mb(memory.one),
      [`heap_after_${reloads}_reloads_mb`]: mb(memory.many),
      ratio: round(memory.many / memory.one, 3),
    };
    rows.push(
      ["reload-memory", "heapUsed after GC, 1 reload (example)", `${mb(memory.one)} MB`],
      ["", `heapUsed after GC, ${reloads} more reloads`, `${mb(memory.many)} MB`],
      ["", "ratio", `${round(memory.many / memory.one, 3)} x`],
    );
    printTable(rows);
    process.stdout.write(`${JSON.stringify({ node: process.version, runs, reloads, benches: json })}\n`);
    return 0;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`bench-reload: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
