/**
 * The development identity provider (src/devidp/) over real HTTP: discovery, dynamic client
 * registration, client credentials, authorization code + PKCE with the login and consent forms
 * answered programmatically, refresh token rotation, the groups claim per user, and the refusals
 * (bad PKCE verifier, missing PKCE, unknown resource, wrong password, non-loopback listen).
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { MemoryStore } from "../../src/devidp/adapter.js";
import { completeAuthorization, HeadlessLoginError } from "../../src/devidp/headless-login.js";
import { DevIdpOptionError } from "../../src/devidp/options.js";
import { type RunningDevIdp, startDevIdp } from "../../src/devidp/server.js";
import { DEFAULT_USERS, DevIdpUsersError, loadUsersFile, parseUsers } from "../../src/devidp/users.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const RESOURCE = "http://127.0.0.1:8080/mcp";
const OTHER_RESOURCE = "http://127.0.0.1:8081/mcp";
const REDIRECT = "http://127.0.0.1:5555/callback";

interface Metadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  registration_endpoint: string;
  jwks_uri: string;
  code_challenge_methods_supported: string[];
  grant_types_supported: string[];
  scopes_supported: string[];
  claims_supported: string[];
}

interface TokenResponse {
  access_token?: string;
  refresh_token?: string;
  id_token?: string;
  scope?: string;
  expires_in?: number;
  token_type?: string;
  error?: string;
  error_description?: string;
}

let idp: RunningDevIdp;
let meta: Metadata;
let jwks: ReturnType<typeof createRemoteJWKSet>;

before(async () => {
  idp = await startDevIdp({ port: 0, resources: [RESOURCE, OTHER_RESOURCE] });
  meta = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as Metadata;
  jwks = createRemoteJWKSet(new URL(meta.jwks_uri));
});

after(async () => {
  await idp.close();
});

async function register(body: Record<string, unknown>): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(meta.registration_endpoint, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** A public client as an MCP client registers itself (no secret, code + refresh). */
async function registerPublicClient(): Promise<string> {
  const { status, json } = await register({
    client_name: "dev-idp test",
    redirect_uris: [REDIRECT],
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    token_endpoint_auth_method: "none",
    scope: "openid profile email groups mcp:tools mcp:read",
  });
  assert.equal(status, 201, JSON.stringify(json));
  return json.client_id as string;
}

async function token(
  params: Record<string, string>,
  basic?: [string, string],
): Promise<{ status: number; body: TokenResponse }> {
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  if (basic) headers.authorization = `Basic ${Buffer.from(`${basic[0]}:${basic[1]}`).toString("base64")}`;
  const response = await fetch(meta.token_endpoint, { method: "POST", headers, body: new URLSearchParams(params) });
  return { status: response.status, body: (await response.json()) as TokenResponse };
}

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

function authorizationUrl(clientId: string, challenge: string | undefined, scope: string, state: string): URL {
  const url = new URL(meta.authorization_endpoint);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("client_id", clientId);
  url.searchParams.set("redirect_uri", REDIRECT);
  url.searchParams.set("scope", scope);
  url.searchParams.set("state", state);
  url.searchParams.set("resource", RESOURCE);
  if (challenge !== undefined) {
    url.searchParams.set("code_challenge", challenge);
    url.searchParams.set("code_challenge_method", "S256");
  }
  return url;
}

/** Signs `username` in through the forms and returns the code and the verifier. */
async function signIn(
  clientId: string,
  username: string,
  scope = "openid profile email groups mcp:tools",
): Promise<{ code: string; verifier: string }> {
  const { verifier, challenge } = pkce();
  const state = randomBytes(8).toString("hex");
  const back = await completeAuthorization(authorizationUrl(clientId, challenge, scope, state), {
    username,
    password: username,
  });
  assert.equal(`${back.origin}${back.pathname}`, REDIRECT);
  assert.equal(back.searchParams.get("state"), state);
  assert.equal(back.searchParams.get("iss"), idp.issuer, "RFC 9207 iss in the authorization response");
  const code = back.searchParams.get("code");
  assert.ok(code, `a code in ${back.href}`);
  return { code, verifier };
}

