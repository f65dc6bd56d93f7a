/**
 * End-to-end: the Streamable HTTP front end's checks, with raw HTTP requests (node:http, so that
 * Host, Accept and Content-Type are exactly what the test says): malformed bodies, the size limit,
 * DNS rebinding protection, sessions, Accept, Content-Type, MCP-Protocol-Version, batches, DELETE.
 */
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { after, before, describe, it } from "node:test";
import type { ProbeHttpServer } from "../fixtures/gateway/probe-server.js";
import {
  ACCEPT_BOTH,
  connectClient,
  initializeBody,
  PROTOCOL_VERSION,
  postMcp,
  probeHttp,
  rawRequest,
  rawSession,
  rpcError,
  startTestGateway,
  type TestGateway,
  tempDir,
} from "./harness.js";

const TEST_TIMEOUT = { timeout: 20_000 };
const BODY_LIMIT = 4096;

/** Opens a GET event stream and resolves with its status and content type once headers arrive. */
function openEventStream(
  url: string,
  sessionId: string,
): Promise<{ status: number; contentType: string; firstBytes: Promise<string>; close(): void }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: "GET",
      headers: { accept: "text/event-stream", "mcp-session-id": sessionId },
    });
    req.on("response", (res) => {
      const firstBytes = new Promise<string>((r) => res.once("data", (chunk: Buffer) => r(chunk.toString("utf8"))));
      res.on("error", () => {});
      resolve({
        status: res.statusCode ?? 0,
        contentType: String(res.headers["content-type"]),
        firstBytes,
        close: () => req.destroy(),
      });
    });
    req.on("error", (e) => {
      if ((e as NodeJS.ErrnoException).code !== "ECONNRESET") reject(e);
    });
    req.end();
  });
}

