import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { jsonPathBuiltins } from "../../../src/rego/builtins/json-path.js";
import type { BuiltinContext } from "../../../src/rego/builtins/types.js";
import { BoundedCache } from "../../../src/rego/builtins/types.js";
import { BuiltinTypeError } from "../../../src/rego/errors.js";
import { equals, fromJson, RegoSet, toJson, type Value } from "../../../src/rego/value.js";

const ctx: BuiltinContext = { nowNs: 0, cache: new Map(), compiled: new BoundedCache(64), print() {} };

function call(name: string, ...args: Value[]): Value | undefined {
  const decl = jsonPathBuiltins.find((d) => d.name === name);
  assert.ok(decl, `missing builtin ${name}`);
  return decl.impl(args, ctx);
}

const j = fromJson;
const set = (...xs: Value[]): RegoSet => new RegoSet(xs);

describe("json.filter (conformance)", () => {
  const doc = j({ a: { b: { c: 7, d: 8 } }, e: 9 });
  const f = (d: Value, paths: Value): unknown => toJson(call("json.filter", d, paths) as Value);
  it("keeps selected paths", () => {
    assert.deepEqual(f(doc, set("a/b/c")), { a: { b: { c: 7 } } });
    assert.deepEqual(f(doc, set("a/b/c", "e")), { a: { b: { c: 7 } }, e: 9 });
    assert.deepEqual(f(doc, ["a/b/c", "e"]), { a: { b: { c: 7 } }, e: 9 });
    assert.deepEqual(f(j({ a: { b: { c: 7, d: 8 }, e: 9 } }), set("a/b/c", "a/e")), { a: { b: { c: 7 }, e: 9 } });
    assert.deepEqual(f(j({ a: { b: 7 } }), set("a", "a/b")), { a: { b: 7 } });
    assert.deepEqual(f(j({ a: 7 }), set()), {});
    assert.deepEqual(f(j({}), set("a/b")), {});
  });
  it("handles arrays, numeric keys and segment arrays", () => {
    assert.deepEqual(f(j({ a: [{ b: 7, c: 8 }, { d: 9 }] }), set("a/0/b", "a/1")), { a: [{ b: 7 }, { d: 9 }] });
    assert.deepEqual(f(j({ a: [{ "1": ["b", "c", "d"] }, { x: "y" }] }), set("a/0/1/2")), { a: [{ "1": ["d"] }] });
    assert.deepEqual(f(doc, set(["a", "b", "c"], ["e"])), { a: { b: { c: 7 } }, e: 9 });
    assert.deepEqual(f(j({ a: { b: { c: 7, d: 8, x: 0 } }, e: 9 }), set("a/b/d", ["a", "b", "c"])), {
      a: { b: { c: 7, d: 8 } },
    });
  });
  it("leaves its operand unchanged", () => {
    const d = j({ a: { b: 2, c: 3 } });
    assert.deepEqual(f(d, set("a/b")), { a: { b: 2 } });
    assert.deepEqual(f(d, set("a/c")), { a: { c: 3 } });
    assert.ok(equals(d, j({ a: { b: 2, c: 3 } })));
  });
});

