/**
 * End-to-end: the gateway when upstreams fail. An upstream that is down leaves the others working
 * (its tools vanish, readiness degrades, 503 when all are down); a crashed stdio upstream is
 * restarted after its backoff and its tools come back; shutdown lets in-flight calls finish and
 * stops the upstream processes.
 */
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import type { ProbeHttpServer } from "../fixtures/gateway/probe-server.js";
import {
  connectClient,
  firstJson,
  mcpErrorOf,
  postMcp,
  probeHttp,
  probeStdioUpstream,
  processExists,
  rawRequest,
  readProbeLog,
  startTestGateway,
  type TestGateway,
  tempDir,
  waitFor,
} from "./harness.js";

const TEST_TIMEOUT = { timeout: 30_000 };
const RESTART_BACKOFF_MS = 1000;

/** A URL on which nothing listens (a port that was free a moment ago). */
async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === "object");
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${address.port}/mcp`;
}

interface Health {
  ready: boolean;
  status: string;
  upstreams: Array<{
    name: string;
    state: string;
    consecutive_failures: number;
    last_error: string | null;
    retry_at: string | null;
  }>;
}

async function health(gw: TestGateway): Promise<{ status: number; body: Health }> {
  const response = await rawRequest(`${gw.origin}/health/ready`);
  return { status: response.status, body: response.json as unknown as Health };
}

// The suites below are independent (a gateway each), so they run side by side to save time; the
// tests inside each suite run one after the other.
describe("failing upstreams and shutdown", { concurrency: true }, () => {
  describe("an upstream that is down", { concurrency: 1 }, () => {
    const dir = tempDir();
    let probe: ProbeHttpServer;
    let gw: TestGateway;
    let allDown: TestGateway;
    let client: Client;

    before(async () => {
      probe = await probeHttp();
      const dead = await deadUrl();
      gw = await startTestGateway(dir.path, {
        upstreams: [
          { name: "probe", url: probe.url },
          { name: "down", url: dead, connect_timeout_ms: 2000 },
        ],
      });
      allDown = await startTestGateway(dir.path, {
        upstreams: [{ name: "down", url: dead, connect_timeout_ms: 2000 }],
      });
      ({ client } = await connectClient(gw.url));
    });

    after(async () => {
      await client?.close();
      await gw?.close();
      await allDown?.close();
      await probe?.close();
      dir.remove();
    });

    it("leaves the other upstreams working; its tools vanish and calls to it say why", TEST_TIMEOUT, async () => {
      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((t) => t.name).sort(), ["probe__echo", "probe__search_notes", "probe__wait"]);
      assert.equal(firstJson(await client.callTool({ name: "probe__echo", arguments: { text: "ok" } })).text, "ok");

      const error = await mcpErrorOf(() => client.callTool({ name: "down__echo", arguments: { text: "x" } }));
      assert.equal(error.code, -32602);
      assert.match(error.message, /unknown tool: down__echo \(unavailable upstreams: down\)/);
    });

    it("shows up in /health/ready (degraded, still 200) and in /metrics", TEST_TIMEOUT, async () => {
      const { status, body } = await health(gw);
      assert.equal(status, 200);
      assert.equal(body.ready, true);
      assert.equal(body.status, "degraded");
      const down = body.upstreams.find((u) => u.name === "down");
      assert.equal(down?.state, "down");
      assert.ok((down?.consecutive_failures ?? 0) >= 1);
      assert.match(String(down?.last_error), /down/);
      assert.equal(body.upstreams.find((u) => u.name === "probe")?.state, "ready");

      const metrics = await rawRequest(`${gw.origin}/metrics`);
      assert.match(metrics.text, /^portcullis_upstream_up\{server="down"\} 0$/m);
      assert.match(metrics.text, /^portcullis_upstream_up\{server="probe"\} 1$/m);
    });

    it("makes /health/ready answer 503 once every upstream is down", TEST_TIMEOUT, async () => {
      const other = await connectClient(allDown.url);
      try {
        const { tools } = await other.client.listTools();
        assert.deepEqual(tools, []);
      } finally {
        await other.client.close();
      }
      const { status, body } = await health(allDown);
      assert.equal(status, 503);
      assert.equal(body.ready, false);
      assert.equal(body.status, "unavailable");
      assert.equal(body.upstreams[0]?.state, "down");
    });
  });

  describe("an HTTP upstream that comes back", { concurrency: 1 }, () => {
    const dir = tempDir();
    let late: ProbeHttpServer | undefined;
    let gw: TestGateway;
    let port: number;
    const clients: Client[] = [];

    before(async () => {
      const dead = await deadUrl();
      port = Number(new URL(dead).port);
      gw = await startTestGateway(dir.path, { upstreams: [{ name: "late", url: dead, connect_timeout_ms: 2000 }] });
    });

    after(async () => {
      await Promise.all(clients.map((c) => c.close()));
      await gw?.close();
      await late?.close();
      dir.remove();
    });

    const listedBy = async (client: Client) => (await client.listTools()).tools.map((t) => t.name).sort();

    /** A session that asked twice while the upstream was down (the second time within the backoff). */
    let early: Client;

    it("counts one failed connection attempt as one failure", TEST_TIMEOUT, async () => {
      ({ client: early } = await connectClient(gw.url));
      clients.push(early);
      assert.deepEqual(await listedBy(early), []);
      const ready = await rawRequest(`${gw.origin}/health/ready`);
      const upstream = (ready.json as unknown as Health).upstreams[0];
      assert.equal(upstream?.state, "down");
      assert.match(String(upstream?.last_error), /ECONNREFUSED/);
      assert.equal(upstream?.consecutive_failures, 1);
    });

    it("is used by new sessions once it listens again", TEST_TIMEOUT, async () => {
      assert.deepEqual(await listedBy(early), []);
      late = await probeHttp(() => {}, { port });
      // Each attempt is a new session, since a session that asks during the backoff keeps failing (see below).
      const names = await waitFor("a new session to list the late upstream's tools", async () => {
        await new Promise((r) => setTimeout(r, 250));
        const { client: fresh } = await connectClient(gw.url);
        clients.push(fresh);
        const listed = await listedBy(fresh);
        return listed.length > 0 ? listed : undefined;
      });
      assert.deepEqual(names, ["late__echo", "late__search_notes", "late__wait"]);
      const ready = await rawRequest(`${gw.origin}/health/ready`);
      assert.equal(ready.status, 200);
    });

    it("is used again by the session that saw it down", TEST_TIMEOUT, async () => {
      const names = await waitFor(
        "the late upstream's tools in the early session",
        async () => {
          const listed = await listedBy(early);
          return listed.length > 0 ? listed : undefined;
        },
        2000,
      );
      assert.deepEqual(names, ["late__echo", "late__search_notes", "late__wait"]);
    });
  });

  describe("a stdio upstream that crashes", { concurrency: 1 }, () => {
    const dir = tempDir();
    const probeLog = join(dir.path, "probe.jsonl");
    let web: ProbeHttpServer;
    let gw: TestGateway;
    let client: Client;
    let listChanged = 0;
    const starts = () => readProbeLog(probeLog).filter((e) => e.event === "start");

    before(async () => {
      web = await probeHttp();
      gw = await startTestGateway(dir.path, {
        upstreams: [
          probeStdioUpstream("probe", probeLog, {
            restart_backoff_ms: RESTART_BACKOFF_MS,
            restart_backoff_max_ms: RESTART_BACKOFF_MS * 4,
          }),
          { name: "web", url: web.url },
        ],
      });
      ({ client } = await connectClient(gw.url));
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
        listChanged++;
      });
    });

    after(async () => {
      await client?.close();
      await gw?.close();
      await web?.close();
      dir.remove();
    });

    /** Crashes the probe through the gateway; returns when the failed call came back. */
    async function crashProbe(): Promise<number> {
      const error = await mcpErrorOf(() => client.callTool({ name: "probe__crash", arguments: {} }));
      assert.equal(error.code, -32001);
      assert.match(error.message, /closed before it answered/);
      return Date.now();
    }

    it("answers the call that crashed it with -32001, then restarts it after the backoff", TEST_TIMEOUT, async () => {
      const { tools } = await client.listTools();
      assert.ok(tools.some((t) => t.name === "probe__crash"));
      assert.equal(starts().length, 1);

      const crashedAt = await crashProbe();
      const { status, body } = await health(gw);
      assert.equal(status, 200);
      const probe = body.upstreams.find((u) => u.name === "probe");
      assert.equal(probe?.consecutive_failures, 1);
      assert.match(String(probe?.last_error), /process exited/);
      if (probe?.state === "down") assert.ok(probe.retry_at !== null, "a down upstream says when it retries");
      assert.equal(body.status, probe?.state === "down" ? "degraded" : "ok");

      await waitFor("the probe to be restarted", () => (starts().length >= 2 ? true : undefined));
      const [first, second] = starts();
      assert.ok(first && second);
      assert.notEqual(second.pid, first.pid);
      assert.ok(
        (second.time ?? 0) - crashedAt >= RESTART_BACKOFF_MS - 100,
        `restarted ${(second.time ?? 0) - crashedAt} ms after the crash; backoff is ${RESTART_BACKOFF_MS} ms`,
      );
      assert.equal(processExists(first.pid ?? 0), false);
    });

    it("brings the restarted upstream's tools back and tells the client its list changed", TEST_TIMEOUT, async () => {
      const names = await waitFor("probe tools to be listed again", async () => {
        const { tools } = await client.listTools();
        const found = tools.map((t) => t.name);
        return found.includes("probe__echo") ? found : undefined;
      });
      assert.ok(names.includes("web__echo"));
      assert.equal(firstJson(await client.callTool({ name: "probe__echo", arguments: { text: "back" } })).text, "back");
      const probe = (await health(gw)).body.upstreams.find((u) => u.name === "probe");
      assert.equal(probe?.state, "ready");
      assert.equal(probe?.consecutive_failures, 0);
      await waitFor("notifications/tools/list_changed", () => (listChanged > 0 ? true : undefined), 5000);
    });

    it(
      "keeps the other upstreams while it is down, and still restarts it when clients call meanwhile",
      TEST_TIMEOUT,
      async () => {
        const startsBefore = starts().length;
        await crashProbe();
        // While the probe is down (backoff), the other upstream answers and the probe's tools are gone.
        assert.equal(
          firstJson(await client.callTool({ name: "web__echo", arguments: { text: "still" } })).text,
          "still",
        );
        const { tools } = await client.listTools();
        assert.equal(
          tools.some((t) => t.name.startsWith("probe__")),
          false,
        );
        // Three backoffs are plenty (the restart above took one backoff plus a process start).
        await waitFor("the probe to be restarted", () => (starts().length > startsBefore ? true : undefined), 3000);
        await waitFor("probe tools to be listed again", async () => {
          const listed = await client.listTools();
          return listed.tools.some((t) => t.name === "probe__echo") ? true : undefined;
        });
      },
    );
  });

  describe("graceful shutdown", { concurrency: 1 }, () => {
    const dir = tempDir();
    const probeLog = join(dir.path, "probe.jsonl");
    let gw: TestGateway;
    let client: Client;

    before(async () => {
      gw = await startTestGateway(dir.path, {
        upstreams: [probeStdioUpstream("probe", probeLog)],
        limits: { shutdown_grace_ms: 10_000 },
      });
      ({ client } = await connectClient(gw.url));
    });

    after(async () => {
      await client?.close();
      await gw?.close();
      dir.remove();
    });

    it("lets the in-flight call finish, refuses new ones and stops the upstream processes", TEST_TIMEOUT, async () => {
      const inflight = client.callTool({ name: "probe__wait", arguments: { ms: 1000 } });
      await waitFor("the wait to start upstream", () =>
        readProbeLog(probeLog).some((e) => e.event === "tool" && e.tool === "wait") ? true : undefined,
      );
      const pids = readProbeLog(probeLog)
        .filter((e) => e.event === "start")
        .map((e) => e.pid ?? 0);
      assert.equal(pids.length, 1);
      assert.ok(processExists(pids[0] ?? 0));
      const closing = gw.close();
      // While draining, /mcp takes nothing new (503, or the listener is already closed).
      const refused = await postMcp(gw.url, { jsonrpc: "2.0", id: 1, method: "ping" }).then(
        (r) => r.status,
        (e: NodeJS.ErrnoException) => e.code,
      );
      assert.ok(refused === 503 || refused === "ECONNREFUSED" || refused === "ECONNRESET", `got ${String(refused)}`);

      assert.deepEqual(firstJson(await inflight), { waited: 1000 });
      await closing;
      for (const pid of pids) assert.equal(processExists(pid), false, `probe process ${pid} stopped`);
    });
  });
});
