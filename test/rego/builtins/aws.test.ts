import assert from "node:assert/strict";
import { test } from "node:test";
import { awsBuiltins } from "../../../src/rego/builtins/aws.js";
import { BoundedCache } from "../../../src/rego/builtins/types.js";
import { BuiltinTypeError } from "../../../src/rego/errors.js";
import { fromJson, objectFrom, RegoObject, RegoSet, toJson, type Value } from "../../../src/rego/value.js";

const ctx = {
  nowNs: 1451311705000000000,
  cache: new Map<string, unknown>(),
  compiled: new BoundedCache(64),
  print() {},
};
const signReq = (args: Value[]): Value | undefined => {
  const decl = awsBuiltins.find((b) => b.name === "providers.aws.sign_req");
  assert.ok(decl);
  return decl.impl(args, ctx);
};
const TS = 1451311705000000000;
const CREDS = {
  aws_access_key: "MYAWSACCESSKEYGOESHERE",
  aws_secret_access_key: "MYAWSSECRETACCESSKEYGOESHERE",
  aws_service: "s3",
  aws_region: "us-east-1",
};
const EMPTY_SHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const BODY_SHA = "bacff6243c850423883052ac3c336fd645994442933408dfd3f9e858e69bda07";
const auth = (signed: string, sig: string): string =>
  `AWS4-HMAC-SHA256 Credential=MYAWSACCESSKEYGOESHERE/20151228/us-east-1/s3/aws4_request,SignedHeaders=${signed},Signature=${sig}`;

test("signs a request without body", () => {
  const out = signReq([fromJson({ method: "get", url: "http://example.com" }), fromJson(CREDS), TS]);
  assert.deepEqual(toJson(out as Value), {
    headers: {
      Authorization: auth(
        "host;x-amz-content-sha256;x-amz-date",
        "0047a7016c81e5c7f29cd522f97e911e04fc472fced0aee7916cbc287ad6c8e3",
      ),
      host: "example.com",
      "x-amz-content-sha256": EMPTY_SHA,
      "x-amz-date": "20151228T140825Z",
    },
    method: "get",
    url: "http://example.com",
  });
});

test("includes request headers and the session token", () => {
  const withHeaders = signReq([
    fromJson({ method: "get", url: "http://example.com", headers: { foo: "bar" } }),
    fromJson(CREDS),
    TS,
  ]);
  assert.equal(
    (toJson(withHeaders as Value) as { headers: Record<string, string> }).headers.Authorization,
    auth(
      "foo;host;x-amz-content-sha256;x-amz-date",
      "8f1dc7c9b9978356a0d0989fd26a95307f4f8a4aa264d8220647b7097d839952",
    ),
  );
  const withToken = signReq([
    fromJson({ method: "get", url: "http://example.com" }),
    fromJson({ ...CREDS, aws_session_token: "MYAWSSECURITYTOKENGOESHERE" }),
    TS,
  ]);
  const h = (toJson(withToken as Value) as { headers: Record<string, string> }).headers;
  assert.equal(h["x-amz-security-token"], "MYAWSSECURITYTOKENGOESHERE");
  assert.equal(
    h.Authorization,
    auth(
      "host;x-amz-content-sha256;x-amz-date;x-amz-security-token",
      "23c31bda8a74630c0a94f6b82a3511e7e74728df98e6f54ed0840488dbbdc8d1",
    ),
  );
});

test("hashes body and raw_body; raw_body wins", () => {
  const body = objectFrom({ example: new RegoSet([1, 2, 3, 4]) });
  const req = objectFrom({ method: "get", url: "http://example.com", body });
  const h = (toJson(signReq([req, fromJson(CREDS), TS]) as Value) as { headers: Record<string, string> }).headers;
  assert.equal(h["x-amz-content-sha256"], BODY_SHA);
  assert.equal(
    h.Authorization,
    auth("host;x-amz-content-sha256;x-amz-date", "5fb06ab1cfd74c8fcb3af95b8cce696708cf6155d971dac10f254d79799c6e88"),
  );
  const raw = objectFrom({ method: "get", url: "http://example.com", body, raw_body: '{"example": {1, 2, 3, 4}}' });
  const out = signReq([raw, fromJson(CREDS), TS]) as RegoObject;
  const h2 = toJson(out.get("headers") as Value) as Record<string, string>;
  assert.equal(h2["x-amz-content-sha256"], "22906461e2a98a3e780d0fd260e341bed5e544661e97c5936fc7f3af11aaad8b");
  assert.equal(
    h2.Authorization,
    auth("host;x-amz-content-sha256;x-amz-date", "5bf26e169cb8b02330dba39d53932532438fc856c2f10537689a09ed807c7195"),
  );
  assert.ok(out.has("body") && out.has("raw_body"));
});

test("payload signing can be disabled; an existing sha header is signed then replaced", () => {
  const body = objectFrom({ example: new RegoSet([1, 2, 3, 4]) });
  const headers = fromJson({ foo: "bar", "x-amz-content-sha256": "existing-value" });
  const req = objectFrom({ method: "get", url: "https://example.com", headers, body });
  const on = toJson(signReq([req, fromJson({ ...CREDS, disable_payload_signing: false }), TS]) as Value) as {
    headers: Record<string, string>;
  };
  assert.equal(on.headers["x-amz-content-sha256"], BODY_SHA);
  assert.match(
    on.headers.Authorization ?? "",
    /Signature=42bcac7fc6d170e09be72fdf38b62e59361265bc59d5f9156f0d6faf889e98ba$/,
  );
  const off = toJson(signReq([req, fromJson({ ...CREDS, disable_payload_signing: true }), TS]) as Value) as {
    headers: Record<string, string>;
  };
  assert.equal(off.headers["x-amz-content-sha256"], "UNSIGNED-PAYLOAD");
  assert.match(
    off.headers.Authorization ?? "",
    /Signature=edcd3ca3fd3acdfbcecad1a1d8062dbc6562d90352e294c336f9727397f9c383$/,
  );
});

test("reports OPA's operand errors", () => {
  const expectErr = (args: Value[], msg: string): void =>
    assert.throws(
      () => signReq(args),
      (e: unknown) => e instanceof BuiltinTypeError && e.message === msg,
    );
  expectErr(
    [new RegoObject(), fromJson(CREDS), TS],
    'operand 1 missing required request parameters(s): {"method", "url"}',
  );
  expectErr(
    [objectFrom({ method: new RegoSet(), url: new RegoSet() }), fromJson(CREDS), TS],
    'operand 1 invalid values for required request parameters(s): {"method", "url"}',
  );
  const req = fromJson({ method: "get", url: "http://example.com" });
  expectErr(
    [req, fromJson({ example: "example" }), TS],
    'operand 2 missing required AWS config parameters(s): {"aws_access_key", "aws_region", "aws_secret_access_key", "aws_service"}',
  );
  expectErr(
    [req, fromJson({ aws_access_key: 1, aws_secret_access_key: 2, aws_service: 4, aws_region: 5 }), TS],
    'operand 2 invalid values for required AWS config parameters(s): {"aws_access_key", "aws_region", "aws_secret_access_key", "aws_service"}',
  );
  expectErr([req, fromJson(CREDS), -1e9], "operand 3 could not convert time_ns value into a unix timestamp");
  expectErr(
    [req, fromJson({ ...CREDS, disable_payload_signing: "false" }), TS],
    "operand 2 invalid value for 'disable_payload_signing' in AWS config",
  );
});
