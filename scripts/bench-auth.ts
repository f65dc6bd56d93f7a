/**
 * Authentication benchmark: Portcullis's `tools/call` latency with `auth: none` against the same
 * gateway as an OAuth resource server (a JWT bearer token on every call, warm verified-token
 * cache), in the same run, on the same echo upstream, interleaved round by round.
 *
 *   node --import tsx scripts/bench-auth.ts [--quick] [--duration S] [--rounds N] [--json FILE]
 *
 * The echo upstream and both gateways are child processes; the load generator (autocannon) and a
 * tiny JWKS server (fetched once per gateway) run here. Reports the median and p99 per cell and the
 * on/off ratio of the medians, at 1 and 32 connections.
 */
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { exportJWK, SignJWT } from "jose";
import { stringify } from "yaml";
import { awaitReady, killAllChildrenNow, spawnChild, stopAllChildren } from "./bench-gateway/children.js";
import { type LoadResult, type McpSession, PROTOCOL_VERSION, runLoad, toolCallBody } from "./bench-gateway/load.js";
import { type Environment, gatewayListeningUrl, startEchoServer } from "./bench-gateway/peers.js";
import { findRepoRoot, median } from "./lib/bench-report.js";

const USAGE = `usage: node --import tsx scripts/bench-auth.ts [options]

options:
  --duration S          seconds per measured cell (default 5)
  --warmup S            seconds of warm-up per gateway (default 2)
  --quick               1 s cells, 0.5 s warm-up
  --rounds N            measure every cell N times, interleaved; report the median round (default 3)
  --portcullis-cmd CMD  command before "serve --config FILE" (default "node --import tsx src/cli/main.ts")
  --json FILE           also write the results as JSON
  -h, --help            show this help`;

const CONNECTIONS = [1, 32] as const;
const AUDIENCE = "https://portcullis.bench/mcp";
const REPO_ROOT = findRepoRoot(dirname(fileURLToPath(import.meta.url)));

interface Cell {
  connections: number;
  off: LoadResult;
  on: LoadResult;
}

/** A JWKS server with one RSA key, and a token signed by it. */
async function startJwks(): Promise<{ issuer: string; jwksUri: string; token: string; close(): Promise<void> }> {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = { ...(await exportJWK(publicKey)), kid: "bench", alg: "RS256", use: "sig" };
  const server = createServer((req, res) => {
    if (req.url === "/jwks") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ keys: [jwk] }));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const token = await new SignJWT({ groups: ["engineering"], scope: "mcp:tools", client_id: "bench" })
    .setProtectedHeader({ alg: "RS256", kid: "bench" })
    .setIssuer(issuer)
    .setAudience(AUDIENCE)
    .setSubject("bench-user")
    .setIssuedAt()
    .setExpirationTime("2h")
    .sign(privateKey);
  return {
    issuer,
    jwksUri: `${issuer}/jwks`,
    token,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Starts one gateway in front of `upstreamUrl` with `auth`; resolves with its /mcp URL. */
async function startGateway(
  env: Environment,
  label: string,
  command: string[],
  upstreamUrl: string,
  auth: unknown,
): Promise<string> {
  const configPath = join(env.workDir, `${label}.yaml`);
  const config = {
    listen: "127.0.0.1:0",
    policy: { bundle: join(env.repoRoot, "policies/allow-all") },
    upstreams: [{ name: "echo", url: upstreamUrl }],
    namespacing: "on-conflict",
    audit: { path: join(env.workDir, `${label}-audit.jsonl`) },
    auth,
  };
  writeFileSync(configPath, stringify(config));
  const [first, ...rest] = command;
  if (first === undefined) throw new Error("empty --portcullis-cmd");
  const { child, ready } = spawnChild({
    name: `portcullis (${label})`,
    command: first === "node" ? env.node : first,
    args: [...rest, "serve", "--config", configPath],
    cwd: env.repoRoot,
    readyWhen: gatewayListeningUrl,
  });
  return awaitReady(child, ready, 30_000);
}

/** initialize + initialized + one checked call, with `extra` headers (the bearer token) on every request. */
async function openSession(url: string, extra: Record<string, string>): Promise<McpSession> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    ...extra,
  };
  const post = (body: object) =>
    fetch(url, { method: "POST", headers, body: JSON.stringify(body), signal: AbortSignal.timeout(15_000) });
  const init = await post({
    jsonrpc: "2.0",
    id: 0,
    method: "initialize",
    params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: "bench-auth", version: "1" } },
  });
  const initText = await init.text();
  const sessionId = init.headers.get("mcp-session-id");
  if (init.status !== 200 || sessionId === null) throw new Error(`initialize failed: HTTP ${init.status} ${initText}`);
  headers["mcp-session-id"] = sessionId;
  headers["mcp-protocol-version"] = PROTOCOL_VERSION;
  await (await post({ jsonrpc: "2.0", method: "notifications/initialized" })).text();
  const call = await fetch(url, { method: "POST", headers, body: toolCallBody("echo", 2) });
  const text = await call.text();
  if (call.status !== 200 || !text.includes("result")) throw new Error(`test call failed: HTTP ${call.status} ${text}`);
  return { url, headers, toolName: "echo" };
}

