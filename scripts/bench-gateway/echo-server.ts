/**
 * The minimal upstream of the benchmark: a raw `node:http` MCP server (Streamable HTTP, JSON
 * answers only) with one `echo` tool. It is deliberately the cheapest correct server we can write,
 * so that what a proxy in front of it costs is visible.
 *
 * Run directly, it listens on `--port` (0 = any free port) and prints `{"listening":"URL"}` on stdout;
 * it exits when its stdin closes, so it never outlives the benchmark.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { listenAsChild } from "./listen.js";

const SUPPORTED_VERSIONS = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];
const FALLBACK_VERSION = "2025-06-18";

const ECHO_TOOL = {
  name: "echo",
  description: "Echoes back the message",
  inputSchema: {
    type: "object",
    properties: { message: { type: "string", description: "Message to echo" } },
    required: ["message"],
  },
  // The same claims server-everything's echo makes; policies (like the example one) read them.
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
};

interface JsonRpcRequest {
  jsonrpc: "2.0";
  id?: string | number | null;
  method: string;
  params?: Record<string, unknown>;
}

function isJsonRpcRequest(value: unknown): value is JsonRpcRequest {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { jsonrpc?: unknown }).jsonrpc === "2.0" &&
    typeof (value as { method?: unknown }).method === "string"
  );
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function rpcError(id: JsonRpcRequest["id"], code: number, message: string): unknown {
  return { jsonrpc: "2.0", id: id ?? null, error: { code, message } };
}

/** Creates the echo MCP server (not yet listening); it serves POST/GET/DELETE on `path`. */
export function createEchoServer(path = "/mcp"): Server {
  const sessions = new Set<string>();

  const answer = (request: JsonRpcRequest, req: IncomingMessage, res: ServerResponse): void => {
    if (request.method === "initialize") {
      const requested = request.params?.protocolVersion;
      const protocolVersion =
        typeof requested === "string" && SUPPORTED_VERSIONS.includes(requested) ? requested : FALLBACK_VERSION;
      const sessionId = randomUUID();
      sessions.add(sessionId);
      sendJson(
        res,
        200,
        {
          jsonrpc: "2.0",
          id: request.id ?? null,
          result: {
            protocolVersion,
            capabilities: { tools: {} },
            serverInfo: { name: "bench-echo", version: "1.0.0" },
          },
        },
        { "mcp-session-id": sessionId },
      );
      return;
    }
    const sessionId = req.headers["mcp-session-id"];
    if (typeof sessionId !== "string" || !sessions.has(sessionId)) {
      // The spec's answers: 400 without a session header, 404 for an unknown session.
      sendJson(res, typeof sessionId === "string" ? 404 : 400, rpcError(request.id, -32000, "no valid session"));
      return;
    }
    if (request.id === undefined) {
      // Notifications (notifications/initialized, cancellations): accepted, nothing to answer.
      res.writeHead(202).end();
      return;
    }
    switch (request.method) {
      case "ping":
        sendJson(res, 200, { jsonrpc: "2.0", id: request.id, result: {} });
        return;
      case "tools/list":
        sendJson(res, 200, { jsonrpc: "2.0", id: request.id, result: { tools: [ECHO_TOOL] } });
        return;
      case "tools/call": {
        const name = request.params?.name;
        const args = request.params?.arguments as { message?: unknown } | undefined;
        if (name !== "echo") {
          sendJson(res, 200, rpcError(request.id, -32602, `unknown tool: ${String(name)}`));
          return;
        }
        const text = typeof args?.message === "string" ? args.message : "";
        sendJson(res, 200, { jsonrpc: "2.0", id: request.id, result: { content: [{ type: "text", text }] } });
        return;
      }
      default:
        sendJson(res, 200, rpcError(request.id, -32601, `method not found: ${request.method}`));
    }
  };

  const server = createServer((req, res) => {
    if (req.url !== path) {
      res.writeHead(404).end();
      return;
    }
    if (req.method === "DELETE") {
      const sessionId = req.headers["mcp-session-id"];
      res.writeHead(typeof sessionId === "string" && sessions.delete(sessionId) ? 200 : 404).end();
      return;
    }
    if (req.method !== "POST") {
      // No server-initiated messages, hence no GET stream; 405 is how a server says so.
      res.writeHead(405, { allow: "POST, DELETE" }).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      let request: unknown;
      try {
        request = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        sendJson(res, 400, rpcError(null, -32700, "parse error"));
        return;
      }
      if (!isJsonRpcRequest(request)) {
        sendJson(res, 400, rpcError(null, -32600, "invalid request"));
        return;
      }
      answer(request, req, res);
    });
  });
  // Longer than any pause between benchmark cells, so keep-alive sockets of proxies stay usable.
  server.keepAliveTimeout = 120_000;
  return server;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { port: { type: "string", default: "0" } } });
  const server = createEchoServer();
  listenAsChild(server, Number(values.port));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
