import assert from "node:assert/strict";
import { test } from "node:test";
import { BoundedCache } from "../../../src/rego/builtins/types.js";
import { x509Builtins } from "../../../src/rego/builtins/x509.js";
import { BuiltinError } from "../../../src/rego/errors.js";
import { fromJson, type RegoObject, toJson, type Value } from "../../../src/rego/value.js";

// 2024-01-01, inside the validity of the test chain (2023-11-29 .. 2122/2123).
const ctx = {
  nowNs: 1704067200000000000,
  cache: new Map<string, unknown>(),
  compiled: new BoundedCache(64),
  print() {},
};
const call = (name: string, ...args: Value[]): Value | undefined => {
  const decl = x509Builtins.find((b) => b.name === name);
  assert.ok(decl, name);
  return decl.impl(args, ctx);
};
type Json = ReturnType<typeof toJson>;
const field = (v: Json, ...path: string[]): Json => path.reduce((o, k) => (o as Record<string, Json>)[k] as Json, v);

const CHAIN =
  "-----BEGIN CERTIFICATE-----\nMIIB1TCCAXugAwIBAgIIKIoxsnMwJJ4wCgYIKoZIzj0EAwIwPTELMAkGA1UEBhMC\nR0IxEDAOBgNVBAoTB0V4YW1wbGUxHDAaBgNVBAUTEzI5MjEyMDE5NTA4MDk2NjI2\nMjIwIBcNMjMxMTI5MTc1NTQ2WhgPMjEyMzExMDUxNzU1NDZaMD0xCzAJBgNVBAYT\nAkdCMRAwDgYDVQQKEwdFeGFtcGxlMRwwGgYDVQQFExMyOTIxMjAxOTUwODA5NjYy\nNjIyMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEkvI9ddM0SuP9LvBWS1y64fuK\nELCjVF5W3FSKm3azKEkDi8Eq1I1UM80MgCjC5ChNNyM4+cmVUDrCkTl3SqRxa6Nj\nMGEwDgYDVR0PAQH/BAQDAgIEMA8GA1UdEwEB/wQFMAMBAf8wHQYDVR0OBBYEFF7H\nA8n3mXXnwUP0ypMJ9JwY5wasMB8GA1UdEQQYMBaGFHNwaWZmZTovL2V4YW1wbGUu\nY29tMAoGCCqGSM49BAMCA0gAMEUCIByB2l5RIWmaU8qcRv13qigbB9BV/F2raEk+\npRQnsUcgAiEA9OvBpPKC/FBkI5vVvR7WgK5sGPna4+a0RkXxRQgN2jM=\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nMIIB1jCCAXygAwIBAgIIV9914tIKKkMwCgYIKoZIzj0EAwIwPTELMAkGA1UEBhMC\nR0IxEDAOBgNVBAoTB0V4YW1wbGUxHDAaBgNVBAUTEzI5MjEyMDE5NTA4MDk2NjI2\nMjIwIBcNMjMxMTI5MTc1NTQ2WhgPMjEyMjExMDUxNzU1NDZaMD0xCzAJBgNVBAYT\nAkdCMRAwDgYDVQQKEwdFeGFtcGxlMRwwGgYDVQQFExM2MzMxOTA5MjE4MTUzMTQ2\nOTQ3MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEMoy2UqvC8zL3sPfLNvG1nX5p\n6hhEyDjFtokORB4VkKiPXFryIFn8XHG0ipz6aKSwVMoDT2T/YXP/wWpVwPJCi6Nk\nMGIwDgYDVR0PAQH/BAQDAgeAMB0GA1UdJQQWMBQGCCsGAQUFBwMCBggrBgEFBQcD\nATAMBgNVHRMBAf8EAjAAMCMGA1UdEQQcMBqGGHNwaWZmZTovL2V4YW1wbGUuY29t\nL29wYTAKBggqhkjOPQQDAgNIADBFAiBEmdSKGj2+9J5SQPIAmwdxpVTOxqmVQv2x\nVvita/AmowIhAOyX/alNJxL4iCfKUNwlC2lYxGhuWopWgB1Q32bQhTEh\n-----END CERTIFICATE-----\n";
