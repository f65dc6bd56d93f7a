import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { test } from "node:test";
import { jwtBuiltins } from "../../../src/rego/builtins/jwt.js";
import { BoundedCache } from "../../../src/rego/builtins/types.js";
import { BuiltinError } from "../../../src/rego/errors.js";
import { fromJson, objectFrom, RegoSet, toJson, type Value } from "../../../src/rego/value.js";

const ctx = {
  nowNs: 1700000000000000000,
  cache: new Map<string, unknown>(),
  compiled: new BoundedCache(64),
  print() {},
};
const call = (name: string, ...args: Value[]): Value | undefined => {
  const decl = jwtBuiltins.find((b) => b.name === name);
  assert.ok(decl, name);
  return decl.impl(args, ctx);
};
const builtinError = (msg: string) => (e: unknown) => e instanceof BuiltinError && e.message.includes(msg);

const HS256 =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyIjoiYWxpY2UiLCJhenAiOiJhbGljZSIsInN1Ym9yZGluYXRlcyI6W10sImhyIjpmYWxzZX0.rz3jTY033z-NrKfwrK89_dcLF7TN4gwCMj-fVBDyLoM";
const OCT_KEY = fromJson({
  kty: "oct",
  k: "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow",
});
const OCT_KEY_TEXT = JSON.stringify(toJson(OCT_KEY));
const ES256_TOKEN =
  "eyJhbGciOiAiRVMyNTYiLCAidHlwIjogIkpXVCJ9.eyJpc3MiOiAieHh4In0.JvbTLBF06FR70gb7lCbx_ojhp4bk9--B_aULgNlYM0fYf9OSawaqBQp2lwW6FADFtRJ2WFUk5g0zwVOUlnrlzw";
const ES256_CERT =
  "-----BEGIN CERTIFICATE-----\nMIIBcDCCARagAwIBAgIJAMZmuGSIfvgzMAoGCCqGSM49BAMCMBMxETAPBgNVBAMM\nCHdoYXRldmVyMB4XDTE4MDgxMDE0Mjg1NFoXDTE4MDkwOTE0Mjg1NFowEzERMA8G\nA1UEAwwId2hhdGV2ZXIwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAATPwn3WCEXL\nmjp/bFniDwuwsfu7bASlPae2PyWhqGeWwe23Xlyx+tSqxlkXYe4pZ23BkAAscpGj\nyn5gXHExyDlKo1MwUTAdBgNVHQ4EFgQUElRjSoVgKjUqY5AXz2o74cLzzS8wHwYD\nVR0jBBgwFoAUElRjSoVgKjUqY5AXz2o74cLzzS8wDwYDVR0TAQH/BAUwAwEB/zAK\nBggqhkjOPQQDAgNIADBFAiEA4yQ/88ZrUX68c6kOe9G11u8NUaUzd8pLOtkKhniN\nOHoCIHmNX37JOqTcTzGn2u9+c8NlnvZ0uDvsd1BmKPaUmjmm\n-----END CERTIFICATE-----\n";
const JWKS_TOKEN =
  "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiYWRtaW4iOnRydWUsImlhdCI6MTUxNjIzOTAyMn0.ZcLZbBKpPFFz8YGD2jEbXzwHT7DWtqRVk1PTV-cAWUV8jr6f2a--Fw9SFR3vSbrtFif06AQ3aWY7PMM2AuxDjiUVGjItmHRz0sJBEijcE2QVkDN7MNK3Kk1fsM_hbEXzNCzChZpEkTZnLy9ijkJJFD0j6lBat4lO5Zc_LC2lXUftV_hU2aW9mQ7pLSgJjItzRymivnN0g-WUDq5IPK_M8b3yPy_N9iByj8B2FO0sC3TuOrXWbrYrX4ve4bAaSqOFOXiL5Z5BJfmmtT--xKdWDGJxnei8lbv7in7t223fVsUpsH-zmybp529Fya37BsaIlcgLrl38ghvoqy2sHu2wAA";