async function exchange(clientId: string, code: string, verifier: string) {
  return token({
    grant_type: "authorization_code",
    code,
    code_verifier: verifier,
    redirect_uri: REDIRECT,
    client_id: clientId,
  });
}

async function verifyAccessToken(jwt: string, audience = RESOURCE) {
  const { payload, protectedHeader } = await jwtVerify(jwt, jwks, {
    issuer: idp.issuer,
    audience,
    typ: "at+jwt",
    algorithms: ["RS256"],
  });
  return { payload, protectedHeader };
}

describe("dev-idp discovery", () => {
  it("publishes OpenID/OAuth metadata with PKCE S256 only, the grants and the scopes", async () => {
    assert.equal(meta.issuer, idp.issuer);
    assert.match(idp.issuer, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual(meta.code_challenge_methods_supported, ["S256"]);
    for (const grant of ["authorization_code", "refresh_token", "client_credentials"]) {
      assert.ok(meta.grant_types_supported.includes(grant), grant);
    }
    for (const scope of ["openid", "profile", "email", "groups", "mcp:tools", "mcp:read", "mcp:write"]) {
      assert.ok(meta.scopes_supported.includes(scope), scope);
    }
    assert.ok(meta.claims_supported.includes("groups"));
    assert.equal(meta.registration_endpoint, `${idp.issuer}/reg`);
    // RFC 8414 path: what MCP clients try first.
    const oauth = (await (await fetch(`${idp.issuer}/.well-known/oauth-authorization-server`)).json()) as Metadata;
    assert.equal(oauth.issuer, idp.issuer);
    assert.equal(oauth.token_endpoint, meta.token_endpoint);
    const keys = (await (await fetch(meta.jwks_uri)).json()) as { keys: Array<Record<string, unknown>> };
    assert.equal(keys.keys.length, 1);
    assert.equal(keys.keys[0]?.kty, "RSA");
    assert.equal(keys.keys[0]?.d, undefined, "no private part in the JWKS");
  });
});

describe("dev-idp dynamic client registration", () => {
  it("registers a public client without a secret and a confidential one with a secret", async () => {
    const pub = await register({
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code", "refresh_token"],
    });
    assert.equal(pub.status, 201);
    assert.equal(typeof pub.json.client_id, "string");
    assert.equal(pub.json.client_secret, undefined);
    const conf = await register({ grant_types: ["client_credentials"], response_types: [], redirect_uris: [] });
    assert.equal(conf.status, 201, JSON.stringify(conf.json));
    assert.equal(typeof conf.json.client_secret, "string");
    assert.equal(conf.json.token_endpoint_auth_method, "client_secret_basic");
  });

  it("lets browser clients on loopback origins register (CORS), and no one else", async () => {
    const preflight = await fetch(meta.registration_endpoint, {
      method: "OPTIONS",
      headers: { origin: "http://localhost:6274", "access-control-request-method": "POST" },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get("access-control-allow-origin"), "http://localhost:6274");
    assert.match(preflight.headers.get("access-control-allow-methods") ?? "", /POST/);
    const fromPage = await fetch(meta.registration_endpoint, {
      method: "POST",
      headers: { "content-type": "application/json", origin: "http://localhost:6274" },
      body: JSON.stringify({
        redirect_uris: ["http://localhost:6274/oauth/callback"],
        token_endpoint_auth_method: "none",
      }),
    });
    assert.equal(fromPage.status, 201);
    assert.equal(fromPage.headers.get("access-control-allow-origin"), "http://localhost:6274");
    const foreign = await fetch(meta.registration_endpoint, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    assert.equal(foreign.headers.get("access-control-allow-origin"), null);
  });

  it("rejects a scope the provider does not know", async () => {
    const bad = await register({ redirect_uris: [REDIRECT], scope: "mcp:tools admin:everything" });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error, "invalid_client_metadata");
  });
});

describe("dev-idp client credentials", () => {
  let clientId: string;
  let secret: string;
  before(async () => {
    const { json } = await register({
      grant_types: ["client_credentials"],
      response_types: [],
      redirect_uris: [],
      scope: "mcp:tools mcp:read",
    });
    clientId = json.client_id as string;
    secret = json.client_secret as string;
  });

  it("issues a JWT access token for the requested resource, verifiable with the JWKS", async () => {
    const { status, body } = await token(
      { grant_type: "client_credentials", scope: "mcp:tools", resource: OTHER_RESOURCE },
      [clientId, secret],
    );
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.token_type, "Bearer");
    assert.equal(body.scope, "mcp:tools");
    assert.equal(body.expires_in, 900);
    assert.ok(body.access_token);
    const { payload, protectedHeader } = await verifyAccessToken(body.access_token, OTHER_RESOURCE);
    assert.equal(protectedHeader.alg, "RS256");
    assert.equal(payload.aud, OTHER_RESOURCE);
    assert.equal(payload.sub, clientId);
    assert.equal(payload.client_id, clientId);
    assert.equal(payload.scope, "mcp:tools");
    assert.equal(payload.groups, undefined, "no user, no groups");
  });

  it("uses the first configured resource when the client names none", async () => {
    const { status, body } = await token({ grant_type: "client_credentials", scope: "mcp:read" }, [clientId, secret]);
    assert.equal(status, 200, JSON.stringify(body));
    const { payload } = await verifyAccessToken(body.access_token as string, RESOURCE);
    assert.equal(payload.aud, RESOURCE);
  });

  it("refuses a resource it does not serve and a wrong secret", async () => {
    const unknown = await token(
      { grant_type: "client_credentials", scope: "mcp:tools", resource: "http://127.0.0.1:9999/mcp" },
      [clientId, secret],
    );
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error, "invalid_target");
    const wrong = await token({ grant_type: "client_credentials", scope: "mcp:tools" }, [clientId, "nope"]);
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error, "invalid_client");
  });
});

