/**
 * Shared harness for the gateway's end-to-end tests: starts a gateway in-process from a config
 * object, builds upstream entries for the demo and probe servers, connects the SDK's real `Client`
 * over Streamable HTTP, and sends raw HTTP requests for the transport-level checks.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { parseConfig } from "../../src/config/load.js";
import { type DemoHttpServer, startDemoHttpServer } from "../../src/demo/http.js";
import { NotesStore } from "../../src/demo/notes.js";
import { type RunningGateway, startGateway } from "../../src/http/server.js";
import {
  type HttpAnswerOptions,
  type ProbeEvent,
  type ProbeHttpServer,
  type ProbeRecorder,
  startProbeHttpServer,
} from "../fixtures/gateway/probe-server.js";

/** The repository root. */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** The policy the e2e tests run with: all allowed but delete_note and calls carrying a `secret`. */
export const TEST_POLICY = "test/fixtures/gateway/policy";

/** A current MCP revision the gateway supports, for raw requests. */
export const PROTOCOL_VERSION = "2025-06-18";

/** The Accept header Streamable HTTP requires on POST. */
export const ACCEPT_BOTH = "application/json, text/event-stream";

/** The probe over HTTP, in-process; it answers POSTs with SSE streams unless told `jsonResponse`. */
export function probeHttp(
  record: ProbeRecorder = () => {},
  options: HttpAnswerOptions & { port?: number } = {},
): Promise<ProbeHttpServer> {
  return startProbeHttpServer("127.0.0.1", options.port ?? 0, record, options);
}

/** The demo notes server over HTTP (its own front end, src/demo/http.ts), in-process; `crash` does nothing. */
export function demoHttp(): Promise<DemoHttpServer> {
  return startDemoHttpServer("127.0.0.1", 0, new NotesStore(), { onCrash: () => {} });
}

/** A raw initialize request body. */
export function initializeBody(id: number | string = 1): Record<string, unknown> {
  return {
    jsonrpc: "2.0",
    id,
    method: "initialize",
    params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: "raw-test", version: "1.0.0" } },
  };
}

/** An upstream entry running the demo notes server over stdio. */
export function demoStdioUpstream(name = "demo", extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    command: process.execPath,
    args: ["--import", "tsx", "src/demo/server.ts", "--stdio"],
    cwd: REPO,
    ...extra,
  };
}

/** An upstream entry running the probe server over stdio, recording its events to `logFile`. */
export function probeStdioUpstream(name: string, logFile: string, extra: Record<string, unknown> = {}) {
  return {
    name,
    command: process.execPath,
    args: ["--import", "tsx", "test/fixtures/gateway/probe-upstream.ts", "--stdio"],
    env: { PROBE_LOG: logFile },
    cwd: REPO,
    ...extra,
  };
}

/** A temporary directory removed by `remove()`. */
export function tempDir(prefix = "portcullis-e2e-"): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A gateway started in-process for a test. */
export interface TestGateway extends RunningGateway {
  /** http://127.0.0.1:PORT (without /mcp). */
  origin: string;
  auditPath: string;
  /** The audit records written so far; only complete after `close()` (the audit log buffers). */
  auditRecords(): AuditLine[];
}

/** One audit record as written (a JSON line). */
export type AuditLine = Record<string, unknown> & { method: string; outcome: string; time: string };

/**
 * Starts a gateway with `listen: 127.0.0.1:0`, silent logs, the test policy and an audit file in
 * `dir`, merged with `overrides` (whose top-level keys win).
 */
export async function startTestGateway(dir: string, overrides: Record<string, unknown>): Promise<TestGateway> {
  const raw = {
    listen: "127.0.0.1:0",
    log: { level: "silent" },
    policy: { bundle: TEST_POLICY },
    audit: { path: join(dir, `audit-${Math.random().toString(36).slice(2)}.jsonl`) },
    ...overrides,
  };
  const config = parseConfig(raw, { baseDir: REPO, env: {} });
  const running = await startGateway(config);
  return {
    ...running,
    origin: new URL(running.url).origin,
    auditPath: config.audit.path,
    auditRecords: () => readJsonLines(config.audit.path) as AuditLine[],
  };
}