const JWKS =
  '{\n  "keys": [\n    {\n      "kty": "EC",\n      "use": "sig",\n      "crv": "P-256",\n      "kid": "k1",\n      "x": "9Qq5S5VqMQoH-FOI4atcH6V3bua03C-5ZMZMG1rszwA",\n      "y": "LLbFxWkGBEBrTm1GMYZJy1OXCH1KLweJMCgIEPIsibU",\n      "alg": "ES256"\n    },\n    {\n      "kty": "RSA",\n      "e": "AQAB",\n      "use": "enc",\n      "kid": "k2",\n      "alg": "RS256",\n      "n": "sGu-fYVE2nq2dPxJlqAMI0Z8G3FD0XcWDnD8mkfO1ddKRGuUQZmfj4gWeZGyIk3cnuoy7KJCEqa3daXc08QHuFZyfn0rH33t8_AFsvb0q0i7R2FK-Gdqs_E0-sGpYMsRJdZWfCioLkYjIHEuVnRbi3DEsWqe484rEGbKF60jNRgGC4b-8pz-E538ZkssWxcqHrYIj5bjGEU36onjS3M_yrTuNvzv_8wRioK4fbcwmGne9bDxu8LcoSReWpPn0CnUkWnfqroRcMJnC87ZuJagDW1ZWCmU3psdsVanmFFh0DP6z0fsA4h8G2n9-qp-LEKFaWwo3IWlOsIzU3MHdcEiGw"\n    }\n  ]\n}';
const RS256_AUD_TOKEN =
  "eyJhbGciOiAiUlMyNTYiLCAidHlwIjogIkpXVCJ9.eyJpc3MiOiAieHh4IiwgImF1ZCI6IFsiZnJlZCIsICJib2IiXX0.k8jW7PUiMkQCKCjnSFBFFKPDO0RXwZgVkLUwUfi8sMdrrcKi12LC8wd5fLBn0YraFtMXWKdMweKf9ZC-K33h5TK7kkTVKOXctF50mleMlUn0Up_XjtdP1v-2WOfivUXcexN1o-hu0kH7sSQnielXIjC2EAleG6A54YUOZFBdzvd1PKHlsxA7x2iiL73uGeFlyxoaMki8E5tx7FY6JGF1RdhWCoIV5A5J8QnwI5EetduJQ505U65Pk7UApWYWu4l2DT7KCCJa5dJaBvCBemVxWaBhCQWtJKU2ZgOEkpiK7b_HsdeRBmpG9Oi1o5mt5ybC09VxSD-lEda_iJO_7i042A";
const RS256_CERT =
  "-----BEGIN CERTIFICATE-----\nMIIC/DCCAeSgAwIBAgIJAJRvYDU3ei3EMA0GCSqGSIb3DQEBCwUAMBMxETAPBgNV\nBAMMCHdoYXRldmVyMB4XDTE4MDgxMDEwMzgxNloXDTE4MDkwOTEwMzgxNlowEzER\nMA8GA1UEAwwId2hhdGV2ZXIwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIB\nAQC4kCmzLMW/5jzkzkmN7Me8wPD+ymBUIjsGqliGfMrfFfDV2eTPVtZcYD3IXoB4\nAOUT7XJzWjOsBRFOcVKKEiCPjXiLcwLb/QWQ1x0Budft32r3+N0KQd1rgcRHTPNc\nJoeWCfOgDPp51RTzTT6HQuV4ud+CDhRJP7QMVMIgal9Nuzs49LLZaBPW8/rFsHjk\nJQ4kDujSrpcT6F2FZY3SmWsOJgP7RjVKk5BheYeFKav5ZV4p6iHn/TN4RVpvpNBh\n5z/XoHITJ6lpkHSDpbIaQUTpobU2um8N3biz+HsEAmD9Laa27WUpYSpiM6DDMSXl\ndBDJdumerVRJvXYCtfXqtl17AgMBAAGjUzBRMB0GA1UdDgQWBBRz74MkVzT2K52/\nFJC4mTa9coM/DTAfBgNVHSMEGDAWgBRz74MkVzT2K52/FJC4mTa9coM/DTAPBgNV\nHRMBAf8EBTADAQH/MA0GCSqGSIb3DQEBCwUAA4IBAQAD1ZE4IaIAetqGG+vt9oz1\nIx0j4EPok0ONyhhmiSsF6rSv8zlNWweVf5y6Z+AoTNY1Fym0T7dbpbqIox0EdKV3\nFLzniWOjznupbnqfXwHX/g1UAZSyt3akSatVhvNpGlnd7efTIAiNinX/TkzIjhZ7\nihMIZCGykT1P0ys1OaeEf57wAzviatD4pEMTIW0OOqY8bdRGhuJR1kKUZ/2Nm8Ln\ny7E0y8uODVbH9cAwGyzWB/QFc+bffNgi9uJaPQQc5Zxwpu9utlqyzFvXgV7MBYUK\nEYSLyxp4g4e5aujtLugaC8H6n9vP1mEBr/+T8HGynBZHNTKlDhhL9qDbpkkNB6/w\n-----END CERTIFICATE-----";