describe("json.remove (conformance)", () => {
  const doc = j({ a: { b: { c: 7, d: 8 } }, e: 9 });
  const r = (d: Value, paths: Value): unknown => toJson(call("json.remove", d, paths) as Value);
  it("removes selected paths", () => {
    assert.deepEqual(r(doc, set("a/b/c")), { a: { b: { d: 8 } }, e: 9 });
    assert.deepEqual(r(doc, set("a/b/c", "e")), { a: { b: { d: 8 } } });
    assert.deepEqual(r(doc, ["a/b/c", "e"]), { a: { b: { d: 8 } } });
    assert.deepEqual(r(j({ a: { b: { c: 7, d: 8 }, e: 9 } }), set("a/b/c", "a/e")), { a: { b: { d: 8 } } });
    assert.deepEqual(r(j({ a: { b: 7 }, c: 1 }), set("a", "a/b")), { c: 1 });
    assert.deepEqual(r(j({ a: 7 }), set()), { a: 7 });
    assert.deepEqual(r(j({}), set("a/b")), {});
    assert.deepEqual(r(j({ a: { b: 7 }, c: 1 }), set("a", "c")), {});
    assert.deepEqual(r(j({ a: { b: 7 }, c: 1 }), set("a/b", "c")), { a: {} });
  });
  it("handles arrays, numeric keys and segment arrays", () => {
    assert.deepEqual(r(j({ a: [{ b: 7, c: 8 }, { d: 9 }] }), set("a/0/b", "a/1")), { a: [{ c: 8 }] });
    assert.deepEqual(r(j({ a: [{ "1": ["b", "c", "d"] }, { x: "y" }] }), set("a/0/1/2")), {
      a: [{ "1": ["b", "c"] }, { x: "y" }],
    });
    assert.deepEqual(r(doc, set(["a", "b", "c"], ["e"])), { a: { b: { d: 8 } } });
    assert.deepEqual(r(j({ a: { b: { c: 7, d: 8, x: 0 } }, e: 9 }), set("a/b/d", ["a", "b", "c"])), {
      a: { b: { x: 0 } },
      e: 9,
    });
    assert.deepEqual(r(j({ s: ["x", "y"] }), set("~1~0")), { s: ["x", "y"] });
    assert.deepEqual(r(j({ "a/b": 1, "c~": 2 }), set("a~1b", "c~0")), {});
  });
  it("reports OPA's type errors", () => {
    const obj = j({ a: { b: { c: 123 } } });
    assert.throws(
      () => call("json.remove", "foo", set("a/b/c")),
      new BuiltinTypeError("operand 1 must be object but got string"),
    );
    assert.throws(
      () => call("json.remove", [1], set("a")),
      new BuiltinTypeError("operand 1 must be object but got array"),
    );
    assert.throws(
      () => call("json.remove", obj, "foo"),
      new BuiltinTypeError("operand 2 must be one of {set, array} but got string"),
    );
    assert.throws(
      () => call("json.remove", obj, j({ y: 1 })),
      new BuiltinTypeError("operand 2 must be one of {set, array} but got object"),
    );
    const elemError = (t: string): BuiltinTypeError =>
      new BuiltinTypeError(
        `operand 2 must be one of {set, array} containing string paths or array of path segments but got ${t}`,
      );
    assert.throws(() => call("json.remove", obj, set(1, 2, 3, "a")), elemError("number"));
    assert.throws(() => call("json.remove", obj, ["a", j({ x: 1 })]), elemError("object"));
    assert.throws(() => call("json.filter", obj, [true]), elemError("boolean"));
  });
});

