/**
 * The client side of MCP Streamable HTTP for upstreams, as an SDK `Transport` on undici with a
 * keep-alive connection pool. The SDK's own transport goes through `fetch`, which costs about
 * twice as much per call; a gateway pays that on every forwarded call.
 */
import type { Readable } from "node:stream";
import type { Transport, TransportSendOptions } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { type Dispatcher, Pool, request } from "undici";

/** Options of one upstream's transport. */
export interface HttpTransportOptions {
  /** Static headers (upstream credentials from the configuration). */
  headers: Record<string, string>;
  /** Headers computed per HTTP request (a minted identity token); absent for most upstreams. */
  dynamicHeaders?: () => Promise<Record<string, string>>;
  /** Shared connection pool of the upstream. */
  dispatcher: Dispatcher;
  /** Largest response body accepted (bytes). */
  maxResponseBytes: number;
}

/** A keep-alive connection pool for the upstream at `url` (one origin: no per-request origin lookup). */
export function upstreamPool(url: string | URL): Pool {
  return new Pool(new URL(url).origin, {
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 600_000,
    connections: 256,
    pipelining: 1,
  });
}

/** Streamable HTTP client transport on undici. */
export class UndiciHttpTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  sessionId?: string;
  private protocolVersion?: string;
  private readonly streams = new Set<StreamHandle>();
  private closed = false;
  /** The URL's origin and its path and query, as undici's dispatch wants them. */
  private readonly origin: string;
  private readonly path: string;

  constructor(
    private readonly url: URL,
    private readonly options: HttpTransportOptions,
  ) {
    this.origin = url.origin;
    this.path = `${url.pathname}${url.search}`;
  }

  async start(): Promise<void> {}

  setProtocolVersion(version: string): void {
    this.protocolVersion = version;
  }

  send(message: JSONRPCMessage, _options?: TransportSendOptions): Promise<void> {
    if (this.closed) return Promise.reject(new Error("transport closed"));
    const headers = this.headers("application/json, text/event-stream");
    headers["content-type"] = "application/json";
    // The trace context travels in _meta (as for stdio upstreams); HTTP servers also get the header.
    const traceparent =
      "params" in message ? (message.params?._meta as { traceparent?: unknown } | undefined)?.traceparent : undefined;
    if (typeof traceparent === "string") headers.traceparent = traceparent;
    const dynamicHeaders = this.options.dynamicHeaders;
    if (dynamicHeaders === undefined) return this.post(message, headers);
    return dynamicHeaders().then((extra) => this.post(message, Object.assign(headers, extra)));
  }

  /**
   * POSTs one message with undici's dispatch API: the answer arrives as callbacks, without the
   * Readable stream and the promises its request API builds per call (about a third of a forwarded
   * call's client cost).
   */
  private post(message: JSONRPCMessage, headers: Record<string, string>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.options.dispatcher.dispatch(
        { origin: this.origin, path: this.path, method: "POST", headers, body: JSON.stringify(message) },
        new PostAnswer(this, message, resolve, reject),
      );
    });
  }

  /** Takes the session id an answer carries (PostAnswer). */
  noteSessionId(value: unknown): void {
    if (typeof value === "string" && value !== "") this.sessionId = value;
  }

  /** Delivers the messages of a JSON answer body (PostAnswer). */
  deliver(body: Buffer): void {
    if (body.length === 0) return;
    const parsed: unknown = JSON.parse(body.toString("utf8"));
    for (const item of Array.isArray(parsed) ? parsed : [parsed]) this.onmessage?.(item as JSONRPCMessage);
  }

  /** An SSE stream of an answer started (PostAnswer): closing the transport aborts it. */
  trackStream(stream: StreamHandle): void {
    this.streams.add(stream);
  }

  untrackStream(stream: StreamHandle): void {
    this.streams.delete(stream);
  }

  /** The parser of an event stream: each `message` event's data is one JSON-RPC message. */
  eventParser(): { feed(chunk: Buffer): void } {
    const parser = createParser({
      onEvent: (event: EventSourceMessage) => {
        if (event.event !== undefined && event.event !== "message") return;
        if (event.data.trim() === "") return;
        try {
          this.onmessage?.(JSON.parse(event.data) as JSONRPCMessage);
        } catch (e) {
          this.onerror?.(new Error(`invalid message on the upstream's event stream: ${(e as Error).message}`));
        }
      },
    });
    // undici yields Buffers; a streaming decoder keeps characters split across chunks whole.
    const decoder = new TextDecoder();
    return { feed: (chunk) => parser.feed(decoder.decode(chunk, { stream: true })) };
  }

  /** After the 202 to `notifications/initialized`, the optional GET stream opens (PostAnswer). */
  acceptedNotification(message: JSONRPCMessage): void {
    if ("method" in message && message.method === "notifications/initialized") this.openEventStream();
  }

  get maxResponseBytes(): number {
    return this.options.maxResponseBytes;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const stream of this.streams) stream.abort();
    if (this.sessionId !== undefined) {
      // Best effort: the upstream frees the session now instead of when it times out.
      const headers = this.headers(undefined);
      if (this.options.dynamicHeaders) {
        try {
          Object.assign(headers, await this.options.dynamicHeaders());
        } catch {
          // No identity any more (the session is gone): the DELETE goes without one.
        }
      }
      await request(this.url, {
        method: "DELETE",
        headers,
        dispatcher: this.options.dispatcher,
        headersTimeout: 2000,
        bodyTimeout: 2000,
      })
        .then((r) => r.body.dump())
        .catch(() => {});
    }
    this.onclose?.();
  }

  private headers(accept: string | undefined): Record<string, string> {
    const headers: Record<string, string> = { ...this.options.headers };
    if (accept) headers.accept = accept;
    if (this.sessionId !== undefined) headers["mcp-session-id"] = this.sessionId;
    if (this.protocolVersion !== undefined) headers["mcp-protocol-version"] = this.protocolVersion;
    return headers;
  }

  /** Opens the GET stream on which the upstream sends what is unrelated to a request; optional. */
  private openEventStream(): void {
    const abort = new AbortController();
    const dynamic = this.options.dynamicHeaders?.() ?? Promise.resolve({});
    void dynamic
      .then((extra) =>
        request(this.url, {
          method: "GET",
          headers: { ...this.headers("text/event-stream"), ...extra },
          dispatcher: this.options.dispatcher,
          signal: abort.signal,
          bodyTimeout: 0,
        }),
      )
      .then(
        (response) => {
          if (response.statusCode !== 200) return response.body.dump();
          return this.readEvents(response.body, abort);
        },
        () => {},
      );
  }

  private async readEvents(body: Readable, abort: AbortController): Promise<void> {
    this.streams.add(abort);
    abort.signal.addEventListener("abort", () => body.destroy(), { once: true });
    const parser = this.eventParser();
    try {
      for await (const chunk of body) parser.feed(chunk as Buffer);
    } catch {
      // The stream ended early (upstream gone or closed by us); pending requests time out or fail on close.
    } finally {
      this.streams.delete(abort);
    }
  }
}

