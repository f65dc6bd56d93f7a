/**
 * End-to-end: an upstream configured with `identity: { exchange }` receives a token the
 * authorization server issued for it in exchange for the caller's (RFC 8693), never the caller's
 * own; exchanges are cached per caller token; a refused exchange fails the call without reaching
 * the upstream.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseConfig } from "../../src/config/load.js";
import { INTROSPECTION_CLIENT, startTestIdp, type TestIdp } from "../fixtures/auth/idp.js";
import type { ProbeEvent, ProbeHttpServer } from "../fixtures/gateway/probe-server.js";
import {
  bearerSession,
  postToolCall,
  probeHttp,
  REPO,
  rpcError,
  startTestGateway,
  type TestGateway,
  tempDir,
  waitFor,
} from "./harness.js";

const AUDIENCE = "https://portcullis.test/mcp";

describe("RFC 8693 token exchange for upstreams", () => {
  const dir = tempDir("portcullis-exchange-");
  let idp: TestIdp;
  let exchanged: ProbeHttpServer;
  let refused: ProbeHttpServer;
  let gw: TestGateway;
  const exchangedEvents: ProbeEvent[] = [];
  const refusedEvents: ProbeEvent[] = [];

  before(async () => {
    idp = await startTestIdp();
    exchanged = await probeHttp((e) => exchangedEvents.push(e), { jsonResponse: true });
    refused = await probeHttp((e) => refusedEvents.push(e), { jsonResponse: true });
    const secret = join(dir.path, "exchange-secret");
    const wrongSecret = join(dir.path, "wrong-secret");
    writeFileSync(secret, `${INTROSPECTION_CLIENT.secret}\n`);
    writeFileSync(wrongSecret, "not-the-secret\n");
    const exchange = (file: string) => ({
      exchange: { client_id: INTROSPECTION_CLIENT.id, client_secret_file: file, scope: "crm:read" },
    });
    gw = await startTestGateway(dir.path, {
      policy: { bundle: "test/fixtures/auth/policy" },
      upstreams: [
        { name: "crm", url: exchanged.url, identity: exchange(secret) },
        { name: "refused", url: refused.url, identity: exchange(wrongSecret) },
      ],
      auth: { issuer: idp.issuer, audience: AUDIENCE },
    });
  });
  after(async () => {
    await gw.close();
    await Promise.all([exchanged.close(), refused.close(), idp.close()]);
    dir.remove();
  });

  const session = (bearer: string) => bearerSession(gw.url, bearer);
  const call = (sessionId: string, bearer: string, name: string) =>
    postToolCall(gw.url, sessionId, { authorization: `Bearer ${bearer}` }, name, { text: "x" }, 3);

  it("sends the exchanged token upstream, never the caller's, and exchanges once per caller token", async () => {
    const bearer = await idp.mint(AUDIENCE, { sub: "alice", claims: { groups: ["eng"] } });
    const sessionId = await session(bearer);
    for (let i = 0; i < 3; i++) {
      const response = await call(sessionId, bearer, "crm__echo");
      assert.equal(response.status, 200, response.text);
      assert.equal(JSON.parse(response.text).error, undefined, response.text);
    }
    const sent = exchangedEvents.filter((e) => e.method === "tools/call").map((e) => e.authorization);
    assert.equal(sent.length, 3);
    assert.ok(
      sent.every((a) => a?.startsWith(`Bearer exchanged.${exchanged.url}.`)),
      String(sent),
    );
    assert.ok(!sent.includes(`Bearer ${bearer}`));
    const mine = idp.exchanges.filter((f) => f.subject_token === bearer);
    assert.equal(mine.length, 1, "the exchanged token is cached until it expires");
    assert.deepEqual(
      { ...mine[0], subject_token: "(the caller's token)" },
      {
        grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
        subject_token: "(the caller's token)",
        subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
        requested_token_type: "urn:ietf:params:oauth:token-type:access_token",
        audience: exchanged.url,
        scope: "crm:read",
      },
    );
  });

  it("keeps an upstream whose exchange is refused out of reach: it sees no request at all", async () => {
    const bearer = await idp.mint(AUDIENCE, { sub: "bob" });
    const sessionId = await session(bearer);
    // The session's connection to the upstream needs the exchanged token from its first request on.
    const response = await call(sessionId, bearer, "refused__echo");
    assert.match(rpcError(response).message, /unknown tool: refused__echo \(unavailable upstreams: refused\)/);
    assert.deepEqual(refusedEvents, [], "nothing reached the upstream without its token");
    // The IdP was asked (and refused the gateway's client): more /token hits than granted exchanges.
    assert.ok((idp.hits.get("/token") ?? 0) > idp.exchanges.length);
    const record = await waitFor("the audit record of the refused call", () =>
      gw.auditRecords().find((r) => r.method === "tools/call" && r.session_id === sessionId),
    );
    assert.equal(record.outcome, "error");
  });

  it("refuses an exchange without a client secret source at config load", () => {
    const parse = () =>
      parseConfig(
        {
          policy: { bundle: "policies/allow-all" },
          upstreams: [{ name: "crm", url: "http://127.0.0.1:9/mcp", identity: { exchange: { client_id: "gw" } } }],
          auth: { issuer: "https://idp.test", audience: AUDIENCE },
        },
        { baseDir: REPO, env: {} },
      );
    assert.throws(parse, /upstreams\.0\.identity.*needs exactly one of client_secret_env or client_secret_file/s);
  });
});