const CSR =
  "-----BEGIN CERTIFICATE REQUEST-----\nMIICmDCCAYACAQAwUzELMAkGA1UEBhMCVVMxFDASBgNVBAMMC2V4YW1wbGUuY29t\nMQowCAYDVQQHDAEgMQowCAYDVQQKDAEgMQowCAYDVQQIDAEgMQowCAYDVQQLDAEg\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA2ZdhmshDAU0XbxgNMFAk\nxGVBschwVok9upASfUX08TYj0VkWEq6+fzgNvdPJwz6meP9g/MaFhOaou6huPHfo\nSU9J7QbMnzRKlsEIO3htC5AKw9v2fWUdjBA/vCWYuu5iG5e7mPsWZ7uplnTfRzC8\nRK+K+Yrm4D84q5lty4C3KkQsAcSLPfOL1s/b2rWmJGAhWsRkghMY6WwskuXYtH59\nG9yUDGQHhjZkpqedV49C8sCp1O/YZoSHgp7G+BbhTmkNBG678VGDJeNpwHozvtcU\nrASFDRxZxOu1GG17/QbUoR5Ud93piKZSE6PuCSeBs/TBaIsvpPknuXd9r8Xj/mWy\nkQIDAQABoAAwDQYJKoZIhvcNAQELBQADggEBAAx2dh+d1MBhL0h2XfIqh5Dc/eaj\nSLZtaMMiIcXup/zQ9vxCWJFeHf3s0Iuyb0Hd2VMgPRaO2uddcbYtQe+2gYKkO1LX\nBtwPqw0Xp0yAvt51G2ofeBl+EkJm697FSmzh8x2IdQAJC3Z/Q8WLVhw4X6ZUbrxj\n2gN2fiXcKDJledqH1cexYUonyKH6nln0o43QKD8YRdoa5Qjor1oBdcwRM04T38jM\nWPwwbYN3kTODkKbiQUUlUxVn6qge9MMktsINZG4x65Bb0ilStq1Ed07f96eglsJh\nYTOUFvid6UJEDpBsr8rdTNImIBHBvI+kPGKajqo7gEMsxEbCdzaGQ3YfsXY=\n-----END CERTIFICATE REQUEST-----";

test("parse_certificates decodes Go's certificate fields", () => {
  const certs = toJson(call("crypto.x509.parse_certificates", CHAIN) as Value) as Json[];
  assert.equal(certs.length, 2);
  const [root, leaf] = certs as [Json, Json];
  assert.deepEqual(field(root, "Subject", "Country"), ["GB"]);
  assert.deepEqual(field(root, "Subject", "Organization"), ["Example"]);
  assert.equal(field(root, "Subject", "SerialNumber"), "2921201950809662622");
  assert.equal(field(root, "Subject", "CommonName"), "");
  assert.deepEqual(field(root, "Subject", "Names"), [
    { Type: [2, 5, 4, 6], Value: "GB" },
    { Type: [2, 5, 4, 10], Value: "Example" },
    { Type: [2, 5, 4, 5], Value: "2921201950809662622" },
  ]);
  assert.equal(field(root, "NotBefore"), "2023-11-29T17:55:46Z");
  assert.equal(field(root, "NotAfter"), "2123-11-05T17:55:46Z");
  assert.equal(field(root, "IsCA"), true);
  assert.equal(field(root, "BasicConstraintsValid"), true);
  assert.equal(field(root, "MaxPathLen"), -1);
  assert.equal(field(root, "KeyUsage"), 32);
  assert.equal(field(root, "Version"), 3);
  assert.equal(field(root, "SignatureAlgorithm"), 10);
  assert.equal(field(root, "PublicKeyAlgorithm"), 3);
  assert.deepEqual(field(leaf, "URIStrings"), ["spiffe://example.com/opa"]);
  assert.deepEqual(field(leaf, "ExtKeyUsage"), [2, 1]);
  assert.equal(field(leaf, "DNSNames"), null);
  const [uri] = field(leaf, "URIs") as Json[];
  assert.equal(field(uri as Json, "Scheme"), "spiffe");
  assert.equal(field(uri as Json, "Host"), "example.com");
  assert.equal(field(uri as Json, "Path"), "/opa");
});

test("parse_certificates accepts base64 and reports Go errors", () => {
  const b64 = Buffer.from(CHAIN).toString("base64");
  assert.equal((call("crypto.x509.parse_certificates", b64) as Value[]).length, 2);
  assert.throws(
    () => call("crypto.x509.parse_certificates", "YmFkc3RyaW5n"),
    (e: unknown) => e instanceof BuiltinError && e.message === "x509: malformed certificate",
  );
  assert.throws(() => call("crypto.x509.parse_certificates", "foobar"), /illegal base64 data at input byte 4/);
});

