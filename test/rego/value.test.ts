import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compile, RegoError } from "../../src/rego/index.js";
import { equals, fromJson, fromJsonLazy, keyOf, type RegoObject, toJson } from "../../src/rego/value.js";

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