describe("json.patch", () => {
  const p = (doc: unknown, ops: unknown): unknown => {
    const r = call("json.patch", j(doc), j(ops));
    return r === undefined ? undefined : toJson(r);
  };
  it("applies RFC 6902 examples", () => {
    assert.deepEqual(p({ foo: "bar" }, [{ op: "add", path: "/baz", value: "qux" }]), { baz: "qux", foo: "bar" });
    assert.deepEqual(p({ foo: ["bar", "baz"] }, [{ op: "add", path: "/foo/1", value: "qux" }]), {
      foo: ["bar", "qux", "baz"],
    });
    assert.deepEqual(p({ foo: ["bar", "qux", "baz"] }, [{ op: "remove", path: "/foo/1" }]), { foo: ["bar", "baz"] });
    assert.deepEqual(p({ baz: "qux", foo: "bar" }, [{ op: "replace", path: "/baz", value: "boo" }]), {
      baz: "boo",
      foo: "bar",
    });
    assert.deepEqual(
      p({ foo: { bar: "baz", waldo: "fred" }, qux: { corge: "grault" } }, [
        { op: "move", from: "/foo/waldo", path: "/qux/thud" },
      ]),
      { foo: { bar: "baz" }, qux: { corge: "grault", thud: "fred" } },
    );
    assert.deepEqual(p({ foo: ["all", "grass", "cows", "eat"] }, [{ op: "move", from: "/foo/1", path: "/foo/3" }]), {
      foo: ["all", "cows", "eat", "grass"],
    });
    assert.deepEqual(p({ "/": 9, "~1": 10 }, [{ op: "test", path: "/~01", value: 10 }]), { "/": 9, "~1": 10 });
    assert.deepEqual(p({ foo: ["bar"] }, [{ op: "add", path: "/foo/-", value: ["abc", "def"] }]), {
      foo: ["bar", ["abc", "def"]],
    });
    assert.deepEqual(p({}, [{ op: "add", path: "/", value: 1 }]), { "": 1 });
    assert.deepEqual(p({ foo: {} }, [{ op: "add", path: "/foo/", value: 1 }]), { foo: { "": 1 } });
    assert.deepEqual(p({ foo: "bar" }, [{ op: "add", path: "", value: { baz: "qux" } }]), { baz: "qux" });
    assert.deepEqual(p({ foo: null }, [{ op: "copy", from: "/foo", path: "/bar" }]), { foo: null, bar: null });
    assert.deepEqual(
      p(
        [1, 2, 3, 4],
        [
          { op: "remove", path: "/1" },
          { op: "remove", path: "/2" },
        ],
      ),
      [1, 3],
    );
    assert.deepEqual(p({ foo: 1 }, [{ op: "move", from: "/foo", path: "/foo" }]), { foo: 1 });
  });
  it("is undefined when an operation fails", () => {
    assert.equal(p({ q: { bar: 2 } }, [{ op: "add", path: "/a/b", value: 1 }]), undefined);
    assert.equal(p({ baz: "qux" }, [{ op: "test", path: "/baz", value: "bar" }]), undefined);
    assert.equal(p({ bar: [1, 2] }, [{ op: "add", path: "/bar/8", value: "5" }]), undefined);
    assert.equal(p({ bar: [1, 2] }, [{ op: "add", path: "/bar/-1", value: "5" }]), undefined);
    assert.equal(p(["foo", "bar"], [{ op: "test", path: "/1e0", value: "bar" }]), undefined);
    assert.equal(p(["foo", "bar"], [{ op: "test", path: "/01", value: "bar" }]), undefined);
    assert.equal(p(["foo", "sil"], [{ op: "add", path: "/bar", value: 42 }]), undefined);
    assert.equal(p({}, [{ op: "add", value: "bar" }]), undefined);
    assert.equal(p({}, [{ op: "add", path: null, value: "bar" }]), undefined);
    assert.equal(p([1], [{ op: "add", path: "/-" }]), undefined);
    assert.equal(p({ foo: 1 }, [{ op: "copy", from: "/bar", path: "/foo" }]), undefined);
    assert.equal(p({ foo: 1 }, [{ op: "spam", path: "/foo", value: 1 }]), undefined);
    assert.equal(p({ foo: "bar" }, [{ op: "remove", path: "/baz" }]), undefined);
    assert.equal(p([1, 2, 3], [{ op: "add", path: "1.2", value: "foo" }]), undefined);
    assert.equal(p({}, [1]), undefined);
  });
  it("accepts paths without a leading slash and edits sets", () => {
    const doc = j({ foo: set("a", "b", "c") });
    const r1 = call("json.patch", doc, j([{ op: "remove", path: "foo/b" }]));
    assert.ok(r1 !== undefined && equals(r1, j({ foo: set("a", "c") })));
    const r2 = call("json.patch", doc, j([{ op: "add", path: "foo/d", value: "d" }]));
    assert.ok(r2 !== undefined && equals(r2, j({ foo: set("a", "b", "c", "d") })));
    assert.equal(call("json.patch", doc, j([{ op: "add", path: "foo/d", value: "e" }])), undefined);
    const two = j({ foo: set("a", "b"), bar: set("c", "d") });
    const r3 = call("json.patch", two, j([{ op: "move", from: "foo/a", path: "bar/a" }]));
    assert.ok(r3 !== undefined && equals(r3, j({ foo: set("b"), bar: set("a", "c", "d") })));
    const r4 = call("json.patch", set([1]), [j({ op: "add", path: [[1], 1], value: 2 })]);
    assert.ok(r4 !== undefined && equals(r4, set([1, 2])));
  });
  it("type-checks the operations operand", () => {
    assert.throws(
      () => call("json.patch", j({}), j({})),
      new BuiltinTypeError("operand 2 must be array but got object"),
    );
  });
});
