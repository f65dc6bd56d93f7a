/**
 * The demo notes MCP server, runnable on its own:
 *
 *   node --import tsx src/demo/server.ts --stdio
 *   node --import tsx src/demo/server.ts --http 127.0.0.1:0     # prints {"url":"http://127.0.0.1:PORT/mcp"}
 *
 * (after `npm run build`: `node dist/demo/server.js ...`). stdout carries only MCP messages (stdio)
 * or the one URL line (HTTP); diagnostics go to stderr. Exits with 0 on SIGTERM/SIGINT and, in
 * stdio mode, when stdin closes. The `crash` tool is a test hook that ends the process with the
 * code it is given.
 */
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { startDemoHttpServer } from "./http.js";
import { NotesStore } from "./notes.js";
import { createNotesServer } from "./notes-server.js";

const USAGE = "usage: server.ts --stdio | --http HOST:PORT";

/** How the server was asked to run. */
type Mode = { kind: "stdio" } | { kind: "http"; host: string; port: number };

/** Parses the command line; throws an Error with a usage message on anything unexpected. */
function parseArgs(args: readonly string[]): Mode {
  if (args.length === 1 && args[0] === "--stdio") return { kind: "stdio" };
  if (args.length === 2 && args[0] === "--http") {
    const hostPort = args[1] as string;
    const colon = hostPort.lastIndexOf(":");
    const host = hostPort.slice(0, colon).replace(/^\[(.*)\]$/, "$1");
    const port = Number(hostPort.slice(colon + 1));
    if (colon <= 0 || host === "" || !Number.isInteger(port) || port < 0 || port > 65_535) {
      throw new Error(`invalid --http address ${JSON.stringify(hostPort)}; expected HOST:PORT\n${USAGE}`);
    }
    return { kind: "http", host, port };
  }
  throw new Error(USAGE);
}

async function main(): Promise<void> {
  let mode: Mode;
  try {
    mode = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
  const store = new NotesStore();
  let stop = async (): Promise<void> => {};
  let stopping = false;
  async function shutdown(why: string): Promise<void> {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`demo server: ${why}, shutting down\n`);
    try {
      await stop();
    } finally {
      process.exit(0);
    }
  }
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));

  if (mode.kind === "stdio") {
    const server = createNotesServer(store);
    await server.connect(new StdioServerTransport());
    stop = () => server.close();
    // The SDK's stdio transport does not watch for end of input; a parent that closes our stdin is done with us.
    process.stdin.once("end", () => void shutdown("stdin closed"));
  } else {
    const http = await startDemoHttpServer(mode.host, mode.port, store);
    stop = () => http.close();
    process.stdout.write(`${JSON.stringify({ url: http.url })}\n`);
  }
}

await main();
