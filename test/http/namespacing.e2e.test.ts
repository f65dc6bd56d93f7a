/**
 * End-to-end: how the gateway names upstream tools and prompts (`namespacing: always` or
 * `on-conflict`, and `namespace_separator`), and that calls route back by those names.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { ProbeHttpServer } from "../fixtures/gateway/probe-server.js";
import {
  connectClient,
  demoHttp,
  firstJson,
  mcpErrorOf,
  probeHttp,
  startTestGateway,
  type TestGateway,
  tempDir,
} from "./harness.js";

const TEST_TIMEOUT = { timeout: 20_000 };

describe("namespacing", () => {
  const dir = tempDir();
  let demo: { url: string; close(): Promise<void> };
  let probe: ProbeHttpServer;
  const gateways: TestGateway[] = [];
  const clients: Client[] = [];

  before(async () => {
    demo = await demoHttp();
    probe = await probeHttp();
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(gateways.map((g) => g.close()));
    await probe?.close();
    await demo?.close();
    dir.remove();
  });

  /** Starts a gateway over the demo and/or probe upstreams and connects a client. */
  async function gatewayWith(config: Record<string, unknown>, upstreams: Array<"demo" | "probe">) {
    const gw = await startTestGateway(dir.path, {
      ...config,
      upstreams: upstreams.map((name) => ({ name, url: name === "demo" ? demo.url : probe.url })),
    });
    gateways.push(gw);
    const { client } = await connectClient(gw.url);
    clients.push(client);
    return client;
  }

  it("on-conflict prefixes only the names two upstreams share, and routes both", TEST_TIMEOUT, async () => {
    const client = await gatewayWith({ namespacing: "on-conflict" }, ["demo", "probe"]);
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), [
      "crash",
      "create_note",
      "demo__search_notes",
      "echo",
      "fail",
      "probe__search_notes",
      "read_note",
      "slow_count",
      "wait",
    ]);
    const fromDemo = firstJson(await client.callTool({ name: "demo__search_notes", arguments: { query: "welcome" } }));
    assert.deepEqual(fromDemo, { notes: [{ id: "1", title: "Welcome", tags: ["demo"] }] });
    const fromProbe = firstJson(
      await client.callTool({ name: "probe__search_notes", arguments: { query: "welcome" } }),
    );
    assert.deepEqual(fromProbe, { probe: true, query: "welcome" });
    assert.equal(firstJson(await client.callTool({ name: "echo", arguments: { text: "bare" } })).text, "bare");
    assert.equal(firstJson(await client.callTool({ name: "read_note", arguments: { id: "2" } })).id, "2");

    // The shared name on its own is ambiguous, hence unknown.
    const ambiguous = await mcpErrorOf(() => client.callTool({ name: "search_notes", arguments: { query: "x" } }));
    assert.equal(ambiguous.code, -32602);
    // The policy still sees the upstream's own name: delete_note (on both) stays hidden and denied.
    const denied = await mcpErrorOf(() => client.callTool({ name: "demo__delete_note", arguments: { id: "1" } }));
    assert.equal(denied.code, -32003);

    const { prompts } = await client.listPrompts();
    assert.deepEqual(
      prompts.map((p) => p.name),
      ["summarize_note"],
    );
  });

  it("on-conflict with one upstream keeps the upstream's own names", TEST_TIMEOUT, async () => {
    const client = await gatewayWith({ namespacing: "on-conflict" }, ["probe"]);
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), ["echo", "search_notes", "wait"]);
    assert.equal(firstJson(await client.callTool({ name: "echo", arguments: { text: "alone" } })).text, "alone");
  });

  it("always prefixes, with the configured separator", TEST_TIMEOUT, async () => {
    const client = await gatewayWith({ namespacing: "always", namespace_separator: "." }, ["demo", "probe"]);
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    assert.ok(names.includes("demo.read_note"));
    assert.ok(names.includes("probe.echo"));
    assert.ok(
      names.every((n) => n.startsWith("demo.") || n.startsWith("probe.")),
      names.join(", "),
    );
    assert.equal(names.length, 9);
    assert.equal(firstJson(await client.callTool({ name: "demo.read_note", arguments: { id: "1" } })).title, "Welcome");
    const defaultSeparator = await mcpErrorOf(() =>
      client.callTool({ name: "demo__read_note", arguments: { id: "1" } }),
    );
    assert.equal(defaultSeparator.code, -32602);
    const { prompts } = await client.listPrompts();
    assert.deepEqual(
      prompts.map((p) => p.name),
      ["demo.summarize_note"],
    );
  });
});
