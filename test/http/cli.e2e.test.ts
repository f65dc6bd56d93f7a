/**
 * End-to-end through the command line: `portcullis serve` as a process (listening log line, MCP
 * over HTTP, SIGTERM), `portcullis stdio` driven by the SDK's `Client` over stdio, and
 * configuration errors (exit 1, the key path named, no stack trace).
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, it } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { stringify } from "yaml";
import type { ProbeHttpServer } from "../fixtures/gateway/probe-server.js";
import {
  connectClient,
  firstJson,
  mcpErrorOf,
  probeHttp,
  probeStdioUpstream,
  processExists,
  REPO,
  readJsonLines,
  readProbeLog,
  TEST_POLICY,
  tempDir,
  waitFor,
} from "./harness.js";

const TEST_TIMEOUT = { timeout: 45_000 };
const CLI = ["--import", "tsx", "src/cli/main.ts"];

/** Writes `config` as YAML into `dir` and returns the file's path. */
function writeConfig(dir: string, name: string, config: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, typeof config === "string" ? config : stringify(config));
  return file;
}

/** Runs the CLI to completion (bounded); resolves with its exit code and output. */
async function runCli(
  args: string[],
  boundMs = 40_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [...CLI, ...args], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), boundMs);
  const [code] = (await once(child, "exit")) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}

function assertNoStack(stderr: string): void {
  assert.doesNotMatch(stderr, /\n\s+at .+:\d+:\d+\)?/, `no stack trace expected:\n${stderr}`);
}

