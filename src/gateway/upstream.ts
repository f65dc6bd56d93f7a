/**
 * One MCP session with one upstream server, over Streamable HTTP or stdio. The SDK's `Client`
 * makes the handshake and answers what the upstream sends unprompted (through the owner); the
 * connection forwards requests itself on the client's transport (direct-calls.ts), as they are:
 * no per-method schemas, results pass through untouched.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type {
  ClientCapabilities,
  Notification,
  Progress,
  Request,
  Result,
  ServerCapabilities,
} from "@modelcontextprotocol/sdk/types.js";
import type { Dispatcher } from "undici";
import { isHttpUpstream, type UpstreamConfig } from "../config/schema.js";
import { GatewayError } from "../errors.js";
import type { Cancellation } from "./cancellation.js";
import { DirectCalls } from "./direct-calls.js";
import { UndiciHttpTransport } from "./http-transport.js";
import { StdioUpstreamTransport } from "./stdio-transport.js";

/** What the upstream sends unprompted, handed to the connection's owner. */
export interface UpstreamHandlers {
  /** A notification from the upstream (progress is handled per request, not here). */
  onNotification(connection: UpstreamConnection, notification: Notification): void;
  /** A request from the upstream to the client (sampling, elicitation, roots, ping). */
  onRequest(connection: UpstreamConnection, request: Request, signal: AbortSignal): Promise<Result>;
  /** The connection closed; `unexpected` when it was not closed by us. */
  onClose(connection: UpstreamConnection, unexpected: boolean): void;
  /** A line the upstream process wrote to stderr. */
  onStderr?(connection: UpstreamConnection, line: string): void;
  /** Per-request headers of an HTTP upstream (a minted identity token), or undefined when it needs none. */
  upstreamHeaders?(connection: UpstreamConnection): (() => Promise<Record<string, string>>) | undefined;
}

/** Options of one forwarded request. */
export interface ForwardOptions {
  signal?: Cancellation;
  /** Called with the upstream's progress; the gateway maps it to the client's own token. */
  onProgress?: (progress: Progress) => void;
}

let connectionSeq = 0;

/** One upstream session. */
export class UpstreamConnection {
  readonly id = ++connectionSeq;
  readonly config: UpstreamConfig;
  readonly transportKind: "http" | "stdio";
  private readonly client: Client;
  /** Forwarded requests, sent on the client's transport without the SDK's request machinery. */
  private direct: DirectCalls | undefined;
  private closedByUs = false;
  /** Set once the handshake succeeded: a close before that is a failed start, not a lost connection. */
  private connected = false;
  private closed = false;
  /** Cached list results by list method, cleared when the upstream says its list changed. */
  readonly listCache = new Map<string, Promise<unknown[]>>();

  constructor(
    config: UpstreamConfig,
    capabilities: ClientCapabilities,
    private readonly handlers: UpstreamHandlers,
    version: string,
    /** The client session that owns this connection; undefined when shared by all sessions. */
    readonly ownerSessionId: string | undefined,
    /** The upstream's HTTP connection pool (HTTP upstreams only). */
    private readonly pool?: Dispatcher,
  ) {
    this.config = config;
    this.transportKind = isHttpUpstream(config) ? "http" : "stdio";
    this.client = new Client({ name: "portcullis", version }, { capabilities });
    this.client.fallbackNotificationHandler = async (notification) => {
      handlers.onNotification(this, notification);
    };
    this.client.fallbackRequestHandler = async (request, extra) => handlers.onRequest(this, request, extra.signal);
    this.client.onclose = () => {
      this.closed = true;
      this.direct?.failAll();
      handlers.onClose(this, this.connected && !this.closedByUs);
    };
    // Transport errors surface as failed requests; the client's own error hook only needs silencing.
    this.client.onerror = () => {};
  }

  /** Starts the transport and runs the MCP handshake within the configured time. */
  async connect(): Promise<void> {
    const transport = this.createTransport();
    try {
      await this.client.connect(transport, { timeout: this.config.connect_timeout_ms });
      this.direct = takeDirectCalls(transport);
      this.connected = true;
    } catch (e) {
      this.closedByUs = true;
      await transport.close().catch(() => {});
      throw new GatewayError(
        "PORTCULLIS_UPSTREAM_UNAVAILABLE",
        `upstream "${this.config.name}" failed to start: ${describe(e)}`,
        {
          cause: e,
        },
      );
    }
  }

  /** The upstream's capabilities from its initialize result. */
  get capabilities(): ServerCapabilities {
    return this.client.getServerCapabilities() ?? {};
  }

  /** Forwards one request; resolves with the upstream's result as it sent it. */
  request(method: string, params: Request["params"], sessionId: string, options: ForwardOptions = {}): Promise<Result> {
    if (this.closed || this.direct === undefined) {
      return Promise.reject(
        new GatewayError("PORTCULLIS_UPSTREAM_UNAVAILABLE", `upstream "${this.config.name}" is not connected`),
      );
    }
    return this.direct.call(method, params, {
      signal: options.signal,
      onProgress: options.onProgress,
      timeoutMs: this.config.timeout_ms,
      sessionId,
    });
  }

  /** How many forwarded requests are waiting for the upstream's answer. */
  get inflight(): number {
    return this.direct?.size ?? 0;
  }

  /** Sends a notification upstream (a forwarded request's cancellation is sent by DirectCalls). */
  async notify(notification: Notification): Promise<void> {
    if (!this.closed) await this.client.notification(notification as Parameters<Client["notification"]>[0]);
  }

  /** The client session with the most recent request in flight, for routing what the upstream sends. */
  latestCaller(): string | undefined {
    return this.direct?.latestSession();
  }

  /** Closes the session (for stdio: stops the process). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closedByUs = true;
    await this.client.close().catch(() => {});
  }

  private createTransport(): Transport {
    const config = this.config;
    if (isHttpUpstream(config)) {
      if (!this.pool) throw new Error("an HTTP upstream needs a connection pool");
      return new UndiciHttpTransport(new URL(config.url), {
        headers: config.headers,
        dynamicHeaders: this.handlers.upstreamHeaders?.(this),
        dispatcher: this.pool,
        maxResponseBytes: config.max_response_bytes,
      });
    }
    return new StdioUpstreamTransport({
      command: config.command,
      args: config.args,
      env: config.env,
      cwd: config.cwd,
      maxLineBytes: config.max_response_bytes,
      onStderrLine: (line) => this.handlers.onStderr?.(this, line),
    });
  }
}

/**
 * Routes the answers to forwarded requests (see direct-calls.ts) off the transport before the SDK
 * client sees them; the client keeps everything else (the upstream's own requests and
 * notifications). Progress reaches a direct call as it arrives, before its response: the ordering
 * problem of the SDK's protocol layer (a notification handled a microtask later than a response)
 * does not arise.
 */
function takeDirectCalls(transport: Transport): DirectCalls {
  const deliver = transport.onmessage;
  // The SDK client sets it when it connects.
  if (!deliver) throw new Error("the SDK client left the transport without a message handler");
  const direct = new DirectCalls((message) => transport.send(message));
  transport.onmessage = (message, extra) => {
    if (!direct.intercept(message)) deliver(message, extra);
  };
  return direct;
}

/** A short description of an error for logs and client messages. */
export function describe(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
