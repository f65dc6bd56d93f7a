import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compile, RegoError } from "../../src/rego/index.js";
import { equals, fromJson, fromJsonLazy, keyOf, RegoObject, RegoSet, toJson } from "../../src/rego/value.js";

describe("lazy JSON objects", () => {
  const source = { b: { x: [1, { y: 2 }] }, a: "s", "\u0000odd": true, gone: undefined };

  it("equal the eagerly converted value, in keys, order, hashing and JSON", () => {
    const lazy = fromJsonLazy(source);
    const eager = fromJson(source);
    assert.ok(equals(lazy, eager));
    assert.equal(keyOf(lazy), keyOf(eager));
    assert.deepEqual(toJson(lazy), toJson(eager));
    assert.deepEqual((lazy as RegoObject).keys(), ["b", "a", "\u0000odd"]);
  });

  it("convert a member when it is read, and keep source order once all are needed", () => {
    const lazy = fromJsonLazy(source) as RegoObject;
    assert.equal(lazy.get("a"), "s");
    assert.equal(lazy.get("gone"), undefined);
    assert.equal(lazy.get("missing"), undefined);
    assert.equal(lazy.has(1), false);
    assert.equal(lazy.size, 3);
    assert.deepEqual(
      [...lazy].map(([k]) => k),
      ["b", "a", "\u0000odd"],
    );
  });

  it("read own members only, scalars and collections alike", () => {
    const lazy = fromJsonLazy(JSON.parse('{"n": 1, "z": null, "f": false, "o": {"k": "v"}}')) as RegoObject;
    assert.equal(lazy.get("n"), 1);
    assert.equal(lazy.get("z"), null);
    assert.equal(lazy.get("f"), false);
    assert.equal((lazy.get("o") as RegoObject).get("k"), "v");
    // The same converted collection on every read.
    assert.equal(lazy.get("o"), lazy.get("o"));
    for (const inherited of ["toString", "__proto__", "constructor", "hasOwnProperty"]) {
      assert.equal(lazy.get(inherited), undefined, inherited);
    }
    const withPrototype = fromJsonLazy(Object.assign(Object.create({ admin: true }), { user: "u" })) as RegoObject;
    assert.equal(withPrototype.get("user"), "u");
    assert.equal(withPrototype.get("admin"), undefined);
  });

  it("report a non-JSON input reached during evaluation as a RegoError", () => {
    const p = compile({ modules: { "a.rego": "package x\n\np := input.f\n" } });
    assert.throws(
      () => p.query("data.x.p = v", { input: { f: Number.NaN } }),
      (e: unknown) =>
        e instanceof RegoError && e.code === "eval_type_error" && /input: not a JSON number/.test(e.message),
    );
    assert.deepEqual(p.query("data.x.p = v", { input: { f: 1, g: Number.NaN } }), [{ v: 1 }]);
  });
});

describe("objects and sets of strings and of other values", () => {
  it("keep insertion order, lookups and removals when a first non-string key arrives", () => {
    const o = new RegoObject();
    o.set("b", 1);
    o.set("\u0001t", 2);
    o.set("a", 3);
    assert.equal(o.get(true), undefined);
    assert.equal(o.get(1), undefined);
    o.set(true, "yes");
    o.set(1, "one");
    o.set("a", 4);
    assert.deepEqual(o.keys(), ["b", "\u0001t", "a", true, 1]);
    assert.deepEqual(
      [...o].map(([k, v]) => [k, v]),
      [
        ["b", 1],
        ["\u0001t", 2],
        ["a", 4],
        [true, "yes"],
        [1, "one"],
      ],
    );
    assert.equal(o.get("\u0001t"), 2);
    assert.equal(o.get(true), "yes");
    assert.equal(o.get("1"), undefined);
    o.delete("b");
    o.delete(1);
    assert.equal(o.size, 3);
    assert.deepEqual(o.sortedEntries(), [
      [true, "yes"],
      ["\u0001t", 2],
      ["a", 4],
    ]);
    const same = new RegoObject([
      [true, "yes"],
      ["a", 4],
      ["\u0001t", 2],
    ]);
    assert.ok(equals(o, same));
    assert.equal(keyOf(o), keyOf(same));
  });

  it("give string-keyed objects OPA's byte order, and removals of absent or non-string keys no effect", () => {
    const o = new RegoObject([
      ["é", 1],
      ["z", 2],
      ["😀", 3],
      ["\uffff", 4],
    ]);
    o.delete(1);
    o.delete("missing");
    assert.deepEqual(
      o.sortedEntries().map(([k]) => k),
      ["z", "é", "\uffff", "😀"],
    );
    assert.deepEqual(toJson(o), { z: 2, é: 1, "\uffff": 4, "😀": 3 });
  });

  it("sets keep members and order when a first non-string member arrives", () => {
    const s = new RegoSet(["b", "\u0001n1", "a"]);
    assert.equal(s.has(1), false);
    assert.equal(s.add("a"), false);
    assert.equal(s.add(1), true);
    assert.equal(s.add(1), false);
    assert.equal(s.add("1"), true);
    assert.deepEqual([...s], ["b", "\u0001n1", "a", 1, "1"]);
    assert.equal(s.has("\u0001n1"), true);
    assert.equal(s.has(1), true);
    assert.equal(s.has(2), false);
    assert.equal(s.size, 5);
    assert.deepEqual(s.sorted(), [1, "\u0001n1", "1", "a", "b"]);
    const same = new RegoSet([1, "1", "a", "b", "\u0001n1"]);
    assert.ok(equals(s, same));
    assert.equal(keyOf(s), keyOf(same));
  });

  it("sort sets of strings in OPA's byte order", () => {
    assert.deepEqual(new RegoSet(["😀", "\uffff", "é", "z"]).sorted(), ["z", "é", "\uffff", "😀"]);
  });
});

describe("copies", () => {
  it("have the same members in the same order and change independently", () => {
    const set = new RegoSet(["b", "a"]);
    const setCopy = set.copy();
    setCopy.add(1);
    assert.deepEqual([...set], ["b", "a"]);
    assert.deepEqual([...setCopy], ["b", "a", 1]);
    const mixedCopy = setCopy.copy();
    mixedCopy.add("c");
    assert.deepEqual([...setCopy], ["b", "a", 1]);
    assert.deepEqual(mixedCopy.sorted(), [1, "a", "b", "c"]);

    const lazy = fromJsonLazy({ z: 1, y: { x: 2 } }) as RegoObject;
    const objCopy = lazy.copy();
    objCopy.set("w", 3);
    objCopy.set(0, "zero");
    assert.deepEqual(lazy.keys(), ["z", "y"]);
    assert.deepEqual(objCopy.keys(), ["z", "y", "w", 0]);
    assert.equal(objCopy.get("y"), lazy.get("y"));
    const general = objCopy.copy();
    general.delete(0);
    assert.equal(objCopy.get(0), "zero");
    assert.equal(general.get(0), undefined);
    assert.deepEqual(new RegoSet().copy().sorted(), []);
    assert.equal(new RegoObject().copy().size, 0);
  });
});