test("decode returns header, payload and hex signature", () => {
  const out = call(
    "io.jwt.decode",
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIwIiwiaXNzIjoib3BhIn0.XmVoLoHI3pxMtMO_WRONMSJzGUDP9pDjy8Jp0_tdRXY",
  );
  assert.deepEqual(toJson(out as Value), [
    { alg: "HS256", typ: "JWT" },
    { iss: "opa", sub: "0" },
    "5e65682e81c8de9c4cb4c3bf59138d3122731940cff690e3cbc269d3fb5d4576",
  ]);
});

test("decode errors match OPA", () => {
  const d = (t: string) => () => call("io.jwt.decode", t);
  assert.throws(d("abc"), builtinError("encoded JWT had no period separators"));
  assert.throws(d("a.b"), builtinError("encoded JWT must have 3 sections, found 2"));
  assert.throws(
    d("eyJhbGciOiJIU^%zI1NiI+sInR5cCI6IkpXVCJ9.eyJzdWIiOiIwIiwiaXNzIjoib3BhIn0.XmVo"),
    builtinError("JWT header had invalid encoding: illegal base64 data at input byte 13"),
  );
  assert.throws(
    d("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIwIiwia/XNzIjoib3BhIn0.XmVo"),
    builtinError("JWT payload had invalid encoding: illegal base64 data at input byte 17"),
  );
  assert.throws(
    d("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImVuYyI6ImJsYWgifQ.eyJuZXciOiJJIn0.McGU"),
    builtinError("JWT is a JWE object, which is not supported"),
  );
  const notJson = `${Buffer.from("{oops").toString("base64url")}.e30.`;
  assert.throws(
    d(notJson),
    builtinError("bad JWT header: invalid JSON: invalid character 'o' looking for beginning of object key string"),
  );
});

test("verify_hs*", () => {
  assert.equal(call("io.jwt.verify_hs256", HS256, "secret"), true);
  assert.equal(call("io.jwt.verify_hs256", HS256, "wrong"), false);
  assert.throws(() => call("io.jwt.verify_hs256", HS256.slice(0, HS256.lastIndexOf(".")), "secret"), /found 2/);
  const hs512 =
    "eyJhbGciOiJIUzUxMiJ9.eyJTY29wZXMiOlsiZm9vIiwiYmFyIl0sIm5iZiI6MTQ1MTYwNjQwMH0.F6-xviRhK2OLcJJHFivhQqMN_dgX5boDrwbVKkdo9flQQNk-AaKpH3uYycFvBEd_erVefcsri_PkL4fjLSZ7ZA";
  assert.equal(call("io.jwt.verify_hs512", hs512, "secret"), true);
});