describe("dev-idp authorization code + PKCE", () => {
  let clientId: string;
  before(async () => {
    clientId = await registerPublicClient();
  });

  it("signs alice in through the forms and issues a JWT access token and an ID token with her groups", async () => {
    const { code, verifier } = await signIn(clientId, "alice");
    const { status, body } = await exchange(clientId, code, verifier);
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.scope, "mcp:tools");
    const { payload } = await verifyAccessToken(body.access_token as string);
    assert.equal(payload.iss, idp.issuer);
    assert.equal(payload.aud, RESOURCE);
    assert.equal(payload.sub, "alice");
    assert.equal(payload.client_id, clientId);
    assert.equal(payload.scope, "mcp:tools");
    assert.deepEqual(payload.groups, ["engineering"]);
    assert.equal(payload.email, "alice@example.com");
    assert.equal(payload.name, "Alice Engineer");
    assert.ok(typeof payload.exp === "number" && typeof payload.iat === "number" && payload.exp - payload.iat === 900);
    assert.ok(body.id_token);
    assert.equal(decodeProtectedHeader(body.id_token).alg, "RS256");
    const id = await jwtVerify(body.id_token, jwks, { issuer: idp.issuer, audience: clientId });
    assert.equal(id.payload.sub, "alice");
    assert.deepEqual(id.payload.groups, ["engineering"]);
    assert.equal(id.payload.email, "alice@example.com");
  });

  const GROUPS: Array<[string, string[]]> = DEFAULT_USERS.map((u) => [u.username, u.groups]);
  for (const [username, groups] of GROUPS) {
    it(`puts ${username}'s groups (${groups.join(", ") || "none"}) into the access token`, async () => {
      const { code, verifier } = await signIn(clientId, username, "mcp:tools");
      const { status, body } = await exchange(clientId, code, verifier);
      assert.equal(status, 200, JSON.stringify(body));
      const { payload } = await verifyAccessToken(body.access_token as string);
      assert.equal(payload.sub, username);
      assert.deepEqual(payload.groups, groups);
      assert.equal(body.id_token, undefined, "no openid scope, no ID token");
    });
  }

  it("refuses a code exchanged with the wrong or no PKCE verifier; a code is used once", async () => {
    const { code, verifier } = await signIn(clientId, "bob");
    const bad = await exchange(clientId, code, pkce().verifier);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error, "invalid_grant");
    assert.equal(bad.body.access_token, undefined);
    const missing = await token({
      grant_type: "authorization_code",
      code,
      redirect_uri: REDIRECT,
      client_id: clientId,
    });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.access_token, undefined);
    // Without the verifier the code is useless; the client holding it still completes the flow, once.
    const good = await exchange(clientId, code, verifier);
    assert.equal(good.status, 200, JSON.stringify(good.body));
    const replay = await exchange(clientId, code, verifier);
    assert.equal(replay.status, 400);
    assert.equal(replay.body.error, "invalid_grant");
  });

  it("grants the resource scopes to an authorization request without scope (a gateway that advertises none)", async () => {
    const { verifier, challenge } = pkce();
    const url = authorizationUrl(clientId, challenge, "", "s0");
    url.searchParams.delete("scope");
    const back = await completeAuthorization(url, { username: "bob", password: "bob" });
    const code = back.searchParams.get("code");
    assert.ok(code, back.href);
    const { status, body } = await exchange(clientId, code, verifier);
    assert.equal(status, 200, JSON.stringify(body));
    const { payload } = await verifyAccessToken(body.access_token as string);
    assert.equal(payload.scope, "mcp:tools mcp:read", "the resource scopes the client registered for");
    assert.deepEqual(payload.groups, ["support"]);
  });

  it("answers an authorization request for an unknown client with an error page, not a redirect", async () => {
    const url = authorizationUrl("no-such-client", pkce().challenge, "mcp:tools", "s4");
    url.searchParams.set("redirect_uri", "https://attacker.example/<script>");
    const response = await fetch(url, { redirect: "manual" });
    assert.equal(response.status, 400);
    assert.equal(response.headers.get("location"), null);
    const html = await response.text();
    assert.match(html, /invalid_client/);
    assert.match(html, /Development identity provider/);
    assert.doesNotMatch(html, /<script>/);
  });

  it("refuses an authorization request without a code challenge (PKCE is required)", async () => {
    const { json } = await register({
      redirect_uris: [REDIRECT],
      grant_types: ["authorization_code"],
      token_endpoint_auth_method: "client_secret_basic",
    });
    const response = await fetch(authorizationUrl(json.client_id as string, undefined, "mcp:tools", "s1"), {
      redirect: "manual",
    });
    assert.equal(response.status, 303);
    const location = new URL(response.headers.get("location") as string);
    assert.equal(`${location.origin}${location.pathname}`, REDIRECT);
    assert.equal(location.searchParams.get("error"), "invalid_request");
    assert.match(location.searchParams.get("error_description") ?? "", /requires PKCE/);
  });

  it("shows the login form again on a wrong password, and denies when the user declines consent", async () => {
    const { challenge } = pkce();
    await assert.rejects(
      completeAuthorization(authorizationUrl(clientId, challenge, "mcp:tools", "s2"), {
        username: "alice",
        password: "wrong",
      }),
      (e: unknown) => e instanceof HeadlessLoginError && e.status === 401 && /wrong password/.test(e.message),
    );
    const back = await completeAuthorization(authorizationUrl(clientId, challenge, "mcp:tools", "s3"), {
      username: "carol",
      password: "carol",
      consent: "deny",
    });
    assert.equal(back.searchParams.get("error"), "access_denied");
    assert.equal(back.searchParams.get("state"), "s3");
    assert.equal(back.searchParams.get("code"), null);
  });

  it("rotates refresh tokens: a new one on every use, the old one refused afterwards", async () => {
    const { code, verifier } = await signIn(clientId, "erin", "mcp:tools");
    const first = await exchange(clientId, code, verifier);
    assert.equal(first.status, 200);
    const rt1 = first.body.refresh_token;
    assert.ok(rt1, "a refresh token for a client registered for refresh_token");
    const second = await token({ grant_type: "refresh_token", refresh_token: rt1, client_id: clientId });
    assert.equal(second.status, 200, JSON.stringify(second.body));
    const rt2 = second.body.refresh_token;
    assert.ok(rt2);
    assert.notEqual(rt2, rt1);
    const { payload } = await verifyAccessToken(second.body.access_token as string);
    assert.equal(payload.aud, RESOURCE, "the refreshed token keeps the granted audience");
    assert.deepEqual(payload.groups, ["notes-admins"]);
    const replay = await token({ grant_type: "refresh_token", refresh_token: rt1, client_id: clientId });
    assert.equal(replay.status, 400);
    assert.equal(replay.body.error, "invalid_grant");
  });
});

