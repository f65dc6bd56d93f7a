/**
 * Bearer token authentication against the in-process test IdP: valid JWTs (RSA and EC, discovery
 * of jwks_uri), every attack the resource server must refuse, the verified-token cache, required
 * scopes, revocation, and RFC 7662 introspection of opaque tokens.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Authenticator, type AuthOutcome, hasQueryToken } from "../../src/auth/authenticator.js";
import { RevocationList } from "../../src/auth/revocations.js";
import { type AuthConfig, authSchema } from "../../src/config/auth.js";
import { INTROSPECTION_CLIENT, startTestIdp, type TestIdp } from "../fixtures/auth/idp.js";

const AUDIENCE = "https://gateway.test/mcp";
const URL_PATH = "/mcp";

function authConfig(idp: TestIdp, extra: Record<string, unknown> = {}): AuthConfig {
  return authSchema.parse({ issuer: idp.issuer, audience: AUDIENCE, clock_tolerance_s: 0, ...extra }) as AuthConfig;
}

function reasonOf(outcome: AuthOutcome): string {
  assert.ok(outcome.kind === "unauthenticated", `expected unauthenticated, got ${JSON.stringify(outcome)}`);
  return outcome.reason;
}

describe("Authenticator", () => {
  let idp: TestIdp;
  let auth: Authenticator;
  const bearer = (token: string) => `Bearer ${token}`;

  before(async () => {
    idp = await startTestIdp();
    auth = new Authenticator(authConfig(idp), new RevocationList());
  });
  after(() => idp.close());

  it("accepts a valid RS256 token, discovering jwks_uri from the issuer's metadata", async () => {
    const token = await idp.mint(AUDIENCE, { claims: { groups: ["sales"], scope: "mcp:tools", client_id: "cli" } });
    const outcome = await auth.authenticate(bearer(token), URL_PATH);
    assert.equal(outcome.kind, "ok");
    assert.ok(outcome.kind === "ok");
    assert.equal(outcome.identity.subject, "alice");
    assert.deepEqual(outcome.identity.groups, ["sales"]);
    assert.deepEqual(outcome.identity.scopes, ["mcp:tools"]);
    assert.equal(outcome.identity.client_id, "cli");
    assert.equal(outcome.identity.issuer, idp.issuer);
    assert.equal(idp.hits.get("/.well-known/oauth-authorization-server"), 1);
  });

  it("accepts a valid ES256 token", async () => {
    const outcome = await auth.authenticate(bearer(await idp.mint(AUDIENCE, { alg: "ES256", sub: "bob" })), URL_PATH);
    assert.ok(outcome.kind === "ok");
    assert.equal(outcome.identity.subject, "bob");
  });

  const attacks: Array<[string, () => Promise<{ header: string | undefined; url?: string }>, RegExp]> = [
    ["no token", async () => ({ header: undefined }), /no bearer token/],
    ["garbage", async () => ({ header: "Bearer not-a-token" }), /malformed token/],
    ["not a Bearer header", async () => ({ header: "Basic YWxpY2U6cHc=" }), /not a Bearer token/],
    ["a wrong signature", async () => ({ header: bearer(await idp.forged(AUDIENCE)) }), /bad signature/],
    [
      "a wrong issuer",
      async () => ({ header: bearer(await idp.mint(AUDIENCE, { iss: "https://evil.test" })) }),
      /another issuer/,
    ],
    [
      "a token for another resource",
      async () => ({ header: bearer(await idp.mint("https://other.test/mcp")) }),
      /not for this resource/,
    ],
    ["an expired token", async () => ({ header: bearer(await idp.mint(AUDIENCE, { expiresIn: -10 })) }), /expired/],
    ["alg none", async () => ({ header: bearer(idp.unsigned(AUDIENCE)) }), /algorithm none is not allowed/],
    [
      "HS256 signed with the RSA public key",
      async () => ({ header: bearer(await idp.hsConfusion(AUDIENCE)) }),
      /algorithm HS256 is not allowed/,
    ],
    [
      "a token in the query string",
      async () => ({ header: undefined, url: `/mcp?access_token=${await idp.mint(AUDIENCE)}` }),
      /query string/,
    ],
    [
      "a valid token also in the query string",
      async () => {
        const token = await idp.mint(AUDIENCE);
        return { header: bearer(token), url: `/mcp?x=1&access_token=${token}` };
      },
      /query string/,
    ],
    ["an oversized header", async () => ({ header: `Bearer ${"a".repeat(9000)}` }), /too long/],
  ];
  for (const [name, make, reason] of attacks) {
    it(`refuses ${name}`, async () => {
      const { header, url } = await make();
      assert.match(reasonOf(await auth.authenticate(header, url ?? URL_PATH)), reason);
    });
  }

  it("refuses a token without exp", async () => {
    // jose's SignJWT only sets exp when asked: mint one without it.
    const token = await idp.mint(AUDIENCE, { claims: { exp: undefined } });
    assert.match(reasonOf(await auth.authenticate(bearer(token), URL_PATH)), /exp/);
  });

  it("rate-limits JWKS refetches under an unknown-kid flood", async () => {
    const before = idp.hits.get("/jwks") ?? 0;
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, async (_, i) =>
        auth.authenticate(bearer(await idp.mint(AUDIENCE, { kid: `unknown-${i}` })), URL_PATH),
      ),
    );
    for (const outcome of outcomes) assert.match(reasonOf(outcome), /no key/);
    // Within the cooldown (30 s by default) no fetch at all follows the first one.
    assert.ok((idp.hits.get("/jwks") ?? 0) - before <= 1, `fetches: ${idp.hits.get("/jwks")}`);
  });

  it("caches verified tokens by hash, and still refuses them once expired", async () => {
    const config = authConfig(idp, { jwks_uri: idp.jwksUri });
    const cached = new Authenticator(config, new RevocationList());
    const token = await idp.mint(AUDIENCE, { expiresIn: 2 });
    const first = await cached.authenticate(bearer(token), URL_PATH);
    assert.equal(first.kind, "ok");
    const started = performance.now();
    for (let i = 0; i < 1000; i++) assert.equal((await cached.authenticate(bearer(token), URL_PATH)).kind, "ok");
    const perCall = (performance.now() - started) / 1000;
    assert.ok(perCall < 0.2, `a cached check takes ${perCall} ms`);
    await new Promise((r) => setTimeout(r, 2100));
    assert.match(reasonOf(await cached.authenticate(bearer(token), URL_PATH)), /expired/);
  });

  it("checks required scopes and revocations on every request, cached or not", async () => {
    const revocations = new RevocationList();
    const scoped = new Authenticator(authConfig(idp, { required_scopes: ["mcp:tools"] }), revocations);
    const without = await scoped.authenticate(bearer(await idp.mint(AUDIENCE, { sub: "dave" })), URL_PATH);
    assert.equal(without.kind, "insufficient_scope");
    assert.ok(without.kind === "insufficient_scope");
    assert.deepEqual(without.scopes, ["mcp:tools"]);
    const token = await idp.mint(AUDIENCE, { sub: "erin", claims: { scope: "mcp:tools", client_id: "bot" } });
    assert.equal((await scoped.authenticate(bearer(token), URL_PATH)).kind, "ok");
    revocations.add({ client_id: "bot" });
    assert.equal((await scoped.authenticate(bearer(token), URL_PATH)).kind, "revoked");
    revocations.remove({ client_id: "bot" });
    revocations.add({ subject: "erin" });
    assert.equal((await scoped.authenticate(bearer(token), URL_PATH)).kind, "revoked");
    revocations.remove({ subject: "erin" });
    assert.equal((await scoped.authenticate(bearer(token), URL_PATH)).kind, "ok");
  });

  it("requires typ at+jwt when configured", async () => {
    const strict = new Authenticator(
      authConfig(idp, { require_at_jwt: true, jwks_uri: idp.jwksUri }),
      new RevocationList(),
    );
    assert.match(reasonOf(await strict.authenticate(bearer(await idp.mint(AUDIENCE)), URL_PATH)), /at\+jwt/);
    const ok = await strict.authenticate(bearer(await idp.mint(AUDIENCE, { typ: "at+jwt" })), URL_PATH);
    assert.equal(ok.kind, "ok");
  });

  it("fails closed with 'unavailable' when the keys cannot be fetched", async () => {
    const down = new Authenticator(
      authConfig(idp, { jwks_uri: "http://127.0.0.1:9/jwks", jwks: { timeout_ms: 500 } }),
      new RevocationList(),
    );
    const outcome = await down.authenticate(bearer(await idp.mint(AUDIENCE)), URL_PATH);
    assert.equal(outcome.kind, "unavailable");
  });

  it("introspects opaque tokens (RFC 7662) and refuses inactive or foreign ones", async () => {
    const config = authConfig(idp, {
      jwks_uri: idp.jwksUri,
      introspection: { url: idp.introspectionUrl, client_id: INTROSPECTION_CLIENT.id, client_secret_env: "UNUSED" },
    });
    const introspecting = new Authenticator(config, new RevocationList(), INTROSPECTION_CLIENT.secret);
    const now = Math.floor(Date.now() / 1000);
    const good = idp.opaque({
      sub: "frank",
      aud: AUDIENCE,
      iss: idp.issuer,
      exp: now + 60,
      scope: "a b",
      groups: ["eng"],
    });
    const outcome = await introspecting.authenticate(bearer(good), URL_PATH);
    assert.ok(outcome.kind === "ok", JSON.stringify(outcome));
    assert.equal(outcome.identity.subject, "frank");
    assert.deepEqual(outcome.identity.scopes, ["a", "b"]);
    assert.match(reasonOf(await introspecting.authenticate(bearer("unknown-opaque-token"), URL_PATH)), /not active/);
    const foreign = idp.opaque({ sub: "frank", aud: "https://other.test", exp: now + 60 });
    assert.match(reasonOf(await introspecting.authenticate(bearer(foreign), URL_PATH)), /not for this resource/);
    const expired = idp.opaque({ sub: "frank", exp: now - 5 });
    assert.match(reasonOf(await introspecting.authenticate(bearer(expired), URL_PATH)), /expired/);
    // JWTs still go to signature verification in the default mode.
    assert.equal((await introspecting.authenticate(bearer(await idp.mint(AUDIENCE)), URL_PATH)).kind, "ok");
  });

  it("detects access_token in the query string only as a parameter", () => {
    assert.equal(hasQueryToken("/mcp?access_token=x"), true);
    assert.equal(hasQueryToken("/mcp?a=1&access_token="), true);
    assert.equal(hasQueryToken("/mcp?my_access_token=x"), false);
    assert.equal(hasQueryToken("/mcp"), false);
  });
});