/** Parses a JSON-lines file ([] when it does not exist yet). */
export function readJsonLines(file: string): Record<string, unknown>[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The events a probe process recorded to `file` so far. */
export function readProbeLog(file: string): ProbeEvent[] {
  return readJsonLines(file) as unknown as ProbeEvent[];
}

/** Connects the SDK's `Client` to the gateway over Streamable HTTP. */
export async function connectClient(
  url: string,
  options: { headers?: Record<string, string>; name?: string } = {},
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const client = new Client({ name: options.name ?? "e2e-test", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: options.headers ?? {} },
  });
  await client.connect(transport);
  return { client, transport };
}

/** The text of the first content block of a tool result, parsed as JSON. */
export function firstJson(result: unknown): Record<string, unknown> {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content;
  const first = content?.[0];
  assert.ok(first && first.type === "text" && typeof first.text === "string", "a text content block");
  return JSON.parse(first.text as string) as Record<string, unknown>;
}

/** Runs `action`, which must reject with an McpError; returns the error. */
export async function mcpErrorOf(action: () => Promise<unknown>): Promise<McpError> {
  try {
    await action();
  } catch (e) {
    assert.ok(e instanceof McpError, `expected an McpError, got ${String(e)}`);
    return e;
  }
  assert.fail("expected the call to fail");
}

/** A raw HTTP response. */
export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: Record<string, unknown> | undefined;
}

/** Sends one HTTP request with exactly the given headers (node:http, so Host can be set). */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<RawResponse> {
  return new Promise((resolvePromise, rejectPromise) => {
    const req = httpRequest(url, { method: options.method ?? "GET", headers: options.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json: Record<string, unknown> | undefined;
        try {
          json = JSON.parse(text) as Record<string, unknown>;
        } catch {
          json = undefined;
        }
        resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on("error", rejectPromise);
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer from ${url} within 10 s`)));
    req.on("error", rejectPromise);
    req.end(options.body);
  });
}

/** POSTs a JSON-RPC body to /mcp with the headers a well-behaved client sends, plus `headers`. */
export function postMcp(url: string, body: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  return rawRequest(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: ACCEPT_BOTH, ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** Opens a session with a raw initialize carrying `Authorization: Bearer <bearer>`; returns its id. */
export async function bearerSession(url: string, bearer: string): Promise<string> {
  const response = await postMcp(url, initializeBody(), { authorization: `Bearer ${bearer}` });
  assert.equal(response.status, 200, response.text);
  return response.headers["mcp-session-id"] as string;
}

/** A raw `tools/call` on a session, with extra headers (e.g. the bearer token). */
export function postToolCall(
  url: string,
  sessionId: string,
  headers: Record<string, string>,
  name: string,
  args: object = {},
  id = 7,
): Promise<RawResponse> {
  return postMcp(
    url,
    { jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } },
    { "mcp-session-id": sessionId, ...headers },
  );
}

/** Opens a session with a raw initialize; returns its id. */
export async function rawSession(url: string): Promise<string> {
  const response = await postMcp(url, initializeBody());
  assert.equal(response.status, 200, response.text);
  const id = response.headers["mcp-session-id"];
  assert.equal(typeof id, "string");
  return id as string;
}

/** The JSON-RPC error of a raw response body. */
export function rpcError(response: RawResponse): { code: number; message: string; data?: Record<string, unknown> } {
  const error = response.json?.error as { code: number; message: string; data?: Record<string, unknown> } | undefined;
  assert.ok(error, `expected a JSON-RPC error body, got: ${response.text.slice(0, 300)}`);
  return error;
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 15_000,
) {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what} (${String(last)})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** True while a process with this pid exists. */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