describe("Streamable HTTP front end", () => {
  const dir = tempDir();
  let probe: ProbeHttpServer;
  let gw: TestGateway;
  let url: string;

  before(async () => {
    probe = await probeHttp();
    gw = await startTestGateway(dir.path, {
      upstreams: [{ name: "probe", url: probe.url, connect_timeout_ms: 3000 }],
      limits: { max_body_bytes: BODY_LIMIT },
    });
    url = gw.url;
  });

  after(async () => {
    await gw?.close();
    await probe?.close();
    dir.remove();
  });

  it("starts a session on initialize and answers with JSON", TEST_TIMEOUT, async () => {
    const response = await postMcp(url, initializeBody(42));
    assert.equal(response.status, 200);
    assert.match(String(response.headers["content-type"]), /^application\/json/);
    assert.match(String(response.headers["mcp-session-id"]), /^[0-9a-f-]{36}$/);
    const result = response.json?.result as {
      protocolVersion: string;
      serverInfo: { name: string };
      capabilities: Record<string, unknown>;
    };
    assert.equal(response.json?.id, 42);
    assert.equal(result.protocolVersion, "2025-06-18");
    assert.equal(result.serverInfo.name, "portcullis");
    assert.deepEqual(result.capabilities.tools, { listChanged: true });
  });

  it("answers invalid JSON with 400 and -32700", TEST_TIMEOUT, async () => {
    const response = await postMcp(url, '{"jsonrpc":"2.0","id":1,"method":');
    assert.equal(response.status, 400);
    const error = rpcError(response);
    assert.equal(error.code, -32700);
    assert.equal(error.data?.code, "PORTCULLIS_PARSE_ERROR");
    assert.equal(response.json?.id, null);
  });

  it("answers messages that are not JSON-RPC 2.0 with 400 and -32600", TEST_TIMEOUT, async () => {
    const session = await rawSession(url);
    for (const body of [
      { jsonrpc: "1.0", id: 1, method: "ping" },
      { id: 1, method: "ping" },
      { jsonrpc: "2.0", id: 1.5, method: "ping" },
      { jsonrpc: "2.0", id: 1, method: "tools/call", params: ["not", "an", "object"] },
      { jsonrpc: "2.0", id: 1 },
      "just a string",
    ]) {
      const response = await postMcp(url, JSON.stringify(body), { "mcp-session-id": session });
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(rpcError(response).code, -32600, JSON.stringify(body));
    }
  });

  it("refuses JSON-RPC batches with 400", TEST_TIMEOUT, async () => {
    const session = await rawSession(url);
    const response = await postMcp(
      url,
      [
        { jsonrpc: "2.0", id: 1, method: "ping" },
        { jsonrpc: "2.0", id: 2, method: "ping" },
      ],
      { "mcp-session-id": session },
    );
    assert.equal(response.status, 400);
    const error = rpcError(response);
    assert.equal(error.code, -32600);
    assert.match(error.message, /batch/i);
  });

  it("refuses a body over limits.max_body_bytes with 413", TEST_TIMEOUT, async () => {
    const session = await rawSession(url);
    const body = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "probe__echo", arguments: { text: "x".repeat(BODY_LIMIT) } },
    });
    const response = await postMcp(url, body, { "mcp-session-id": session });
    assert.equal(response.status, 413);
    const error = rpcError(response);
    assert.equal(error.code, -32600);
    assert.equal(error.data?.code, "PORTCULLIS_BODY_TOO_LARGE");
    // Just under the limit is fine (and answered as JSON-RPC).
    const small = await postMcp(url, { jsonrpc: "2.0", id: 2, method: "ping" }, { "mcp-session-id": session });
    assert.equal(small.status, 200);
    assert.deepEqual(small.json, { jsonrpc: "2.0", id: 2, result: {} });
  });

  it("refuses a foreign Host or Origin with 403 (DNS rebinding protection)", TEST_TIMEOUT, async () => {
    const port = new URL(url).port;
    const foreignHost = await postMcp(url, initializeBody(), { host: "evil.example.com" });
    assert.equal(foreignHost.status, 403);
    assert.equal(rpcError(foreignHost).data?.code, "PORTCULLIS_FORBIDDEN_ORIGIN");
    const foreignHostWithPort = await postMcp(url, initializeBody(), { host: `evil.example.com:${port}` });
    assert.equal(foreignHostWithPort.status, 403);
    const foreignOrigin = await postMcp(url, initializeBody(), { origin: "http://evil.example.com" });
    assert.equal(foreignOrigin.status, 403);
    const nullOrigin = await postMcp(url, initializeBody(), { origin: "null" });
    assert.equal(nullOrigin.status, 403);
    // Loopback names are fine, with any port on a local Origin.
    const local = await postMcp(url, initializeBody(), { host: `localhost:${port}`, origin: "http://localhost:5173" });
    assert.equal(local.status, 200);
    // Health and metrics are not /mcp and stay reachable for probes.
    const health = await rawRequest(`${gw.origin}/health/live`, { headers: { host: "evil.example.com" } });
    assert.equal(health.status, 200);
  });

  it("needs a session id (400) that exists (404) on POST, GET and DELETE", TEST_TIMEOUT, async () => {
    const ping = { jsonrpc: "2.0", id: 1, method: "ping" };
    const missing = await postMcp(url, ping);
    assert.equal(missing.status, 400);
    assert.equal(rpcError(missing).data?.code, "PORTCULLIS_SESSION_REQUIRED");
    const unknown = await postMcp(url, ping, { "mcp-session-id": "00000000-0000-0000-0000-000000000000" });
    assert.equal(unknown.status, 404);
    assert.equal(rpcError(unknown).data?.code, "PORTCULLIS_SESSION_NOT_FOUND");
    assert.equal(unknown.json?.id, 1);

    const getMissing = await rawRequest(url, { headers: { accept: "text/event-stream" } });
    assert.equal(getMissing.status, 400);
    const getUnknown = await rawRequest(url, { headers: { accept: "text/event-stream", "mcp-session-id": "nope" } });
    assert.equal(getUnknown.status, 404);
    const deleteMissing = await rawRequest(url, { method: "DELETE" });
    assert.equal(deleteMissing.status, 400);
    const deleteUnknown = await rawRequest(url, { method: "DELETE", headers: { "mcp-session-id": "nope" } });
    assert.equal(deleteUnknown.status, 404);

    const withSessionOnInitialize = await postMcp(url, initializeBody(), { "mcp-session-id": "whatever" });
    assert.equal(withSessionOnInitialize.status, 400);
  });

  it("needs an Accept header that allows JSON and SSE (406 otherwise)", TEST_TIMEOUT, async () => {
    for (const accept of ["application/json", "text/event-stream", "text/html"]) {
      const response = await postMcp(url, initializeBody(), { accept });
      assert.equal(response.status, 406, accept);
      assert.equal(rpcError(response).data?.code, "PORTCULLIS_NOT_ACCEPTABLE");
    }
    const session = await rawSession(url);
    const get = await rawRequest(url, { headers: { accept: "application/json", "mcp-session-id": session } });
    assert.equal(get.status, 406);
  });

  /** POSTs an initialize with `contentType` (none when undefined). */
  const initializeAs = (contentType: string | undefined) =>
    rawRequest(url, {
      method: "POST",
      headers: { accept: ACCEPT_BOTH, ...(contentType === undefined ? {} : { "content-type": contentType }) },
      body: JSON.stringify(initializeBody()),
    });

  it("refuses a body that is not application/json with 415", TEST_TIMEOUT, async () => {
    for (const contentType of ["application/xml", "multipart/form-data; boundary=x", "application/jsonx", undefined]) {
      const response = await initializeAs(contentType);
      assert.equal(response.status, 415, String(contentType));
      assert.equal(rpcError(response).data?.code, "PORTCULLIS_UNSUPPORTED_MEDIA_TYPE");
    }
    for (const contentType of ["application/json; charset=utf-8", "Application/JSON"]) {
      assert.equal((await initializeAs(contentType)).status, 200, contentType);
    }
  });

  it("refuses Content-Type text/plain with 415", TEST_TIMEOUT, async () => {
    const response = await initializeAs("text/plain");
    assert.equal(response.status, 415);
    assert.equal(rpcError(response).data?.code, "PORTCULLIS_UNSUPPORTED_MEDIA_TYPE");
  });

  it("refuses an unsupported MCP-Protocol-Version with 400", TEST_TIMEOUT, async () => {
    const session = await rawSession(url);
    const response = await postMcp(
      url,
      { jsonrpc: "2.0", id: 1, method: "ping" },
      { "mcp-session-id": session, "mcp-protocol-version": "1999-01-01" },
    );
    assert.equal(response.status, 400);
    const error = rpcError(response);
    assert.equal(error.data?.code, "PORTCULLIS_UNSUPPORTED_PROTOCOL_VERSION");
    assert.match(error.message, /1999-01-01/);
    const supported = await postMcp(
      url,
      { jsonrpc: "2.0", id: 2, method: "ping" },
      { "mcp-session-id": session, "mcp-protocol-version": "2025-06-18" },
    );
    assert.equal(supported.status, 200);
  });

  it("answers bad params with a JSON-RPC error, and notifications with 202", TEST_TIMEOUT, async () => {
    const session = await rawSession(url);
    const noName = await postMcp(
      url,
      { jsonrpc: "2.0", id: 5, method: "tools/call", params: { arguments: {} } },
      { "mcp-session-id": session },
    );
    assert.equal(noName.status, 200);
    assert.equal(noName.json?.id, 5);
    assert.equal(rpcError(noName).code, -32602);
    assert.match(rpcError(noName).message, /params\.name/);

    const notification = await postMcp(
      url,
      { jsonrpc: "2.0", method: "notifications/initialized" },
      { "mcp-session-id": session },
    );
    assert.equal(notification.status, 202);
    assert.equal(notification.text, "");
  });

  it("opens one GET event stream per session (409 for a second one)", TEST_TIMEOUT, async () => {
    const session = await rawSession(url);
    const stream = await openEventStream(url, session);
    try {
      assert.equal(stream.status, 200);
      assert.match(stream.contentType, /^text\/event-stream/);
      assert.match(await stream.firstBytes, /^: /);
      const second = await rawRequest(url, { headers: { accept: "text/event-stream", "mcp-session-id": session } });
      assert.equal(second.status, 409);
    } finally {
      stream.close();
    }
  });

  it("ends the session on DELETE (later requests get 404)", TEST_TIMEOUT, async () => {
    const session = await rawSession(url);
    assert.ok(gw.gateway.sessions.has(session));
    const deleted = await rawRequest(url, { method: "DELETE", headers: { "mcp-session-id": session } });
    assert.equal(deleted.status, 200);
    assert.equal(gw.gateway.sessions.has(session), false);
    const after = await postMcp(url, { jsonrpc: "2.0", id: 1, method: "ping" }, { "mcp-session-id": session });
    assert.equal(after.status, 404);

    // The SDK client's terminateSession sends the same DELETE.
    const { client, transport } = await connectClient(url);
    const id = transport.sessionId;
    assert.ok(id && gw.gateway.sessions.has(id));
    await transport.terminateSession();
    assert.equal(gw.gateway.sessions.has(id), false);
    await client.close();
  });

  it("answers other methods and paths with 405 and 404", TEST_TIMEOUT, async () => {
    const put = await rawRequest(url, { method: "PUT", headers: { "content-type": "application/json" }, body: "{}" });
    assert.equal(put.status, 405);
    assert.equal(put.headers.allow, "GET, POST, DELETE");
    const elsewhere = await rawRequest(`${gw.origin}/nowhere`);
    assert.equal(elsewhere.status, 404);
  });
});

