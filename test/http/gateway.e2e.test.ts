/**
 * End-to-end: the SDK's real `Client` drives the gateway over Streamable HTTP, against real
 * upstreams over both transports (the demo notes server and the probe server, each once over stdio
 * as child processes and once over Streamable HTTP). Covers list, call, deny, progress,
 * cancellation, a slow upstream, errors, trace context, health, metrics, the audit trail, and an
 * HTTP upstream that answers with plain JSON instead of SSE streams.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import {
  CallToolResultSchema,
  type ProgressNotification,
  ProgressNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import type { ProbeEvent, ProbeHttpServer } from "../fixtures/gateway/probe-server.js";
import {
  connectClient,
  demoHttp,
  demoStdioUpstream,
  firstJson,
  mcpErrorOf,
  probeHttp,
  probeStdioUpstream,
  rawRequest,
  readProbeLog,
  startTestGateway,
  type TestGateway,
  tempDir,
  waitFor,
} from "./harness.js";

const TEST_TIMEOUT = { timeout: 30_000 };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CLIENT_TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const CLIENT_TRACEPARENT = `00-${CLIENT_TRACE_ID}-00f067aa0ba902b7-01`;

const DEMO_TOOLS = ["crash", "create_note", "fail", "read_note", "search_notes", "slow_count"];
const PROBE_STDIO_TOOLS = ["crash", "echo", "search_notes", "wait"];
const PROBE_HTTP_TOOLS = ["echo", "search_notes", "wait"];

/** The tools/call messages a probe received for `tool`. */
function callsTo(events: ProbeEvent[], tool: string): number {
  return events.filter((e) => e.event === "message" && e.method === "tools/call" && e.tool === tool).length;
}

