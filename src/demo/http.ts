/**
 * Serves the demo notes server over MCP Streamable HTTP on node:http, with stateful sessions: an
 * initialize request without a session id starts a session (its own McpServer and transport);
 * later requests carry the Mcp-Session-Id header the SDK's transport issued.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import type { NotesStore } from "./notes.js";
import { createNotesServer, type NotesServerOptions } from "./notes-server.js";

/** Request bodies larger than this are refused; the demo has no business with bigger ones. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** A listening demo HTTP server. */
export interface DemoHttpServer {
  /** The MCP endpoint, e.g. http://127.0.0.1:43123/mcp. */
  url: string;
  /** Closes every session and the listener. */
  close(): Promise<void>;
}

/** Starts listening on host:port (port 0 picks a free port) and resolves once listening. */
export async function startDemoHttpServer(
  host: string,
  port: number,
  store: NotesStore,
  options: NotesServerOptions = {},
): Promise<DemoHttpServer> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();

  const httpServer = createServer((req, res) => {
    handleRequest(req, res).catch((error: unknown) => {
      process.stderr.write(`demo server: request failed: ${error instanceof Error ? error.message : String(error)}\n`);
      if (!res.headersSent) sendJsonRpcError(res, 500, -32603, "Internal error");
      else res.end();
    });
  });

  async function handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (path !== "/mcp") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found; the MCP endpoint is /mcp\n");
      return;
    }
    const body = req.method === "POST" ? await readJsonBody(req) : undefined;
    if (body === TOO_LARGE) {
      sendJsonRpcError(res, 413, -32600, `Request body exceeds ${MAX_BODY_BYTES} bytes`);
      return;
    }
    if (body === INVALID_JSON) {
      sendJsonRpcError(res, 400, -32700, "Parse error");
      return;
    }
    const sessionId = req.headers["mcp-session-id"];
    if (typeof sessionId === "string") {
      const transport = sessions.get(sessionId);
      if (transport === undefined) {
        sendJsonRpcError(res, 404, -32001, "Session not found");
        return;
      }
      await transport.handleRequest(req, res, body);
      return;
    }
    if (req.method !== "POST") {
      sendJsonRpcError(res, 400, -32000, "Bad Request: Mcp-Session-Id header is required");
      return;
    }
    if (!isInitializeRequest(body)) {
      sendJsonRpcError(res, 400, -32000, "Bad Request: only an initialize request may come without a session id");
      return;
    }
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, transport);
      },
    });
    // Covers DELETE from the client as well as our own shutdown.
    transport.onclose = () => {
      if (transport.sessionId !== undefined) sessions.delete(transport.sessionId);
    };
    await createNotesServer(store, options).connect(transport);
    await transport.handleRequest(req, res, body);
  }

  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(port, host, () => {
      httpServer.off("error", reject);
      resolve();
    });
  });
  const address = httpServer.address() as AddressInfo;
  const urlHost = address.family === "IPv6" ? `[${address.address}]` : address.address;

  return {
    url: `http://${urlHost}:${address.port}/mcp`,
    async close() {
      await Promise.all([...sessions.values()].map((transport) => transport.close()));
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}

/** Marks a body that is not JSON (distinct from a JSON `null`). */
const INVALID_JSON = Symbol("invalid JSON");
/** Marks a body over MAX_BODY_BYTES. */
const TOO_LARGE = Symbol("too large");

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) return TOO_LARGE;
    chunks.push(buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    return INVALID_JSON;
  }
}

function sendJsonRpcError(res: ServerResponse, status: number, code: number, message: string): void {
  res
    .writeHead(status, { "content-type": "application/json" })
    .end(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }));
}
