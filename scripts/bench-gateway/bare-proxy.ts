/**
 * The reference hop of the benchmark: a bare pass-through proxy in `node:http` that parses the
 * JSON-RPC body, forwards it on a keep-alive agent, and copies the answer back. It does nothing a
 * gateway could skip, so its cost is the physical limit of one Node.js hop.
 *
 * Run directly with `--upstream URL [--port N]`, it prints `{"listening":"URL"}` on stdout and exits
 * when its stdin closes.
 */
import {
  Agent,
  createServer,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  request,
  type Server,
} from "node:http";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { listenAsChild } from "./listen.js";

/** Request headers that matter to an MCP server; everything else is hop-by-hop or irrelevant here. */
const FORWARDED_REQUEST_HEADERS = [
  "content-type",
  "accept",
  "mcp-session-id",
  "mcp-protocol-version",
  "last-event-id",
  "authorization",
];
/** Response headers copied back to the client. */
const COPIED_RESPONSE_HEADERS = ["content-type", "mcp-session-id", "allow", "www-authenticate"];

function pick(headers: IncomingHttpHeaders, names: readonly string[]): OutgoingHttpHeaders {
  const picked: OutgoingHttpHeaders = {};
  for (const name of names) {
    const value = headers[name];
    if (value !== undefined) picked[name] = value;
  }
  return picked;
}

/** Creates the pass-through proxy (not yet listening) in front of the MCP endpoint `upstreamUrl`. */
export function createBareProxy(upstreamUrl: string): Server {
  const upstream = new URL(upstreamUrl);
  const agent = new Agent({ keepAlive: true });

  return createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      let body: string | undefined;
      if (chunks.length > 0) {
        try {
          // Parsed and re-serialized on purpose: any gateway must look at the message it routes.
          body = JSON.stringify(JSON.parse(Buffer.concat(chunks).toString("utf8")));
        } catch {
          res.writeHead(400, { "content-type": "application/json" });
          res.end('{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}');
          return;
        }
      }
      const headers = pick(req.headers, FORWARDED_REQUEST_HEADERS);
      if (body !== undefined) headers["content-length"] = Buffer.byteLength(body);
      const forward = request(
        {
          agent,
          host: upstream.hostname,
          port: upstream.port,
          path: upstream.pathname,
          method: req.method,
          headers,
        },
        (answer) => {
          const answerChunks: Buffer[] = [];
          answer.on("data", (chunk: Buffer) => answerChunks.push(chunk));
          answer.on("end", () => {
            const answerBody = Buffer.concat(answerChunks);
            res.writeHead(answer.statusCode ?? 502, {
              ...pick(answer.headers, COPIED_RESPONSE_HEADERS),
              "content-length": answerBody.length,
            });
            res.end(answerBody);
          });
        },
      );
      // Explicit, whatever the runtime's default: a proxy must not hold small writes back (Nagle).
      forward.setNoDelay(true);
      forward.on("error", (error) => {
        if (res.headersSent) {
          res.destroy();
          return;
        }
        res.writeHead(502, { "content-type": "text/plain" });
        res.end(`upstream error: ${error.message}`);
      });
      forward.end(body);
    });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { port: { type: "string", default: "0" }, upstream: { type: "string" } },
  });
  if (values.upstream === undefined) {
    process.stderr.write("usage: bare-proxy --upstream URL [--port N]\n");
    process.exit(2);
  }
  const server = createBareProxy(values.upstream);
  server.keepAliveTimeout = 120_000;
  listenAsChild(server, Number(values.port));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
