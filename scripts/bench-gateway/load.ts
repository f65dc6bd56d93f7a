/**
 * The load generator: opens an MCP session on a Streamable HTTP endpoint (initialize, then
 * notifications/initialized, carrying Mcp-Session-Id and MCP-Protocol-Version), checks one real
 * `tools/call`, then fires `tools/call` for a fixed time over N keep-alive connections with
 * autocannon. Latencies are recorded per response at sub-millisecond resolution (autocannon's own
 * histogram keeps whole milliseconds, too coarse for a 0.3 ms budget).
 */
import type { EventEmitter } from "node:events";
import { createRequire } from "node:module";

/** The protocol version the load generator asks for (every server under test supports it). */
export const PROTOCOL_VERSION = "2025-06-18";
/** The text sent to the echo tool; a reply that does not contain it counts as a mismatch. */
export const ECHO_MESSAGE = "portcullis-bench-payload";

/** One measured cell: how many calls completed and how long they took. */
export interface LoadResult {
  connections: number;
  /** Wall time of the measurement, seconds. */
  durationS: number;
  /** Successful (2xx, verified) calls per second. */
  requestsPerSecond: number;
  medianMs: number;
  p99Ms: number;
  completed: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  mismatches: number;
  /** Everything that makes the cell invalid (non-2xx answers, errors, mismatches, no answers); empty if clean. */
  problems: string[];
}

/** An initialized MCP session on an HTTP endpoint, ready to be loaded. */
export interface McpSession {
  url: string;
  /** Headers for every call in the session (content type, accept, session id, protocol version). */
  headers: Record<string, string>;
  toolName: string;
}

/** What a cell needs to know besides the connection count. */
export interface LoadOptions {
  connections: number;
  durationS: number;
  signal?: AbortSignal;
}

// autocannon ships no types; this is the part of its API we use.
interface AutocannonRequest {
  body?: string;
  [key: string]: unknown;
}
interface AutocannonOptions {
  url: string;
  connections: number;
  duration: number;
  method: string;
  headers: Record<string, string>;
  timeout: number;
  requests: Array<{ setupRequest: (request: AutocannonRequest) => AutocannonRequest }>;
  verifyBody: (body: string) => boolean;
}
interface AutocannonResult {
  errors: number;
  timeouts: number;
  mismatches: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
}
interface AutocannonInstance extends EventEmitter {
  stop(): void;
}
type Autocannon = (
  options: AutocannonOptions,
  done: (error: Error | null, result: AutocannonResult) => void,
) => AutocannonInstance;

const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

/** The JSON-RPC text of one `tools/call` of the echo tool, with a placeholder-free id. */
export function toolCallBody(toolName: string, id: number): string {
  return JSON.stringify({
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name: toolName, arguments: { message: ECHO_MESSAGE } },
  });
}

/** Whether an answer body (JSON or SSE) is a successful echo result. */
export function isEchoSuccess(body: string): boolean {
  return body.includes('"result"') && body.includes(ECHO_MESSAGE) && !body.includes('"isError":true');
}

interface RpcReply {
  status: number;
  headers: Headers;
  message: { result?: unknown; error?: { message?: string } } | undefined;
}

/** Posts one JSON-RPC message and reads its answer, whether sent as JSON or as an SSE stream. */
async function post(url: string, headers: Record<string, string>, message: object): Promise<RpcReply> {
  const response = await fetch(url, {
    method: "POST",
    headers,
    body: JSON.stringify(message),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  const id = (message as { id?: unknown }).id;
  let parsed: RpcReply["message"];
  if (id !== undefined && text !== "") {
    const candidates = (response.headers.get("content-type") ?? "").includes("text/event-stream")
      ? text
          .split("\n")
          .filter((line) => line.startsWith("data:"))
          .map((line) => line.slice(5).trim())
      : [text];
    for (const candidate of candidates) {
      try {
        const value = JSON.parse(candidate) as { id?: unknown };
        if (value.id === id) parsed = value as RpcReply["message"];
      } catch {
        // Not JSON (an SSE comment or priming event): skip.
      }
    }
  }
  if (response.status < 200 || response.status >= 300) {
    throw new Error(
      `${(message as { method?: string }).method} answered HTTP ${response.status}: ${text.slice(0, 200)}`,
    );
  }
  return { status: response.status, headers: response.headers, message: parsed };
}

/** Opens a session on `url` and checks that `toolName` is listed and answers one call correctly. */
export async function openSession(url: string, toolName: string): Promise<McpSession> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
  };
  const init = await post(url, headers, {
    jsonrpc: "2.0",
    id: 0,
    method: "initialize",
    params: {
      protocolVersion: PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: { name: "portcullis-bench", version: "1.0.0" },
    },
  });
  const result = init.message?.result as { protocolVersion?: unknown } | undefined;
  if (result === undefined) throw new Error(`initialize failed: ${init.message?.error?.message ?? "no result"}`);
  const sessionId = init.headers.get("mcp-session-id");
  if (sessionId !== null) headers["mcp-session-id"] = sessionId;
  headers["mcp-protocol-version"] =
    typeof result.protocolVersion === "string" ? result.protocolVersion : PROTOCOL_VERSION;
  await post(url, headers, { jsonrpc: "2.0", method: "notifications/initialized" });

  const list = await post(url, headers, { jsonrpc: "2.0", id: 1, method: "tools/list", params: {} });
  const tools = (list.message?.result as { tools?: Array<{ name?: unknown }> } | undefined)?.tools ?? [];
  const names = tools.map((tool) => String(tool.name));
  if (!names.includes(toolName)) {
    const shown = names.length > 12 ? `${names.slice(0, 12).join(", ")}, ...` : names.join(", ");
    throw new Error(`tool "${toolName}" is not listed (tools: ${shown || "none"})`);
  }
  const call = await fetch(url, {
    method: "POST",
    headers,
    body: toolCallBody(toolName, 2),
    signal: AbortSignal.timeout(15_000),
  });
  const callText = await call.text();
  if (call.status < 200 || call.status >= 300 || !isEchoSuccess(callText)) {
    throw new Error(`a test call of "${toolName}" failed: HTTP ${call.status} ${callText.slice(0, 300)}`);
  }
  return { url, headers, toolName };
}