// The suites below are independent (a gateway each), so they run side by side to save time; the
// tests inside each suite run one after the other.
describe("gateway end to end", { concurrency: true }, () => {
  describe("gateway over Streamable HTTP, with stdio and HTTP upstreams", { concurrency: 1 }, () => {
    const dir = tempDir();
    const probeLog = join(dir.path, "probe.jsonl");
    const probeHttpEvents: ProbeEvent[] = [];
    let web: ProbeHttpServer;
    let probeWeb: ProbeHttpServer;
    let gw: TestGateway;
    let client: Client;

    before(async () => {
      web = await demoHttp();
      probeWeb = await probeHttp((e) => probeHttpEvents.push(e));
      gw = await startTestGateway(dir.path, {
        upstreams: [
          demoStdioUpstream("demo"),
          probeStdioUpstream("probe", probeLog, { timeout_ms: 1000 }),
          { name: "web", url: web.url },
          { name: "probeweb", url: probeWeb.url },
        ],
      });
      ({ client } = await connectClient(gw.url));
    });

    after(async () => {
      await client?.close();
      await gw?.close();
      await probeWeb?.close();
      await web?.close();
      dir.remove();
    });

    it(
      "lists every upstream's tools as <server>__<tool>, leaving out what the policy denies",
      TEST_TIMEOUT,
      async () => {
        const { tools } = await client.listTools();
        const expected = [
          ...DEMO_TOOLS.map((t) => `demo__${t}`),
          ...PROBE_STDIO_TOOLS.map((t) => `probe__${t}`),
          ...DEMO_TOOLS.map((t) => `web__${t}`),
          ...PROBE_HTTP_TOOLS.map((t) => `probeweb__${t}`),
        ].sort();
        assert.deepEqual(tools.map((t) => t.name).sort(), expected);
        // delete_note exists on demo, web, probe and probeweb; the test policy denies it, so it is not listed.
        assert.equal(
          tools.some((t) => t.name.endsWith("__delete_note")),
          false,
        );
        const readNote = tools.find((t) => t.name === "web__read_note");
        assert.equal(readNote?.annotations?.readOnlyHint, true);
        assert.equal(readNote?.title, "Read a note");
        assert.deepEqual(readNote?.inputSchema.required, ["id"]);
      },
    );

    it("calls tools on stdio and HTTP upstreams and returns their results untouched", TEST_TIMEOUT, async () => {
      const found = firstJson(await client.callTool({ name: "demo__search_notes", arguments: { query: "release" } }));
      assert.deepEqual(found, { notes: [{ id: "2", title: "Release checklist", tags: ["engineering"] }] });

      const note = firstJson(await client.callTool({ name: "web__read_note", arguments: { id: "1" } }));
      assert.equal(note.title, "Welcome");
      assert.equal(note.body, "This is the Portcullis demo notes service.");

      const overStdio = firstJson(await client.callTool({ name: "probe__echo", arguments: { text: "over stdio" } }));
      assert.equal(overStdio.text, "over stdio");
      const overHttp = firstJson(await client.callTool({ name: "probeweb__echo", arguments: { text: "over http" } }));
      assert.equal(overHttp.text, "over http");

      // A write lands on the upstream that owns the tool only.
      const created = firstJson(
        await client.callTool({ name: "demo__create_note", arguments: { title: "From the e2e test", body: "b" } }),
      );
      assert.equal(created.id, "4");
      const onWeb = await client.callTool({ name: "web__read_note", arguments: { id: "4" } });
      assert.equal(onWeb.isError, true);
    });

    it(
      "denies with -32003, the decision id and the reasons, and never reaches the upstream",
      TEST_TIMEOUT,
      async () => {
        const echoCallsBefore = callsTo(readProbeLog(probeLog), "echo");
        const denied = await mcpErrorOf(() => client.callTool({ name: "demo__delete_note", arguments: { id: "1" } }));
        assert.equal(denied.code, -32003);
        assert.match(denied.message, /Denied by policy: delete_note is forbidden by the test policy/);
        const data = denied.data as { decision_id: unknown; reasons: unknown };
        assert.match(String(data.decision_id), UUID);
        assert.deepEqual(data.reasons, ["delete_note is forbidden by the test policy"]);

        // The demo server still has note 1: the delete never got there.
        const still = firstJson(await client.callTool({ name: "demo__read_note", arguments: { id: "1" } }));
        assert.equal(still.title, "Welcome");

        // A listed tool denied for its arguments: the probe never sees that call.
        const secret = await mcpErrorOf(() =>
          client.callTool({ name: "probe__echo", arguments: { text: "x", secret: "hunter2" } }),
        );
        assert.equal(secret.code, -32003);
        assert.deepEqual((secret.data as { reasons: unknown }).reasons, ["arguments must not carry a secret"]);
        const other = await mcpErrorOf(() =>
          client.callTool({ name: "probeweb__delete_note", arguments: { id: "1" } }),
        );
        assert.equal(other.code, -32003);
        assert.notEqual((other.data as { decision_id: unknown }).decision_id, data.decision_id);

        // The probes are counting: no delete_note ever, and no echo beyond the allowed ones.
        const probeEvents = readProbeLog(probeLog);
        assert.equal(callsTo(probeEvents, "delete_note"), 0);
        assert.equal(callsTo(probeEvents, "echo"), echoCallsBefore);
        assert.equal(callsTo(probeHttpEvents, "delete_note"), 0);
      },
    );

    /** Calls `<server>__slow_count` with a progress token; returns the progress notifications seen. */
    async function countWithProgress(server: string, n: number, token: string | number) {
      const progress: ProgressNotification["params"][] = [];
      // Recording every progress notification ourselves: the SDK's onprogress drops one that shares a
      // chunk with the response.
      client.setNotificationHandler(ProgressNotificationSchema, (notification) => {
        progress.push(notification.params);
      });
      const result = await client.request(
        {
          method: "tools/call",
          params: { name: `${server}__slow_count`, arguments: { n, delay_ms: 30 }, _meta: { progressToken: token } },
        },
        CallToolResultSchema,
      );
      assert.deepEqual(result.content, [{ type: "text", text: `counted to ${n}` }]);
      return progress;
    }

    /** The progress notifications slow_count sends for n, under `token`. */
    const expectedProgress = (n: number, token: string | number) =>
      Array.from({ length: n }, (_, i) => ({
        progressToken: token,
        progress: i + 1,
        total: n,
        message: `counted ${i + 1} of ${n}`,
      }));

    it("forwards progress from an HTTP upstream under the client's own progress token", TEST_TIMEOUT, async () => {
      // Several times, as over stdio below.
      for (let attempt = 0; attempt < 3; attempt++) {
        assert.deepEqual(await countWithProgress("web", 3, `http-${attempt}`), expectedProgress(3, `http-${attempt}`));
      }
    });

    it("forwards progress from a stdio upstream under the client's own progress token", TEST_TIMEOUT, async () => {
      // Several times: the last progress notification travels with the result, and used to get lost.
      for (let attempt = 0; attempt < 3; attempt++) {
        assert.deepEqual(
          await countWithProgress("demo", 3, attempt),
          expectedProgress(3, attempt),
          `attempt ${attempt}`,
        );
      }
    });

    it("cancels the upstream call when the client cancels", TEST_TIMEOUT, async () => {
      for (const server of ["probe", "probeweb"]) {
        const events = () => (server === "probe" ? readProbeLog(probeLog) : probeHttpEvents);
        const abortedBefore = events().filter((e) => e.event === "aborted").length;
        const waitsBefore = events().filter((e) => e.event === "tool" && e.tool === "wait").length;
        const abort = new AbortController();
        const call = client.callTool({ name: `${server}__wait`, arguments: { ms: 20_000 } }, undefined, {
          signal: abort.signal,
          timeout: 25_000,
        });
        await waitFor(`${server} to start waiting`, () =>
          events().filter((e) => e.event === "tool" && e.tool === "wait").length > waitsBefore ? true : undefined,
        );
        abort.abort("the test changed its mind");
        await assert.rejects(call);
        await waitFor(`${server} to see the cancellation`, () =>
          events().filter((e) => e.event === "aborted").length > abortedBefore ? true : undefined,
        );
        const cancelled = events().filter((e) => e.event === "message" && e.method === "notifications/cancelled");
        assert.ok(cancelled.length > 0, `${server} received notifications/cancelled`);
      }
      const records = await waitFor("the audit to record both cancellations", () => {
        const found = gw.auditRecords().filter((r) => r.target?.toString().endsWith("__wait") && r.outcome === "error");
        return found.length >= 2 ? found : undefined;
      });
      for (const record of records) assert.equal(record.error_type, "PORTCULLIS_CANCELLED");
      // The session is still usable.
      const echoed = firstJson(await client.callTool({ name: "probe__echo", arguments: { text: "after" } }));
      assert.equal(echoed.text, "after");
    });

    it("times out a slow upstream with -32002 and tells it to stop", TEST_TIMEOUT, async () => {
      const abortedBefore = readProbeLog(probeLog).filter((e) => e.event === "aborted").length;
      const started = Date.now();
      const error = await mcpErrorOf(() => client.callTool({ name: "probe__wait", arguments: { ms: 15_000 } }));
      const elapsed = Date.now() - started;
      assert.equal(error.code, -32002);
      assert.match(error.message, /timed out/);
      assert.ok(elapsed >= 950 && elapsed < 10_000, `answered after ${elapsed} ms with timeout_ms 1000`);
      await waitFor("the probe to be told to stop", () =>
        readProbeLog(probeLog).filter((e) => e.event === "aborted").length > abortedBefore ? true : undefined,
      );
    });

    it("a slow upstream holds up no other call", TEST_TIMEOUT, async () => {
      let slowDone = false;
      const slow = client.callTool({ name: "probeweb__wait", arguments: { ms: 2000 } }).then((r) => {
        slowDone = true;
        return r;
      });
      const started = Date.now();
      const quick = await client.callTool({ name: "demo__read_note", arguments: { id: "2" } });
      assert.equal(firstJson(quick).title, "Release checklist");
      assert.equal(slowDone, false, "the quick call finished while the slow one was still running");
      assert.ok(Date.now() - started < 2000);
      assert.deepEqual(firstJson(await slow), { waited: 2000 });
    });

    it("continues the client's W3C trace upstream, with a span id of the gateway's", TEST_TIMEOUT, async () => {
      /** Asserts `sent` continues the client's trace with another span id. */
      const continuesClientTrace = (sent: unknown, where: string) => {
        const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(String(sent));
        assert.ok(match, `${where}: ${String(sent)}`);
        assert.equal(match[1], CLIENT_TRACE_ID, where);
        assert.notEqual(match[2], "00f067aa0ba902b7", where);
      };
      const traced = await connectClient(gw.url, { headers: { traceparent: CLIENT_TRACEPARENT } });
      try {
        const overHttp = firstJson(await traced.client.callTool({ name: "probeweb__echo", arguments: { text: "t" } }));
        continuesClientTrace(overHttp.traceparent, "HTTP header");
        continuesClientTrace(overHttp.meta_traceparent, "_meta over HTTP");
        const overStdio = firstJson(await traced.client.callTool({ name: "probe__echo", arguments: { text: "t" } }));
        assert.equal(overStdio.traceparent, null);
        continuesClientTrace(overStdio.meta_traceparent, "_meta over stdio");
      } finally {
        await traced.client.close();
      }
      // Without a traceparent from the client, the gateway starts a trace of its own.
      const untraced = firstJson(await client.callTool({ name: "probeweb__echo", arguments: { text: "u" } }));
      assert.match(String(untraced.traceparent), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      assert.ok(!String(untraced.traceparent).includes(CLIENT_TRACE_ID));
    });

    it("passes tool errors and upstream JSON-RPC errors through, and names unknown tools", TEST_TIMEOUT, async () => {
      const failed = await client.callTool({ name: "demo__fail", arguments: { message: "as asked" } });
      assert.equal(failed.isError, true);
      assert.deepEqual(failed.content, [{ type: "text", text: "as asked" }]);

      const missingNote = await mcpErrorOf(() =>
        client.getPrompt({ name: "web__summarize_note", arguments: { id: "99" } }),
      );
      assert.equal(missingNote.code, -32602);
      assert.match(missingNote.message, /note 99 not found/);

      const unknown = await mcpErrorOf(() => client.callTool({ name: "demo__no_such_tool", arguments: {} }));
      assert.equal(unknown.code, -32602);
      assert.match(unknown.message, /unknown tool: demo__no_such_tool/);
    });

    it("merges prompts and resources and routes reads to their upstream", TEST_TIMEOUT, async () => {
      const { prompts } = await client.listPrompts();
      assert.deepEqual(prompts.map((p) => p.name).sort(), ["demo__summarize_note", "web__summarize_note"]);
      const prompt = await client.getPrompt({ name: "demo__summarize_note", arguments: { id: "2" } });
      assert.match(JSON.stringify(prompt.messages), /Release checklist/);

      const { resources } = await client.listResources();
      assert.ok(resources.some((r) => r.uri === "notes://index"));
      // Note 4 exists only on demo (created above), so reading it goes to demo.
      const read = await client.readResource({ uri: "notes://4" });
      assert.match(JSON.stringify(read.contents), /From the e2e test/);
    });

    it("serves /health/live, /health/ready and /metrics", TEST_TIMEOUT, async () => {
      const live = await rawRequest(`${gw.origin}/health/live`);
      assert.equal(live.status, 200);
      assert.deepEqual(live.json, { status: "ok" });

      const ready = await rawRequest(`${gw.origin}/health/ready`);
      assert.equal(ready.status, 200);
      const doc = ready.json as { ready: boolean; status: string; upstreams: Array<{ name: string; state: string }> };
      assert.equal(doc.ready, true);
      assert.equal(doc.status, "ok");
      assert.deepEqual(
        doc.upstreams.map((u) => [u.name, u.state]),
        [
          ["demo", "ready"],
          ["probe", "ready"],
          ["web", "ready"],
          ["probeweb", "ready"],
        ],
      );

      const metrics = await rawRequest(`${gw.origin}/metrics`);
      assert.equal(metrics.status, 200);
      assert.match(String(metrics.headers["content-type"]), /^text\/plain/);
      const denied = /^portcullis_requests_total\{method="tools\/call",outcome="denied"\} (\d+)$/m.exec(metrics.text);
      assert.ok(denied, "portcullis_requests_total for denied calls");
      assert.equal(Number(denied[1]), 3);
      assert.match(metrics.text, /^portcullis_requests_total\{method="tools\/call",outcome="allowed"\} \d+$/m);
      assert.match(metrics.text, /^portcullis_decisions_total\{phase="request",outcome="deny"\} 3$/m);
      assert.match(metrics.text, /^portcullis_upstream_up\{server="demo"\} 1$/m);
      assert.match(metrics.text, /^portcullis_upstream_up\{server="probeweb"\} 1$/m);
      assert.match(metrics.text, /^portcullis_errors_total\{code="PORTCULLIS_UPSTREAM_TIMEOUT"\} 1$/m);
      assert.match(metrics.text, /^portcullis_sessions [12]$/m);
      assert.match(metrics.text, /^# TYPE portcullis_upstream_duration_seconds histogram$/m);
    });
  });

  describe("an HTTP upstream that answers with plain JSON instead of SSE streams", { concurrency: 1 }, () => {
    const dir = tempDir();
    const events: ProbeEvent[] = [];
    let json: ProbeHttpServer;
    let gw: TestGateway;
    let client: Client;

    before(async () => {
      json = await probeHttp((e) => events.push(e), { jsonResponse: true });
      gw = await startTestGateway(dir.path, {
        upstreams: [{ name: "json", url: json.url }],
        limits: { shutdown_grace_ms: 1000 },
      });
      ({ client } = await connectClient(gw.url));
    });

    after(async () => {
      await client?.close();
      // Bounded, so that a shutdown that hangs (see the last test) fails that test instead of the file.
      await Promise.race([gw?.close(), new Promise((r) => setTimeout(r, 500).unref())]);
      await json?.close();
      dir.remove();
    });

    it("lists and calls its tools", TEST_TIMEOUT, async () => {
      const { tools } = await client.listTools();
      assert.deepEqual(
        tools.map((t) => t.name).sort(),
        PROBE_HTTP_TOOLS.map((t) => `json__${t}`),
      );
      assert.equal(firstJson(await client.callTool({ name: "json__echo", arguments: { text: "j" } })).text, "j");
    });

    // The upstream never answers a cancelled request (the spec says it need not), so its POST stays
    // open; shutdown must not wait for it.
    it("shuts down promptly after a call to it was cancelled", TEST_TIMEOUT, async () => {
      const abort = new AbortController();
      const call = client.callTool({ name: "json__wait", arguments: { ms: 20_000 } }, undefined, {
        signal: abort.signal,
      });
      await waitFor("the wait to start", () => (events.some((e) => e.tool === "wait") ? true : undefined));
      abort.abort();
      await assert.rejects(call);
      await waitFor("the probe to be told", () => (events.some((e) => e.event === "aborted") ? true : undefined));
      const started = Date.now();
      const closed = await Promise.race([
        gw.close().then(() => true),
        new Promise<false>((r) => setTimeout(() => r(false), 1500).unref()),
      ]);
      assert.equal(closed, true, `gateway.close() still pending after ${Date.now() - started} ms`);
    });
  });

  describe("audit trail", { concurrency: 1 }, () => {
    const dir = tempDir();
    const probeHttpEvents: ProbeEvent[] = [];
    let probeWeb: ProbeHttpServer;
    let gw: TestGateway;

    before(async () => {
      probeWeb = await probeHttp((e) => probeHttpEvents.push(e));
      gw = await startTestGateway(dir.path, { upstreams: [{ name: "probeweb", url: probeWeb.url }] });
    });

    after(async () => {
      await gw?.close();
      await probeWeb?.close();
      dir.remove();
    });

    it(
      "writes one record per request, with the decision, the digest and the client's trace id",
      TEST_TIMEOUT,
      async () => {
        const traced = await connectClient(gw.url, { headers: { traceparent: CLIENT_TRACEPARENT } });
        await traced.client.listTools();
        await traced.client.callTool({ name: "probeweb__echo", arguments: { text: "audited" } });
        const denied = await mcpErrorOf(() =>
          traced.client.callTool({ name: "probeweb__delete_note", arguments: { id: "7" } }),
        );
        await mcpErrorOf(() => traced.client.callTool({ name: "probeweb__nope", arguments: {} }));
        await traced.client.close();

        const untraced = await connectClient(gw.url);
        await untraced.client.ping();
        await untraced.client.ping();
        await untraced.client.close();
        await gw.close(); // flushes the audit log

        const records = gw.auditRecords();
        const sessions = [...new Set(records.map((r) => r.session_id))];
        assert.equal(sessions.length, 2);
        const [first, second] = sessions.map((id) => records.filter((r) => r.session_id === id));
        assert.ok(first && second);
        assert.deepEqual(
          first.map((r) => [r.method, r.outcome]),
          [
            ["initialize", "allowed"],
            ["tools/list", "allowed"],
            ["tools/call", "allowed"],
            ["tools/call", "denied"],
            ["tools/call", "error"],
          ],
        );
        for (const r of records) {
          assert.match(r.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
          assert.equal(typeof r.duration_ms, "number");
          assert.deepEqual(r.identity, { subject: null, anonymous: true, groups: ["engineering"], client_id: null });
        }
        for (const r of first) assert.equal(r.trace_id, CLIENT_TRACE_ID);

        const [, , allowed, deny, error] = first;
        assert.ok(allowed && deny && error);
        const digest = `sha256:${createHash("sha256").update('{"text":"audited"}').digest("hex")}`;
        assert.equal(allowed.server, "probeweb");
        assert.equal(allowed.target, "probeweb__echo");
        assert.equal(allowed.arguments_digest, digest);
        assert.equal("arguments" in allowed, false, "raw arguments stay out of the audit by default");
        assert.match(String(allowed.decision_id), UUID);
        assert.match(
          String(allowed.policy_revision),
          /^sha256:[0-9a-f]{16}$/,
          "a bundle without manifest: content digest",
        );
        assert.equal(allowed.reasons, undefined);
        const upstream = allowed.upstream as { name: string; transport: string; duration_ms: number };
        assert.equal(upstream.name, "probeweb");
        assert.equal(upstream.transport, "http");
        assert.ok(upstream.duration_ms >= 0 && upstream.duration_ms <= Number(allowed.duration_ms));

        assert.equal(deny.target, "probeweb__delete_note");
        assert.equal(deny.decision_id, (denied.data as { decision_id: string }).decision_id);
        assert.deepEqual(deny.reasons, ["delete_note is forbidden by the test policy"]);
        assert.equal(deny.upstream, undefined, "a denied call has no upstream leg");

        assert.equal(error.error_type, "PORTCULLIS_NOT_FOUND");

        // Without a traceparent, each request gets a fresh trace id of the gateway's.
        assert.deepEqual(
          second.map((r) => r.method),
          ["initialize", "ping", "ping"],
        );
        const traceIds = second.map((r) => String(r.trace_id));
        for (const id of traceIds) assert.match(id, /^[0-9a-f]{32}$/);
        assert.equal(new Set(traceIds).size, 3);
        assert.equal(callsTo(probeHttpEvents, "delete_note"), 0);
      },
    );
  });
});
