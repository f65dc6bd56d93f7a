/**
 * End-to-end: the gateway as an OAuth 2.1 resource server in front of the in-process test IdP.
 * Every attack gets 401 with a WWW-Authenticate challenge and an audit record, and never reaches
 * an upstream; valid tokens carry the identity into the policy and the audit log; sessions are
 * bound to their subject; expiry mid-session, step-up (403 insufficient_scope), revocation, the
 * RFC 9728 metadata and the minted upstream token are checked over real HTTP.
 */
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { after, before, describe, it } from "node:test";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { runRevoke } from "../../src/cli/commands/revoke.js";
import type { DemoHttpServer } from "../../src/demo/http.js";
import { startTestIdp, type TestIdp } from "../fixtures/auth/idp.js";
import type { ProbeEvent, ProbeHttpServer } from "../fixtures/gateway/probe-server.js";
import {
  type AuditLine,
  bearerSession,
  demoHttp,
  initializeBody,
  postMcp,
  postToolCall,
  probeHttp,
  type RawResponse,
  rawRequest,
  rpcError,
  startTestGateway,
  type TestGateway,
  tempDir,
  waitFor,
} from "./harness.js";

const AUDIENCE = "https://portcullis.test/mcp";
const METADATA = "https://portcullis.test/.well-known/oauth-protected-resource/mcp";

