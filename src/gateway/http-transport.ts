/**
 * The client side of MCP Streamable HTTP for upstreams, as an SDK `Transport` on undici with a
 * keep-alive connection pool. The SDK's own transport goes through `fetch`, which costs about
 * twice as much per call; a gateway pays that on every forwarded call.
 */
import type { Readable } from "node:stream";
import type { Transport, TransportSendOptions } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { Agent, type Dispatcher, request } from "undici";

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

/** A keep-alive pool for one upstream. */
export function upstreamPool(): Agent {
  return new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 600_000, connections: 256, pipelining: 1 });
}

/** Streamable HTTP client transport on undici. */
export class UndiciHttpTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  sessionId?: string;
  private protocolVersion?: string;
  private readonly streams = new Set<AbortController>();
  private closed = false;

  constructor(
    private readonly url: URL,
    private readonly options: HttpTransportOptions,
  ) {}

  async start(): Promise<void> {}

  setProtocolVersion(version: string): void {
    this.protocolVersion = version;
  }

  async send(message: JSONRPCMessage, _options?: TransportSendOptions): Promise<void> {
    if (this.closed) throw new Error("transport closed");
    const headers = this.headers("application/json, text/event-stream");
    headers["content-type"] = "application/json";
    if (this.options.dynamicHeaders) Object.assign(headers, await this.options.dynamicHeaders());
    // The trace context travels in _meta (as for stdio upstreams); HTTP servers also get the header.
    const traceparent =
      "params" in message ? (message.params?._meta as { traceparent?: unknown } | undefined)?.traceparent : undefined;
    if (typeof traceparent === "string") headers.traceparent = traceparent;
    const response = await request(this.url, {
      method: "POST",
      headers,
      body: JSON.stringify(message),
      dispatcher: this.options.dispatcher,
    });
    const sessionId = response.headers["mcp-session-id"];
    if (typeof sessionId === "string" && sessionId !== "") this.sessionId = sessionId;
    const status = response.statusCode;
    if (status === 202) {
      await response.body.dump();
      if ("method" in message && message.method === "notifications/initialized") this.openEventStream();
      return;
    }
    if (status < 200 || status >= 300) {
      const text = (await readBounded(response.body, 4096, true)).toString("utf8");
      throw new Error(`upstream answered HTTP ${status}${text ? `: ${text.slice(0, 300)}` : ""}`);
    }
    const type = String(response.headers["content-type"] ?? "");
    if (type.includes("text/event-stream")) {
      // Events (progress, requests to the client) come before the response; read them as they arrive.
      void this.readEvents(response.body, new AbortController());
      return;
    }
    if (!type.includes("application/json")) {
      await response.body.dump();
      if ("id" in message && "method" in message)
        throw new Error(`upstream answered with unexpected content-type "${type}"`);
      return;
    }
    const length = Number(response.headers["content-length"] ?? Number.NaN);
    if (length > this.options.maxResponseBytes) {
      response.body.destroy();
      throw new Error(`upstream response larger than ${this.options.maxResponseBytes} bytes`);
    }
    // With a declared length the body is bounded already and undici reads it in one go.
    const body = Number.isFinite(length)
      ? Buffer.from(await response.body.arrayBuffer())
      : await readBounded(response.body, this.options.maxResponseBytes, false);
    if (body.length === 0) return;
    const parsed: unknown = JSON.parse(body.toString("utf8"));
    for (const item of Array.isArray(parsed) ? parsed : [parsed]) this.onmessage?.(item as JSONRPCMessage);
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
    // undici's body yields Buffers whatever the encoding; a streaming decoder keeps split characters whole.
    const decoder = new TextDecoder();
    try {
      for await (const chunk of body) parser.feed(decoder.decode(chunk as Buffer, { stream: true }));
    } catch {
      // The stream ended early (upstream gone or closed by us); pending requests time out or fail on close.
    } finally {
      this.streams.delete(abort);
    }
  }
}

/** Reads a body up to `limit` bytes; beyond it, fails (or truncates when `truncate`). */
async function readBounded(body: Readable, limit: number, truncate: boolean): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) {
      body.destroy();
      if (truncate) break;
      throw new Error(`upstream response larger than ${limit} bytes`);
    }
    chunks.push(buf);
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
}
