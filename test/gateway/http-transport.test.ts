/**
 * The HTTP upstream transport on its own, against a raw node:http server: JSON answers, event
 * streams, 202, error statuses, unexpected content types, size limits, session ids.
 */
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { UndiciHttpTransport, upstreamPool } from "../../src/gateway/http-transport.js";

type Answer = (req: IncomingMessage, res: ServerResponse, body: string) => void;

const answers: Record<string, Answer> = {
  json: (_req, res, body) => {
    const { id } = JSON.parse(body) as { id: number };
    res.writeHead(200, { "content-type": "application/json", "mcp-session-id": "s-1" });
    res.end(JSON.stringify({ jsonrpc: "2.0", id, result: { ok: true } }));
  },
  chunked: (_req, res, body) => {
    const { id } = JSON.parse(body) as { id: number };
    res.writeHead(200, { "content-type": "application/json" });
    const text = JSON.stringify({ jsonrpc: "2.0", id, result: { text: "é".repeat(1500) } });
    // Split inside a two-byte character: the body must be reassembled before decoding.
    res.write(Buffer.from(text).subarray(0, 1001));
    setTimeout(() => res.end(Buffer.from(text).subarray(1001)), 5);
  },
  events: (_req, res, body) => {
    const { id } = JSON.parse(body) as { id: number };
    res.writeHead(200, { "content-type": "text/event-stream" });
    const progress = { jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: id, progress: 1 } };
    const event = `event: message\ndata: ${JSON.stringify(progress)}\n\n`;
    // An event split across writes, then the response after a pause.
    res.write(event.slice(0, 20));
    res.write(event.slice(20));
    setTimeout(() => res.end(`data: ${JSON.stringify({ jsonrpc: "2.0", id, result: { done: true } })}\n\n`), 20);
  },
  accepted: (_req, res) => {
    res.writeHead(202);
    res.end();
  },
  failing: (_req, res) => {
    res.writeHead(500, { "content-type": "text/plain" });
    res.end("database on fire");
  },
  html: (_req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end("<p>hello</p>");
  },
  huge: (_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ jsonrpc: "2.0", id: 1, result: { text: "x".repeat(5000) } }));
  },
  hugeChunked: (_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.write("x".repeat(3000));
    res.end("x".repeat(3000));
  },
};

let server: Server;
let base: string;

before(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString("utf8");
    });
    req.on("end", () => (answers[(req.url ?? "/").slice(1)] ?? answers.failing)?.(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => server.close());

function transport(path: string): { t: UndiciHttpTransport; received: JSONRPCMessage[] } {
  const t = new UndiciHttpTransport(new URL(`${base}/${path}`), {
    headers: {},
    dispatcher: upstreamPool(base),
    maxResponseBytes: 4096,
  });
  const received: JSONRPCMessage[] = [];
  t.onmessage = (m) => received.push(m);
  return { t, received };
}

const call = (id: number): JSONRPCMessage => ({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "x" } });

describe("UndiciHttpTransport", () => {
  it("delivers a JSON answer and keeps the session id", async () => {
    const { t, received } = transport("json");
    await t.send(call(7));
    assert.deepEqual(received, [{ jsonrpc: "2.0", id: 7, result: { ok: true } }]);
    assert.equal(t.sessionId, "s-1");
  });

  it("reassembles a body split inside a character", async () => {
    const { t, received } = transport("chunked");
    await t.send(call(3));
    assert.equal((received[0] as unknown as { result: { text: string } }).result.text, "é".repeat(1500));
  });

  it("reads an event stream message by message, events split across chunks", async () => {
    const { t, received } = transport("events");
    await t.send(call(5));
    const deadline = Date.now() + 2000;
    while (received.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(received, [
      { jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: 5, progress: 1 } },
      { jsonrpc: "2.0", id: 5, result: { done: true } },
    ]);
  });

  it("takes a 202 as sent, with nothing to deliver", async () => {
    const { t, received } = transport("accepted");
    await t.send({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 1 } });
    assert.deepEqual(received, []);
  });

  it("fails on an error status with the start of the body", async () => {
    const { t } = transport("failing");
    await assert.rejects(t.send(call(1)), /upstream answered HTTP 500: database on fire/);
  });

  it("fails a request answered with an unexpected content type", async () => {
    const { t } = transport("html");
    await assert.rejects(t.send(call(1)), /unexpected content-type "text\/html"/);
  });

  it("refuses answers over the size limit, declared or streamed", async () => {
    for (const path of ["huge", "hugeChunked"]) {
      const { t, received } = transport(path);
      await assert.rejects(t.send(call(1)), /larger than 4096 bytes/, path);
      assert.deepEqual(received, []);
    }
  });

  it("fails when the upstream is unreachable, and after close", async () => {
    const dead = new UndiciHttpTransport(new URL("http://127.0.0.1:9/mcp"), {
      headers: {},
      dispatcher: upstreamPool("http://127.0.0.1:9"),
      maxResponseBytes: 4096,
    });
    await assert.rejects(dead.send(call(1)));
    const { t } = transport("json");
    await t.close();
    await assert.rejects(t.send(call(1)), /transport closed/);
  });
});
