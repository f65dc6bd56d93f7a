/**
 * The HTTP side of a client request's stream: a POST is answered with plain JSON unless something
 * must reach the client before the response (progress, logging, a sampling request), in which
 * case the answer turns into an SSE stream on the spot. The GET stream is always SSE.
 */
import type { ServerResponse } from "node:http";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import type { MessageSink, ResponseChannel } from "../gateway/session.js";

const SSE_HEADERS = {
  "content-type": "text/event-stream",
  "cache-control": "no-cache, no-transform",
  connection: "keep-alive",
  "x-accel-buffering": "no",
};

/** The POST response of one client request. */
export class PostResponseChannel implements ResponseChannel {
  private streaming = false;
  private done = false;
  private gone = false;

  constructor(
    private readonly res: ServerResponse,
    onClientGone: () => void,
    /** A non-200 status and headers for some responses (step-up's 403), when not streaming yet. */
    private readonly answerAs?: (
      message: JSONRPCMessage,
    ) => { status: number; headers: Record<string, string> } | undefined,
  ) {
    res.on("close", () => {
      if (!this.done) {
        this.gone = true;
        onClientGone();
      }
    });
  }

  get closed(): boolean {
    return this.done || this.gone;
  }

  event(message: JSONRPCMessage): void {
    if (this.closed) return;
    if (!this.streaming) {
      this.streaming = true;
      this.res.writeHead(200, SSE_HEADERS);
    }
    this.res.write(sseEvent(message));
  }

  finish(message: JSONRPCMessage): void {
    if (this.closed) return;
    this.done = true;
    if (this.streaming) {
      // Clients (the SDK among them) may drop a progress event that arrives in the same read as the
      // response; a separate write on the next turn keeps them apart.
      setImmediate(() => this.res.end(sseEvent(message)));
      return;
    }
    const body = JSON.stringify(message);
    const special = this.answerAs?.(message);
    const headers: Record<string, string | number> = {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
    };
    if (special !== undefined) Object.assign(headers, special.headers);
    this.res.writeHead(special?.status ?? 200, headers);
    this.res.end(body);
  }
}

/** The session's GET stream, for messages unrelated to a request. */
export class EventStreamSink implements MessageSink {
  private ended = false;
  private readonly keepAlive: NodeJS.Timeout;
  private readonly expiry: NodeJS.Timeout | undefined;

  /**
   * `endAtMs` (epoch ms): when the caller's token expires, the stream ends, so that a long-lived
   * stream does not outlive the credential that opened it; the client reconnects with a fresh one.
   */
  constructor(
    private readonly res: ServerResponse,
    onClose: () => void,
    keepAliveMs = 25_000,
    endAtMs?: number,
  ) {
    res.writeHead(200, SSE_HEADERS);
    // A comment line opens the stream for clients and proxies that wait for the first bytes.
    res.write(": portcullis\n\n");
    this.keepAlive = setInterval(() => res.write(": keep-alive\n\n"), keepAliveMs);
    this.keepAlive.unref();
    if (endAtMs !== undefined) {
      // setTimeout takes at most 2^31-1 ms (about 24.8 days); longer-lived tokens end the stream then.
      this.expiry = setTimeout(() => this.end(), Math.min(Math.max(0, endAtMs - Date.now()), 2 ** 31 - 1));
      this.expiry.unref();
    }
    res.on("close", () => {
      this.ended = true;
      clearInterval(this.keepAlive);
      clearTimeout(this.expiry);
      onClose();
    });
  }

  get closed(): boolean {
    return this.ended;
  }

  send(message: JSONRPCMessage): void {
    if (!this.ended) this.res.write(sseEvent(message));
  }

  /** Ends the stream (session closed or shutdown). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.keepAlive);
    clearTimeout(this.expiry);
    this.res.end();
  }
}

function sseEvent(message: JSONRPCMessage): string {
  return `event: message\ndata: ${JSON.stringify(message)}\n\n`;
}