/** A gateway with one probe upstream and the given limits, started before and stopped after the suite. */
function probeGatewayWithLimits(limits: Record<string, number>): { gateway(): TestGateway } {
  const dir = tempDir();
  let probe: ProbeHttpServer;
  let gw: TestGateway;
  before(async () => {
    probe = await probeHttp();
    gw = await startTestGateway(dir.path, { upstreams: [{ name: "probe", url: probe.url }], limits });
  });
  after(async () => {
    await gw.close();
    await probe.close();
    dir.remove();
  });
  return { gateway: () => gw };
}

describe("limits per session", () => {
  const suite = probeGatewayWithLimits({ max_inflight_per_session: 1 });

  it("refuses a request beyond the in-flight limit with PORTCULLIS_SESSION_BUSY, and serves it again after", async () => {
    const session = await rawSession(suite.gateway().url);
    const headers = { "mcp-session-id": session, "mcp-protocol-version": PROTOCOL_VERSION };
    const slow = postMcp(
      suite.gateway().url,
      { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "probe__wait", arguments: { ms: 1500 } } },
      headers,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const refused = await postMcp(suite.gateway().url, { jsonrpc: "2.0", id: 2, method: "ping" }, headers);
    const error = rpcError(refused);
    assert.equal(error.code, -32001);
    assert.equal(error.data?.code, "PORTCULLIS_SESSION_BUSY");
    assert.equal((await slow).status, 200);
    const again = await postMcp(suite.gateway().url, { jsonrpc: "2.0", id: 3, method: "ping" }, headers);
    assert.deepEqual((again.json as { result?: unknown }).result, {});
  });
});

describe("idle sessions", () => {
  const suite = probeGatewayWithLimits({ session_idle_timeout_ms: 1000 });

  it("are closed after the idle timeout", async () => {
    const session = await rawSession(suite.gateway().url);
    const headers = { "mcp-session-id": session, "mcp-protocol-version": PROTOCOL_VERSION };
    const listed = await postMcp(suite.gateway().url, { jsonrpc: "2.0", id: 1, method: "tools/list" }, headers);
    assert.equal(listed.status, 200);
    assert.equal(suite.gateway().gateway.sessions.size, 1);
    await new Promise((resolve) => setTimeout(resolve, 2600));
    assert.equal(suite.gateway().gateway.sessions.size, 0, "the idle session is gone");
    const after = await postMcp(suite.gateway().url, { jsonrpc: "2.0", id: 2, method: "ping" }, headers);
    assert.equal(after.status, 404);
    assert.equal(rpcError(after).data?.code, "PORTCULLIS_SESSION_NOT_FOUND");
  });
});
