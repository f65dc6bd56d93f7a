import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { regexBuiltins } from "../../../src/rego/builtins/regex.js";
import type { BuiltinDecl } from "../../../src/rego/builtins/types.js";
import { BoundedCache } from "../../../src/rego/builtins/types.js";
import { BuiltinError, BuiltinTypeError } from "../../../src/rego/errors.js";
import type { Value } from "../../../src/rego/value.js";

const ctx = { nowNs: 0, cache: new Map<string, unknown>(), compiled: new BoundedCache(64), print() {} };
const decl = (name: string): BuiltinDecl => {
  const d = regexBuiltins.find((b) => b.name === name);
  if (!d) throw new Error(`no builtin ${name}`);
  return d;
};
const call = (name: string, ...args: Value[]): Value | undefined => decl(name).impl(args, ctx);
const builtinError = (msg: string) => (e: unknown) => e instanceof BuiltinError && e.message === msg;

describe("regex builtins", () => {
  it("regex.match and re_match", () => {
    assert.equal(call("regex.match", "^[a-z]+\\[[0-9]+\\]$", "foo[1]"), true);
    assert.equal(call("re_match", "^[a-z]+$", "foo1"), false);
    assert.equal(call("regex.match", "b", "abc"), true);
    assert.throws(
      () => call("regex.match", "++", "x"),
      builtinError("error parsing regexp: missing argument to repetition operator: `+`"),
    );
    assert.throws(
      () => call("regex.match", 1, "x"),
      (e: unknown) => e instanceof BuiltinTypeError,
    );
  });

  it("matches catastrophic patterns in linear time", () => {
    const start = Date.now();
    assert.equal(call("regex.match", "(a+)+$", `${"a".repeat(100_000)}!`), false);
    assert.equal(call("regex.match", "^(a|aa)+$", `${"a".repeat(50_000)}b`), false);
    assert.ok(Date.now() - start < 2000, "took too long");
  });

  it("regex.is_valid", () => {
    assert.equal(call("regex.is_valid", ".+"), true);
    assert.equal(call("regex.is_valid", "++"), false);
    assert.equal(call("regex.is_valid", 10), false);
  });

  it("regex.split follows Go's Regexp.Split", () => {
    assert.deepEqual(call("regex.split", "^[a-z]+\\[[0-9]+\\]$", ""), [""]);
    assert.deepEqual(call("regex.split", "a", "banana"), ["b", "n", "n", ""]);
    assert.deepEqual(call("regex.split", "z+", "pizza"), ["pi", "a"]);
    assert.deepEqual(call("regex.split", "", "abc"), ["a", "b", "c"]);
  });

  it("regex.find_n and regex.find_all_string_submatch_n", () => {
    assert.deepEqual(call("regex.find_n", "a.", "paranormal", -1), ["ar", "an", "al"]);
    assert.deepEqual(call("regex.find_n", "a.", "paranormal", 2), ["ar", "an"]);
    assert.deepEqual(call("regex.find_n", "bork", "paranormal", -1), []);
    assert.deepEqual(call("regex.find_n", "a.", "paranormal", 0), []);
    assert.deepEqual(call("regex.find_n", "a*", "baaab", -1), ["", "aaa", ""]);
    assert.deepEqual(call("regex.find_all_string_submatch_n", "a(x)?(b)", "abaxb", -1), [
      ["ab", "", "b"],
      ["axb", "x", "b"],
    ]);
    assert.deepEqual(call("regex.find_all_string_submatch_n", "é(.)", "éaébéc", 2), [
      ["éa", "a"],
      ["éb", "b"],
    ]);
  });

  it("regex.replace expands submatches like Go", () => {
    assert.equal(call("regex.replace", "-wy-wxxy-", "w(x*)y", "0"), "-0-0-");
    assert.equal(call("regex.replace", "foo", "(foo)", "$1$1"), "foofoo");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Go's ${name} replacement syntax, not a JS template.
    assert.equal(call("regex.replace", "abc", "(?P<first>a)(b)", "[${first}|$2|$2x|$$|$]"), "[a|b||$|$]c");
    assert.equal(call("regex.replace", "baaab", "a*", "X"), "XbXbX");
    assert.throws(
      () => call("regex.replace", "foo", "[", "$1"),
      builtinError("error parsing regexp: missing closing ]: `[`"),
    );
  });

  it("regex.template_match", () => {
    assert.equal(call("regex.template_match", "urn:foo:{.*}", "urn:foo:bar:baz", "{", "}"), true);
    assert.equal(call("regex.template_match", "urn:foo:<.*>", "urn:foo:bar:baz", "<", ">"), true);
    assert.equal(call("regex.template_match", "urn:foo.bar:<[a-z]+>", "urn:fooxbar:baz", "<", ">"), false);
    assert.throws(
      () => call("regex.template_match", "urn:{.*", "urn", "{", "}"),
      builtinError('unbalanced braces in "urn:{.*"'),
    );
    assert.throws(
      () => call("regex.template_match", "x", "x", "{{", "}"),
      builtinError("start delimiter has to be exactly one character long but is 2 long"),
    );
  });

  it("regex.globs_match (conformance: globsmatch)", () => {
    assert.equal(call("regex.globs_match", "a.a.[0-9]+z", ".b.b2359825792*594823z"), true);
    assert.equal(call("regex.globs_match", "[a-z]+", "[0-9]*"), false);
    assert.equal(call("regex.globs_match", "b.*", "bar"), true);
    assert.equal(call("regex.globs_match", "b.*", "baz"), true);
    assert.equal(call("regex.globs_match", "[a-z]+\\[[0-9]+\\]", "foo\\[1\\]"), true);
    assert.equal(call("regex.globs_match", "[a-z]+\\[[0-9]+\\]", 'foo["bar"]'), false);
    assert.throws(
      () => call("regex.globs_match", "pqrs]", "[a-b]+"),
      builtinError("input:pqrs], pos:5, set-close ']' with no preceding '[': the input provided is invalid"),
    );
    const start = Date.now();
    assert.equal(call("regex.globs_match", ".*a.*a.*a.*a.*a.*a.*a.*b", "a".repeat(2000)), false);
    assert.ok(Date.now() - start < 2000, "took too long");
  });
});
