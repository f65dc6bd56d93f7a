/**
 * OAuth end to end: the gateway as an OAuth 2.1 resource server (`auth`) in front of the demo notes
 * server with the example policy, and the development identity provider (src/devidp/) as the
 * authorization server. A real SDK `Client` with an OAuthClientProvider gets 401, discovers the
 * gateway's RFC 9728 metadata and the IdP, registers dynamically, signs in as a demo user through
 * the login and consent forms (answered programmatically), exchanges the code with PKCE and calls
 * tools; users in different teams see different tool lists.
 */
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, describe, it } from "node:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { DemoHttpServer } from "../../src/demo/http.js";
import { connectAsUser, HeadlessOAuthClientProvider } from "../../src/devidp/client-provider.js";
import { type RunningDevIdp, startDevIdp } from "../../src/devidp/server.js";
import {
  demoHttp,
  firstJson,
  initializeBody,
  mcpErrorOf,
  postMcp,
  rawRequest,
  startTestGateway,
  type TestGateway,
  tempDir,
} from "./harness.js";

const TEST_TIMEOUT = { timeout: 30_000 };

/** A port nothing listens on right now (the gateway's resource URI must be known before it starts). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The namespaced tool names a client sees, sorted. */
async function toolNames(client: Client): Promise<string[]> {
  const { tools } = await client.listTools();
  return tools.map((t) => t.name).sort();
}

