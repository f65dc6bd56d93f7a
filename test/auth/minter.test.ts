/** Upstream tokens: signed by the gateway's key, verifiable with its JWKS, right iss/aud/sub/act, cached. */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { type MintIdentity, UpstreamTokenMinter } from "../../src/auth/minter.js";
import { tempDir } from "../http/harness.js";

const ISSUER = "https://gw.example.com/mcp";
const ALICE: MintIdentity = {
  subject: "alice",
  groups: ["sales"],
  client_id: "claude",
  delegation: [{ sub: "agent-2", client_id: "orchestrator" }, { sub: "agent-1" }],
  issuer: "https://idp.example.com",
  email: "alice@example.com",
  name: "Alice",
};

describe("UpstreamTokenMinter", () => {
  const dir = tempDir("portcullis-minter-");
  after(() => dir.remove());

  it("mints a short-lived token that verifies against the published JWKS", async () => {
    const minter = await UpstreamTokenMinter.create(ISSUER);
    const token = await minter.tokenFor(ALICE, { upstream: "crm", audience: "https://crm.internal/mcp", ttlS: 60 });
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(minter.jwks), {
      issuer: ISSUER,
      audience: "https://crm.internal/mcp",
    });
    assert.equal(protectedHeader.alg, "ES256");
    assert.equal(protectedHeader.typ, "at+jwt");
    assert.equal(payload.sub, "alice");
    assert.deepEqual(payload.groups, ["sales"]);
    assert.equal(payload.client_id, "claude");
    assert.deepEqual(payload.act, { sub: "agent-2", client_id: "orchestrator", act: { sub: "agent-1" } });
    assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 60);
    assert.equal(minter.jwks.keys.length, 1);
    assert.equal(minter.jwks.keys[0]?.d, undefined, "no private part in the JWKS");
  });

  it("caches per identity and upstream", async () => {
    const minter = await UpstreamTokenMinter.create(ISSUER);
    const target = { upstream: "crm", audience: "https://crm.internal/mcp", ttlS: 60 };
    const first = await minter.tokenFor(ALICE, target);
    assert.equal(await minter.tokenFor(ALICE, target), first);
    assert.notEqual(await minter.tokenFor({ ...ALICE, subject: "bob" }, target), first);
    assert.notEqual(await minter.tokenFor(ALICE, { ...target, upstream: "erp", audience: "https://erp" }), first);
    assert.notEqual(await minter.tokenFor({ ...ALICE, groups: ["eng"] }, target), first);
  });

  it("signs with a configured RSA key file", async () => {
    const file = join(dir.path, "key.pem");
    writeFileSync(
      file,
      generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }),
    );
    const minter = await UpstreamTokenMinter.create(ISSUER, file);
    const token = await minter.tokenFor(ALICE, { upstream: "u", audience: "https://u", ttlS: 30 });
    assert.equal(decodeProtectedHeader(token).alg, "RS256");
    await jwtVerify(token, createLocalJWKSet(minter.jwks), { issuer: ISSUER, audience: "https://u" });
  });

  it("refuses a key file that is not a private key", async () => {
    const file = join(dir.path, "bad.pem");
    writeFileSync(file, "not a key");
    await assert.rejects(UpstreamTokenMinter.create(ISSUER, file), /not a private key/);
  });
});