test("asymmetric verification with certificates and JWKS", () => {
  assert.equal(call("io.jwt.verify_es256", ES256_TOKEN, ES256_CERT), true);
  assert.equal(call("io.jwt.verify_rs256", RS256_AUD_TOKEN, RS256_CERT), true);
  assert.equal(call("io.jwt.verify_ps256", RS256_AUD_TOKEN, RS256_CERT), false);
  assert.equal(call("io.jwt.verify_rs256", JWKS_TOKEN, JWKS), true);
  assert.throws(
    () => call("io.jwt.verify_rs256", JWKS_TOKEN, "secret"),
    builtinError("failed to parse a JWK key (set): failed to unmarshal JWK Set: invalid character 's'"),
  );
  assert.throws(
    () => call("io.jwt.verify_rs256", JWKS_TOKEN, `${RS256_CERT}\nextra`),
    builtinError("extra data after a PEM certificate block"),
  );
});

test("decode_verify checks signature and claims", () => {
  const dv = (token: string, c: Record<string, unknown>) =>
    toJson(call("io.jwt.decode_verify", token, fromJson(c)) as Value) as unknown[];
  assert.deepEqual(dv(ES256_TOKEN, { cert: ES256_CERT }), [true, { alg: "ES256", typ: "JWT" }, { iss: "xxx" }]);
  assert.deepEqual(dv(RS256_AUD_TOKEN, { cert: RS256_CERT, aud: "bob" }), [
    true,
    { alg: "RS256", typ: "JWT" },
    { aud: ["fred", "bob"], iss: "xxx" },
  ]);
  assert.deepEqual(dv(RS256_AUD_TOKEN, { cert: RS256_CERT, aud: "cath" }), [false, {}, {}]);
  assert.deepEqual(dv(RS256_AUD_TOKEN, { cert: RS256_CERT }), [false, {}, {}]);
  assert.deepEqual(dv(RS256_AUD_TOKEN, { cert: RS256_CERT, aud: "bob", alg: "PS256" }), [false, {}, {}]);
  assert.deepEqual(dv(JWKS_TOKEN, { cert: JWKS, time: 1574723450396363500 })[0], true);
  assert.deepEqual(dv(HS256, { secret: "secret" })[0], true);
  assert.deepEqual(dv(HS256, { secret: "nope" }), [false, {}, {}]);
  assert.throws(() => dv(HS256, {}), builtinError("no key constraint"));
  assert.throws(() => dv(HS256, { secret: "a", cert: ES256_CERT }), builtinError("duplicate key constraints"));
  assert.throws(() => dv(HS256, { secret: "a", foo: 1 }), builtinError("unknown token validation constraint: foo"));
  assert.throws(() => dv(RS256_AUD_TOKEN, { secret: "a" }), builtinError("incorrect public key type"));
});

test("decode_verify time handling uses seconds vs nanoseconds", () => {
  const nbf =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJ4eHgiLCJuYmYiOjEuNTg5Mzg1NzcwMTIzNGUrMDl9.lvrsV1nam-BZr0SomWwsr4dBfu6BDrR2FzQ1iS_Xnrw";
  const at = (time: number) =>
    (toJson(call("io.jwt.decode_verify", nbf, fromJson({ secret: "secret", time })) as Value) as Value[])[0];
  assert.equal(at(1589385770023400000), false);
  assert.equal(at(1589385770123400000), true);
  const exp =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjEuNTg5Mzg1NzcxMTIzNGUrMDksImlzcyI6Inh4eCJ9.PZ2z6VfHt9YdvHHUbilkTnw4R9TK3_V0LV1h-q0k9xg";
  const atExp = (time: number) =>
    (toJson(call("io.jwt.decode_verify", exp, fromJson({ secret: "secret", time })) as Value) as Value[])[0];
  assert.equal(atExp(1589385771023400000), true);
  assert.equal(atExp(1589385771123400000), false);
  // Without a time constraint the evaluation time (ctx.nowNs, 2023) is used: exp 2020 is expired.
  assert.equal(
    (toJson(call("io.jwt.decode_verify", exp, fromJson({ secret: "secret" })) as Value) as Value[])[0],
    false,
  );
  const badExp = call(
    "io.jwt.encode_sign",
    fromJson({ alg: "HS256" }),
    fromJson({ exp: null }),
    fromJson({ kty: "oct", k: "NDI" }),
  ) as string;
  assert.throws(
    () => call("io.jwt.decode_verify", badExp, fromJson({ secret: "42" })),
    builtinError("exp value must be a number"),
  );
});