// The suites below are independent (a gateway each), so they run side by side to save time; the
// tests inside each suite run one after the other.
describe("the portcullis command line", { concurrency: true }, () => {
  describe("portcullis serve", { concurrency: 1 }, () => {
    const dir = tempDir();
    let probe: ProbeHttpServer;
    let child: ChildProcess | undefined;

    before(async () => {
      probe = await probeHttp();
    });

    after(async () => {
      if (child && child.exitCode === null) {
        child.kill("SIGKILL");
        await once(child, "exit");
      }
      await probe?.close();
      dir.remove();
    });

    it("logs the URL it listens on, serves MCP, and stops cleanly on SIGTERM", TEST_TIMEOUT, async () => {
      const config = writeConfig(dir.path, "portcullis.yaml", {
        listen: "127.0.0.1:0",
        policy: { bundle: join(REPO, TEST_POLICY), entrypoint: "portcullis/decision" },
        upstreams: [{ name: "probe", url: probe.url }],
        audit: { path: "audit.jsonl" },
        log: { level: "info" },
      });
      const serving = spawn(process.execPath, [...CLI, "serve", "--config", config], {
        cwd: REPO,
        stdio: ["ignore", "pipe", "pipe"],
      });
      child = serving;
      const stderrLines: string[] = [];
      const lines = createInterface({ input: serving.stderr });
      lines.on("line", (line) => stderrLines.push(line));
      const url = await waitFor(
        "the gateway listening line",
        () => {
          const line = stderrLines.find((l) => l.includes('"msg":"gateway listening"'));
          return line === undefined ? undefined : String((JSON.parse(line) as { url: unknown }).url);
        },
        40_000,
      );
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);

      const { client } = await connectClient(url);
      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((t) => t.name).sort(), ["probe__echo", "probe__search_notes", "probe__wait"]);
      assert.equal(firstJson(await client.callTool({ name: "probe__echo", arguments: { text: "cli" } })).text, "cli");
      await client.close();

      const exited = once(serving, "exit");
      serving.kill("SIGTERM");
      const [code] = (await exited) as [number | null];
      assert.equal(code, 0);
      for (const line of stderrLines) assert.doesNotThrow(() => JSON.parse(line), `a JSON log line: ${line}`);
      assert.ok(stderrLines.some((l) => l.includes('"msg":"gateway stopped"')));
      // The audit path is relative to the config file; the records are flushed on exit.
      const audit = readJsonLines(join(dir.path, "audit.jsonl"));
      assert.deepEqual(
        audit.map((r) => r.method),
        ["initialize", "tools/list", "tools/call"],
      );
    });
  });

  describe("portcullis serve and stdio with a bad configuration", { concurrency: 1 }, () => {
    const dir = tempDir();
    after(() => dir.remove());

    it("exits 1 and names the key path, without a stack trace", TEST_TIMEOUT, async () => {
      const policy = { bundle: join(REPO, TEST_POLICY) };
      const upstreams = [{ name: "probe", url: "http://127.0.0.1:9/mcp" }];
      // Two processes only (each costs seconds here); test/config covers the other messages in-process.
      const cases: Array<{ args: string[]; expect: RegExp }> = [
        {
          args: [
            "serve",
            "--config",
            writeConfig(dir.path, "bad.yaml", { policy, upstreams, limits: { max_body_bytes: 10 } }),
          ],
          expect: /^PORTCULLIS_CONFIG_INVALID: .*bad\.yaml: limits\.max_body_bytes: .*1024\n$/,
        },
        {
          args: [
            "stdio",
            "--config",
            writeConfig(dir.path, "stdout.yaml", { policy, upstreams, audit: { path: "-" } }),
          ],
          expect: /^PORTCULLIS_CONFIG_INVALID: audit\.path: must be a file/,
        },
      ];
      const runs = await Promise.all(cases.map((c) => runCli(c.args)));
      runs.forEach((run, i) => {
        const { expect } = cases[i] as { expect: RegExp };
        assert.equal(run.code, 1, `${expect}: exit code; stderr:\n${run.stderr}`);
        assert.match(run.stderr, expect);
        assert.equal(run.stdout, "");
        assertNoStack(run.stderr);
      });
    });
  });

  describe("portcullis stdio", { concurrency: 1 }, () => {
    const dir = tempDir();
    const probeLog = join(dir.path, "probe.jsonl");
    const auditPath = join(dir.path, "audit.jsonl");
    let client: Client;
    let transport: StdioClientTransport;

    before(async () => {
      const config = writeConfig(dir.path, "stdio.yaml", {
        policy: { bundle: join(REPO, TEST_POLICY) },
        upstreams: [probeStdioUpstream("probe", probeLog)],
        audit: { path: auditPath },
        log: { level: "silent" },
      });
      client = new Client({ name: "stdio-e2e", version: "1.0.0" });
      transport = new StdioClientTransport({
        command: process.execPath,
        args: [...CLI, "stdio", "--config", config],
        cwd: REPO,
        stderr: "pipe",
      });
      await client.connect(transport);
    });

    after(async () => {
      await client?.close();
      dir.remove();
    });

    it("lists, calls and denies like the HTTP front end", TEST_TIMEOUT, async () => {
      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((t) => t.name).sort(), [
        "probe__crash",
        "probe__echo",
        "probe__search_notes",
        "probe__wait",
      ]);
      const echoed = firstJson(await client.callTool({ name: "probe__echo", arguments: { text: "via stdio" } }));
      assert.equal(echoed.text, "via stdio");
      assert.equal(echoed.traceparent, null, "no HTTP header over stdio");
      const denied = await mcpErrorOf(() => client.callTool({ name: "probe__delete_note", arguments: { id: "1" } }));
      assert.equal(denied.code, -32003);
      assert.deepEqual((denied.data as { reasons: unknown }).reasons, ["delete_note is forbidden by the test policy"]);
      const events = readProbeLog(probeLog);
      assert.equal(events.filter((e) => e.tool === "delete_note").length, 0);
    });

    it("stops its upstream processes and flushes the audit when the client goes away", TEST_TIMEOUT, async () => {
      const pid = transport.pid;
      assert.ok(pid !== null);
      const probePids = readProbeLog(probeLog)
        .filter((e) => e.event === "start")
        .map((e) => e.pid);
      assert.equal(probePids.length, 1);
      await client.close();
      await waitFor("the gateway process to exit", () => (processExists(pid) ? undefined : true), 10_000);
      for (const probePid of probePids) assert.equal(processExists(probePid ?? 0), false);
      const audit = readJsonLines(auditPath);
      assert.deepEqual(
        audit.map((r) => [r.method, r.outcome]),
        [
          ["initialize", "allowed"],
          ["tools/list", "allowed"],
          ["tools/call", "allowed"],
          ["tools/call", "denied"],
        ],
      );
    });
  });

  describe("portcullis stdio with a misbehaving client", { concurrency: 1 }, () => {
    const dir = tempDir();
    after(() => dir.remove());

    it(
      "answers malformed lines and early requests with errors, and exits 0 when stdin ends",
      TEST_TIMEOUT,
      async () => {
        const config = writeConfig(dir.path, "raw.yaml", {
          policy: { bundle: join(REPO, TEST_POLICY) },
          // Never contacted: nothing here lists or calls tools.
          upstreams: [{ name: "none", url: "http://127.0.0.1:9/mcp" }],
          audit: { path: join(dir.path, "audit.jsonl") },
          log: { level: "silent" },
        });
        const child = spawn(process.execPath, [...CLI, "stdio", "--config", config], {
          cwd: REPO,
          stdio: ["pipe", "pipe", "pipe"],
        });
        const kill = setTimeout(() => child.kill("SIGKILL"), 20_000);
        const replies: Array<Record<string, unknown>> = [];
        createInterface({ input: child.stdout }).on("line", (line) => {
          replies.push(JSON.parse(line) as Record<string, unknown>);
        });
        child.stderr.resume();
        const send = (line: string) => child.stdin.write(`${line}\n`);

        send('{"jsonrpc":"2.0","id":1,"method":');
        send(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "ping" }));
        await waitFor("two replies", () => (replies.length >= 2 ? true : undefined), 40_000);
        send(
          JSON.stringify({
            jsonrpc: "2.0",
            id: 3,
            method: "initialize",
            params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
          }),
        );
        send(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));
        send(JSON.stringify({ jsonrpc: "2.0", id: 4, method: "ping" }));
        await waitFor("four replies", () => (replies.length >= 4 ? true : undefined));
        const exited = once(child, "exit");
        child.stdin.end();
        const [code] = (await exited) as [number | null];
        clearTimeout(kill);

        const [parseError, tooEarly, initialized, pong] = replies;
        assert.ok(parseError && tooEarly && initialized);
        assert.equal((parseError.error as { code: number }).code, -32700);
        assert.equal(parseError.id, null);
        assert.equal(tooEarly.id, 2);
        assert.equal((tooEarly.error as { code: number }).code, -32600);
        assert.equal(initialized.id, 3);
        assert.equal((initialized.result as { serverInfo: { name: string } }).serverInfo.name, "portcullis");
        assert.deepEqual(pong, { jsonrpc: "2.0", id: 4, result: {} });
        assert.equal(replies.length, 4);
        assert.equal(code, 0);
      },
    );
  });
});
