/** RFC 9728 metadata, its URL, WWW-Authenticate challenges and RFC 8414 discovery URLs. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { metadataUrls } from "../../src/auth/discovery.js";
import { metadataUrl, protectedResourceMetadata } from "../../src/auth/metadata.js";
import { bearerChallenge } from "../../src/auth/www-authenticate.js";
import { type AuthConfig, authSchema } from "../../src/config/auth.js";

describe("protected resource metadata", () => {
  it("lives at the well-known URL with the resource's path appended", () => {
    assert.equal(
      metadataUrl("https://gw.example.com/mcp"),
      "https://gw.example.com/.well-known/oauth-protected-resource/mcp",
    );
    assert.equal(metadataUrl("https://gw.example.com/"), "https://gw.example.com/.well-known/oauth-protected-resource");
  });

  it("names the resource, its authorization servers, scopes and bearer methods", () => {
    const config = authSchema.parse({
      issuer: "https://idp.example.com",
      audience: "https://gw.example.com/mcp",
      scopes: ["mcp:tools", "notes:write"],
      resource_name: "Portcullis",
    }) as AuthConfig;
    assert.deepEqual(protectedResourceMetadata(config, "https://gw.example.com/.well-known/jwks.json"), {
      resource: "https://gw.example.com/mcp",
      authorization_servers: ["https://idp.example.com"],
      jwks_uri: "https://gw.example.com/.well-known/jwks.json",
      scopes_supported: ["mcp:tools", "notes:write"],
      bearer_methods_supported: ["header"],
      resource_name: "Portcullis",
    });
  });
});

describe("bearerChallenge", () => {
  const resourceMetadata = "https://gw/.well-known/oauth-protected-resource/mcp";
  it("without a token: where the metadata is and which scopes to ask for, no error", () => {
    assert.equal(
      bearerChallenge({ resourceMetadata, scopes: ["a", "b"] }),
      'Bearer resource_metadata="https://gw/.well-known/oauth-protected-resource/mcp", scope="a b"',
    );
  });
  it("with a bad token: invalid_token and a description stripped of quotes and controls", () => {
    assert.equal(
      bearerChallenge({ resourceMetadata, scopes: [], error: "invalid_token", description: 'bad "x"\n' }),
      'Bearer resource_metadata="https://gw/.well-known/oauth-protected-resource/mcp", error="invalid_token", error_description="bad x"',
    );
  });
  it("for step-up: insufficient_scope with the scopes needed", () => {
    assert.match(
      bearerChallenge({ resourceMetadata, scopes: ["notes:write"], error: "insufficient_scope" }),
      /scope="notes:write", error="insufficient_scope"/,
    );
  });
});

describe("authorization server metadata URLs", () => {
  it("follow RFC 8414 (inserted) and OpenID Connect Discovery (appended)", () => {
    assert.deepEqual(metadataUrls("https://idp.example.com"), [
      "https://idp.example.com/.well-known/oauth-authorization-server",
      "https://idp.example.com/.well-known/openid-configuration",
    ]);
    assert.deepEqual(metadataUrls("https://idp.example.com/realms/acme"), [
      "https://idp.example.com/.well-known/oauth-authorization-server/realms/acme",
      "https://idp.example.com/realms/acme/.well-known/openid-configuration",
    ]);
  });
});
