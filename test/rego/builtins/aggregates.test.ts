import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { aggregateBuiltins } from "../../../src/rego/builtins/aggregates.js";
import { BoundedCache } from "../../../src/rego/builtins/types.js";
import { BuiltinTypeError } from "../../../src/rego/errors.js";
import { objectFrom, RegoObject, RegoSet, type Value } from "../../../src/rego/value.js";

const ctx = { nowNs: 0, cache: new Map<string, unknown>(), compiled: new BoundedCache(64), print() {} };

function call(name: string, ...args: Value[]): Value | undefined {
  const decl = aggregateBuiltins.find((d) => d.name === name);
  assert.ok(decl, `no builtin ${name}`);
  return decl.impl(args, ctx);
}

function throwsType(name: string, args: Value[], message: string): void {
  assert.throws(
    () => call(name, ...args),
    (e: unknown) => e instanceof BuiltinTypeError && e.message === message,
  );
}

describe("count", () => {
  it("counts arrays, sets, objects and code points", () => {
    assert.equal(call("count", [1, 2, 3, 4]), 4);
    assert.equal(call("count", new RegoSet([1, 2, 3, 4])), 4);
    assert.equal(call("count", objectFrom({ v1: "hello", v2: "goodbye" })), 2);
    assert.equal(call("count", "abcde"), 5);
    assert.equal(call("count", "åäö"), 3);
    assert.equal(call("count", "😀x"), 2);
    // Lone surrogates count as one each, as the string iterator counts them.
    assert.equal(call("count", "\uD800x"), 2);
    assert.equal(call("count", "a😀\uDC00"), 3);
    assert.equal(call("count", "x".repeat(2001)), 2001);
  });

  it("rejects other types", () => {
    throwsType("count", [null], "operand 1 must be one of {array, object, set, string} but got null");
    throwsType("count", [5], "operand 1 must be one of {array, object, set, string} but got number");
  });
});

describe("sum and product", () => {
  it("sums arrays and sets", () => {
    assert.equal(call("sum", [1, 2, 3, 4]), 10);
    assert.equal(call("sum", new RegoSet([1, 2, 3, 4])), 10);
    assert.equal(call("sum", []), 0);
    assert.equal(call("sum", [49649733057, 1]), 49649733058);
    assert.equal(call("sum", [0.1, 0.2]), 0.3);
  });

  it("multiplies arrays and sets", () => {
    assert.equal(call("product", [1, 2, 3, 4]), 24);
    assert.equal(call("product", new RegoSet([1, 2, 3, 4])), 24);
    assert.equal(call("product", []), 1);
    assert.equal(call("product", [0.1, 3]), 0.3);
    assert.equal(call("product", [0, -1]), 0);
  });

  it("names the offending element type", () => {
    throwsType("sum", [[1, "a"]], "operand 1 must be array of numbers but got array containing string");
    throwsType("product", [new RegoSet([1, null])], "operand 1 must be set of numbers but got set containing null");
    throwsType("sum", ["abc"], "operand 1 must be one of {set, array} but got string");
    throwsType("product", [new RegoObject()], "operand 1 must be one of {set, array} but got object");
  });
});

describe("max, min, sort", () => {
  it("finds extremes", () => {
    assert.equal(call("max", [1, 2, 3, 4]), 4);
    assert.equal(call("max", new RegoSet([1, 2, 3, 4])), 4);
    assert.equal(call("min", [3, 2, 1, 4, 6, -7, 10]), -7);
    assert.equal(call("min", [1, 2, 1, 3, 4]), 1);
    assert.equal(call("min", new RegoSet([1, 2, 3, 4])), 1);
  });

  it("compares across types with Rego's order", () => {
    assert.equal(call("max", [1, "a", null]), "a");
    assert.equal(call("min", [1, "a", null]), null);
  });

  it("is undefined for empty collections", () => {
    assert.equal(call("max", []), undefined);
    assert.equal(call("min", new RegoSet()), undefined);
  });

  it("sorts arrays and sets without mutating the operand", () => {
    const arr = [4, 3, 2, 1];
    assert.deepEqual(call("sort", arr), [1, 2, 3, 4]);
    assert.deepEqual(arr, [4, 3, 2, 1]);
    assert.deepEqual(call("sort", new RegoSet([3, 1, 2])), [1, 2, 3]);
    assert.deepEqual(call("sort", ["b", 1, null, [1]]), [null, 1, "b", [1]]);
  });

  it("rejects non-collections", () => {
    throwsType("max", [1], "operand 1 must be one of {set, array} but got number");
    throwsType("sort", ["x"], "operand 1 must be one of {set, array} but got string");
  });
});

describe("all and any", () => {
  it("test for true elements", () => {
    assert.equal(call("all", [true, true]), true);
    assert.equal(call("all", [true, 1]), false);
    assert.equal(call("all", []), true);
    assert.equal(call("any", new RegoSet([false, true])), true);
    assert.equal(call("any", [false, "true"]), false);
    assert.equal(call("any", new RegoSet()), false);
  });

  it("word errors with array first", () => {
    throwsType("all", [1], "operand 1 must be one of {array, set} but got number");
  });
});