test("encode_sign and encode_sign_raw produce OPA's tokens", () => {
  assert.equal(
    call("io.jwt.encode_sign", fromJson({ alg: "HS256", typ: "JWT" }), fromJson({}), OCT_KEY),
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.6cvao8lnOu6FAdK68jQFcDMXOmaWNwWiYhCgijd-AD8",
  );
  const payload = objectFrom({
    aud: new RegoSet(["saul", "bob"]),
    exp: 1300819380,
    "http://example.com/is_root": true,
    iss: "joe",
    privateParams: fromJson({ private_one: "one", private_two: "two" }),
  });
  assert.equal(
    call("io.jwt.encode_sign", fromJson({ alg: "HS256", typ: "JWT" }), payload, OCT_KEY),
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOlsiYm9iIiwic2F1bCJdLCJleHAiOjEzMDA4MTkzODAsImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlLCJpc3MiOiJqb2UiLCJwcml2YXRlUGFyYW1zIjp7InByaXZhdGVfb25lIjoib25lIiwicHJpdmF0ZV90d28iOiJ0d28ifX0.-Or2eol8bzly-Ztb0v7_7UkcKBkN_aNNpK33HK0MeOY",
  );
  assert.equal(
    call(
      "io.jwt.encode_sign_raw",
      '{"typ":"JWT",\r\n "alg":"HS256"}',
      '{"iss":"joe",\r\n "exp":1300819380,\r\n "http://example.com/is_root":true}',
      OCT_KEY_TEXT,
    ),
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
  );
  assert.equal(
    call("io.jwt.encode_sign_raw", '{"typ":"text/plain",\r\n "alg":"HS256"}', "", OCT_KEY_TEXT),
    "eyJ0eXAiOiJ0ZXh0L3BsYWluIiwNCiAiYWxnIjoiSFMyNTYifQ..sXoGQMWwM-SmX495-htA7kndgbkwz1PnqsDeY275gnI",
  );
});

test("encode_sign_raw errors match OPA", () => {
  const raw = (h: string, p: string) => () => call("io.jwt.encode_sign_raw", h, p, OCT_KEY_TEXT);
  assert.throws(raw('{"typ:"JWT"}', "{}"), builtinError("invalid character 'J' after object key"));
  assert.throws(raw('{"alg":"dummy"}', "{}"), builtinError("unknown signature algorithm"));
  assert.throws(raw("{}", "{}"), builtinError("unsupported signature algorithm"));
  assert.throws(raw("", "{}"), builtinError("unexpected end of JSON input"));
  assert.throws(raw("e", "{}"), builtinError("invalid character 'e' looking for beginning of value"));
  assert.throws(raw('{"typ":"JWT","alg":"HS256"}', "e"), builtinError("type is JWT but payload is not JSON"));
});

test("asymmetric signatures round-trip through verification", () => {
  for (const [alg, verify] of [
    ["RS256", "io.jwt.verify_rs256"],
    ["PS384", "io.jwt.verify_ps384"],
    ["ES256", "io.jwt.verify_es256"],
  ] as const) {
    const pair =
      alg === "ES256"
        ? generateKeyPairSync("ec", { namedCurve: "P-256" })
        : generateKeyPairSync("rsa", { modulusLength: 1024 });
    const jwk = fromJson(pair.privateKey.export({ format: "jwk" }));
    const token = call("io.jwt.encode_sign", fromJson({ alg }), fromJson({ sub: "x" }), jwk) as string;
    const pub = pair.publicKey.export({ format: "pem", type: "spki" }).toString();
    assert.equal(call(verify, token, pub), true, alg);
    assert.equal(call("io.jwt.verify_hs256", token, "k"), false);
  }
});
