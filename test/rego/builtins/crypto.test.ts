import assert from "node:assert/strict";
import { test } from "node:test";
import { cryptoBuiltins, goBase64Decode, goJsonMarshal, pemDecode } from "../../../src/rego/builtins/crypto.js";
import { BoundedCache } from "../../../src/rego/builtins/types.js";
import { BuiltinError } from "../../../src/rego/errors.js";
import { fromJson, objectFrom, RegoSet, type Value } from "../../../src/rego/value.js";

const ctx = {
  nowNs: 1700000000000000000,
  cache: new Map<string, unknown>(),
  compiled: new BoundedCache(64),
  print() {},
};
const call = (name: string, ...args: Value[]): Value | undefined => {
  const decl = cryptoBuiltins.find((b) => b.name === name);
  assert.ok(decl, name);
  return decl.impl(args, ctx);
};

test("hashes", () => {
  assert.equal(call("crypto.md5", "lorem ipsum"), "80a751fde577028640c419000e33eba6");
  assert.equal(call("crypto.sha1", "lorem ipsum"), "bfb7759a67daeb65410490b4d98bb9da7d1ea2ce");
  assert.equal(
    call("crypto.sha256", "lorem ipsum"),
    "5e2bf57d3f40c4b6df69daf1936cb766f832374b4fc0259a7cbff06e2f70f269",
  );
});

test("hmacs, including unicode input", () => {
  assert.equal(call("crypto.hmac.md5", "foo", "bar"), "31b6db9e5eb4addb42f1a6ca07367adc");
  assert.equal(call("crypto.hmac.sha1", "foo", "bar"), "85d155c55ed286a300bd1cf124de08d87e914f3a");
  assert.equal(
    call("crypto.hmac.sha256", "foo", "bar"),
    "147933218aaabc0b8b10a2b3a5c34684c8d94341bcf10a4736dc7270f7741851",
  );
  assert.equal(
    call("crypto.hmac.sha512", "foo", "bar"),
    "24257d7210582a65c731ec55159c8184cc24c02489453e58587f71f44c23a2d61b4b72154a89d17b2d49448a8452ea066f4fc56a2bcead45c088572ffccdb3d8",
  );
  const msg = "åäöçß\u{1F972}♙Ω";
  assert.equal(call("crypto.hmac.md5", msg, "秘密の"), "20a8743c2157ac60b7e8b79c83651b8d");
  assert.equal(
    call("crypto.hmac.sha256", msg, "秘密の"),
    "eb90daeb76d4b2571fbdaf94bbb240809faa8fed93ec0c260dd38c3fdf8d963a",
  );
});

test("hmac.equal", () => {
  assert.equal(call("crypto.hmac.equal", "31b6db9e5eb4addb42f1a6ca07367adc", "31b6db9e5eb4addb42f1a6ca07367adc"), true);
  assert.equal(call("crypto.hmac.equal", "31b6db9e5eb4addb42f1a6ca07367adc", "31b6db9e5eb4addb"), false);
  assert.throws(() => call("crypto.hmac.equal", 1, "x"), /operand 1 must be string but got number/);
});

const RSA_PEM = [
  "-----BEGIN RSA PRIVATE KEY-----",
  "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu",
  "KUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQJAIJLixBy2qpFoS4DSmoEm",
  "o3qGy0t6z09AIJtH+5OeRV1be+N4cDYJKffGzDa88vQENZiRm0GRq6a+HPGQMd2k",
  "TQIhAKMSvzIBnni7ot/OSie2TmJLY4SwTQAevXysE2RbFDYdAiEBCUEaRQnMnbp7",
  "9mxDXDf6AU0cN/RPBjb9qSHDcWZHGzUCIG2Es59z8ugGrDY+pxLQnwfotadxd+Uy",
  "v/Ow5T0q5gIJAiEAyS4RaI9YG8EWx/2w0T67ZUVAw8eOMB6BIUg0Xcu+3okCIBOs",
  "/5OiPgoTdSy7bcF9IGpSE8ZgGKzgYQVZeN97YE00",
  "-----END RSA PRIVATE KEY-----",
].join("\n");

test("parse_private_keys", () => {
  assert.equal(call("crypto.parse_private_keys", ""), null);
  assert.deepEqual(call("crypto.parse_private_keys", "nope"), []);
  const keys = call("crypto.parse_private_keys", RSA_PEM) as Value[];
  assert.equal(keys.length, 1);
  const k = keys[0] as ReturnType<typeof objectFrom>;
  assert.equal(k.get("E"), 65537);
  assert.ok(k.has("N") && k.has("D") && k.has("Primes") && k.has("Precomputed"));
  const b64 = Buffer.from(RSA_PEM).toString("base64");
  assert.equal((call("crypto.parse_private_keys", b64) as Value[]).length, 1);
});

test("Go base64 errors carry Go's offsets", () => {
  assert.throws(
    () => goBase64Decode("foobar"),
    (e: unknown) => e instanceof BuiltinError && e.message === "illegal base64 data at input byte 4",
  );
  assert.throws(() => goBase64Decode("ab^d"), /illegal base64 data at input byte 2/);
  assert.equal(goBase64Decode("Zm9v\nYmFy").toString(), "foobar");
  assert.equal(goBase64Decode("Zm8", { url: true, padded: false }).toString(), "fo");
});

test("PEM decoding follows Go's pem.Decode", () => {
  const { block, rest } = pemDecode("junk\n-----BEGIN X-----\nZm9v\n-----END X-----\ntail");
  assert.equal(block?.type, "X");
  assert.equal(block?.bytes.toString(), "foo");
  assert.equal(rest, "tail");
  assert.equal(pemDecode("no pem here").block, null);
});

test("Go JSON marshalling sorts keys, turns sets into arrays and escapes HTML", () => {
  const v = objectFrom({ b: new RegoSet([2, 1]), a: "<&>", c: fromJson({ z: 1.5, y: null }) });
  assert.equal(goJsonMarshal(v), '{"a":"\\u003c\\u0026\\u003e","b":[1,2],"c":{"y":null,"z":1.5}}');
});