describe("OAuth end to end: SDK client, dev IdP, gateway", () => {
  const dir = tempDir();
  let demo: DemoHttpServer;
  let idp: RunningDevIdp;
  let gw: TestGateway;
  let resource: string;
  let otherResource: string;
  let gatewayClosed = false;
  const clients: Client[] = [];

  before(async () => {
    const port = await freePort();
    resource = `http://127.0.0.1:${port}/mcp`;
    otherResource = `http://127.0.0.1:${port + 1}/mcp`;
    demo = await demoHttp();
    idp = await startDevIdp({ port: 0, resources: [resource, otherResource] });
    gw = await startTestGateway(dir.path, {
      listen: `127.0.0.1:${port}`,
      policy: { bundle: "policies/example" },
      upstreams: [{ name: "demo", url: demo.url }],
      auth: { issuer: idp.issuer, audience: resource, scopes: ["mcp:tools"] },
    });
    assert.equal(gw.url, resource);
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    if (!gatewayClosed) await gw?.close();
    await idp?.close();
    await demo?.close();
    dir.remove();
  });

  it(
    "answers a request without a token with 401 and points to metadata that names the dev IdP",
    TEST_TIMEOUT,
    async () => {
      const response = await postMcp(gw.url, initializeBody());
      assert.equal(response.status, 401);
      const challenge = String(response.headers["www-authenticate"]);
      const metadataUrl = /resource_metadata="([^"]+)"/.exec(challenge)?.[1];
      assert.ok(metadataUrl, challenge);
      const metadata = await rawRequest(metadataUrl);
      assert.equal(metadata.status, 200);
      assert.equal(metadata.json?.resource, resource);
      assert.deepEqual(metadata.json?.authorization_servers, [idp.issuer]);
    },
  );

  it(
    "signs alice (engineering) in through the whole SDK flow and lets her use the notes tools",
    TEST_TIMEOUT,
    async () => {
      const { client, provider } = await connectAsUser(gw.url, { username: "alice", password: "alice" });
      clients.push(client);
      assert.equal(provider.authorizations, 1, "one login");
      const tokens = provider.tokens();
      assert.ok(tokens?.access_token && tokens.refresh_token, "an access and a refresh token");
      const names = await toolNames(client);
      assert.deepEqual(names, [
        "demo__crash",
        "demo__create_note",
        "demo__fail",
        "demo__read_note",
        "demo__search_notes",
        "demo__slow_count",
      ]);
      const created = firstJson(
        await client.callTool({ name: "demo__create_note", arguments: { title: "oauth", body: "from alice" } }),
      );
      assert.equal(typeof created.id, "string");
      const found = firstJson(await client.callTool({ name: "demo__search_notes", arguments: { query: "oauth" } }));
      assert.equal((found.notes as unknown[]).length, 1);
    },
  );

  it("shows bob (support) only the support tools and denies the rest", TEST_TIMEOUT, async () => {
    const { client } = await connectAsUser(gw.url, { username: "bob", password: "bob" });
    clients.push(client);
    assert.deepEqual(await toolNames(client), ["demo__create_note", "demo__read_note", "demo__search_notes"]);
    const denied = await mcpErrorOf(() => client.callTool({ name: "demo__slow_count", arguments: { n: 1 } }));
    assert.equal(denied.code, -32003);
  });

  it("shows carol (auditors, read-only) only read-only tools", TEST_TIMEOUT, async () => {
    const { client } = await connectAsUser(gw.url, { username: "carol", password: "carol" });
    clients.push(client);
    assert.deepEqual(await toolNames(client), [
      "demo__fail",
      "demo__read_note",
      "demo__search_notes",
      "demo__slow_count",
    ]);
    const denied = await mcpErrorOf(() =>
      client.callTool({ name: "demo__create_note", arguments: { title: "x", body: "y" } }),
    );
    assert.equal(denied.code, -32003);
  });

  it("shows dave (no team) nothing and denies every call", TEST_TIMEOUT, async () => {
    const { client } = await connectAsUser(gw.url, { username: "dave", password: "dave" });
    clients.push(client);
    assert.deepEqual(await toolNames(client), []);
    const denied = await mcpErrorOf(() => client.callTool({ name: "demo__search_notes", arguments: { query: "" } }));
    assert.equal(denied.code, -32003);
  });

  it("reuses the tokens it holds: a second connection needs no new login", TEST_TIMEOUT, async () => {
    const provider = new HeadlessOAuthClientProvider({ username: "erin", password: "erin" });
    const first = await connectAsUser(gw.url, provider.user, { provider });
    clients.push(first.client);
    const second = await connectAsUser(gw.url, provider.user, { provider });
    clients.push(second.client);
    assert.equal(provider.authorizations, 1);
    // notes-admins: the demo tools, with the destructive delete_note (granted) but not crash (not granted).
    assert.deepEqual(await toolNames(second.client), [
      "demo__create_note",
      "demo__delete_note",
      "demo__fail",
      "demo__read_note",
      "demo__search_notes",
      "demo__slow_count",
    ]);
  });

  it("refuses a valid dev-IdP token minted for another resource", TEST_TIMEOUT, async () => {
    const registration = await fetch(`${idp.issuer}/reg`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ grant_types: ["client_credentials"], response_types: [], redirect_uris: [] }),
    });
    const { client_id, client_secret } = (await registration.json()) as { client_id: string; client_secret: string };
    const tokenFor = async (audience: string) => {
      const response = await fetch(`${idp.issuer}/token`, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          authorization: `Basic ${Buffer.from(`${client_id}:${client_secret}`).toString("base64")}`,
        },
        body: new URLSearchParams({ grant_type: "client_credentials", scope: "mcp:tools", resource: audience }),
      });
      return ((await response.json()) as { access_token: string }).access_token;
    };
    const wrong = await postMcp(gw.url, initializeBody(), { authorization: `Bearer ${await tokenFor(otherResource)}` });
    assert.equal(wrong.status, 401);
    assert.match(String(wrong.headers["www-authenticate"]), /error="invalid_token"/);
    const right = await postMcp(gw.url, initializeBody(), { authorization: `Bearer ${await tokenFor(resource)}` });
    assert.equal(right.status, 200, right.text);
  });

  it("audits each call with the user's subject, groups and client", TEST_TIMEOUT, async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await gw.close();
    gatewayClosed = true;
    const records = gw.auditRecords();
    const calls = records.filter((r) => r.method === "tools/call");
    const alice = calls.find((r) => (r.identity as { subject?: string }).subject === "alice");
    assert.ok(alice, "alice's calls are audited");
    assert.equal(alice.outcome, "allowed");
    const identity = alice.identity as { groups: string[]; anonymous: boolean; client_id: string | null };
    assert.deepEqual(identity.groups, ["engineering"]);
    assert.equal(identity.anonymous, false);
    assert.equal(typeof identity.client_id, "string");
    const dave = calls.find((r) => (r.identity as { subject?: string }).subject === "dave");
    assert.equal(dave?.outcome, "denied");
    const unauthenticated = records.filter((r) => r.outcome === "unauthenticated");
    assert.ok(unauthenticated.length >= 2, "the 401s are audited too");
    for (const line of records)
      assert.doesNotMatch(JSON.stringify(line), /eyJ[A-Za-z0-9_-]{10,}\./, "no token in the audit");
  });
});