/** Loads a session with `tools/call` for `durationS` seconds over `connections` connections. */
export function runLoad(session: McpSession, options: LoadOptions): Promise<LoadResult> {
  // Ids must be unique within the session: servers route answers by id, and a shared id would mix up
  // concurrent calls. One counter for all connections, starting past the ids openSession used.
  let nextId = 1000;
  const latencies: number[] = [];
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: session.url,
        connections: options.connections,
        duration: options.durationS,
        method: "POST",
        headers: session.headers,
        timeout: 10,
        requests: [
          {
            setupRequest: (request) => {
              request.body = toolCallBody(session.toolName, nextId++);
              return request;
            },
          },
        ],
        verifyBody: isEchoSuccess,
      },
      (error, result) => {
        clearTimeout(guard);
        options.signal?.removeEventListener("abort", abort);
        if (error) {
          reject(error);
          return;
        }
        const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
        const problems: string[] = [];
        if (result.non2xx > 0) {
          const codes = Object.entries(result.statusCodeStats)
            .filter(([code]) => !code.startsWith("2"))
            .map(([code, stat]) => `${code}×${stat.count}`);
          problems.push(`${result.non2xx} non-2xx (${codes.join(", ")})`);
        }
        if (result.errors > 0) problems.push(`${result.errors} errors (${result.timeouts} timeouts)`);
        // autocannon checks every body, so non-2xx answers are also counted as mismatches.
        const badResults = Math.max(0, result.mismatches - result.non2xx);
        if (badResults > 0) problems.push(`${badResults} 2xx answers were not an echo result`);
        resolve(
          summarize(latencies, elapsedS, {
            connections: options.connections,
            non2xx: result.non2xx,
            errors: result.errors,
            timeouts: result.timeouts,
            mismatches: Math.max(0, result.mismatches - result.non2xx),
            problems,
          }),
        );
      },
    );
    instance.on("response", (_client: unknown, statusCode: number, _bytes: number, responseTimeMs: number) => {
      if (statusCode >= 200 && statusCode < 300) {
        latencies.push(responseTimeMs);
      }
    });
    const abort = (): void => instance.stop();
    options.signal?.addEventListener("abort", abort, { once: true });
    // autocannon ends on its own timer; this only guards against it never calling back.
    const guard = setTimeout(abort, (options.durationS + 30) * 1000);
  });
}

/** The counts of a cell other than its latencies. */
export interface CellCounts {
  connections: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  mismatches: number;
  problems: string[];
}

/** Builds a LoadResult from raw latencies (ms, any order) and counts; an empty run is a problem. */
export function summarize(latenciesMs: number[], elapsedS: number, counts: CellCounts): LoadResult {
  const sorted = Float64Array.from(latenciesMs).sort();
  const completed = sorted.length;
  const problems = [...counts.problems];
  if (completed === 0) problems.push("no successful answers");
  return {
    ...counts,
    problems,
    durationS: elapsedS,
    completed,
    requestsPerSecond: elapsedS > 0 ? completed / elapsedS : 0,
    medianMs: quantile(sorted, 0.5),
    p99Ms: quantile(sorted, 0.99),
  };
}

/** The q-quantile (0..1, nearest rank) of sorted values; NaN when empty. */
export function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(q * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] ?? Number.NaN;
}