describe("OAuth resource server", () => {
  const dir = tempDir("portcullis-auth-");
  let idp: TestIdp;
  let probe: ProbeHttpServer;
  let minted: ProbeHttpServer;
  let gw: TestGateway;
  const probeEvents: ProbeEvent[] = [];
  const mintedEvents: ProbeEvent[] = [];

  before(async () => {
    idp = await startTestIdp();
    probe = await probeHttp((e) => probeEvents.push(e), { jsonResponse: true });
    minted = await probeHttp((e) => mintedEvents.push(e), { jsonResponse: true });
    gw = await startTestGateway(dir.path, {
      policy: { bundle: "test/fixtures/auth/policy" },
      upstreams: [
        { name: "probe", url: probe.url },
        { name: "minted", url: minted.url, identity: { mint: { ttl_s: 60 } } },
      ],
      auth: {
        issuer: idp.issuer,
        audience: AUDIENCE,
        clock_tolerance_s: 0,
        scopes: ["mcp:tools", "notes:write"],
        resource_name: "Portcullis test",
      },
    });
  });
  after(async () => {
    await gw.close();
    await Promise.all([probe.close(), minted.close(), idp.close()]);
    dir.remove();
  });

  const token = (options: Parameters<TestIdp["mint"]>[1] = {}) => idp.mint(AUDIENCE, options);
  const auth = (t: string) => ({ authorization: `Bearer ${t}` });

  const session = (bearer: string) => bearerSession(gw.url, bearer);
  const call = (sessionId: string, headers: Record<string, string>, name: string, args: object = {}, id = 7) =>
    postToolCall(gw.url, sessionId, headers, name, args, id);

  async function auditWhere(what: string, match: (r: AuditLine) => boolean): Promise<AuditLine> {
    return waitFor(what, () => gw.auditRecords().find(match));
  }

  function assertChallenge(response: RawResponse, invalidToken: boolean): void {
    assert.equal(response.status, 401, response.text);
    const challenge = String(response.headers["www-authenticate"]);
    assert.match(challenge, new RegExp(`^Bearer resource_metadata="${METADATA}", scope="mcp:tools notes:write"`));
    assert.equal(challenge.includes('error="invalid_token"'), invalidToken, challenge);
    assert.equal(rpcError(response).data?.code, "PORTCULLIS_UNAUTHENTICATED");
  }

  it("serves RFC 9728 metadata at the root and path-suffixed well-known URLs", async () => {
    for (const path of ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"]) {
      const response = await rawRequest(`${gw.origin}${path}`);
      assert.equal(response.status, 200);
      assert.deepEqual(response.json, {
        resource: AUDIENCE,
        authorization_servers: [idp.issuer],
        jwks_uri: "https://portcullis.test/.well-known/jwks.json",
        scopes_supported: ["mcp:tools", "notes:write"],
        bearer_methods_supported: ["header"],
        resource_name: "Portcullis test",
      });
    }
    const jwks = await rawRequest(`${gw.origin}/.well-known/jwks.json`);
    assert.equal(jwks.status, 200);
    assert.equal((jwks.json?.keys as unknown[] | undefined)?.length, 1);
  });

  it("refuses initialize without a token: 401, challenge, audit, no session", async () => {
    const before = gw.gateway.sessions.size;
    const response = await postMcp(gw.url, initializeBody());
    assertChallenge(response, false);
    assert.equal(response.headers["mcp-session-id"], undefined);
    assert.equal(gw.gateway.sessions.size, before);
    const record = await auditWhere(
      "the refused initialize",
      (r) => r.method === "initialize" && r.outcome === "unauthenticated",
    );
    assert.deepEqual(record.reasons, ["no bearer token"]);
  });

  it("refuses every attack with 401 and an audit record, and none reaches the upstream", async () => {
    const sessionId = await session(await token());
    const attacks: Array<[string, Record<string, string>, string?]> = [
      ["garbage", { authorization: "Bearer garbage" }],
      ["wrong signature", auth(await idp.forged(AUDIENCE))],
      ["wrong issuer", auth(await token({ iss: "https://evil.test" }))],
      ["wrong audience", auth(await idp.mint("https://other-resource.test/mcp"))],
      ["expired", auth(await token({ expiresIn: -5 }))],
      ["alg none", auth(idp.unsigned(AUDIENCE))],
      ["HS256 with the RSA public key", auth(await idp.hsConfusion(AUDIENCE))],
      ["query string", {}, `?access_token=${await token()}`],
    ];
    const toolCallsBefore = probeEvents.filter((e) => e.method === "tools/call").length;
    for (const [name, headers, query] of attacks) {
      const response = await postMcp(
        `${gw.url}${query ?? ""}`,
        { jsonrpc: "2.0", id: name, method: "tools/call", params: { name: "probe__echo", arguments: { text: name } } },
        { "mcp-session-id": sessionId, ...headers },
      );
      assertChallenge(response, true);
    }
    const records = await waitFor("one audit record per attack", () => {
      const found = gw.auditRecords().filter((r) => r.outcome === "unauthenticated" && r.session_id === sessionId);
      return found.length === attacks.length ? found : undefined;
    });
    const tokens = attacks.map(([, headers, query]) => headers.authorization?.slice(7) ?? query?.slice(14) ?? "");
    for (const record of records) {
      assert.equal(record.method, "tools/call");
      assert.equal(record.server, null);
      assert.equal((record.identity as { anonymous: boolean }).anonymous, true);
      assert.equal((record.reasons as string[]).length, 1);
      const line = JSON.stringify(record);
      for (const t of tokens) assert.ok(t === "garbage" || !line.includes(t), "no token in the audit record");
    }
    assert.deepEqual(
      records.map((r) => (r.reasons as string[])[0]),
      [
        "malformed token",
        "bad signature",
        "the token is from another issuer",
        "the token is not for this resource (aud)",
        "the token has expired",
        "algorithm none is not allowed",
        "algorithm HS256 is not allowed",
        "access tokens are not accepted in the query string",
      ],
    );
    assert.equal(probeEvents.filter((e) => e.method === "tools/call").length, toolCallsBefore);
  });

  it("rate-limits JWKS fetches under an unknown-kid flood", async () => {
    const before = idp.hits.get("/jwks") ?? 0;
    const responses = await Promise.all(
      Array.from({ length: 20 }, async (_, i) =>
        postMcp(gw.url, initializeBody(), auth(await token({ kid: `flood-${i}` }))),
      ),
    );
    for (const response of responses) assertChallenge(response, true);
    assert.ok(
      (idp.hits.get("/jwks") ?? 0) - before <= 1,
      `JWKS fetched ${(idp.hits.get("/jwks") ?? 0) - before} times`,
    );
  });

  it("carries the identity into the policy and the audit record", async () => {
    const bearer = await token({
      sub: "alice",
      claims: { groups: ["sales"], scope: "mcp:tools", client_id: "claude", act: { sub: "agent-1", client_id: "bot" } },
    });
    const sessionId = await session(bearer);
    const response = await call(sessionId, auth(bearer), "probe__echo", { text: "hi" });
    assert.equal(response.status, 200, response.text);
    assert.ok(response.json?.result);
    const record = await auditWhere("the allowed echo", (r) => r.session_id === sessionId && r.method === "tools/call");
    assert.equal(record.outcome, "allowed");
    assert.deepEqual(record.identity, {
      subject: "alice",
      anonymous: false,
      groups: ["sales"],
      client_id: "claude",
      issuer: idp.issuer,
      delegation: [{ sub: "agent-1", client_id: "bot" }],
    });
    // Labels are what the policy saw in input.identity.
    for (const label of ["sub:alice", "group:sales", "actor:agent-1", `iss:${idp.issuer}`]) {
      assert.ok((record.labels as string[]).includes(label), `label ${label} in ${JSON.stringify(record.labels)}`);
    }
  });

  it("shows different tool lists to different groups", async () => {
    const list = async (groups: string[]) => {
      const bearer = await token({ sub: `user-${groups.join("-")}`, claims: { groups } });
      const sessionId = await session(bearer);
      const response = await postMcp(
        gw.url,
        { jsonrpc: "2.0", id: 1, method: "tools/list" },
        { "mcp-session-id": sessionId, ...auth(bearer) },
      );
      const tools = (response.json?.result as { tools: Array<{ name: string }> } | undefined)?.tools ?? [];
      return tools.map((t) => t.name).sort();
    };
    assert.deepEqual(await list(["support"]), ["minted__echo", "probe__echo"]);
    const engineering = await list(["engineering"]);
    assert.ok(engineering.includes("probe__wait") && engineering.includes("probe__search_notes"), String(engineering));
    assert.ok(!engineering.includes("probe__delete_note"), "delete_note needs notes:write");
  });

  it("binds a session to its subject: no token gets 401, another subject 403", async () => {
    const sessionId = await session(await token({ sub: "owner" }));
    assertChallenge(await call(sessionId, {}, "probe__echo", { text: "x" }), false);
    const other = await call(sessionId, auth(await token({ sub: "intruder" })), "probe__echo", { text: "x" });
    assert.equal(other.status, 403);
    assert.equal(rpcError(other).data?.code, "PORTCULLIS_SESSION_FORBIDDEN");
    await auditWhere("the refused intruder", (r) => (r.identity as { subject: string }).subject === "intruder");
    // GET and DELETE authenticate too.
    const get = await rawRequest(gw.url, { headers: { accept: "text/event-stream", "mcp-session-id": sessionId } });
    assertChallenge(get, false);
    const del = await rawRequest(gw.url, { method: "DELETE", headers: { "mcp-session-id": sessionId } });
    assertChallenge(del, false);
    assert.ok(gw.gateway.sessions.has(sessionId));
  });

  it("answers 401 once the token expires mid-session", async () => {
    const bearer = await token({ sub: "shortlived", expiresIn: 2 });
    const sessionId = await session(bearer);
    assert.equal((await call(sessionId, auth(bearer), "probe__echo", { text: "a" })).status, 200);
    await new Promise((r) => setTimeout(r, 2100));
    const response = await call(sessionId, auth(bearer), "probe__echo", { text: "b" });
    assertChallenge(response, true);
    assert.match(String(response.headers["www-authenticate"]), /expired/);
  });

  it("ends the session's event stream when the token that opened it expires", async () => {
    const bearer = await token({ sub: "streamer", expiresIn: 2 });
    const sessionId = await session(bearer);
    const opened = Date.now();
    const ended = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(gw.url, {
        method: "GET",
        headers: { accept: "text/event-stream", "mcp-session-id": sessionId, ...auth(bearer) },
      });
      req.on("response", (res) => {
        assert.equal(res.statusCode, 200);
        res.resume();
        res.on("end", () => resolve(Date.now()));
      });
      req.on("error", reject);
      req.setTimeout(10_000, () => req.destroy(new Error("the stream outlived its token")));
      req.end();
    });
    // exp has one-second resolution: the stream ends within the token's last second, not before.
    assert.ok(ended - opened >= 900 && ended - opened < 3500, `ended after ${ended - opened} ms`);
  });

  it("asks for step-up with 403 insufficient_scope when the policy names a missing scope", async () => {
    const plain = await token({ sub: "writer", claims: { scope: "mcp:tools" } });
    const sessionId = await session(plain);
    const denied = await call(sessionId, auth(plain), "probe__delete_note", { id: "1" });
    assert.equal(denied.status, 403, denied.text);
    assert.match(
      String(denied.headers["www-authenticate"]),
      new RegExp(`^Bearer resource_metadata="${METADATA}", scope="notes:write", error="insufficient_scope"`),
    );
    const error = rpcError(denied);
    assert.equal(error.code, -32003);
    assert.deepEqual(error.data?.required_scopes, ["notes:write"]);
    assert.ok(!probeEvents.some((e) => e.tool === "delete_note"));
    const record = await auditWhere("the step-up deny", (r) => r.session_id === sessionId && r.method === "tools/call");
    assert.equal(record.outcome, "denied");
    // The same subject with the scope (a new token) goes through on the same session.
    const stepped = await token({ sub: "writer", claims: { scope: "mcp:tools notes:write" } });
    const allowed = await call(sessionId, auth(stepped), "probe__delete_note", { id: "1" });
    assert.equal(allowed.status, 200, allowed.text);
    assert.ok(probeEvents.some((e) => e.tool === "delete_note"));
  });

  it("revocation takes effect on the very next call, and can be undone", async () => {
    const bearer = await token({ sub: "mallory", claims: { client_id: "rogue" } });
    const sessionId = await session(bearer);
    assert.equal((await call(sessionId, auth(bearer), "probe__echo", { text: "1" })).status, 200);
    const admin = (method: string, body?: object) =>
      rawRequest(`${gw.origin}/admin/revocations`, {
        method,
        headers: body
          ? { "content-type": "application/json", "content-length": String(JSON.stringify(body).length) }
          : {},
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    const revoked = await admin("POST", { subject: "mallory" });
    assert.equal(revoked.status, 200, revoked.text);
    assert.deepEqual(revoked.json, { changed: true, revocations: { subjects: ["mallory"], clients: [] } });
    const refused = await call(sessionId, auth(bearer), "probe__echo", { text: "2" }, 8);
    assert.equal(refused.status, 403);
    assert.equal(rpcError(refused).data?.code, "PORTCULLIS_REVOKED");
    assert.equal(gw.gateway.sessions.has(sessionId), false, "the revoked caller's session is closed");
    const record = await auditWhere(
      "the revoked call",
      (r) => r.method === "tools/call" && (r.reasons as string[] | undefined)?.includes("revoked") === true,
    );
    assert.equal(record.outcome, "denied");
    assert.equal((record.identity as { subject: string }).subject, "mallory");
    await auditWhere(
      "the admin change",
      (r) => r.method === "admin:POST /admin/revocations" && r.target === "subject:mallory",
    );
    assert.deepEqual((await admin("GET")).json, { subjects: ["mallory"], clients: [] });
    const restored = await admin("DELETE", { subject: "mallory" });
    assert.equal(restored.status, 200, restored.text);
    assert.equal((await call(await session(bearer), auth(bearer), "probe__echo", { text: "3" }, 9)).status, 200);
    // A wrong admin token is refused even from loopback.
    const wrong = await rawRequest(`${gw.origin}/admin/revocations`, { headers: { authorization: "Bearer nope" } });
    assert.equal(wrong.status, 401);
  });

  it("portcullis revoke revokes, lists and restores through the admin endpoint", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (t: string) => out.push(t), err: (t: string) => err.push(t) };
    assert.equal(await runRevoke(["--gateway", gw.url, "--client-id", "agent-x"], io), 0, err.join(""));
    assert.deepEqual(JSON.parse(out.join("")), { subjects: [], clients: ["agent-x"] });
    out.length = 0;
    assert.equal(await runRevoke(["--gateway", gw.origin, "--list"], io), 0);
    assert.deepEqual(JSON.parse(out.join("")), { subjects: [], clients: ["agent-x"] });
    out.length = 0;
    assert.equal(await runRevoke(["--gateway", gw.origin, "--client-id", "agent-x", "--undo"], io), 0);
    assert.deepEqual(JSON.parse(out.join("")), { subjects: [], clients: [] });
    const env = { ADMIN: "wrong" };
    assert.equal(await runRevoke(["--gateway", gw.origin, "--list", "--admin-token-env", "ADMIN"], io, env), 1);
    assert.match(err.join(""), /HTTP 401/);
  });

  it("never forwards the client's token; a minting upstream gets the gateway's own JWT", async () => {
    const bearer = await token({
      sub: "alice",
      claims: { groups: ["eng"], client_id: "claude", act: { sub: "agent-7" } },
    });
    const sessionId = await session(bearer);
    assert.equal((await call(sessionId, auth(bearer), "probe__echo", { text: "p" })).status, 200);
    assert.equal((await call(sessionId, auth(bearer), "minted__echo", { text: "m" })).status, 200);
    assert.ok(probeEvents.length > 0);
    assert.ok(
      probeEvents.every((e) => e.authorization === undefined),
      "the plain upstream sees no Authorization",
    );
    const sent = mintedEvents.filter((e) => e.method === "tools/call").map((e) => e.authorization);
    assert.ok(sent.length > 0 && sent.every((a) => a !== undefined && a !== `Bearer ${bearer}`));
    const upstreamToken = (sent.at(-1) as string).slice("Bearer ".length);
    const keys = createRemoteJWKSet(new URL(`${gw.origin}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(upstreamToken, keys, { issuer: AUDIENCE, audience: minted.url });
    assert.equal(payload.sub, "alice");
    assert.deepEqual(payload.groups, ["eng"]);
    assert.equal(payload.client_id, "claude");
    assert.deepEqual(payload.act, { sub: "agent-7" });
    assert.ok((payload.exp ?? 0) - (payload.iat ?? 0) === 60);
  });
});

describe("team profiles of the example policy, from the token's groups", () => {
  it("shows support and engineering different demo tools", async () => {
    const dir = tempDir("portcullis-auth-teams-");
    const idp = await startTestIdp();
    const demo = await demoHttp();
    const gw = await startTestGateway(dir.path, {
      policy: { bundle: "policies/example" },
      upstreams: [{ name: "demo", url: demo.url }],
      auth: { issuer: idp.issuer, audience: AUDIENCE, jwks_uri: idp.jwksUri },
    });
    try {
      const toolsOf = async (groups: string[]) => {
        const bearer = {
          authorization: `Bearer ${await idp.mint(AUDIENCE, { sub: groups.join(), claims: { groups } })}`,
        };
        const init = await postMcp(gw.url, initializeBody(), bearer);
        const sessionId = init.headers["mcp-session-id"] as string;
        const list = await postMcp(
          gw.url,
          { jsonrpc: "2.0", id: 2, method: "tools/list" },
          { "mcp-session-id": sessionId, ...bearer },
        );
        return ((list.json?.result as { tools: Array<{ name: string }> } | undefined)?.tools ?? [])
          .map((t) => t.name)
          .sort();
      };
      const support = await toolsOf(["support"]);
      const engineering = await toolsOf(["engineering"]);
      assert.deepEqual(support, ["demo__create_note", "demo__read_note", "demo__search_notes"]);
      assert.ok(engineering.length > support.length, String(engineering));
      assert.deepEqual(await toolsOf(["nobody-knows-this-group"]), []);
    } finally {
      await gw.close();
      await demo.close();
      await idp.close();
      dir.remove();
    }
  });
});

describe("auth: none", () => {
  it("keeps the loopback gateway anonymous and serves no metadata", async () => {
    const dir = tempDir("portcullis-auth-none-");
    const demo: DemoHttpServer = await demoHttp();
    const gw = await startTestGateway(dir.path, { upstreams: [{ name: "demo", url: demo.url }] });
    try {
      const response = await postMcp(gw.url, initializeBody());
      assert.equal(response.status, 200);
      const metadata = await rawRequest(`${gw.origin}/.well-known/oauth-protected-resource`);
      assert.equal(metadata.status, 404);
    } finally {
      await gw.close();
      await demo.close();
      dir.remove();
    }
  });
});