test("parse_and_verify_certificates returns the chain leaf first", () => {
  const [valid, chain] = toJson(call("crypto.x509.parse_and_verify_certificates", CHAIN) as Value) as [boolean, Json[]];
  assert.equal(valid, true);
  assert.deepEqual(
    chain.map((c) => field(c, "URIStrings")),
    [["spiffe://example.com/opa"], ["spiffe://example.com"]],
  );
  const single = CHAIN.slice(0, CHAIN.indexOf("-----END CERTIFICATE-----") + 25);
  assert.deepEqual(toJson(call("crypto.x509.parse_and_verify_certificates", single) as Value), [false, []]);
  const reversed = CHAIN.split(/(?<=-----END CERTIFICATE-----\n)/)
    .reverse()
    .join("");
  assert.deepEqual(toJson(call("crypto.x509.parse_and_verify_certificates", reversed) as Value), [false, []]);
});

test("parse_and_verify_certificates_with_options applies time, usages and option validation", () => {
  const opts = (o: Record<string, unknown>): Value => fromJson(o);
  const ok = call(
    "crypto.x509.parse_and_verify_certificates_with_options",
    CHAIN,
    opts({ KeyUsages: ["KeyUsageClientAuth"] }),
  ) as Value[];
  assert.equal(ok[0], true);
  assert.equal(((ok[1] as Value[])[0] as RegoObject).has("URIStrings"), false);
  const expired = call(
    "crypto.x509.parse_and_verify_certificates_with_options",
    CHAIN,
    opts({ CurrentTime: 1e18 * 8 }),
  );
  assert.deepEqual(toJson(expired as Value), [false, []]);
  const badUsage = call(
    "crypto.x509.parse_and_verify_certificates_with_options",
    CHAIN,
    opts({ KeyUsages: ["KeyUsageCodeSigning"] }),
  );
  assert.deepEqual(toJson(badUsage as Value), [false, []]);
  assert.throws(
    () => call("crypto.x509.parse_and_verify_certificates_with_options", CHAIN, opts({ Foo: 1 })),
    /invalid key option/,
  );
  assert.throws(
    () => call("crypto.x509.parse_and_verify_certificates_with_options", CHAIN, opts({ KeyUsages: ["Nope"] })),
    /invalid entries for 'KeyUsages' found: \[Nope\]/,
  );
});

test("parse_certificate_request", () => {
  const csr = toJson(call("crypto.x509.parse_certificate_request", CSR) as Value);
  assert.equal(field(csr, "Subject", "CommonName"), "example.com");
  assert.deepEqual(field(csr, "Subject", "Country"), ["US"]);
  assert.equal(field(csr, "SignatureAlgorithm"), 4);
  assert.equal(field(csr, "PublicKeyAlgorithm"), 1);
  assert.equal(field(csr, "PublicKey", "E"), 65537);
  const b64 = Buffer.from(CSR).toString("base64");
  assert.equal(
    field(toJson(call("crypto.x509.parse_certificate_request", b64) as Value), "Subject", "CommonName"),
    "example.com",
  );
  assert.throws(
    () => call("crypto.x509.parse_certificate_request", "YmFkc3RyaW5n"),
    /^BuiltinError: asn1: structure error/,
  );
  assert.throws(() => call("crypto.x509.parse_certificate_request", "foobar"), /illegal base64/);
});

test("parse_rsa_private_key and parse_keypair", async () => {
  const { generateKeyPairSync } = await import("node:crypto");
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 1024 });
  const pem = privateKey.export({ format: "pem", type: "pkcs1" }).toString();
  const jwk = toJson(call("crypto.x509.parse_rsa_private_key", pem) as Value) as Record<string, string>;
  assert.deepEqual(Object.keys(jwk).sort(), ["d", "dp", "dq", "e", "kty", "n", "p", "q", "qi"]);
  assert.equal(jwk.kty, "RSA");
  assert.equal(jwk.e, "AQAB");
  assert.throws(() => call("crypto.x509.parse_rsa_private_key", "invalid"), /illegal base64 data at input byte 4/);
  assert.throws(() => call("crypto.x509.parse_rsa_private_key", ""), /input PEM data was empty/);
  // The chain's leaf has an EC key we do not hold, so the pair must be rejected.
  assert.throws(
    () => call("crypto.x509.parse_keypair", CHAIN, pem),
    /tls: private key type does not match public key type/,
  );
  assert.throws(() => call("crypto.x509.parse_keypair", pem, pem), /PEM inputs may have been switched/);
});
