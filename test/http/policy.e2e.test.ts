/**
 * End-to-end policy wiring. The shipped example policy (policies/example) in front of the demo
 * notes server, with the caller's groups from `anonymous.groups`: identity, tool annotations and
 * arguments reach the policy, its reasons reach the client and the audit (test/policies covers the
 * policy's every rule). And a policy that fails or answers nonsense: the gateway fails closed.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { DemoHttpServer } from "../../src/demo/http.js";
import {
  connectClient,
  demoHttp,
  firstJson,
  mcpErrorOf,
  rawRequest,
  startTestGateway,
  type TestGateway,
  tempDir,
} from "./harness.js";

const TEST_TIMEOUT = { timeout: 20_000 };

/** The demo server over HTTP for a suite, and the gateways and clients it starts, all closed after it. */
function demoSuite(): { dir: { path: string }; demo(): DemoHttpServer; gateways: TestGateway[]; clients: Client[] } {
  const dir = tempDir();
  let demo: DemoHttpServer;
  const gateways: TestGateway[] = [];
  const clients: Client[] = [];
  before(async () => {
    demo = await demoHttp();
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(gateways.map((g) => g.close()));
    await demo?.close();
    dir.remove();
  });
  return { dir, demo: () => demo, gateways, clients };
}

describe("the example policy behind the gateway", () => {
  const suite = demoSuite();
  const { dir, gateways, clients } = suite;

  /** A gateway with the example policy whose anonymous callers are in `groups`, and a client. */
  async function asGroups(groups: string[], extra: Record<string, unknown> = {}) {
    const gw = await startTestGateway(dir.path, {
      policy: { bundle: "policies/example" },
      anonymous: { groups },
      upstreams: [{ name: "demo", url: suite.demo().url }],
      ...extra,
    });
    gateways.push(gw);
    const { client } = await connectClient(gw.url);
    clients.push(client);
    return { gw, client };
  }

  it("lets engineering use the demo but not delete notes (destructive, no grant)", TEST_TIMEOUT, async () => {
    const { client } = await asGroups(["engineering"]);
    const names = (await client.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes("demo__create_note"));
    assert.ok(!names.includes("demo__delete_note"), "a tool the caller may not call is not listed");
    const created = firstJson(
      await client.callTool({ name: "demo__create_note", arguments: { title: "t", body: "b" } }),
    );
    assert.equal(created.title, "t");

    const denied = await mcpErrorOf(() => client.callTool({ name: "demo__delete_note", arguments: { id: "1" } }));
    assert.equal(denied.code, -32003);
    const reasons = (denied.data as { reasons: string[] }).reasons;
    assert.ok(
      reasons.some((r) => /demo\/delete_note/.test(r) && /destructive/.test(r)),
      reasons.join("; "),
    );
    // Note 1 is still there.
    assert.equal(firstJson(await client.callTool({ name: "demo__read_note", arguments: { id: "1" } })).id, "1");
  });

  it("checks arguments: limits and credentials", TEST_TIMEOUT, async () => {
    const { client } = await asGroups(["engineering"]);
    const tooMany = await mcpErrorOf(() =>
      client.callTool({ name: "demo__slow_count", arguments: { n: 101, delay_ms: 0 } }),
    );
    assert.equal(tooMany.code, -32003);
    assert.match((tooMany.data as { reasons: string[] }).reasons.join("; "), /argument n .* 101/);
    const leaky = await mcpErrorOf(() =>
      client.callTool({
        name: "demo__create_note",
        arguments: { title: "keys", body: "AKIAIOSFODNN7EXAMPLE is our key" },
      }),
    );
    assert.equal(leaky.code, -32003);
    assert.match((leaky.data as { reasons: string[] }).reasons.join("; "), /AWS access key/);
  });

  it("gives the read-only auditors profile only read-only tools", TEST_TIMEOUT, async () => {
    const { client } = await asGroups(["auditors"]);
    const names = (await client.listTools()).tools.map((t) => t.name).sort();
    assert.deepEqual(names, ["demo__fail", "demo__read_note", "demo__search_notes", "demo__slow_count"]);
    const denied = await mcpErrorOf(() =>
      client.callTool({ name: "demo__create_note", arguments: { title: "x", body: "y" } }),
    );
    assert.equal(denied.code, -32003);
    assert.match((denied.data as { reasons: string[] }).reasons.join("; "), /read-only/);
  });

  it("denies everything to a caller in no known group, and says so", TEST_TIMEOUT, async () => {
    const { client } = await asGroups(["visitors"]);
    assert.deepEqual((await client.listTools()).tools, []);
    const denied = await mcpErrorOf(() => client.callTool({ name: "demo__read_note", arguments: { id: "1" } }));
    assert.equal(denied.code, -32003);
    assert.match(
      (denied.data as { reasons: string[] }).reasons.join("; "),
      /not granted to any of the caller's groups/,
    );
  });

  it("writes raw arguments to the audit when audit.include_arguments is set", TEST_TIMEOUT, async () => {
    const { gw, client } = await asGroups(["engineering"], {
      audit: { path: `${dir.path}/with-args.jsonl`, include_arguments: true },
    });
    await client.callTool({ name: "demo__search_notes", arguments: { query: "release", limit: 2 } });
    await client.close();
    await gw.close();
    const call = gw.auditRecords().find((r) => r.method === "tools/call");
    assert.deepEqual(call?.arguments, { query: "release", limit: 2 });
    assert.match(String(call?.arguments_digest), /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(call?.identity, { subject: null, anonymous: true, groups: ["engineering"], client_id: null });
  });
});

describe("a policy that fails or gives no usable decision", () => {
  const suite = demoSuite();
  const { dir, gateways, clients } = suite;

  for (const [entrypoint, reason] of [
    ["portcullis/not_an_object", "policy error"],
    ["portcullis/conflicting", "policy error"],
    ["portcullis/missing", "no decision"],
  ] as const) {
    it(`denies everything when the entrypoint ${entrypoint} gives ${reason}`, TEST_TIMEOUT, async () => {
      const gw = await startTestGateway(dir.path, {
        policy: { bundle: "test/fixtures/gateway/policy", entrypoint },
        upstreams: [{ name: "demo", url: suite.demo().url }],
      });
      gateways.push(gw);
      const { client } = await connectClient(gw.url);
      clients.push(client);
      assert.deepEqual((await client.listTools()).tools, []);
      const denied = await mcpErrorOf(() => client.callTool({ name: "demo__read_note", arguments: { id: "1" } }));
      assert.equal(denied.code, -32003);
      assert.deepEqual((denied.data as { reasons: unknown }).reasons, [reason]);
      const metrics = await rawRequest(`${gw.origin}/metrics`);
      assert.match(metrics.text, /^portcullis_decisions_total\{phase="request",outcome="error"\} 1$/m);
      assert.match(metrics.text, /^portcullis_errors_total\{code="PORTCULLIS_POLICY_ERROR"\} 1$/m);
    });
  }
});
