import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodingBuiltins } from "../../../src/rego/builtins/encoding.js";
import type { BuiltinContext } from "../../../src/rego/builtins/types.js";
import { BoundedCache } from "../../../src/rego/builtins/types.js";
import { BuiltinError, BuiltinTypeError } from "../../../src/rego/errors.js";
import { fromJson, objectFrom, RegoObject, RegoSet, toJson, type Value } from "../../../src/rego/value.js";

const ctx: BuiltinContext = { nowNs: 0, cache: new Map(), compiled: new BoundedCache(64), print() {} };

function call(name: string, ...args: Value[]): Value | undefined {
  const decl = encodingBuiltins.find((d) => d.name === name);
  assert.ok(decl, `missing builtin ${name}`);
  return decl.impl(args, ctx);
}

describe("base64", () => {
  it("encodes and decodes (conformance)", () => {
    assert.equal(call("base64.encode", "hello"), "aGVsbG8=");
    assert.equal(call("base64.encode", "there"), "dGhlcmU=");
    assert.equal(call("base64.encode", "subjects?_d"), "c3ViamVjdHM/X2Q=");
    assert.equal(call("base64.decode", "aGVsbG8="), "hello");
    assert.equal(call("base64.decode", "c3ViamVjdHM/X2Q="), "subjects?_d");
    assert.equal(call("base64.encode", "héllo"), "aMOpbGxv");
    assert.equal(call("base64.decode", "aMOpbGxv"), "héllo");
  });
  it("reports Go's error offsets", () => {
    assert.throws(() => call("base64.decode", "aGVsbG8"), new BuiltinError("illegal base64 data at input byte 4"));
    assert.throws(() => call("base64.decode", "a!=="), new BuiltinError("illegal base64 data at input byte 1"));
    assert.throws(() => call("base64.decode", "aGVsbG8=x"), new BuiltinError("illegal base64 data at input byte 8"));
    assert.throws(() => call("base64.decode", 1), new BuiltinTypeError("operand 1 must be string but got number"));
  });
  it("ignores newlines and replaces invalid UTF-8", () => {
    assert.equal(call("base64.decode", "aGVs\nbG8="), "hello");
    assert.equal(call("base64.decode", "/w=="), "\ufffd");
  });
  it("is_valid", () => {
    assert.equal(call("base64.is_valid", "aGVsbG8="), true);
    assert.equal(call("base64.is_valid", "{'not':'base64'}"), false);
    assert.equal(call("base64.is_valid", 3), false);
  });
});

describe("base64url", () => {
  it("encodes with and without padding", () => {
    assert.equal(call("base64url.encode", "hello"), "aGVsbG8=");
    assert.equal(call("base64url.encode", "subjects?_d"), "c3ViamVjdHM_X2Q=");
    assert.equal(call("base64url.encode_no_pad", "hello"), "aGVsbG8");
    assert.equal(call("base64url.encode_no_pad", "there"), "dGhlcmU");
  });
  it("decodes padded and unpadded input", () => {
    assert.equal(call("base64url.decode", "aGVsbG8="), "hello");
    assert.equal(call("base64url.decode", "aGVsbG8"), "hello");
    assert.equal(call("base64url.decode", "c3ViamVjdHM_X2Q"), "subjects?_d");
    assert.throws(() => call("base64url.decode", "aGVsb"), new BuiltinError("illegal base64url string: aGVsb"));
  });
});

describe("hex", () => {
  it("encodes and decodes", () => {
    assert.equal(call("hex.encode", "lorem ipsum"), "6c6f72656d20697073756d");
    assert.equal(call("hex.decode", "6c6f72656d20697073756d"), "lorem ipsum");
  });
  it("reports invalid bytes and odd length", () => {
    assert.throws(() => call("hex.decode", "fghijkl"), new BuiltinError("encoding/hex: invalid byte: U+0067 'g'"));
    assert.throws(() => call("hex.decode", "abc"), new BuiltinError("encoding/hex: odd length hex string"));
    assert.throws(() => call("hex.decode", "ab\u0001"), new BuiltinError("encoding/hex: invalid byte: U+0001"));
  });
});

describe("urlquery", () => {
  it("encodes and decodes strings", () => {
    assert.equal(call("urlquery.encode", "a=b+1"), "a%3Db%2B1");
    assert.equal(call("urlquery.encode", ""), "");
    assert.equal(call("urlquery.encode", "a b~é"), "a+b~%C3%A9");
    assert.equal(call("urlquery.decode", "a%3Db%2B1"), "a=b+1");
    assert.equal(call("urlquery.decode", "a+b%C3%A9"), "a bé");
    assert.throws(() => call("urlquery.decode", "a%zz"), new BuiltinError('invalid URL escape "%zz"'));
    assert.throws(() => call("urlquery.decode", "a%2"), new BuiltinError('invalid URL escape "%2"'));
  });
  it("encodes objects (conformance)", () => {
    assert.equal(call("urlquery.encode_object", new RegoObject()), "");
    assert.equal(call("urlquery.encode_object", objectFrom({ c: "d", a: "b" })), "a=b&c=d");
    assert.equal(call("urlquery.encode_object", objectFrom({ a: "c=b+1" })), "a=c%3Db%2B1");
    assert.equal(call("urlquery.encode_object", objectFrom({ a: ["b+1", "c+2"] })), "a=b%2B1&a=c%2B2");
    assert.equal(call("urlquery.encode_object", objectFrom({ a: new RegoSet(["b+1"]) })), "a=b%2B1");
    assert.throws(
      () => call("urlquery.encode_object", objectFrom({ a: 1 })),
      new BuiltinTypeError("operand 1 values must be string, array[string], or set[string]"),
    );
  });
  it("decodes objects (conformance)", () => {
    const d = (s: string): unknown => toJson(call("urlquery.decode_object", s) as Value);
    assert.deepEqual(d("a=value_a1&b=value_b&a=value_a2"), { a: ["value_a1", "value_a2"], b: ["value_b"] });
    assert.deepEqual(d("a=value_a1&b"), { a: ["value_a1"], b: [""] });
    assert.deepEqual(d(""), {});
    assert.throws(() => d("a=1;b=2"), new BuiltinError("invalid semicolon separator in query"));
  });
});

