import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { stringBuiltins } from "../../../src/rego/builtins/strings.js";
import type { BuiltinDecl } from "../../../src/rego/builtins/types.js";
import { BoundedCache } from "../../../src/rego/builtins/types.js";
import { BuiltinError, BuiltinTypeError } from "../../../src/rego/errors.js";
import { fromJson, RegoSet, type Value } from "../../../src/rego/value.js";

const ctx = { nowNs: 0, cache: new Map<string, unknown>(), compiled: new BoundedCache(64), print() {} };
const decl = (name: string): BuiltinDecl => {
  const d = stringBuiltins.find((b) => b.name === name);
  if (!d) throw new Error(`no builtin ${name}`);
  return d;
};
const call = (name: string, ...args: unknown[]): Value | undefined =>
  decl(name).impl(
    args.map((a) => (a instanceof RegoSet ? a : fromJson(a))),
    ctx,
  );
const typeError = (msg: string) => (e: unknown) => e instanceof BuiltinTypeError && e.message === msg;
const builtinError = (msg: string) => (e: unknown) => e instanceof BuiltinError && e.message.includes(msg);

describe("string builtins (OPA conformance: strings, trim*, replacen)", () => {
  it("any_prefix_match / any_suffix_match", () => {
    assert.equal(call("strings.any_prefix_match", ["a/b/c", "a/b/d", "e/f/g"], ["a/", "d/"]), true);
    assert.equal(call("strings.any_prefix_match", ["a/b/c", "a/b/d", "e/f/g"], ["f/", "d/"]), false);
    assert.equal(call("strings.any_prefix_match", ["aa/bb/cc"], ["b/cc"]), false);
    assert.equal(call("strings.any_prefix_match", [], []), false);
    assert.equal(call("strings.any_prefix_match", ["a/b/c"], "a/"), true);
    assert.equal(call("strings.any_prefix_match", "a/b/c", ["g/", "d/"]), false);
    assert.equal(call("strings.any_prefix_match", new RegoSet(["a/b/c", "e/f/g"]), new RegoSet(["a/"])), true);
    assert.equal(call("strings.any_suffix_match", ["a/b/c", "e/f/g"], ["/c", "/a"]), true);
    assert.equal(call("strings.any_suffix_match", ["aa/bb/cc"], ["b/c", "f/g"]), false);
    assert.equal(call("strings.any_suffix_match", "a/b/g", ["/c", "/a"]), false);
    assert.throws(
      () => call("strings.any_prefix_match", [1, 2], ["f/"]),
      typeError("operand 1 must be array of strings but got array containing number"),
    );
    assert.throws(
      () => call("strings.any_prefix_match", 1, ["f/"]),
      typeError("operand 1 must be one of {string, set, array} but got number"),
    );
    assert.throws(
      () => call("strings.any_suffix_match", ["a"], [1]),
      typeError("operand 2 must be array of strings but got array containing number"),
    );
    assert.throws(
      () => call("strings.any_suffix_match", ["a"], 1),
      typeError("operand 2 must be one of {string, set, array} but got number"),
    );
  });

  it("format_int", () => {
    assert.equal(call("format_int", 15.5, 16), "f");
    assert.equal(call("format_int", 3.1, 10), "3");
    assert.equal(call("format_int", -5, 2), "-101");
    assert.equal(call("format_int", 8, 8), "10");
    assert.throws(() => call("format_int", 4.1, 199), typeError("operand 2 must be one of {2, 8, 10, 16}"));
  });

  it("concat", () => {
    assert.equal(call("concat", "/", ["", "foo", "bar", "0", "baz"]), "/foo/bar/0/baz");
    assert.equal(call("concat", ",", new RegoSet(["3", "1", "2"])), "1,2,3");
    assert.equal(call("concat", ",", []), "");
    assert.throws(
      () => call("concat", ",", ["a", 1]),
      typeError("operand 2 must be array of strings but got array containing number"),
    );
    assert.throws(
      () => call("concat", ",", new RegoSet([1])),
      typeError("operand 2 must be set of strings but got set containing number"),
    );
    assert.throws(() => call("concat", ",", "ab"), typeError("operand 2 must be one of {set, array} but got string"));
  });

  it("indexof / indexof_n count code points", () => {
    assert.equal(call("indexof", "abcdefgh", "cde"), 2);
    assert.equal(call("indexof", "abcabcabcdefgh", "cde"), 8);
    assert.equal(call("indexof", "abcdefgh", "xyz"), -1);
    assert.equal(call("indexof", "μx", "x"), 1);
    assert.equal(call("indexof", "μ", "μμ"), -1);
    assert.equal(call("indexof", "skön var våren", "vår"), 9);
    assert.equal(call("indexof", "🍧🍨🧁🍰🍮", "🍮"), 4);
    assert.deepEqual(call("indexof_n", "dogcatdogcat", "cat"), [3, 9]);
    assert.deepEqual(call("indexof_n", "dogcat", "rabbit"), []);
    assert.deepEqual(call("indexof_n", "😇😀😇😀😇😀", "😀"), [1, 3, 5]);
    assert.throws(() => call("indexof", "abc", ""), builtinError("empty search character"));
  });

  it("substring follows OPA's offset and length rules", () => {
    assert.equal(call("substring", "abcdefgh", 2, 3), "cde");
    assert.equal(call("substring", "åäö", 0, 2), "åä");
    assert.equal(call("substring", "abcdefgh", 2, -1), "cdefgh");
    assert.equal(call("substring", "aåäö", 2, -1), "äö");
    assert.equal(call("substring", "abcdefghåäö", 2, 10000), "cdefghåäö");
    assert.equal(call("substring", "aaa", 3, -1), "");
    assert.equal(call("substring", "åäö", 4, -1), "");
    assert.throws(() => call("substring", "åäö", -1, -1), builtinError("negative offset"));
    assert.throws(
      () => call("substring", "abc", 1.5, 1),
      typeError("operand 2 must be integer number but got floating-point number"),
    );
  });

  it("contains, startswith, endswith, lower, upper", () => {
    assert.equal(call("contains", "abcdefgh", "defg"), true);
    assert.equal(call("contains", "abcdefgh", "ac"), false);
    assert.equal(call("startswith", "abcdefgh", "abcd"), true);
    assert.equal(call("startswith", "abcdefgh", "bcd"), false);
    assert.equal(call("endswith", "abcdefgh", "fgh"), true);
    assert.equal(call("endswith", "abcdefgh", "fg"), false);
    assert.equal(call("lower", "AbCdEf"), "abcdef");
    assert.equal(call("upper", "AbCdEf"), "ABCDEF");
    // Go maps case rune by rune: no SpecialCasing expansions.
    assert.equal(call("upper", "straße"), "STRAßE");
    assert.equal(call("lower", "ΣΑΣ"), "σασ");
  });

  it("split and replace", () => {
    assert.deepEqual(call("split", "", "."), [""]);
    assert.deepEqual(call("split", "foo", "."), ["foo"]);
    assert.deepEqual(call("split", "foo.bar.baz", "."), ["foo", "bar", "baz"]);
    assert.deepEqual(call("split", "a😀b", ""), ["a", "😀", "b"]);
    assert.equal(call("replace", "", "hi", "bye"), "");
    assert.equal(call("replace", "foo.bar.baz", ".", ","), "foo,bar,baz");
    assert.equal(call("replace", "foo...bar", "..", ",,"), "foo,,.bar");
    assert.equal(call("replace", "ab", "", "-"), "-a-b-");
  });

  it("trim family", () => {
    assert.equal(call("trim", "", "."), "");
    assert.equal(call("trim", "...foo.bar...", "."), "foo.bar");
    assert.equal(call("trim", "...foo.bar...", ".fr"), "oo.ba");
    assert.equal(call("trim", "...foo.bar...", ".o"), "foo.bar");
    assert.equal(call("trim", "¡¡¡foo, bar!!!", "!¡"), "foo, bar");
    assert.equal(call("trim", "¡¡¡foo, bar!!!", "i"), "¡¡¡foo, bar!!!");
    assert.equal(call("trim_left", "¡¡¡foo, bar!!!", "!¡"), "foo, bar!!!");
    assert.equal(call("trim_left", "!!!foo, bar¡¡¡", "¡"), "!!!foo, bar¡¡¡");
    assert.equal(call("trim_right", "¡¡¡foo, bar!!!", "!¡"), "¡¡¡foo, bar");
    assert.equal(call("trim_prefix", "¡¡¡foo, bar!!!", "¡¡¡foo"), ", bar!!!");
    assert.equal(call("trim_prefix", "¡¡¡foo, bar!!!", "¡¡¡bar"), "¡¡¡foo, bar!!!");
    assert.equal(call("trim_suffix", "¡¡¡foo, bar!!!", ", bar!!!"), "¡¡¡foo");
    assert.equal(call("trim_suffix", "¡¡¡foo, bar!!!", ", foo!!!"), "¡¡¡foo, bar!!!");
    // Go's unicode.IsSpace: NEL is space, the BOM is not.
    assert.equal(call("trim_space", " \t\u0085x\u00a0\n"), "x");
    assert.equal(call("trim_space", "\ufeffx"), "\ufeffx");
  });

  it("strings.replace_n", () => {
    assert.equal(
      call("strings.replace_n", { "<": "&lt;", ">": "&gt;" }, "This is <b>HTML</b>!"),
      "This is &lt;b&gt;HTML&lt;/b&gt;!",
    );
    assert.equal(call("strings.replace_n", { f: "x", foo: "xxx" }, "foobar"), "xoobar");
    assert.equal(
      call("strings.replace_n", { old1: "new1", old2: "new2" }, "Everything is new1, new2"),
      "Everything is new1, new2",
    );
    assert.throws(
      () => call("strings.replace_n", { f: 100 }, "foo"),
      typeError("operand 1 non-string value found in pattern object"),
    );
    assert.throws(
      () => call("strings.replace_n", { f: "x" }, 100),
      typeError("operand 2 must be string but got number"),
    );
  });

  it("strings.reverse and strings.count", () => {
    assert.equal(call("strings.reverse", "bar"), "rab");
    assert.equal(call("strings.reverse", "2️⃣"), "⃣️2");
    assert.equal(call("strings.reverse", "1😀𝛾"), "𝛾😀1");
    assert.throws(() => call("strings.reverse", 123), typeError("operand 1 must be string but got number"));
    assert.equal(call("strings.count", "cheese", "e"), 3);
    assert.equal(call("strings.count", "hello hello hello world", "hello"), 3);
    assert.equal(call("strings.count", "dummy", "x"), 0);
    assert.equal(call("strings.count", "five", ""), 5);
  });

  it("strings.render_template (conformance: rendertemplate)", () => {
    assert.equal(call("strings.render_template", "{{.test}}", { test: "hello world" }), "hello world");
    assert.equal(call("strings.render_template", "{{.test}}", { test: 2023 }), "2023");
    const tpl = "{{range $i, $name := .hellonames}}{{if $i}},{{end}}hello {{$name}}{{end}}";
    assert.equal(
      call("strings.render_template", tpl, { hellonames: ["rohan", "john doe"] }),
      "hello rohan,hello john doe",
    );
    assert.throws(
      () => call("strings.render_template", "{{.testvarnotprovided}}", { test: "hello world" }),
      builtinError('executing "template" at <.testvarnotprovided>: map has no entry for key "testvarnotprovided"'),
    );
  });

  it("strings.render_template supports common text/template features", () => {
    const vars = { x: { y: 3 }, l: ["a", "b"], m: { k: 1, j: [1, "s"] }, e: [] };
    const render = (t: string) => call("strings.render_template", t, vars);
    assert.equal(render("a {{- /* comment */ -}} b"), "ab");
    assert.equal(render("{{with .x}}{{.y}}{{else}}no{{end}}"), "3");
    assert.equal(render('{{len .l | printf "%d items"}}'), "2 items");
    assert.equal(render("{{index .l 1}} {{.m}} {{.l}}"), "b map[j:[1 s] k:1] [a b]");
    assert.equal(render("{{if eq .x.y 3}}three{{else if gt .x.y 1}}big{{end}}"), "three");
    assert.equal(render("{{range .e}}x{{else}}empty{{end}}"), "empty");
    assert.equal(render("{{range $k, $v := .m}}{{$k}};{{end}}{{$z := 5}}{{$z}}"), "j;k;5");
    assert.equal(render('{{range .l}}{{if eq . "b"}}{{break}}{{end}}{{.}}{{end}}'), "a");
    assert.throws(() => render("{{.l.y}}"), builtinError("can't evaluate field y in type []interface {}"));
    assert.throws(() => render("{{if .x}}"), builtinError("unexpected EOF"));
  });
});