/** What closing the transport aborts: an open event stream. */
interface StreamHandle {
  abort(): void;
}

/** How the body of an answer is being read. */
type AnswerMode = "json" | "events" | "discard" | "error";

/**
 * The answer to one POST, read from undici's dispatch callbacks: JSON bodies (bounded) are
 * delivered as messages when complete, event streams message by message as they arrive (the POST
 * counts as sent once the stream starts), error statuses fail the send with the body's start.
 *
 * These are undici's own callbacks (onConnect, onHeaders, onData, onComplete, onError), which its
 * types mark as the older interface: a handler of the newer one (onResponseStart...) is wrapped in
 * two adapter objects per request, and every header and trailer is parsed into an object for it.
 * The gateway reads three headers of each answer.
 */
class PostAnswer implements Dispatcher.DispatchHandler {
  private mode: AnswerMode = "discard";
  private status = 0;
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private settled = false;
  private events: { feed(chunk: Buffer): void } | undefined;
  private stream: StreamHandle | undefined;
  private abort: ((error?: Error) => void) | undefined;

  constructor(
    private readonly transport: UndiciHttpTransport,
    private readonly message: JSONRPCMessage,
    private readonly resolve: () => void,
    private readonly reject: (e: Error) => void,
  ) {}

  onConnect(abort: (error?: Error) => void): void {
    this.abort = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], _resume: () => void, _statusText: string): boolean {
    // 1xx answers come before the real one.
    if (statusCode < 200) return true;
    this.status = statusCode;
    const headers = answerHeaders(rawHeaders);
    this.transport.noteSessionId(headers.sessionId);
    if (statusCode === 202) return true;
    if (statusCode >= 300) {
      this.mode = "error";
      return true;
    }
    const type = headers.contentType;
    if (type.includes("text/event-stream")) {
      // Events (progress, requests to the client) come before the response; read them as they arrive.
      this.mode = "events";
      this.events = this.transport.eventParser();
      this.stream = { abort: () => this.abort?.(new Error("transport closed")) };
      this.transport.trackStream(this.stream);
      this.succeed();
      return true;
    }
    if (!type.includes("application/json")) {
      if ("id" in this.message && "method" in this.message)
        this.fail(new Error(`upstream answered with unexpected content-type "${type}"`));
      return true;
    }
    if (headers.contentLength > this.transport.maxResponseBytes) {
      this.tooLarge();
      return false;
    }
    this.mode = "json";
    return true;
  }

  onData(chunk: Buffer): boolean {
    switch (this.mode) {
      case "events":
        this.events?.feed(chunk);
        return true;
      case "json":
        this.size += chunk.length;
        if (this.size > this.transport.maxResponseBytes) {
          this.tooLarge();
          return false;
        }
        this.chunks.push(chunk);
        return true;
      case "error":
        // Only the start of an error body is worth showing.
        if (this.size < ERROR_BODY_BYTES) {
          this.chunks.push(chunk);
          this.size += chunk.length;
        }
        return true;
      default:
        return true;
    }
  }

  onComplete(_trailers: string[] | null): void {
    if (this.stream) this.transport.untrackStream(this.stream);
    switch (this.mode) {
      case "json":
        try {
          this.transport.deliver(this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks));
          this.succeed();
        } catch (e) {
          this.fail(e instanceof Error ? e : new Error(String(e)));
        }
        return;
      case "error": {
        const text = Buffer.concat(this.chunks).subarray(0, ERROR_BODY_BYTES).toString("utf8");
        this.fail(new Error(`upstream answered HTTP ${this.status}${text ? `: ${text.slice(0, 300)}` : ""}`));
        return;
      }
      default:
        if (this.status === 202) this.transport.acceptedNotification(this.message);
        this.succeed();
    }
  }

  onError(error: Error): void {
    // An event stream that ends early leaves its pending requests to time out or fail on close.
    if (this.stream) this.transport.untrackStream(this.stream);
    this.fail(error);
  }

  private tooLarge(): void {
    this.fail(new Error(`upstream response larger than ${this.transport.maxResponseBytes} bytes`));
    this.abort?.(new Error("response too large"));
  }

  private succeed(): void {
    if (this.settled) return;
    this.settled = true;
    this.resolve();
  }

  private fail(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.reject(error);
  }
}

/** The headers of an answer the transport reads; missing ones are "" (and NaN for the length). */
interface AnswerHeaders {
  contentType: string;
  contentLength: number;
  sessionId: string;
}

/** Picks the headers the transport reads out of undici's raw name/value list (names in any case). */
function answerHeaders(raw: Buffer[]): AnswerHeaders {
  const found: AnswerHeaders = { contentType: "", contentLength: Number.NaN, sessionId: "" };
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as Buffer;
    // Only names of these lengths can match: most headers are skipped without decoding them.
    if (name.length !== 12 && name.length !== 14) continue;
    const key = name.toString("latin1").toLowerCase();
    const value = (raw[i + 1] as Buffer).toString("latin1");
    if (key === "content-type") found.contentType = found.contentType === "" ? value : `${found.contentType}, ${value}`;
    else if (key === "content-length") found.contentLength = Number(value);
    else if (key === "mcp-session-id") found.sessionId = value;
  }
  return found;
}

/** How much of an error answer's body is kept for the message. */
const ERROR_BODY_BYTES = 4096;