describe("json", () => {
  it("marshals like Go", () => {
    const v = fromJson({ b: [1, 2.5, "x"], a: { "<&>": null }, c: true });
    assert.equal(call("json.marshal", v), '{"a":{"\\u003c\\u0026\\u003e":null},"b":[1,2.5,"x"],"c":true}');
    assert.equal(call("json.marshal", new RegoSet([2, 1])), "[1,2]");
    assert.equal(call("json.marshal", "a\u2028\u0001\n"), '"a\\u2028\\u0001\\n"');
    assert.equal(call("json.marshal", new RegoObject([[1, "x"]])), '{"1":"x"}');
  });
  it("marshals with options", () => {
    const v = fromJson({ a: [1, {}], b: [] });
    assert.equal(
      call("json.marshal_with_options", v, objectFrom({ pretty: true })),
      '{\n\t"a": [\n\t\t1,\n\t\t{}\n\t],\n\t"b": []\n}',
    );
    assert.equal(
      call("json.marshal_with_options", fromJson({ a: 1 }), objectFrom({ indent: "  ", prefix: "> " })),
      '> {\n>   "a": 1\n> }',
    );
    assert.equal(
      call("json.marshal_with_options", fromJson({ a: 1 }), objectFrom({ indent: "  ", pretty: false })),
      '{"a":1}',
    );
    assert.throws(
      () => call("json.marshal_with_options", 1, objectFrom({ foo: 1 })),
      new BuiltinTypeError("operand 2 object contained unknown key foo"),
    );
    assert.throws(
      () => call("json.marshal_with_options", 1, objectFrom({ pretty: 1 })),
      new BuiltinTypeError("operand 2 key pretty failed cast to bool"),
    );
  });
  it("unmarshals with Go-worded errors", () => {
    assert.deepEqual(toJson(call("json.unmarshal", '{"a":[1,null,"x"]}') as Value), { a: [1, null, "x"] });
    assert.throws(() => call("json.unmarshal", "{"), new BuiltinError("unexpected EOF"));
    assert.throws(() => call("json.unmarshal", ""), new BuiltinError("EOF"));
    assert.throws(
      () => call("json.unmarshal", "x"),
      new BuiltinError("invalid character 'x' looking for beginning of value"),
    );
    assert.throws(() => call("json.unmarshal", '{"a" 1}'), new BuiltinError("invalid character '1' after object key"));
    assert.throws(() => call("json.unmarshal", "[1 2]"), new BuiltinError("invalid character '2' after array element"));
    assert.throws(() => call("json.unmarshal", "1 2"), new BuiltinError("invalid character '2' after top-level value"));
    assert.throws(() => call("json.unmarshal", "tru"), new BuiltinError("unexpected EOF"));
    assert.throws(
      () => call("json.unmarshal", "trux"),
      new BuiltinError("invalid character 'x' in literal true (expecting 'e')"),
    );
  });
  it("is_valid", () => {
    assert.equal(call("json.is_valid", '{"a":1}'), true);
    assert.equal(call("json.is_valid", "{a:1}"), false);
    assert.equal(call("json.is_valid", 1), false);
  });
});

describe("yaml", () => {
  it("marshals with sorted keys and unindented sequences", () => {
    assert.equal(call("yaml.marshal", fromJson({ b: [1, 2], a: "yes", c: "" })), 'a: "yes"\nb:\n- 1\n- 2\nc: ""\n');
  });
  it("unmarshals YAML 1.1 as go-yaml v2 does", () => {
    assert.deepEqual(toJson(call("yaml.unmarshal", "a: yes\nb: [1, x]\nc:\n  d: null\n") as Value), {
      a: true,
      b: [1, "x"],
      c: { d: null },
    });
    assert.deepEqual(toJson(call("yaml.unmarshal", "1: a") as Value), { "1": "a" });
    assert.throws(() => call("yaml.unmarshal", "a: [1"), BuiltinError);
  });
  it("is_valid", () => {
    assert.equal(call("yaml.is_valid", "a: 1"), true);
    assert.equal(call("yaml.is_valid", "a: [1"), false);
    assert.equal(call("yaml.is_valid", 1), false);
  });
});
