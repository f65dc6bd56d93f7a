/**
 * `portcullis stdio`: the gateway for a local client that launches it as a child process. MCP
 * messages are newline-delimited JSON on stdin/stdout; logs go to stderr. One client session,
 * started by the client's `initialize`; the gateway exits when stdin closes.
 */
import { ReadBuffer, serializeMessage } from "@modelcontextprotocol/sdk/shared/stdio.js";
import type { JSONRPCMessage, JSONRPCRequest } from "@modelcontextprotocol/sdk/types.js";
import { loadConfigFile } from "../../config/load.js";
import { GatewayError, toGatewayError } from "../../errors.js";
import type { Gateway } from "../../gateway/gateway.js";
import { anonymousIdentity, type Identity, traceFrom } from "../../gateway/input.js";
import type { ClientSession, MessageSink, ResponseChannel } from "../../gateway/session.js";
import { createGateway, createLogger } from "../../http/server.js";
import type { Io } from "../io.js";
import { parseCommandArgs } from "./args.js";

export const STDIO_USAGE = `usage: portcullis stdio [--config FILE]

Runs the MCP gateway on stdin/stdout for a client that starts it as a child process. The
configuration's \`listen\` key is ignored; logs go to stderr, audit records to audit.path
(which must not be "-" here, since stdout carries MCP).

options:
  -c, --config FILE  configuration file (default: ./portcullis.yaml)
  -h, --help         show this help`;

/** Runs `stdio` until stdin closes; resolves with the exit code. */
export async function runStdio(argv: string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    config: { type: "string", short: "c" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help === true) {
    io.out(`${STDIO_USAGE}\n`);
    return 0;
  }
  const config = loadConfigFile(typeof values.config === "string" ? values.config : "portcullis.yaml");
  if (config.audit.path === "-") {
    throw new GatewayError(
      "PORTCULLIS_CONFIG_INVALID",
      'audit.path: must be a file for `portcullis stdio` (stdout carries MCP), not "-"',
    );
  }
  const logger = createLogger(config.log.level);
  const gateway = await createGateway(config, logger);
  const identity = anonymousIdentity(config.anonymous);
  const frontend = new StdioFrontend(gateway, identity, (message) => process.stdout.write(serializeMessage(message)));
  logger.info({ upstreams: config.upstreams.map((u) => u.name) }, "gateway serving stdio");
  return new Promise<number>((resolve) => {
    const stop = async () => {
      process.stdin.pause();
      await gateway.shutdown();
      await gateway.audit.close();
      logger.flush();
      resolve(0);
    };
    process.stdin.on("data", (chunk: Buffer) => frontend.receive(chunk));
    process.stdin.once("end", () => void stop());
    process.once("SIGINT", () => void stop());
    process.once("SIGTERM", () => void stop());
  });
}

/** Feeds the gateway from a byte stream of newline-delimited JSON-RPC messages. */
export class StdioFrontend {
  private readonly buffer = new ReadBuffer();
  private session: ClientSession | undefined;
  private readonly sink: MessageSink;

  constructor(
    private readonly gateway: Gateway,
    private readonly identity: Identity,
    private readonly write: (message: JSONRPCMessage) => void,
  ) {
    this.sink = { send: (m) => write(m), closed: false };
  }

  /** Takes bytes from stdin; handles every complete message in them. */
  receive(chunk: Buffer): void {
    this.buffer.append(chunk);
    for (;;) {
      let message: JSONRPCMessage | null;
      try {
        message = this.buffer.readMessage();
      } catch {
        this.write({
          jsonrpc: "2.0",
          id: null as unknown as string,
          error: { code: -32700, message: "invalid JSON-RPC message" },
        });
        continue;
      }
      if (message === null) return;
      this.handle(message);
    }
  }

  private handle(message: JSONRPCMessage): void {
    const context = { identity: this.identity, ...traceFrom(undefined) };
    const isRequest = "method" in message && "id" in message;
    if (isRequest && message.method === "initialize") {
      try {
        if (this.session) throw new GatewayError("PORTCULLIS_INVALID_REQUEST", "already initialized");
        const { session, result } = this.gateway.initialize(message as JSONRPCRequest, context);
        session.standalone = this.sink;
        this.session = session;
        this.write({ jsonrpc: "2.0", id: message.id, result });
      } catch (e) {
        const error = toGatewayError(e);
        this.write({ jsonrpc: "2.0", id: message.id, error: { code: error.rpcCode, message: error.message } });
      }
      return;
    }
    const session = this.session;
    if (!session) {
      if (isRequest)
        this.write({ jsonrpc: "2.0", id: message.id, error: { code: -32600, message: "send initialize first" } });
      return;
    }
    if (isRequest) {
      let done = false;
      const channel: ResponseChannel = {
        event: (m) => this.write(m),
        finish: (m) => {
          done = true;
          this.write(m);
        },
        get closed() {
          return done;
        },
      };
      void this.gateway.handleRequest(session, message as JSONRPCRequest, channel, context);
      return;
    }
    this.gateway.handleClientMessage(session, message);
  }
}