describe("dev-idp options and users", () => {
  it("refuses to listen beyond loopback unless allowed", async () => {
    await assert.rejects(startDevIdp({ host: "0.0.0.0", port: 0 }), /loopback-only/);
    await assert.rejects(startDevIdp({ host: "0.0.0.0", port: 0, allowRemote: true }), /needs --issuer/);
    await assert.rejects(startDevIdp({ port: 0, issuer: "http://127.0.0.1:1/x?y" }), DevIdpOptionError);
    await assert.rejects(startDevIdp({ port: 0, resources: ["not a url"] }), DevIdpOptionError);
  });

  it("uses a fixed issuer when given one", async () => {
    const fixed = await startDevIdp({ port: 0, issuer: "http://localhost:9400" });
    try {
      const m = (await (await fetch(`${fixed.url}/.well-known/openid-configuration`)).json()) as Metadata;
      assert.equal(m.issuer, "http://localhost:9400");
      assert.equal(fixed.issuer, "http://localhost:9400");
    } finally {
      await fixed.close();
    }
  });

  it("loads a users file and rejects malformed ones with the path of the problem", () => {
    const dir = mkdtempSync(join(tmpdir(), "devidp-users-"));
    try {
      const good = join(dir, "users.yaml");
      writeFileSync(good, "users:\n  - username: zed\n    password: s3cret\n    groups: [finance]\n");
      assert.deepEqual(loadUsersFile(good), [
        { username: "zed", password: "s3cret", sub: "zed", email: "zed@example.com", name: "zed", groups: ["finance"] },
      ]);
      assert.throws(
        () => parseUsers({ users: [{ username: "Bad Name", password: "x" }] }, "f"),
        /f: users\.0\.username/,
      );
      assert.throws(
        () =>
          parseUsers({
            users: [
              { username: "a", password: "x" },
              { username: "a", password: "y" },
            ],
          }),
        /duplicate/,
      );
      assert.throws(() => parseUsers({ users: [] }), DevIdpUsersError);
      assert.throws(() => loadUsersFile(join(dir, "missing.yaml")), /cannot read/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps at most maxEntries per model in its store", async () => {
    const store = new MemoryStore(3);
    const Adapter = store.adapterClass();
    const clients = new Adapter("Client");
    for (let i = 0; i < 5; i++) await clients.upsert(`c${i}`, { i }, 0);
    assert.equal(store.size("Client"), 3);
    assert.equal(await clients.find("c0"), undefined, "the oldest were dropped");
    assert.deepEqual(await clients.find("c4"), { i: 4 });
    const codes = new Adapter("AuthorizationCode");
    await codes.upsert("x", { grantId: "g" }, 0.001);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(await codes.find("x"), undefined, "expired entries are gone");
  });
});

describe("portcullis dev-idp (CLI)", () => {
  function cli(...args: string[]) {
    return spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "dev-idp", ...args], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 60_000,
    });
  }

  it("prints the issuer, the users and how to get a token, serves discovery, and stops on SIGTERM", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "dev-idp", "--port", "0"], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
    });
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    try {
      const deadline = Date.now() + 60_000; // a cold tsx start on a loaded machine
      while (!/A machine token/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const issuer = /^issuer:\s+(\S+)$/m.exec(out)?.[1];
      assert.ok(issuer, out);
      assert.match(out, /DEVELOPMENT IDENTITY PROVIDER/);
      assert.match(out, /^ {2}alice\s+engineering$/m);
      assert.match(out, /^ {2}dave\s+\(no team\)$/m);
      assert.match(out, /grant_type=client_credentials/);
      const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as Metadata;
      assert.equal(discovery.issuer, issuer);
    } finally {
      child.kill("SIGTERM");
    }
    assert.equal(await exited, 0);
  });

  it("refuses a non-loopback address without --allow-remote (exit 2) and a bad users file (exit 1)", () => {
    const remote = cli("--host", "0.0.0.0", "--port", "0");
    assert.equal(remote.status, 2);
    assert.match(remote.stderr, /loopback-only/);
    const badUsers = cli("--users", "does-not-exist.yaml");
    assert.equal(badUsers.status, 1);
    assert.match(badUsers.stderr, /does-not-exist\.yaml: cannot read/);
    assert.doesNotMatch(badUsers.stderr, /\n\s+at /);
  });
});