/** The round whose median latency is the median of the rounds. */
function medianRound(results: LoadResult[]): LoadResult {
  const m = median(results.map((r) => r.medianMs));
  return results.find((r) => r.medianMs === m) ?? (results[0] as LoadResult);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      duration: { type: "string" },
      warmup: { type: "string" },
      quick: { type: "boolean", default: false },
      rounds: { type: "string" },
      "portcullis-cmd": { type: "string" },
      json: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const durationS = values.quick ? 1 : Number(values.duration ?? 5);
  const warmupS = values.quick ? 0.5 : Number(values.warmup ?? 2);
  const rounds = Number(values.rounds ?? 3);
  if (![durationS, warmupS, rounds].every((n) => Number.isFinite(n) && n > 0)) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const command = (values["portcullis-cmd"] ?? "node --import tsx src/cli/main.ts").split(" ").filter(Boolean);
  const workDir = mkdtempSync(join(tmpdir(), "portcullis-bench-auth-"));
  const env: Environment = { repoRoot: REPO_ROOT, node: process.execPath, workDir };
  const jwks = await startJwks();
  try {
    const echo = await startEchoServer(env);
    process.stderr.write(`echo upstream at ${echo.url}\n`);
    const offUrl = await startGateway(env, "auth-off", command, echo.url, "none");
    const onUrl = await startGateway(env, "auth-on", command, echo.url, {
      issuer: jwks.issuer,
      audience: AUDIENCE,
      jwks_uri: jwks.jwksUri,
    });
    const off = await openSession(offUrl, {});
    const on = await openSession(onUrl, { authorization: `Bearer ${jwks.token}` });
    process.stderr.write("warming up\n");
    await runLoad(off, { connections: 32, durationS: warmupS });
    await runLoad(on, { connections: 32, durationS: warmupS });
    const cells: Cell[] = [];
    for (const connections of CONNECTIONS) {
      const offRuns: LoadResult[] = [];
      const onRuns: LoadResult[] = [];
      for (let round = 0; round < rounds; round++) {
        process.stderr.write(`${connections} connection(s), round ${round + 1}/${rounds}\n`);
        offRuns.push(await runLoad(off, { connections, durationS }));
        onRuns.push(await runLoad(on, { connections, durationS }));
      }
      cells.push({ connections, off: medianRound(offRuns), on: medianRound(onRuns) });
    }
    const lines = [
      "Portcullis tools/call latency, auth off vs auth on (JWT RS256, warm token cache), allow-all policy",
      "",
      "| connections | auth | median ms | p99 ms | calls/s | problems |",
      "| --- | --- | --- | --- | --- | --- |",
    ];
    for (const cell of cells) {
      for (const [label, r] of [
        ["off", cell.off],
        ["on", cell.on],
      ] as const) {
        lines.push(
          `| ${cell.connections} | ${label} | ${r.medianMs.toFixed(3)} | ${r.p99Ms.toFixed(3)} | ${Math.round(r.requestsPerSecond)} | ${r.problems.join("; ") || "none"} |`,
        );
      }
    }
    lines.push("");
    for (const cell of cells) {
      const ratio = cell.on.medianMs / cell.off.medianMs;
      const delta = cell.on.medianMs - cell.off.medianMs;
      lines.push(
        `${cell.connections} connection(s): median on/off = ${ratio.toFixed(3)} (${delta >= 0 ? "+" : ""}${delta.toFixed(3)} ms per call)`,
      );
    }
    process.stdout.write(`${lines.join("\n")}\n`);
    if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify({ cells }, null, 2)}\n`);
    const problems = cells.flatMap((c) => [...c.off.problems, ...c.on.problems]);
    return problems.length > 0 ? 1 : 0;
  } finally {
    await stopAllChildren();
    await jwks.close();
    rmSync(workDir, { recursive: true, force: true });
  }
}

process.once("SIGINT", () => {
  killAllChildrenNow();
  process.exit(130);
});
process.exitCode = await main().catch((e: unknown) => {
  process.stderr.write(`bench-auth: ${(e as Error).message}\n`);
  return 1;
});
