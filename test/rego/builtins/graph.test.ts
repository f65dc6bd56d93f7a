import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { graphBuiltins } from "../../../src/rego/builtins/graph.js";
import type { BuiltinContext } from "../../../src/rego/builtins/types.js";
import { BoundedCache } from "../../../src/rego/builtins/types.js";
import { BuiltinTypeError } from "../../../src/rego/errors.js";
import { equals, fromJson, RegoObject, RegoSet, toJson, type Value } from "../../../src/rego/value.js";

const ctx: BuiltinContext = { nowNs: 0, cache: new Map(), compiled: new BoundedCache(64), print() {} };

function call(name: string, ...args: Value[]): Value | undefined {
  const decl = graphBuiltins.find((d) => d.name === name);
  assert.ok(decl, `missing builtin ${name}`);
  return decl.impl(args, ctx);
}

const set = (...xs: Value[]): RegoSet => new RegoSet(xs);
const graph = (edges: Record<string, Value>): RegoObject => new RegoObject(Object.entries(edges));

describe("graph.reachable (conformance)", () => {
  it("follows edges given as sets or arrays", () => {
    assert.ok(equals(call("graph.reachable", new RegoObject(), set("a")) as Value, set()));
    assert.ok(
      equals(
        call("graph.reachable", graph({ a: set("b"), b: set("c"), c: set("a") }), set("a")) as Value,
        set("a", "b", "c"),
      ),
    );
    const components = graph({
      a: set("b", "c"),
      b: set("d"),
      c: set("d"),
      d: set(),
      e: set("f"),
      f: set("e"),
      x: set("x"),
    });
    assert.ok(equals(call("graph.reachable", components, set("b", "e")) as Value, set("b", "d", "e", "f")));
    assert.ok(
      equals(call("graph.reachable", graph({ a: ["b"], b: ["c"], c: ["a"] }), ["a"]) as Value, set("a", "b", "c")),
    );
    assert.ok(equals(call("graph.reachable", graph({ a: null }), ["a"]) as Value, set("a")));
  });
  it("rejects malformed operands", () => {
    assert.throws(
      () => call("graph.reachable", 1, [1]),
      new BuiltinTypeError("operand 1 must be object but got number"),
    );
    assert.throws(
      () => call("graph.reachable", graph({ a: [] }), "a"),
      new BuiltinTypeError("operand 2 must be {array, set} but got string"),
    );
  });
});

describe("graph.reachable_paths (conformance)", () => {
  const paths = (g: Value, initial: Value): unknown => toJson(call("graph.reachable_paths", g, initial) as Value);
  it("collects maximal paths", () => {
    assert.deepEqual(paths(new RegoObject(), set("a")), []);
    assert.deepEqual(paths(graph({ a: set("b"), b: set("c"), c: set("a") }), set("a")), [["a", "b", "c"]]);
    const components = graph({
      a: set("b", "c"),
      b: set("d"),
      c: set("d"),
      d: set(),
      e: set("f"),
      f: set("e"),
      x: set("x"),
    });
    assert.deepEqual(paths(components, set("b", "e")), [
      ["b", "d"],
      ["e", "f"],
    ]);
    assert.deepEqual(paths(graph({ a: ["b"], b: ["c"], c: ["a"] }), ["a"]), [["a", "b", "c"]]);
    assert.deepEqual(paths(graph({ a: null }), ["a"]), [["a"]]);
    assert.deepEqual(paths(graph({ a: ["b", "c"], b: ["c"], c: [] }), set("a")), [
      ["a", "b", "c"],
      ["a", "c"],
    ]);
    assert.deepEqual(paths(graph({ a: ["b"], b: ["nonexistent"] }), set("a", "b")), [["a", "b"], ["b"]]);
  });
  it("shares visited vertices across one start edge (issue 1022 cases)", () => {
    const g1 = fromJson({
      one: ["two", "five"],
      two: ["four"],
      three: [""],
      four: ["three"],
      five: ["seven", "six"],
      six: ["nine"],
      seven: ["eight"],
      eight: [""],
      nine: [""],
    });
    const want1 = [
      ["one", "five", "seven", "eight"],
      ["one", "five", "six", "nine"],
      ["one", "two", "four", "three"],
    ];
    assert.deepEqual(paths(g1, set("one")), want1);
    const g3 = fromJson({
      one: ["two", "five"],
      two: ["four"],
      three: [""],
      four: ["three"],
      five: ["seven", "six"],
      six: ["nine", "seven"],
      seven: ["eight"],
      eight: ["three"],
      nine: [""],
    });
    assert.deepEqual(paths(g3, set("one")), [
      ["one", "five", "seven", "eight", "three"],
      ["one", "five", "six"],
      ["one", "five", "six", "nine"],
      ["one", "two", "four", "three"],
    ]);
  });
  it("rejects malformed operands", () => {
    assert.throws(() => paths(1, [1]), new BuiltinTypeError("operand 1 must be object but got number"));
    assert.throws(
      () => paths(graph({ a: [] }), "a"),
      new BuiltinTypeError("operand 2 must be {array, set} but got string"),
    );
  });
});

describe("walk", () => {
  it("is a relation over [path, value] pairs in pre-order", () => {
    const decl = graphBuiltins.find((d) => d.name === "walk");
    assert.equal(decl?.kind, "relation");
    const x = new RegoObject([
      ["b", [1, set("s")]],
      ["a", null],
    ]);
    assert.deepEqual(toJson(call("walk", x) as Value), [
      [[], { a: null, b: [1, ["s"]] }],
      [["a"], null],
      [["b"], [1, ["s"]]],
      [["b", 0], 1],
      [["b", 1], ["s"]],
      [["b", 1, "s"], "s"],
    ]);
    assert.deepEqual(toJson(call("walk", 3) as Value), [[[], 3]]);
  });
});
