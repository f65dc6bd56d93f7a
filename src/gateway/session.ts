/**
 * A client session: what the client declared at initialize, its upstream connections, its labels,
 * its requests in flight and the channels that reach it. Routes messages from upstreams to the
 * right stream: the stream of the request they relate to, else the session's standalone stream.
 */
import type {
  ClientCapabilities,
  Implementation,
  JSONRPCMessage,
  Request,
  RequestId,
  Result,
} from "@modelcontextprotocol/sdk/types.js";
import { GatewayError } from "../errors.js";
import type { Cancellation } from "./cancellation.js";
import type { Catalog } from "./catalog.js";
import type { Identity } from "./input.js";
import type { UpstreamConnection } from "./upstream.js";
import type { UpstreamOwner } from "./upstreams.js";

/** Where messages for one client request go (the POST's response, or stdout for stdio clients). */
export interface ResponseChannel {
  /** Sends a message related to the request before its response (progress, logging, a request). */
  event(message: JSONRPCMessage): void;
  /** Sends the response; the channel is done afterwards. */
  finish(message: JSONRPCMessage): void;
  /** True once the client went away or the response was sent. */
  readonly closed: boolean;
}

/** A stream for messages unrelated to any request (the GET event stream, or stdout). */
export interface MessageSink {
  send(message: JSONRPCMessage): void;
  readonly closed: boolean;
  /** Ends the stream; called when the session closes. */
  end?(): void;
}

/** A client request being processed. */
export interface InflightRequest {
  id: RequestId;
  method: string;
  channel: ResponseChannel;
  abort: Cancellation;
}

interface PendingClientRequest {
  resolve(result: Result): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/** How long the gateway waits for the client to answer a request routed from an upstream. */
const CLIENT_REQUEST_TIMEOUT_MS = 600_000;

/** One client session. */
export class ClientSession implements UpstreamOwner {
  readonly connections = new Map<string, Promise<UpstreamConnection>>();
  readonly labels = new Set<string>();
  readonly inflight = new Map<RequestId, InflightRequest>();
  lastActive = Date.now();
  /** The aggregated lists of this session's upstreams, rebuilt when one changes. */
  catalog: Promise<Catalog> | undefined;
  standalone: MessageSink | undefined;
  /** The caller's identity as of its latest request (tokens minted for upstreams carry it). */
  identity: Identity | undefined;
  /** The caller's bearer token as of its latest request, for RFC 8693 exchange only; never logged or forwarded. */
  subjectToken: string | undefined;
  /** Resource URIs the client subscribed to, with the upstream serving each. */
  readonly subscriptions = new Map<string, string>();
  private readonly pendingToClient = new Map<string, PendingClientRequest>();
  private toClientSeq = 0;
  closed = false;

  constructor(
    readonly id: string,
    readonly protocolVersion: string,
    readonly capabilities: ClientCapabilities,
    readonly clientInfo: Implementation | undefined,
  ) {}

  /**
   * Sends `message` on the stream of request `related` if still open, else the standalone stream,
   * else (unless `standaloneOnly`: messages unrelated to any request) any open request stream.
   */
  send(message: JSONRPCMessage, related?: RequestId, standaloneOnly = false): boolean {
    if (related !== undefined) {
      const request = this.inflight.get(related);
      if (request && !request.channel.closed) {
        request.channel.event(message);
        return true;
      }
    }
    if (this.standalone && !this.standalone.closed) {
      this.standalone.send(message);
      return true;
    }
    if (standaloneOnly) return false;
    // No stream of its own: any open request stream of this session still reaches the client.
    for (const request of this.inflight.values()) {
      if (!request.channel.closed) {
        request.channel.event(message);
        return true;
      }
    }
    return false;
  }

  /** Sends a request to the client (for an upstream) and waits for its answer. */
  requestClient(request: Request, related: RequestId | undefined, signal: AbortSignal): Promise<Result> {
    const id = `portcullis-${++this.toClientSeq}`;
    return new Promise<Result>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingToClient.delete(id);
        reject(new GatewayError("PORTCULLIS_UPSTREAM_TIMEOUT", "the client did not answer in time"));
      }, CLIENT_REQUEST_TIMEOUT_MS);
      timer.unref();
      this.pendingToClient.set(id, { resolve, reject, timer });
      signal.addEventListener(
        "abort",
        () => {
          const pending = this.pendingToClient.get(id);
          if (!pending) return;
          this.pendingToClient.delete(id);
          clearTimeout(pending.timer);
          this.send(
            {
              jsonrpc: "2.0",
              method: "notifications/cancelled",
              params: { requestId: id, reason: "cancelled upstream" },
            },
            related,
          );
          reject(new GatewayError("PORTCULLIS_CANCELLED", "cancelled by the upstream"));
        },
        { once: true },
      );
      const sent = this.send({ jsonrpc: "2.0", id, method: request.method, params: request.params }, related);
      if (!sent) {
        this.pendingToClient.delete(id);
        clearTimeout(timer);
        reject(
          new GatewayError("PORTCULLIS_UPSTREAM_UNAVAILABLE", "the client has no open stream to receive the request"),
        );
      }
    });
  }

  /** Delivers the client's answer to a request the gateway sent it; false if none was pending. */
  resolveClientRequest(
    id: RequestId,
    outcome: { result?: Result; error?: { code: number; message: string; data?: unknown } },
  ): boolean {
    const pending = this.pendingToClient.get(String(id));
    if (!pending) return false;
    this.pendingToClient.delete(String(id));
    clearTimeout(pending.timer);
    if (outcome.error) {
      pending.reject(
        new GatewayError("PORTCULLIS_UPSTREAM_ERROR", outcome.error.message, {
          rpcCode: outcome.error.code,
          data: outcome.error.data === undefined ? undefined : { client: outcome.error.data },
        }),
      );
    } else pending.resolve(outcome.result ?? {});
    return true;
  }

  /** Ends the session: aborts its requests and fails what waits on the client. */
  close(): void {
    this.closed = true;
    this.standalone?.end?.();
    for (const request of this.inflight.values())
      request.abort.abort(new GatewayError("PORTCULLIS_CANCELLED", "session closed"));
    for (const pending of this.pendingToClient.values()) {
      clearTimeout(pending.timer);
      pending.reject(new GatewayError("PORTCULLIS_CANCELLED", "session closed"));
    }
    this.pendingToClient.clear();
  }
}
